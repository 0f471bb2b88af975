"""``augcli transforms``: the catalogue as tables, YAML examples or JSON.

The command reads ``catalogue.json`` beside this module, generated from the
registry by ``scripts/gen_transform_docs.py`` (a test keeps it in step), so
listing the transforms imports none of them (nor numpy, OpenCV, typer or rich).
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

from augcli.cli.text_table import bold, render_table, terminal_width, wants_bold

KIND_ORDER = {"geometric": 0, "dropout": 1, "pixel": 2, "mixing": 3, "container": 4}
CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")


def show_catalog(name: str | None, as_json: bool) -> int:
    """``augcli transforms [NAME] [--json]``; returns the exit code."""
    catalogue = load_catalogue()
    if name is not None and name not in catalogue:
        close = difflib.get_close_matches(name, list(catalogue), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        print(f"augcli: error: unknown transform {name!r}{hint}", file=sys.stderr)
        return 2
    if as_json:
        infos = catalogue[name]["info"] if name else [catalogue[n]["info"] for n in sorted(catalogue)]
        print(json.dumps(infos, indent=2))
    elif name:
        print_transform(catalogue[name])
    else:
        print_catalog(catalogue)
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


def print_catalog(catalogue: dict[str, dict]) -> None:
    rows = []
    for name, entry in sorted(
        catalogue.items(), key=lambda kv: (KIND_ORDER.get(kv[1]["info"]["kind"], 9), kv[0])
    ):
        info = entry["info"]
        params = ", ".join(f"{p['name']}={short}" for p, short in zip(info["params"], entry["defaults"]))
        rows.append([name, info["kind"], entry["labels"], params])
    print(f"{len(catalogue)} transforms")
    print(_table(["name", "kind", "labels", "parameters (defaults)"], rows, names_bold=True))
    print(
        "labels: what the transform does to boxes, polygons, masks and keypoints "
        "(every transform carries all of them)"
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


def print_transform(entry: dict) -> None:
    info = entry["info"]
    print(f"{bold(info['name'])} ({info['kind']}): {info['summary']}")
    print(f"labels: {entry['labels']}")
    rows = [[p["name"], p["type"], short, p["doc"]] for p, short in zip(info["params"], entry["defaults"])]
    print(_table(["parameter", "type", "default", "meaning"], rows))
    if info["deviations"]:
        print(f"differs from Albumentations: {info['deviations']}")
    print("example:")
    print(info["example"])


def _table(header: list[str], rows: list[list[str]], names_bold: bool = False) -> str:
    """On a terminal folded to its width, on a pipe or a file at full width."""
    width, bold = terminal_width(sys.stdout), wants_bold(sys.stdout)
    return render_table(header, rows, max_width=width, bold=bold, bold_first_column=names_bold)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _short(value: Any) -> str:
    value = _plain(value)
    return "null" if value is None else str(value)
