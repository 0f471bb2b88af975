"""Synthetic scenes for the geometry tests: every object painted in its own colour."""

from __future__ import annotations

import numpy as np
from label_raster import iou  # noqa: F401  (re-exported for the geometry tests)

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_to_mask
from augcli.geometry.warp import GridWarp


def grid_for(matrix, out_w, out_h):
    """The GridWarp equivalent of a matrix warp: sample M^-1 at output pixel centres."""
    ys, xs = np.mgrid[0:out_h, 0:out_w] + 0.5
    inv = np.linalg.inv(matrix)
    pts = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    src = inv @ pts
    src = src[:2] / src[2]
    return GridWarp(
        src[0].reshape(out_h, out_w).astype(np.float32), src[1].reshape(out_h, out_w).astype(np.float32)
    )


# Colour of instance i is COLOURS[i]; the background is black.
COLOURS = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255]], dtype=np.uint8)


def ellipse_mask(height: int, width: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    return ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0


def painted_scene(width: int = 200, height: int = 160) -> Sample:
    """Four instances: a polygon with keypoints, a two-part polygon, a mask, a box only.

    Each is painted in its own colour (polygons and mask exactly by their
    rasterisation, the box-only instance as its box), the semantic map holds
    the instance's label, and instance 0's keypoints swap 0 <-> 1 on mirroring.
    """
    poly0 = [np.array([[30.0, 20.0], [95.0, 28.0], [80.0, 90.0], [25.0, 70.0]])]
    poly1 = [
        np.array([[120.0, 15.0], [175.0, 15.0], [175.0, 55.0], [120.0, 55.0]]),
        np.array([[130.0, 70.0], [185.0, 95.0], [140.0, 110.0]]),
    ]
    mask2 = ellipse_mask(height, width, 70.0, 122.0, 34.0, 22.0)
    box3 = np.array([125.0, 118.0, 180.0, 150.0])
    masks = [
        polygon_to_mask(poly0, height, width),
        polygon_to_mask(poly1, height, width),
        mask2,
        np.zeros((height, width), dtype=bool),
    ]
    masks[3][118:150, 125:180] = True
    image = np.zeros((height, width, 3), dtype=np.uint8)
    semantic = np.zeros((height, width), dtype=np.uint8)
    for i, m in enumerate(masks):
        image[m] = COLOURS[i]
        semantic[m] = i + 1
    keypoints = np.zeros((4, 3, 3))
    keypoints[0] = [[40.0, 40.0, 2], [85.0, 40.0, 2], [55.0, 75.0, 1]]
    keypoints[2] = [[60.0, 120.0, 2], [0.0, 0.0, 0], [80.0, 125.0, 2]]
    instances = Instances(
        labels=np.array([1, 2, 3, 4]),
        boxes=np.array(
            [[25.0, 20.0, 95.0, 90.0], [120.0, 15.0, 185.0, 110.0], rle.bounds(rle.encode(mask2)), box3]
        ),
        polygons=[poly0, poly1, None, None],
        masks=[None, None, rle.encode(mask2), None],
        keypoints=keypoints,
        crowd=np.array([False, False, True, False]),
        extra={"source_id": [10, 11, 12, 13]},
    )
    meta = {"width": width, "height": height, "flip_perm": {1: np.array([1, 0, 2])}}
    return Sample(image=image, instances=instances, semantic=semantic, meta=meta)


def instance_pixels(sample: Sample, i: int) -> np.ndarray:
    """Where the image shows instance i's colour."""
    return np.all(sample.image == COLOURS[i], axis=2)


def label_pixels(sample: Sample, i: int) -> np.ndarray:
    """The pixels instance i's label claims: its polygon, else its mask, else its box."""
    inst = sample.instances
    if inst.polygons[i]:
        return polygon_to_mask(inst.polygons[i], sample.height, sample.width)
    if inst.masks[i] is not None:
        return rle.decode(inst.masks[i])
    x0, y0, x1, y1 = inst.boxes[i]
    ys, xs = np.mgrid[0 : sample.height, 0 : sample.width] + 0.5
    return (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)


FLIP_PERM4 = np.array([1, 0, 3, 2])


def random_scene(seed: int, max_instances: int = 5) -> Sample:
    """A random canvas with polygon, mask and box-only instances, all inside the canvas."""
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(16, 70)), int(rng.integers(16, 70))
    n = int(rng.integers(0, max_instances + 1))
    polygons, masks, boxes = [], [], []
    for _ in range(n):
        kind = rng.integers(3)
        if kind == 0:
            rings = [_random_ring(rng, width, height) for _ in range(int(rng.integers(1, 3)))]
            polygons.append(rings)
            masks.append(None)
            boxes.append(np.concatenate([np.concatenate(rings).min(0), np.concatenate(rings).max(0)]))
        elif kind == 1:
            m = np.zeros((height, width), dtype=bool)
            x0, y0 = rng.integers(0, width - 3), rng.integers(0, height - 3)
            x1, y1 = rng.integers(x0 + 2, width + 1), rng.integers(y0 + 2, height + 1)
            m[y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < 0.6
            m[y0, x0] = True
            polygons.append(None)
            masks.append(rle.encode(m))
            boxes.append(rle.bounds(masks[-1]))
        else:
            lo = rng.uniform([0, 0], [width - 2, height - 2])
            hi = rng.uniform(lo + 1, [width, height])
            polygons.append(None)
            masks.append(None)
            boxes.append(np.concatenate([lo, hi]))
    keypoints = np.zeros((n, 4, 3))
    if n:
        keypoints[:, :, 0] = rng.uniform(0, width, (n, 4))
        keypoints[:, :, 1] = rng.uniform(0, height, (n, 4))
        keypoints[:, :, 2] = rng.integers(0, 3, (n, 4))
        keypoints[keypoints[:, :, 2] == 0] = 0
    instances = Instances(
        labels=rng.integers(1, 4, n),
        boxes=np.array(boxes).reshape(n, 4),
        polygons=polygons,
        masks=masks,
        keypoints=keypoints,
        crowd=rng.random(n) < 0.3,
        extra={"tag": list(range(n))},
    )
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    semantic = rng.integers(0, 5, (height, width), dtype=np.uint8)
    meta = {"width": width, "height": height, "flip_perm": {1: FLIP_PERM4, 2: FLIP_PERM4}}
    return Sample(image=image, instances=instances, semantic=semantic, meta=meta)


def _random_ring(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A star-shaped ring with area well above zero, inside the canvas."""
    cx, cy = rng.uniform(3, width - 3), rng.uniform(3, height - 3)
    radius = rng.uniform(2.5, min(cx, cy, width - cx, height - cy, 20) + 2.5)
    k = int(rng.integers(3, 9))
    angles = 2 * np.pi * (np.arange(k) + rng.uniform(0, 0.6, k)) / k
    radii = rng.uniform(0.5, 1.0, k) * radius
    ring = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    return np.clip(ring, 0, [width, height])
