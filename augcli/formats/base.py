"""Reader/writer contracts every dataset format implements.

A reader maps files to canonical ``Sample``s; a writer maps samples back to
files. No format knows any transform. Writers work in two phases: workers call
``write_item`` (image files, per-image label files) and get back a small
picklable ``ItemRecord``; the parent calls ``finalize`` once with an iterator of
every record in task order (``engine.assemble`` streams them from disk) to
assemble global files (COCO JSON) atomically, in one pass, without holding
every record.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from augcli.core.errors import ItemError
from augcli.core.sample import Categories, Sample
from augcli.geometry.shared_labels import once

T = TypeVar("T")


@dataclass(frozen=True)
class WriteOptions:
    jpeg_quality: int | str = 95  # or "source": each JPEG input's quantization tables
    yolo_task: str | None = None  # detect | segment | pose | auto (None: auto); YOLO writers only
    keep_original: bool = True  # originals (and, with keep_invalid, their unusable entries) are written
    keep_invalid: bool = False  # --keep-invalid: label files keep invalid and unusable entries as read
    augmented_splits: frozenset[str] | None = None  # the splits that get copies (None: not known)


class RawPayload(bytes):
    """A payload value the worker already serialised (COCO: annotation JSON with holes for
    the ids). Part files store its bytes as they are, not as JSON, so the parent gets
    them back without parsing; it must hold no newline."""


@dataclass
class ItemRecord:
    """What one written output contributes to the global label files.

    ``payload`` is format-specific (COCO: the image entry and annotations as
    ``RawPayload`` JSON with holes for the ids); ``copy`` is 0 for the untouched original.
    """

    key: str
    copy: int
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImageLabels:
    """One image's labels without its pixels: what statistics and class planning read.

    ``labels`` (N,) category ids, ``boxes`` (N, 4) xyxy pixels, ``crowd`` (N,)
    bool, ``visibility`` (N, J) COCO keypoint visibilities or None when the
    dataset has no keypoints. ``width``/``height`` are the image's size when
    the labels or the file header give it cheaply (None otherwise). The
    instances are those ``load(key)`` would give, so counts match what expand
    reads.
    """

    labels: np.ndarray
    boxes: np.ndarray
    crowd: np.ndarray
    visibility: np.ndarray | None = None
    width: int | None = None
    height: int | None = None

    @classmethod
    def from_lists(cls, labels: list, boxes: list, crowd: list | None = None, **rest: Any) -> ImageLabels:
        count = len(labels)
        return cls(
            labels=np.asarray(labels, dtype=np.int64).reshape(count),
            boxes=np.asarray(boxes, dtype=np.float64).reshape(count, 4),
            crowd=np.zeros(count, bool) if crowd is None else np.asarray(crowd, dtype=bool).reshape(count),
            **rest,
        )


class DatasetReader(Protocol):
    """A dataset is a tree of named splits (see ``formats.splits``).

    Besides these, readers may offer what conversions and reports use:
    ``format_name``, ``targets()``, ``annotation_count()``, ``notes`` (harmless
    oddities, reported as warnings) and ``item_name(key)`` (see
    ``formats.convert.names``)."""

    root: Path  # every input path must stay inside this folder
    categories: Categories
    problems: list[ItemError]  # item-level problems found while indexing

    def keys(self) -> list[str]:
        """Stable image keys in input order, unique across every split."""

    def split_names(self) -> list[str]:
        """The dataset's splits in input order, normalised (``valid`` -> ``val``);
        ``["default"]`` for a dataset that names none (never ``train`` by default)."""

    def split_of(self, key: str) -> str:
        """The split ``key`` belongs to (one of ``split_names()``)."""

    def load(self, key: str) -> Sample:
        """Decode one image with its labels; raises ItemError."""

    def source_path(self, key: str) -> Path:
        """The image file on disk."""

    def labels(self, key: str) -> ImageLabels:
        """The image's labels without decoding its pixels (at most its header is read);
        raises ItemError. Statistics and class-aware planning run on this."""


def derived_labels(sample: Sample, settings: Hashable, derive: Callable[[], T]) -> T:
    """For writers: ``derive()``, which depends only on ``sample.instances`` and ``settings``
    (the image size, the writer's options), computed once per task for the copies whose ops
    left the source's labels alone (``geometry.shared_labels``). Do not modify the value."""
    return once(sample.instances, settings, derive)


class DatasetWriter(Protocol):
    out: Path

    def output_relpath(self, key: str, copy: int) -> Path:
        """Relative path of an output image (copy 0 = the original's own name)."""

    def write_original(self, key: str) -> ItemRecord:
        """Write the input image and labels unchanged."""

    def write_item(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        """Write one augmented sample's image (and per-image labels)."""

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        """Assemble global label files from records in task order (one pass over an
        iterator; records out of order are a ``ValueError``); returns stats."""
