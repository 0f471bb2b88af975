"""Dataset formats by name: detect a source's format, open its reader and writer.

Each format registers a ``FormatSpec``; ``open_reader(source, fmt="auto")``
asks each format in registration order whether it recognises the source.
A reader carries its ``format_name`` so ``open_writer`` writes the same
format back. Format modules are imported only when used.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from augcli.core.errors import DatasetError, UsageError
from augcli.formats.base import WriteOptions


@dataclass(frozen=True)
class FormatSpec:
    name: str
    detect: Callable[[Path], bool]        # cheap: looks at names, not contents
    reader: str                           # "module:Class" taking (source, images=None)
    writer: str                           # "module:Class" taking (reader, out, options)


_FORMATS: dict[str, FormatSpec] = {}


def register_format(spec: FormatSpec) -> None:
    _FORMATS[spec.name] = spec


def format_names() -> list[str]:
    return list(_FORMATS)


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def detect_format(source: Path) -> str:
    for spec in _FORMATS.values():
        if spec.detect(source):
            return spec.name
    raise DatasetError(f"cannot tell the dataset format of {source}; "
                       f"known formats: {', '.join(_FORMATS)}")


def open_reader(source: Path, fmt: str = "auto", images: Path | None = None):
    """A reader for ``source`` (``fmt="auto"`` detects the format)."""
    source = Path(source)
    if not source.exists():
        raise DatasetError(f"dataset not found: {source}")
    name = detect_format(source) if fmt == "auto" else fmt
    if name not in _FORMATS:
        raise UsageError(f"unknown dataset format {fmt!r}; known formats: {', '.join(_FORMATS)}")
    return _load(_FORMATS[name].reader)(source, images=images)


def open_writer(reader: Any, out: Path, options: WriteOptions | None = None):
    """A writer producing the reader's format under ``out``."""
    name = getattr(reader, "format_name", None)
    if name not in _FORMATS:
        raise UsageError(f"no writer for dataset format {name!r}")
    return _load(_FORMATS[name].writer)(reader, Path(out), options or WriteOptions())


def _looks_like_coco(source: Path) -> bool:
    # a JSON file, or a folder with JSON in it, in annotations/ or one level
    # down (a Roboflow export root: the COCO reader then names the choices)
    if source.is_file():
        return source.suffix.lower() == ".json"
    return any(True for _ in source.glob("*.json")) or any(True for _ in source.glob("*/*.json"))


register_format(FormatSpec("coco", _looks_like_coco,
                           "augcli.formats.coco.reader:CocoReader",
                           "augcli.formats.coco.writer:CocoWriter"))
