"""Dataset statistics per split, from any reader's labels (``reader.labels``), never its pixels.

Per split: images, instances and images per class, instances per image,
box sizes (COCO's small / medium / large buckets and a finer histogram),
crowd instances and keypoint visibilities. Box sizes use the box area
``w * h`` in pixels for every format (COCO's own evaluation buckets by the
annotation's ``area`` field, which for polygons is the mask area; the box
is what every format has). ``compare`` puts two datasets side by side with
the ratio per class.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from augcli.core.errors import ItemError
from augcli.formats.splits import split_of  # a dataset that names no split has one: "default"

STATS_SCHEMA_VERSION = 1  # of the --json output: changes when a key changes meaning or goes away
SMALL, MEDIUM = 32**2, 96**2  # COCO's area thresholds (px^2)
SIZE_BUCKETS = ("small", "medium", "large")
# histogram of sqrt(box area) in pixels; the last bin is open-ended
SIZE_EDGES = (0, 4, 8, 16, 32, 64, 96, 128, 256, 512, 1024)


def class_name(names: dict[int, str], label: int) -> str:
    return names.get(label, str(label))


@dataclass
class SplitStats:
    images: int = 0
    instances: Counter = field(default_factory=Counter)  # class name -> instances
    images_with: Counter = field(default_factory=Counter)  # class name -> images containing it
    crowd: Counter = field(default_factory=Counter)  # class name -> crowd instances
    per_image: Counter = field(default_factory=Counter)  # instance count -> images
    sizes: Counter = field(default_factory=Counter)  # small / medium / large -> instances
    size_histogram: list[int] = field(default_factory=lambda: [0] * len(SIZE_EDGES))
    keypoints: Counter = field(default_factory=Counter)  # visibility -> keypoints
    skipped: int = 0  # images whose labels could not be read

    @property
    def instance_total(self) -> int:
        return sum(self.instances.values())

    def to_dict(self) -> dict:
        total = self.instance_total
        return {
            "images": self.images,
            "instances": total,
            "skipped": self.skipped,
            "classes": {
                name: {
                    "instances": self.instances[name],
                    "images": self.images_with[name],
                    "crowd": self.crowd[name],
                }
                for name in sorted(self.instances)
            },
            "instances_per_image": {
                "mean": round(total / self.images, 4) if self.images else 0.0,
                "max": max(self.per_image, default=0),
                "histogram": {str(n): c for n, c in sorted(self.per_image.items())},
            },
            "box_sizes": {bucket: self.sizes[bucket] for bucket in SIZE_BUCKETS},
            "box_size_histogram": {
                "edges": list(SIZE_EDGES),
                "counts": list(self.size_histogram),
                "unit": "sqrt(box area) px; the last bin is open-ended",
            },
            "crowd": sum(self.crowd.values()),
            "keypoint_visibility": {str(v): c for v, c in sorted(self.keypoints.items())},
        }


@dataclass
class DatasetStats:
    source: str
    format: str | None
    splits: dict[str, SplitStats] = field(default_factory=dict)
    problems: int = 0  # items the reader could not index (see ``augcli validate``)

    def to_dict(self) -> dict:
        return {
            "schema_version": STATS_SCHEMA_VERSION,
            "source": self.source,
            "format": self.format,
            "problems": self.problems,
            "splits": {name: split.to_dict() for name, split in sorted(self.splits.items())},
        }


def dataset_stats(reader: Any, source: str = "") -> DatasetStats:
    """Statistics of every split ``reader`` holds; reads labels only."""
    names = reader.categories.names()
    stats = DatasetStats(
        source=str(source), format=getattr(reader, "format_name", None), problems=len(reader.problems)
    )
    collectors: dict[str, _Collector] = {}
    for key in reader.keys():
        collector = collectors.setdefault(split_of(reader, key), _Collector())
        try:
            collector.add(reader.labels(key))
        except ItemError:
            collector.skipped += 1
    for split, collector in collectors.items():
        stats.splits[split] = collector.finish(names)
    return stats


class _Collector:
    """Gathers one split's label arrays; the counting happens once, vectorised, in ``finish``."""

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.labels: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self.crowd: list[np.ndarray] = []
        self.visibility: list[np.ndarray] = []
        self.skipped = 0

    def add(self, item: Any) -> None:
        self.counts.append(len(item.labels))
        if len(item.labels):
            self.labels.append(item.labels)
            self.boxes.append(item.boxes)
            self.crowd.append(item.crowd)
        if item.visibility is not None and len(item.visibility):
            self.visibility.append(np.asarray(item.visibility, dtype=np.float64))

    def finish(self, names: dict[int, str]) -> SplitStats:
        out = SplitStats(images=len(self.counts), skipped=self.skipped)
        out.instances.update(dict.fromkeys(names.values(), 0))  # classes no image has are listed too
        counts = np.asarray(self.counts, dtype=np.int64)
        out.per_image.update(dict(zip(*(a.tolist() for a in np.unique(counts, return_counts=True)))))
        if not self.labels:
            return out
        labels = np.concatenate(self.labels)
        boxes = np.concatenate(self.boxes)
        crowd = np.concatenate(self.crowd)
        image = np.repeat(np.arange(len(counts)), counts)
        out.instances.update(_by_class(labels, names))
        out.crowd.update(_by_class(labels[crowd], names))
        # one (image, class) pair per image holding the class, as one integer per pair
        low, span = int(labels.min()), int(labels.max() - labels.min()) + 1
        pairs = np.unique(image * span + (labels - low))
        out.images_with.update(_by_class(pairs % span + low, names))
        areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
        small = int(np.count_nonzero(areas < SMALL))
        large = int(np.count_nonzero(areas >= MEDIUM))
        out.sizes.update(small=small, medium=len(areas) - small - large, large=large)
        bins = np.searchsorted(SIZE_EDGES, np.sqrt(areas), side="right") - 1
        out.size_histogram = np.bincount(bins, minlength=len(SIZE_EDGES)).tolist()
        if self.visibility:
            values, totals = np.unique(np.concatenate(self.visibility), return_counts=True)
            out.keypoints.update({_number(v): int(c) for v, c in zip(values.tolist(), totals.tolist())})
        return out


def _by_class(labels: np.ndarray, names: dict[int, str]) -> Counter:
    values, counts = np.unique(labels, return_counts=True)
    return Counter({class_name(names, int(v)): int(c) for v, c in zip(values.tolist(), counts.tolist())})


def compare(before: DatasetStats, after: DatasetStats) -> dict:
    """Per split and class: instances and images in both datasets and their ratio (after / before)."""
    out = {}
    for split in sorted(set(before.splits) | set(after.splits)):
        a = before.splits.get(split, SplitStats())
        b = after.splits.get(split, SplitStats())
        classes = {}
        for name in sorted(set(a.instances) | set(b.instances)):
            classes[name] = {
                "instances": [a.instances[name], b.instances[name]],
                "images": [a.images_with[name], b.images_with[name]],
                "ratio": ratio(a.instances[name], b.instances[name]),
            }
        out[split] = {
            "images": [a.images, b.images],
            "instances": [a.instance_total, b.instance_total],
            "ratio": ratio(a.instance_total, b.instance_total),
            "classes": classes,
        }
    return out


def ratio(before: int, after: int) -> float | None:
    return round(after / before, 4) if before else None


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
