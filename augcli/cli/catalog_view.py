"""``augcli transforms``: the catalogue as tables, YAML examples or JSON.

The command reads ``catalogue.json`` beside this module, generated from the
registry by ``scripts/gen_transform_docs.py`` (a test keeps it in step), so
listing the transforms imports none of them (nor numpy or OpenCV).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

KIND_ORDER = {"geometric": 0, "dropout": 1, "pixel": 2, "mixing": 3, "container": 4}
CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")


def show_catalog(name: str | None, as_json: bool, console: Console, errors: Console) -> int:
    """``augcli transforms [NAME] [--json]``; returns the exit code."""
    catalogue = load_catalogue()
    if name is not None and name not in catalogue:
        close = difflib.get_close_matches(name, list(catalogue), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        errors.print(f"augcli: error: unknown transform {name!r}{hint}", highlight=False, markup=False)
        return 2
    if as_json:
        infos = catalogue[name]["info"] if name else [catalogue[n]["info"] for n in sorted(catalogue)]
        print(json.dumps(infos, indent=2))
    elif name:
        print_transform(catalogue[name], _unwrapped(console))
    else:
        print_catalog(catalogue, _unwrapped(console))
    return 0


def load_catalogue() -> dict[str, dict]:
    """Name -> catalogue entry (``catalogue_entry``), as generated."""
    entries = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {entry["info"]["name"]: entry for entry in entries}


def build_catalogue(registry: dict) -> list[dict]:
    """The entries ``catalogue.json`` holds, from the registry (``recipe.catalog.full_registry``)."""
    return [catalogue_entry(registry[name]) for name in sorted(registry)]


def catalogue_entry(cls: Any) -> dict:
    """What the command shows of one transform: its ``transform_info``, what it does to
    the labels, and each parameter's default as the tables print it."""
    return {
        "info": transform_info(cls),
        "labels": labels_effect(cls),
        "defaults": [_short(p.default) for p in cls.all_params()],
    }


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


def print_catalog(catalogue: dict[str, dict], console: Console) -> None:
    table = Table(title=f"{len(catalogue)} transforms", show_lines=False)
    table.add_column("name", style="bold")
    table.add_column("kind")
    table.add_column("labels")
    table.add_column("parameters (defaults)", overflow="fold")
    for name, entry in sorted(
        catalogue.items(), key=lambda kv: (KIND_ORDER.get(kv[1]["info"]["kind"], 9), kv[0])
    ):
        info = entry["info"]
        params = ", ".join(f"{p['name']}={short}" for p, short in zip(info["params"], entry["defaults"]))
        table.add_row(name, info["kind"], entry["labels"], escape(params))
    console.print(table)
    console.print(
        "labels: what the transform does to boxes, polygons, masks and keypoints "
        "(every transform carries all of them)",
        highlight=False,
        markup=False,
    )


def labels_effect(cls: Any) -> str:
    """What a transform of this kind does to the labels (the targets are the same for all)."""
    from augcli.transforms.base import TARGETS

    missing = [t for t in TARGETS if t not in cls.targets]
    effect = {
        "pixel": "unchanged",
        "geometric": "moved with the pixels",
        "dropout": "occluded or removed",
        "mixing": "merged with other images' labels",
        "container": "as its children",
    }.get(cls.kind, cls.kind)
    return effect + (f" (not {', '.join(missing)})" if missing else "")


def print_transform(entry: dict, console: Console) -> None:
    info = entry["info"]
    console.print(f"[bold]{info['name']}[/bold] ({info['kind']}): {escape(info['summary'])}", highlight=False)
    console.print(f"labels: {entry['labels']}", highlight=False, markup=False)
    table = Table(show_header=True)
    for col in ("parameter", "type", "default", "meaning"):
        table.add_column(col)
    for p, short in zip(info["params"], entry["defaults"]):
        table.add_row(p["name"], escape(p["type"]), escape(short), escape(p["doc"]))
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
