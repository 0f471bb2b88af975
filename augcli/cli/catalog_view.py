"""``augcli transforms``: the catalogue as tables, YAML examples or JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


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
    table.add_column("targets")
    table.add_column("parameters (defaults)")
    order = {"geometric": 0, "dropout": 1, "pixel": 2, "mixing": 3, "container": 4}
    for name, cls in sorted(registry.items(), key=lambda kv: (order.get(kv[1].kind, 9), kv[0])):
        params = ", ".join(f"{p.name}={_short(p.default)}" for p in cls.all_params())
        table.add_row(name, cls.kind, ", ".join(cls.targets), escape(params))
    console.print(table)


def print_transform(cls: Any, console: Console) -> None:
    info = transform_info(cls)
    console.print(f"[bold]{info['name']}[/bold] ({info['kind']}): {info['summary']}", highlight=False)
    console.print(f"targets: {', '.join(info['targets'])}", highlight=False)
    table = Table(show_header=True)
    for col in ("parameter", "type", "default", "meaning"):
        table.add_column(col)
    for p in info["params"]:
        table.add_row(p["name"], escape(p["type"]), escape(_short(p["default"])), escape(p["doc"]))
    console.print(table)
    if info["deviations"]:
        console.print(f"differs from Albumentations: {info['deviations']}", highlight=False)
    console.print("example:", highlight=False)
    console.print(info["example"], highlight=False, markup=False)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _short(value: Any) -> str:
    value = _plain(value)
    return "null" if value is None else str(value)
