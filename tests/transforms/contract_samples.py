"""Labelled samples and label snapshots shared by the transform tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml
from pycocotools import mask as mask_utils

from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.transforms.base import SampleContext, Transform

KEYPOINT_NAMES = ("nose", "left_eye", "right_eye")


def textured_image(
    height: int, width: int, channels: int | None = 3, dtype=np.uint8, seed: int = 0
) -> np.ndarray:
    """A smooth gradient plus mild noise, away from the clipping limits; channels=None gives (H, W)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 60 + 120 * (xx / max(width - 1, 1)) * 0.5 + 60 * (yy / max(height - 1, 1))
    planes = [base + 15 * c + rng.normal(0, 6, size=base.shape) for c in range(channels or 1)]
    image = np.clip(np.stack(planes, axis=2), 0, 255)
    if dtype == np.uint16:
        image = image * 257
    image = np.rint(image).astype(dtype)
    return image[..., 0] if channels is None else image


def encode_rle(mask: np.ndarray) -> dict:
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))


def labelled_sample(
    height: int = 160, width: int = 200, image: np.ndarray | None = None, num_keypoints: int | None = 3
) -> Sample:
    """Two instances: a two-part polygon and a crowd RLE mask, both with keypoints.

    The layout is drawn on a 48 x 64 grid and scaled to the canvas.
    """
    if image is None:
        image = textured_image(height, width)
    height, width = image.shape[:2]
    s = min(height / 48.0, width / 64.0)
    rings_a = [
        s * np.array([[6.0, 6.0], [24.0, 6.0], [24.0, 20.0], [6.0, 20.0]]),
        s * np.array([[8.0, 24.0], [20.0, 24.0], [14.0, 34.0]]),
    ]
    blob = np.zeros((height, width), dtype=bool)
    blob[int(18 * s) : int(40 * s), int(36 * s) : int(58 * s)] = True
    keypoints = None
    if num_keypoints is not None:
        keypoints = np.zeros((2, num_keypoints, 3))
        keypoints[0, :3] = [[10 * s, 10 * s, 2], [18 * s, 12 * s, 2], [0, 0, 0]][:num_keypoints]
        keypoints[1, :3] = [[44 * s, 26 * s, 2], [50 * s, 30 * s, 1], [40 * s, 36 * s, 2]][:num_keypoints]
    instances = Instances(
        labels=np.array([1, 2]),
        boxes=s * np.array([[6.0, 6.0, 24.0, 34.0], [36.0, 18.0, 58.0, 40.0]]),
        polygons=[rings_a, None],
        masks=[None, encode_rle(blob)],
        keypoints=keypoints,
        crowd=np.array([False, True]),
        extra={"ann_id": [101, 102]},
    )
    semantic = np.zeros((height, width), dtype=np.uint8)
    semantic[int(6 * s) : int(34 * s), int(6 * s) : int(24 * s)] = 1
    semantic[blob] = 2
    meta = {"key": "sample", "flip_perm": {1: np.array([0, 2, 1]), 2: np.array([0, 2, 1])}}
    return Sample(image=image, instances=instances, semantic=semantic, meta=meta)


def empty_sample(num_keypoints: int | None = None, height: int = 150, width: int = 190) -> Sample:
    image = textured_image(height, width)
    return Sample(
        image=image,
        instances=Instances.empty(num_keypoints),
        semantic=np.zeros((height, width), np.uint8),
        meta={"key": "empty"},
    )


def categories() -> Categories:
    return Categories([Category(1, "person", KEYPOINT_NAMES), Category(2, "crowd", KEYPOINT_NAMES)])


def context_for(sample: Sample) -> SampleContext:
    """The context a pipeline gives; multi-image transforms get copies of the sample as partners."""

    def draw(rng, count=1):
        return [sample.replace(meta={**sample.meta, "key": f"partner-{i}"}) for i in range(count)]

    return SampleContext(
        width=sample.width,
        height=sample.height,
        get_sample=lambda: sample,
        categories=categories(),
        draw=draw,
    )


def label_snapshot(sample: Sample) -> tuple:
    """Every label of a sample as plain bytes, for byte-equality checks."""
    inst = sample.instances
    return (
        inst.labels.tobytes(),
        inst.boxes.tobytes(),
        tuple(None if p is None else tuple(np.asarray(r).tobytes() for r in p) for p in inst.polygons),
        tuple(None if m is None else (tuple(m["size"]), bytes(m["counts"])) for m in inst.masks),
        None if inst.keypoints is None else (inst.keypoints.tobytes(), inst.kp_count.tobytes()),
        inst.crowd.tobytes(),
        inst.visibility.tobytes(),
        repr(inst.extra),
        None if sample.semantic is None else (sample.semantic.dtype.str, sample.semantic.tobytes()),
    )


def parse_example(cls: type[Transform]) -> tuple[str, dict[str, Any]]:
    """(name, config) of a transform's YAML example (with or without the list dash)."""
    item = yaml.safe_load(cls.example)
    if isinstance(item, list):
        assert len(item) == 1, f"{cls.name}: example must hold one pipeline item"
        item = item[0]
    if isinstance(item, str):
        return item, {}
    assert isinstance(item, dict) and len(item) == 1, f"{cls.name}: example is not one pipeline item"
    ((name, config),) = item.items()
    return name, dict(config or {})


def fire(transform: Transform, sample: Sample, seed: int = 0):
    """Draw an op for ``sample`` with a fresh rng."""
    return transform.sample(np.random.default_rng(seed), context_for(sample))
