"""The painted scene of the alignment tests and the checker that measures labels against it.

Each object is painted in its own colour: a two-part polygon instance, an
irregular RLE-mask instance, a box-only instance, and a keypoint instance
whose points are painted dots. ``Checker`` compares the labels after a
transform with the pixels of their colours (mask IoU, boxes holding their
pixels, keypoints at their dots' centroids, left/right swapped exactly when
the warp mirrors); ``test_alignment`` runs it over every geometric transform.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from fold_checks import copies, expected_copy, folded_pixels, reversed_pixels, warped_coordinates
from label_raster import iou, rasterise

from augcli.core.sample import Instances, Sample, flip_permutation
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_bounds
from augcli.geometry.warp import GridWarp
from augcli.transforms.base import REGISTRY, SampleContext

W, H = 160, 120
SEEDS = (0, 1, 2)  # every measurement runs a transform with each of these seeds
DOT_RADIUS = 4.5
BORDER_MARGIN = 8.0  # dots closer than this to an edge may be cut: not measured
# The issue asks for mean IoU >= 0.98 (matrix) and 0.95 (grid). The scene has no
# staircase edges, so a correct warp scores ~1.0 and we can afford a stricter bar
# that also catches sub-pixel convention slips.
MATRIX_IOU, GRID_IOU = 0.995, 0.98
KEYPOINT_ERROR_PX = 0.5

RED, GREEN, BLUE = (230, 30, 30), (30, 200, 60), (40, 60, 230)
YELLOW, MAGENTA, CYAN = (240, 220, 30), (230, 40, 220), (30, 220, 230)
KEYPOINT_NAMES = ("left_hand", "right_hand", "nose")
DOT_COLOURS = (YELLOW, MAGENTA, CYAN)
PALETTE = np.array([(0, 0, 0), RED, GREEN, BLUE, YELLOW, MAGENTA, CYAN], dtype=np.float64)

# Vertices on pixel corners and axis-aligned edges: the painted pixels are exactly the
# polygon (no staircase), so any disagreement after a warp is the warp's, not the scene's.
POLYGON = [
    np.array([[12, 12], [60, 12], [60, 30], [34, 30], [34, 56], [12, 56]], float),
    np.array([[18, 68], [56, 68], [56, 108], [40, 108], [40, 96], [18, 96]], float),
]
BOX = np.array([106.0, 78.0, 142.0, 110.0])
KEYPOINTS = np.array([[72.5, 78.5], [96.5, 78.5], [84.5, 96.5]])
KEYPOINT_BOX = np.array([66.0, 72.0, 103.0, 103.0])


def scene() -> Sample:
    """The painted scene and its labels (instance labels 1..4 are their identities)."""
    image = np.zeros((H, W, 3), np.uint8)
    poly_mask = rasterise(POLYGON, H, W)
    blob = np.zeros((H, W), np.uint8)
    cv2.ellipse(blob, (105, 35), (28, 17), 20, 0, 360, 1, -1)
    cv2.circle(blob, (128, 56), 12, 1, -1)
    blob[28:34, 95:112] = 0  # a notch makes it irregular
    blob = blob.astype(bool)
    box_mask = np.zeros((H, W), bool)
    box_mask[int(BOX[1]) : int(BOX[3]), int(BOX[0]) : int(BOX[2])] = True
    image[poly_mask], image[blob], image[box_mask] = RED, GREEN, BLUE
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    for (kx, ky), colour in zip(KEYPOINTS, DOT_COLOURS):
        image[(xs - kx) ** 2 + (ys - ky) ** 2 <= DOT_RADIUS**2] = colour
    mask_rle = rle.encode(blob)
    keypoints = np.zeros((4, 3, 3))
    keypoints[3, :, :2], keypoints[3, :, 2] = KEYPOINTS, 2
    instances = Instances(
        labels=[1, 2, 3, 4],
        boxes=[polygon_bounds(POLYGON), rle.bounds(mask_rle), BOX, KEYPOINT_BOX],
        polygons=[POLYGON, None, None, None],
        masks=[None, mask_rle, None, None],
        keypoints=keypoints,
        kp_count=np.array([0, 0, 0, 3]),
    )
    meta = {"flip_perm": {4: flip_permutation(KEYPOINT_NAMES).tolist()}}
    return Sample(image=image, instances=instances, meta=meta)


def colour_masks(image: np.ndarray) -> np.ndarray:
    """(H, W) index into PALETTE of each pixel's nearest colour (tolerates blending)."""
    dist = ((image[:, :, None, :].astype(np.float64) - PALETTE) ** 2).sum(-1)
    return dist.argmin(-1)


def palette_index(colour) -> int:
    return int(np.flatnonzero((PALETTE == colour).all(axis=1))[0])


@dataclass
class Run:
    op: object
    warp: object
    out: Sample
    coords: np.ndarray | None = None  # the input point each output pixel shows, when the warp folds


def run(name: str, cfg: dict, seed: int, meta: dict | None = None) -> Run:
    sample = scene()
    sample = sample.replace(meta={**sample.meta, **(meta or {})})
    transform = REGISTRY[name](**cfg)
    context = SampleContext(width=W, height=H, get_sample=lambda: sample)
    op = transform.sample(np.random.default_rng(seed), context)
    assert op is not None, "p = 1 must always fire"
    warp = op.warp(W, H)
    coords = warped_coordinates(op, W, H) if isinstance(warp, GridWarp) else None
    if coords is not None and not reversed_pixels(coords).any():
        coords = None
    return Run(op, warp, op.apply(sample), coords)


def max_zoom(warp) -> float:
    """Largest local magnification (output pixels per input pixel) anywhere on the output."""
    width, height = warp.out_size
    if isinstance(warp, GridWarp):
        sx, sy = np.asarray(warp.map_x, float), np.asarray(warp.map_y, float)
    else:
        ys, xs = np.mgrid[0:height, 0:width] + 0.5
        src = np.stack([xs, ys, np.ones_like(xs)], -1) @ np.linalg.inv(warp.matrix).T
        sx, sy = src[..., 0] / src[..., 2], src[..., 1] / src[..., 2]
    (a, b), (c, d) = np.gradient(sx), np.gradient(sy)  # d(input)/d(row, col)
    # smallest singular value of the 2x2 Jacobian, per pixel
    sq = a * a + b * b + c * c + d * d
    det = np.abs(a * d - b * c)
    sigma_min = np.sqrt(np.maximum(sq / 2 - np.sqrt(np.maximum(sq * sq / 4 - det * det, 0)), 1e-12))
    return float(1.0 / sigma_min.min())


def moves(warp) -> bool:
    if isinstance(warp, GridWarp):
        return True
    return not (np.allclose(warp.matrix, np.eye(3)) and warp.out_size == (W, H))


class Checker:
    """Collects the measurements of one transform over several seeds."""

    def __init__(self):
        self.ious: list[float] = []
        self.keypoint_errors: list[float] = []
        self.mirrored_points = 0

    def check(self, result: Run) -> None:
        out = result.out
        index = colour_masks(out.image)
        inst = out.instances
        assert out.image.shape[1::-1] == result.warp.out_size
        present = {int(label): row for row, label in enumerate(inst.labels)}
        original = scene()
        folded = folded_pixels(result.coords) if result.coords is not None else None
        for label, colour in ((1, RED), (2, GREEN), (3, BLUE)):
            pixels = index == palette_index(colour)
            if label not in present:
                # dropped: at most a sliver of its colour may remain on the canvas
                start = (colour_masks(original.image) == palette_index(colour)).sum()
                assert pixels.sum() <= 0.02 * start, f"instance {label} dropped but visible"
                continue
            row = present[label]
            if folded is not None and (pixels & folded).any():
                self._check_box(inst.boxes[row], pixels, tight=True, slack=1e-6)  # from the raster
            elif folded is None:
                self._check_box(
                    inst.boxes[row], pixels, tight=label != 3, slack=0.5 + 0.75 * max_zoom(result.warp)
                )
            if label == 1 and inst.polygons[row] is None:  # stored as a mask (an RLE writer)
                self.ious.append(iou(rle.decode(inst.masks[row]), pixels))
            elif label == 1:
                self.ious.append(iou(rasterise(inst.polygons[row], out.height, out.width), pixels))
            elif label == 2:
                self.ious.append(iou(rle.decode(inst.masks[row]), pixels))
        if 4 in present and result.coords is not None:
            self._check_folded_keypoints(result.coords, inst.keypoints[present[4]])
        elif 4 in present:
            self._check_keypoints(result, index, inst.keypoints[present[4]], inst.boxes[present[4]])

    @staticmethod
    def _check_box(box: np.ndarray, pixels: np.ndarray, tight: bool, slack: float) -> None:
        """The box holds every pixel of its colour; a box from a shape hugs them.

        Nearest sampling paints an output pixel when its centre lands in an
        input pixel of the object, up to half an input pixel (times the
        zoom) outside the true outline: that is the slack.
        """
        if not pixels.any():
            return
        ys, xs = np.nonzero(pixels)
        lo = np.array([xs.min(), ys.min()], float)
        hi = np.array([xs.max() + 1, ys.max() + 1], float)
        assert (box[:2] <= lo + slack).all() and (box[2:] >= hi - slack).all(), (
            f"box {box} does not contain pixels spanning {lo}..{hi} (slack {slack:.2f})"
        )
        if tight:
            np.testing.assert_allclose(box, np.r_[lo, hi], atol=slack + 0.5)

    def _check_keypoints(self, result: Run, index: np.ndarray, kps: np.ndarray, box: np.ndarray) -> None:
        perm = flip_permutation(KEYPOINT_NAMES)
        mirrors = result.warp.mirrors
        height, width = index.shape
        for k in range(len(KEYPOINT_NAMES)):
            # column k now names the point that was column perm[k] before a mirroring warp
            colour = DOT_COLOURS[perm[k] if mirrors else k]
            ys, xs = np.nonzero(index == palette_index(colour))
            if not len(xs):
                assert kps[k, 2] == 0, f"keypoint {k} labelled but its dot is gone"
                continue
            centroid = np.array([xs.mean() + 0.5, ys.mean() + 0.5])
            inner = (
                BORDER_MARGIN <= centroid[0] <= width - BORDER_MARGIN
                and BORDER_MARGIN <= centroid[1] <= height - BORDER_MARGIN
            )
            if not inner:
                continue
            assert kps[k, 2] > 0, f"keypoint {k} dropped though its dot {centroid} is inside"
            self.keypoint_errors.append(float(np.hypot(*(kps[k, :2] - centroid))))
            self.mirrored_points += int(mirrors and perm[k] != k)
            assert (box[:2] - 1 <= centroid).all() and (centroid <= box[2:] + 1).all()

    def _check_folded_keypoints(self, coords: np.ndarray, kps: np.ndarray) -> None:
        """Each keypoint sits on the copy of its point the rule picks (``fold_checks``)."""
        height, width = coords.shape[:2]
        for k, point in enumerate(KEYPOINTS):
            target = expected_copy(copies(coords, point))
            if target is None:
                continue
            inner = BORDER_MARGIN <= target[0] <= width - BORDER_MARGIN
            if not inner or not BORDER_MARGIN <= target[1] <= height - BORDER_MARGIN:
                continue
            assert kps[k, 2] > 0, f"keypoint {k} dropped though its point shows at {target}"
            self.keypoint_errors.append(float(np.hypot(*(kps[k, :2] - target))))

    def assert_quality(self, grid: bool) -> None:
        assert self.ious, "no shape instance survived any seed"
        threshold = GRID_IOU if grid else MATRIX_IOU
        assert np.mean(self.ious) >= threshold, f"mean IoU {np.mean(self.ious):.4f}: {self.ious}"
        assert min(self.ious) >= threshold - 0.1, f"worst IoU {min(self.ious):.4f}"
        assert self.keypoint_errors, "no keypoint could be measured"
        assert np.mean(self.keypoint_errors) <= KEYPOINT_ERROR_PX, self.keypoint_errors
