"""``augcli transforms``: the catalogue as tables, YAML examples or JSON."""

from __future__ import annotations

import difflib
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from augcli.transforms.base import TARGETS

KIND_ORDER = {"geometric": 0, "dropout": 1, "pixel": 2, "mixing": 3, "container": 4}


def show_catalog(name: str | None, as_json: bool, console: Console, errors: Console) -> int:
    """``augcli transforms [NAME] [--json]``; returns the exit code."""
    from augcli.recipe.catalog import full_registry

    registry = full_registry()
    if name is not None and name not in registry:
        close = difflib.get_close_matches(name, list(registry), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        errors.print(f"augcli: error: unknown transform {name!r}{hint}", highlight=False, markup=False)
        return 2
    if as_json:
        infos = (
            transform_info(registry[name])
            if name
            else [transform_info(c) for _, c in sorted(registry.items())]
        )
        print(json.dumps(infos, indent=2))
    elif name:
        print_transform(registry[name], _unwrapped(console))
    else:
        print_catalog(registry, _unwrapped(console))
    return 0


def _unwrapped(console: Console) -> Console:
    """On a pipe or a file, a console wide enough that no name or parameter is cut."""
    if console.is_terminal:
        return console
    return Console(file=console.file, width=100_000, soft_wrap=True, color_system=None)


def transform_info(cls: Any) -> dict:
    params = [
        {
            "name": p.name,
            "type": p.describe_type(),
            "default": _plain(p.default),
            "doc": p.doc,
        }
        for p in cls.all_params()
    ]
    return {
        "name": cls.name,
        "kind": cls.kind,
        "targets": list(cls.targets),
        "summary": cls.summary(),
        "params": params,
        "example": cls.example.strip(),
        "deviations": getattr(cls, "deviations", "") or "",
    }


def print_catalog(registry: dict, console: Console) -> None:
    table = Table(title=f"{len(registry)} transforms", show_lines=False)
    table.add_column("name", style="bold")
    table.add_column("kind")
    table.add_column("labels")
    table.add_column("parameters (defaults)", overflow="fold")
    for name, cls in sorted(registry.items(), key=lambda kv: (KIND_ORDER.get(kv[1].kind, 9), kv[0])):
        params = ", ".join(f"{p.name}={_short(p.default)}" for p in cls.all_params())
        table.add_row(name, cls.kind, labels_effect(cls), escape(params))
    console.print(table)
    console.print(
        "labels: what the transform does to boxes, polygons, masks and keypoints "
        "(every transform carries all of them)",
        highlight=False,
        markup=False,
    )


def labels_effect(cls: Any) -> str:
    """What a transform of this kind does to the labels (the targets are the same for all)."""
    missing = [t for t in TARGETS if t not in cls.targets]
    effect = {
        "pixel": "unchanged",
        "geometric": "moved with the pixels",
        "dropout": "occluded or removed",
        "mixing": "merged with other images' labels",
        "container": "as its children",
    }.get(cls.kind, cls.kind)
    return effect + (f" (not {', '.join(missing)})" if missing else "")


def print_transform(cls: Any, console: Console) -> None:
    info = transform_info(cls)
    console.print(f"[bold]{info['name']}[/bold] ({info['kind']}): {escape(info['summary'])}", highlight=False)
    console.print(f"labels: {labels_effect(cls)}", highlight=False, markup=False)
    table = Table(show_header=True)
    for col in ("parameter", "type", "default", "meaning"):
        table.add_column(col)
    for p in info["params"]:
        table.add_row(p["name"], escape(p["type"]), escape(_short(p["default"])), escape(p["doc"]))
    console.print(table)
    if info["deviations"]:
        console.print(f"differs from Albumentations: {info['deviations']}", highlight=False, markup=False)
    console.print("example:", highlight=False)
    console.print(info["example"], highlight=False, markup=False)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _short(value: Any) -> str:
    value = _plain(value)
    return "null" if value is None else str(value)
