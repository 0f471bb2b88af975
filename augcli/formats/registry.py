"""Dataset formats by name: detect a source's format, open its reader and writer.

Each format registers a ``FormatSpec``. ``open_reader(source, fmt="auto")``
asks every format whether it recognises the source; each detector looks at
names only (never file contents) and returns its evidence or None. One match
wins; several are an error that names the evidence and asks for
``--format``. A reader carries its ``format_name``; ``open_writer`` writes
that format back (``to="same"``) or converts to another (``to="yolo"``...).
Format modules are imported only when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augcli.core.errors import DatasetError, UsageError
from augcli.formats.base import WriteOptions

SAME = "same"


@dataclass(frozen=True)
class FormatSpec:
    name: str
    detect: Callable[[Path], str | None]  # cheap: looks at names, not contents; returns evidence
    reader: str  # "module:callable" taking (source, images=None), returning a reader
    writer: str  # "module:Class" taking (reader, out, options)
    converter: str | None = None  # writer for other formats' readers (default: writer)


_FORMATS: dict[str, FormatSpec] = {}


def register_format(spec: FormatSpec) -> None:
    _FORMATS[spec.name] = spec


def format_names() -> list[str]:
    return list(_FORMATS)


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def detect_format(source: Path) -> str:
    source = Path(source)
    found = {}
    for spec in _FORMATS.values():
        evidence = spec.detect(source)
        if evidence:
            found[spec.name] = evidence
    if len(found) == 1:
        return next(iter(found))
    if not found and _only_images(source):
        raise DatasetError(
            f"no annotations found in {source}: it holds images only; give the annotation file "
            "or the dataset folder (COCO JSON, VOC Annotations/, mask folder or YOLO data.yaml)"
        )
    if not found:
        raise DatasetError(
            f"cannot tell the dataset format of {source}; known formats: "
            f"{', '.join(_FORMATS)} (pass --format)"
        )
    seen = "; ".join(f"{name} ({evidence})" for name, evidence in found.items())
    raise DatasetError(
        f"{source} could be several dataset formats: {seen}; pass --format {' or --format '.join(found)}"
    )


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}


def _only_images(source: Path) -> bool:
    """A folder whose files (a few levels down) are all images: a folder of photos, not a dataset."""
    if not source.is_dir():
        return False
    files = [p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")][:1000]
    return bool(files) and all(p.suffix.lower() in _IMAGE_SUFFIXES for p in files)


MASK_OPTIONS = ("masks", "mask_pattern", "palette")  # only mask-folder readers take these


def open_reader(source: Path, fmt: str = "auto", images: Path | None = None, **mask_options):
    """A reader for ``source`` (``fmt="auto"`` detects the format); ``mask_options``
    (``masks``, ``mask_pattern``, ``palette``) name a mask dataset's parts."""
    source = Path(source)
    if not source.exists():
        raise DatasetError(f"dataset not found: {source}")
    if fmt != "auto" and fmt not in _FORMATS:
        raise UsageError(f"unknown dataset format {fmt!r}; known formats: {', '.join(_FORMATS)} (or auto)")
    given = {k: v for k, v in mask_options.items() if v is not None}
    if set(given) - set(MASK_OPTIONS):
        raise TypeError(f"unknown reader options {sorted(set(given) - set(MASK_OPTIONS))}")
    name = ("masks" if given else detect_format(source)) if fmt == "auto" else fmt
    if given and name != "masks":
        raise UsageError(
            "--masks, --mask-pattern and --palette apply to mask-folder datasets (--format masks)"
        )
    return _load(_FORMATS[name].reader)(source, images=images, **given)


def check_output_format(to: str) -> None:
    if to != SAME and to not in _FORMATS:
        raise UsageError(f"unknown output format {to!r}; known formats: {SAME}, {', '.join(_FORMATS)}")


def open_writer(reader: Any, out: Path, options: WriteOptions | None = None, to: str = SAME):
    """A writer of format ``to`` (``"same"``: the reader's own format) under ``out``."""
    check_output_format(to)
    source = getattr(reader, "format_name", None)
    name = source if to in (SAME, None) else to
    if name not in _FORMATS:
        raise UsageError(f"no writer for dataset format {name!r}")
    spec = _FORMATS[name]
    options = options or WriteOptions()
    if name == source and hasattr(reader, "parts"):  # a SplitReader: one writer per split
        from augcli.formats.splits import SplitWriter

        make = _load(spec.writer)
        return SplitWriter(reader, Path(out), lambda part, part_out: make(part, part_out, options))
    target = spec.writer if name == source else (spec.converter or spec.writer)
    return _load(target)(reader, Path(out), options)


_NOT_COCO_JSON = ("dataset_meta.json", "config.json")  # Datumaro's and Mapillary's class lists


def _looks_like_coco(source: Path) -> str | None:
    # a JSON file, or a folder with JSON in it, in annotations/ or one level
    # down (a Roboflow export root: the COCO reader then names the choices)
    if source.is_file():
        return "a .json file" if source.suffix.lower() == ".json" else None
    if not source.is_dir():
        return None
    for pattern in ("*.json", "*/*.json"):
        found = [
            p
            for p in source.glob(pattern)
            if p.name not in _NOT_COCO_JSON
            and not p.name.startswith("config_v")
            and not p.with_name(f"{p.stem}_seg.png").exists()  # ADE20K's per-image JSON
        ]
        if found:
            return f"{found[0].relative_to(source).as_posix()}"
    return None


def _voc(source: Path) -> str | None:
    from augcli.formats.voc.layout import looks_like_voc

    return looks_like_voc(source)


def _masks(source: Path) -> str | None:
    from augcli.formats.masks.layout import looks_like_masks

    return looks_like_masks(source)


def _yolo(source: Path) -> str | None:
    from augcli.formats.yolo.layout import looks_like_yolo

    return looks_like_yolo(source)


register_format(
    FormatSpec(
        "coco",
        _looks_like_coco,
        "augcli.formats.coco.reader:open_coco",
        "augcli.formats.coco.writer:CocoWriter",
        "augcli.formats.convert.coco_writer:ConvertedCocoWriter",
    )
)
register_format(
    FormatSpec("voc", _voc, "augcli.formats.voc.reader:VocReader", "augcli.formats.voc.writer:VocWriter")
)
register_format(
    FormatSpec(
        "masks",
        _masks,
        "augcli.formats.masks.reader:MaskFolderReader",
        "augcli.formats.masks.writer:MaskFolderWriter",
    )
)
register_format(
    FormatSpec(
        "yolo", _yolo, "augcli.formats.yolo.reader:YoloReader", "augcli.formats.yolo.writer:YoloWriter"
    )
)
