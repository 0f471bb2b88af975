"""A semantic map -> instances, for instance formats (COCO, YOLO) fed from mask folders.

Each class value present in the map (other than the background and the
ignore index) becomes one instance: its category is the value, its mask all
the pixels of that value (as COCO RLE), its box their bounds. This is the
only way a semantic-only dataset can say anything in COCO or YOLO; the
instance identity it lacks is not invented (touching objects of one class
stay one region).
"""

from __future__ import annotations

import numpy as np

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle


def semantic_to_instances(sample: Sample, background: int | None) -> Sample:
    """``sample`` with one instance per class region of its semantic map (map removed)."""
    semantic = np.asarray(sample.semantic)
    values = [int(v) for v in np.unique(semantic) if int(v) not in (background, sample.ignore_index)]
    masks = [rle.encode(semantic == v) for v in values]
    boxes = np.array([rle.bounds(m) for m in masks], dtype=np.float64).reshape(len(values), 4)
    instances = Instances(labels=np.array(values, dtype=np.int64), boxes=boxes, masks=masks)
    return sample.replace(instances=instances, semantic=None)


def needs_instances(reader, sample: Sample) -> bool:
    """A sample of a semantic-only source (mask folders) that an instance format must convert."""
    return sample.semantic is not None and "boxes" not in set(reader.targets())


def background_of(reader) -> int | None:
    classes = getattr(reader, "classes", None)
    background = getattr(classes, "background", None)
    return 0 if background is None else int(background)
