"""Datasets are trees of named splits.

Every reader names the split of each key (``split_of``) and lists its
splits in input order (``split_names``); ``split_names_of`` / ``split_of``
here ask a reader that predates the contract too. Split names are
normalised once, where they are read (``normalize_split``: Roboflow's
``valid`` is ``val``), and a dataset that names no split has the one split
``default`` (never ``train``: nothing says it is training data).

``SplitReader`` makes one dataset of several single-split readers of one
format (a COCO folder with one annotation file per split): its keys are
``<split>/<key of the part>``, so keys stay unique across the dataset.
``SplitWriter`` writes such a dataset back in its own format by handing
each split to a writer of the part, so every split keeps its own label
files and layout under OUT.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from augcli.core.errors import DatasetError
from augcli.core.sample import Categories
from augcli.formats.base import ItemRecord

DEFAULT_SPLIT = "default"  # the split of a dataset that names none
_ALIASES = {"valid": "val", "validation": "val"}
# names that say "this is a split" when a folder or file carries them
_SPLIT_WORD = re.compile(
    r"^(train|training|val|valid|validation|test|trainval|minival|dev)[-_]?\d*$", re.IGNORECASE
)


def normalize_split(name: str) -> str:
    """``valid`` / ``validation`` -> ``val`` and ``training`` -> ``train`` (any case, any year
    suffix: ADE20K's ``training/``); other names as given."""
    match = re.match(r"^(valid|validation|training)([-_]?\d*)$", name, re.IGNORECASE)
    if match:
        base = "train" if match.group(1).lower() == "training" else "val"
        return base + match.group(2)
    return name


def is_split_word(name: str) -> bool:
    return bool(_SPLIT_WORD.match(name))


def split_rank(name: str) -> tuple[int, str]:
    """Sort key listing splits as datasets do: train, val, test, then the rest by name."""
    base = re.sub(r"[-_]?\d+$", "", name.lower())
    return ({"train": 0, "val": 1, "test": 2}.get(base, 3), name)


def split_names_of(reader: Any) -> list[str]:
    """The reader's splits in input order (from its keys when it does not list them)."""
    own = getattr(reader, "split_names", None)
    if own is not None:
        return list(own())
    return list(dict.fromkeys(split_of(reader, key) for key in reader.keys()))


def split_of(reader: Any, key: str) -> str:
    own = getattr(reader, "split_of", None)
    name = own(key) if own is not None else None
    return name or DEFAULT_SPLIT


def train_splits(names: Iterable[str]) -> list[str]:
    """The splits that hold training data: ``train``, else ``train<year>`` (``train2017``)."""
    names = list(names)
    if "train" in names:
        return ["train"]
    return [n for n in names if re.match(r"^train[-_]?\d+$", n)]


def overlapping_images(reader: Any, limit: int = 5) -> tuple[int, list[str]]:
    """Images listed in more than one split: (how many, the first ``limit`` as text).

    Two keys are one image when their files are one file on disk.
    """
    first_split: dict[str, str] = {}
    count = 0
    shown: list[str] = []
    for key in reader.keys():
        try:
            path = os.path.realpath(reader.source_path(key))
        except Exception:  # an unreadable item is reported elsewhere
            continue
        split = split_of(reader, key)
        seen = first_split.setdefault(path, split)
        if seen != split:
            count += 1
            if len(shown) < limit:
                shown.append(f"{key} ({seen} and {split})")
    return count, shown


class SplitReader:
    """One dataset made of single-split readers (``parts``: split -> reader) below ``source``.

    Categories are merged by id: an id that two parts name differently is a
    ``DatasetError``, an id only some parts list is kept. Everything else a
    part says (problems, notes, targets) is the union of the parts.
    """

    def __init__(self, parts: dict[str, Any], source: Path | None = None):
        if not parts:
            raise DatasetError("no split to read")
        self.parts = parts
        first = next(iter(parts.values()))
        self.format_name = getattr(first, "format_name", None)
        # the output mirrors everything below SOURCE (a lone Roboflow test/ stays test/)
        roots = [str(p.root.resolve()) for p in parts.values()] + ([str(source.resolve())] if source else [])
        self.root = Path(os.path.commonpath(roots))
        if self.root.parent == self.root:
            raise DatasetError("the splits share no folder below the filesystem root")
        self.problems = [err for part in parts.values() for err in part.problems]
        self.categories = _merge_categories(parts)
        self.num_keypoints = max(getattr(p, "num_keypoints", 0) or 0 for p in parts.values())
        self.flip_perm: dict = {}
        for part in parts.values():
            self.flip_perm.update(getattr(part, "flip_perm", None) or {})
        self.annotation_files = [
            p.annotation_file for p in parts.values() if getattr(p, "annotation_file", None)
        ]

    # -- keys ----------------------------------------------------------------------------------

    def split_names(self) -> list[str]:
        return list(self.parts)

    def keys(self) -> list[str]:
        return [f"{split}/{key}" for split, part in self.parts.items() for key in part.keys()]

    def part_of(self, key: str) -> tuple[str, Any, str]:
        """(split, part reader, the part's own key) of a dataset key."""
        split, _, inner = key.partition("/")
        part = self.parts.get(split)
        if part is None or not inner:
            from augcli.core.errors import ImageReadError

            raise ImageReadError(f"no image with key {key!r} in this dataset", file=str(self.root))
        return split, part, inner

    def split_of(self, key: str) -> str:
        return self.part_of(key)[0]

    # -- the reader contract, delegated --------------------------------------------------------

    def load(self, key: str):
        split, part, inner = self.part_of(key)
        sample = part.load(inner)
        return sample.replace(meta={**sample.meta, "key": key, "split": split})

    def source_path(self, key: str) -> Path:
        _, part, inner = self.part_of(key)
        return part.source_path(inner)

    def labels(self, key: str):
        _, part, inner = self.part_of(key)
        return part.labels(inner)

    @property
    def notes(self) -> list[str]:
        """The parts' notes, each said once."""
        notes = [note for part in self.parts.values() for note in getattr(part, "notes", [])]
        return list(dict.fromkeys(notes))

    def item_name(self, key: str) -> str:
        from augcli.formats.convert.names import item_name

        _, part, inner = self.part_of(key)
        return item_name(part, inner)

    def targets(self) -> tuple[str, ...]:
        found = {t for part in self.parts.values() for t in part.targets()}
        order = ("image", "boxes", "polygons", "masks", "keypoints", "semantic")
        return tuple(t for t in order if t in found)

    def annotation_count(self) -> int:
        return sum(part.annotation_count() for part in self.parts.values())

    def keypoint_categories(self) -> tuple[set[int], set[int]]:
        used, with_points = set(), set()
        for part in self.parts.values():
            if hasattr(part, "keypoint_categories"):
                part_used, part_points = part.keypoint_categories()
                used |= part_used
                with_points |= part_points
        return used, with_points


def _merge_categories(parts: dict[str, Any]) -> Categories:
    merged: dict[int, Any] = {}
    named_in: dict[int, str] = {}
    for split, part in parts.items():
        for category in part.categories.items:
            known = merged.get(category.id)
            if known is None:
                merged[category.id], named_in[category.id] = category, split
            elif known.name != category.name:
                raise DatasetError(
                    f"category id {category.id} is {known.name!r} in split {named_in[category.id]} "
                    f"but {category.name!r} in split {split}; the splits must agree on category ids"
                )
            elif category.keypoints and not known.keypoints:
                merged[category.id] = category
    return Categories(list(merged.values()))


class SplitWriter:
    """Writes a ``SplitReader``'s dataset back in its format, one part writer per split.

    ``make_writer(part_reader, out)`` builds a part's writer; each writes
    below ``OUT/<the part's root relative to the dataset root>``.
    """

    def __init__(self, reader: SplitReader, out: Path, make_writer: Callable[[Any, Path], Any]):
        self.reader = reader
        self.out = Path(out).expanduser().absolute()
        self.writers: dict[str, Any] = {}
        self._rel: dict[str, Path] = {}
        for split, part in reader.parts.items():
            rel = part.root.resolve().relative_to(reader.root)
            self._rel[split] = rel
            self.writers[split] = make_writer(part, self.out / rel)
        self._share_image_folders()
        first = next(iter(self.writers.values()))
        self.format_name = getattr(first, "format_name", None)
        self.polygon_holes = getattr(first, "polygon_holes", None) or "polygon"

    def _share_image_folders(self) -> None:
        """Splits whose images share one folder name their copies against each other's names."""
        writers = [w for w in self.writers.values() if hasattr(w, "copy_names")]
        for writer in writers:
            for other in writers:
                if other is not writer and other.image_folder == writer.image_folder:
                    writer.copy_names.add(other.input_names(), other_split=True)

    def output_relpath(self, key: str, copy: int) -> Path:
        split, _, inner = self.reader.part_of(key)
        return self._rel[split] / self.writers[split].output_relpath(inner, copy)

    def write_original(self, key: str) -> ItemRecord:
        split, _, inner = self.reader.part_of(key)
        return _outer(key, self.writers[split].write_original(inner))

    def write_item(self, key: str, copy: int, sample) -> ItemRecord:
        split, _, inner = self.reader.part_of(key)
        return _outer(key, self.writers[split].write_item(inner, copy, sample))

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        """Each split's writer finalizes its run of records (task order keeps a split's records
        together, in the dataset's split order); a split without records still gets its files."""
        total: dict = {"images": 0, "annotations": 0, "warnings": [], "splits": {}}
        stream = iter(records)
        pending = next(stream, None)
        for split, writer in self.writers.items():

            def of_split(split: str = split) -> Iterator[ItemRecord]:
                nonlocal pending
                while pending is not None:
                    name, _, inner = self.reader.part_of(pending.key)
                    if name != split:
                        return
                    yield ItemRecord(key=inner, copy=pending.copy, payload=pending.payload)
                    pending = next(stream, None)

            stats = writer.finalize(of_split())
            for _ in of_split():  # what the part's writer left unread
                pass
            total["images"] += stats.get("images", 0)
            total["annotations"] += stats.get("annotations", 0)
            total["warnings"] += stats.get("warnings", [])
            total["splits"][split] = {
                "images": stats.get("images", 0),
                "annotations": stats.get("annotations", 0),
            }
        if pending is not None:
            raise ValueError("finalize needs the records in task order (split by split)")
        return total


def _outer(key: str, record: ItemRecord) -> ItemRecord:
    return ItemRecord(key=key, copy=record.copy, payload=record.payload)
