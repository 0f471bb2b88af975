"""Painted scenes and a pixel-vs-label checker for the multi-image transforms.

A scene holds the four objects of the alignment scene (``alignment_checks``),
each painted in its own colour: a two-part polygon, an irregular RLE mask, a
box-only object and a keypoint object whose points are painted discs. Two palettes ("a" for the primary, "b" for
partners) keep the images apart after they are combined; labels are 1..4
(palette a) or 11..14 (palette b), so ``label % 10`` names the object.
"""

from __future__ import annotations

import cv2
import numpy as np
from alignment_checks import BOX, DOT_RADIUS, KEYPOINT_BOX, KEYPOINTS, POLYGON, H, W
from label_raster import iou, rasterise

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_bounds
from augcli.transforms.base import SampleContext

PALETTES = {
    "a": [(230, 30, 30), (30, 200, 60), (40, 60, 230), (240, 220, 30), (230, 40, 220), (30, 220, 230)],
    "b": [(255, 140, 0), (120, 0, 180), (235, 235, 235), (0, 100, 0), (140, 70, 20), (255, 160, 200)],
}
GREY = (114, 114, 114)
COLOURS = np.array([(0, 0, 0), GREY, *PALETTES["a"], *PALETTES["b"]], dtype=np.float64)


def colour_id(palette: str, k: int) -> int:
    """Index into COLOURS of palette colour k (0 polygon, 1 mask, 2 box, 3..5 keypoint discs)."""
    return 2 + k + (6 if palette == "b" else 0)


def blob_mask() -> np.ndarray:
    blob = np.zeros((H, W), np.uint8)
    cv2.ellipse(blob, (105, 35), (28, 17), 20, 0, 360, 1, -1)
    cv2.circle(blob, (128, 56), 12, 1, -1)
    blob[28:34, 95:112] = 0
    return blob.astype(bool)


def scene(palette: str = "a", key: str | None = None) -> Sample:
    colours = PALETTES[palette]
    image = np.zeros((H, W, 3), np.uint8)
    poly = rasterise(POLYGON, H, W)
    blob = blob_mask()
    box = np.zeros((H, W), bool)
    box[int(BOX[1]) : int(BOX[3]), int(BOX[0]) : int(BOX[2])] = True
    image[poly], image[blob], image[box] = colours[0], colours[1], colours[2]
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    for (kx, ky), colour in zip(KEYPOINTS, colours[3:]):
        image[(xs - kx) ** 2 + (ys - ky) ** 2 <= DOT_RADIUS**2] = colour
    base = 0 if palette == "a" else 10
    semantic = np.zeros((H, W), np.uint8)
    semantic[poly], semantic[blob], semantic[box] = base + 1, base + 2, base + 3
    mask = rle.encode(blob)
    keypoints = np.zeros((4, 3, 3))
    keypoints[3, :, :2], keypoints[3, :, 2] = KEYPOINTS, 2
    instances = Instances(
        labels=[base + 1, base + 2, base + 3, base + 4],
        boxes=[polygon_bounds(POLYGON), rle.bounds(mask), BOX, KEYPOINT_BOX],
        polygons=[POLYGON, None, None, None],
        masks=[None, mask, None, None],
        keypoints=keypoints,
        kp_count=np.array([0, 0, 0, 3]),
        extra={"source": [palette] * 4},
    )
    meta = {"key": key or f"scene-{palette}", "flip_perm": {}}
    return Sample(image=image, instances=instances, semantic=semantic, meta=meta)


def partner_draw(palette: str = "b"):
    """A ``draw`` that hands out palette-b scenes with distinct keys, counting what it gave."""
    given: list[str] = []

    def draw(rng, count=1):
        out = []
        for _ in range(count):
            given.append(f"partner-{len(given)}")
            out.append(scene(palette, given[-1]))
        return out

    draw.given = given
    return draw


def fire(transform, sample: Sample, seed: int = 0, draw=None):
    ctx = SampleContext(
        width=sample.width, height=sample.height, get_sample=lambda: sample, draw=draw or partner_draw()
    )
    op = transform.sample(np.random.default_rng(seed), ctx)
    assert op is not None
    return op, op.apply(sample)


def colour_index(image: np.ndarray) -> np.ndarray:
    dist = ((image[:, :, None, :].astype(np.float64) - COLOURS) ** 2).sum(-1)
    return dist.argmin(-1)


def label_region(inst: Instances, i: int, height: int, width: int) -> np.ndarray:
    if inst.polygons[i]:
        return rasterise(inst.polygons[i], height, width)
    if inst.masks[i] is not None:
        return rle.decode(inst.masks[i]).astype(bool)
    x0, y0, x1, y1 = (int(round(v)) for v in inst.boxes[i])
    region = np.zeros((height, width), bool)
    region[max(y0, 0) : y1, max(x0, 0) : x1] = True
    return region


def assert_aligned(
    out: Sample,
    regions: list[np.ndarray],
    min_iou: float = 0.99,
    slack: float = 1.0,
    occluder: np.ndarray | None = None,
):
    """Every instance agrees with the pixels of its colour inside ``regions[i]`` (where its
    source image shows); returns the IoUs measured. Keypoint discs cut by a region edge are
    not measured; a disc entirely gone must have v=1 when its point lies under ``occluder``
    (pixels pasted over it), else v=0."""
    index = colour_index(out.image)
    inst = out.instances
    ious = []
    for i, label in enumerate(inst.labels):
        palette, kind = ("b" if label > 10 else "a"), int(label) % 10
        region = regions[i]
        if kind in (1, 2, 3):
            pixels = (index == colour_id(palette, kind - 1)) & region
            assert pixels.any(), f"instance {i} (label {label}) has no pixels of its colour"
            ys, xs = np.nonzero(pixels)
            bounds = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)
            np.testing.assert_allclose(inst.boxes[i], bounds, atol=slack, err_msg=f"box of instance {i}")
            if kind != 3:
                ious.append(iou(label_region(inst, i, out.height, out.width), pixels))
                assert ious[-1] >= min_iou, f"instance {i} (label {label}) IoU {ious[-1]:.3f}"
        else:
            for k in range(3):
                dot = (index == colour_id(palette, 3 + k)) & region
                x, y, v = inst.keypoints[i, k]
                if not dot.any():
                    hidden = occluder is not None and v > 0 and occluder[int(y), int(x)]
                    assert v == (1 if hidden else 0), f"keypoint {k} of instance {i}: v={v}, its disc is gone"
                    continue
                if _cut(dot, region):
                    continue
                ys, xs = np.nonzero(dot)
                assert v > 0, f"keypoint {k} of instance {i} dropped though its disc is whole"
                assert np.hypot(x - xs.mean() - 0.5, y - ys.mean() - 0.5) <= slack
    return ious


def _cut(dot: np.ndarray, region: np.ndarray) -> bool:
    """True when a disc touches its region's edge or the canvas edge (it may be cut)."""
    grown = cv2.dilate(dot.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    edge = np.zeros_like(dot)
    edge[[0, -1], :] = edge[:, [0, -1]] = True
    return bool((grown & ~region).any() or (dot & edge).any())


def assert_complete(out: Sample, regions_by_source: dict[str, list[np.ndarray]], share: float = 0.05):
    """Where an object's colour shows in a source's region (beyond a sliver), an instance of it is there."""
    index = colour_index(out.image)
    for palette, regions in regions_by_source.items():
        for region in regions:
            for kind in (1, 2, 3):
                pixels = (index == colour_id(palette, kind - 1)) & region
                full = {1: rasterise(POLYGON, H, W).sum(), 2: blob_mask().sum(), 3: 36 * 32}[kind]
                if pixels.sum() <= share * full:
                    continue
                label = kind + (10 if palette == "b" else 0)
                rows = np.flatnonzero(out.instances.labels == label)
                assert any(
                    (label_region(out.instances, r, out.height, out.width) & pixels).any() for r in rows
                ), f"label {label} shows {pixels.sum()} px but no instance covers them"
