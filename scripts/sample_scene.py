"""The canvas of the sample-data generator: categories, keypoint names, and a ``Scene`` that
paints each object from the rasterisation of its own label (see ``make_sample_data``)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

SEED = 20240601

KEYPOINT_NAMES = [
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
]
SKELETON = [
    [16, 14],
    [14, 12],
    [17, 15],
    [15, 13],
    [12, 13],
    [6, 12],
    [7, 13],
    [6, 7],
    [6, 8],
    [7, 9],
    [8, 10],
    [9, 11],
    [2, 3],
    [1, 2],
    [1, 3],
    [2, 4],
    [3, 5],
    [4, 6],
    [5, 7],
]
# Non-contiguous ids on purpose: real COCO ids have gaps, and readers must not assume 1..K.
CATEGORIES = [
    {"id": 1, "name": "person", "supercategory": "person", "keypoints": KEYPOINT_NAMES, "skeleton": SKELETON},
    {"id": 3, "name": "car", "supercategory": "vehicle"},
    {"id": 13, "name": "stop sign", "supercategory": "outdoor"},
    {"id": 91, "name": "tree", "supercategory": "plant"},
    {"id": 92, "name": "bush", "supercategory": "plant"},
    {"id": 93, "name": "fence", "supercategory": "structure"},
]
CAT = {c["name"]: c["id"] for c in CATEGORIES}

# Person poses in body units (0 = top of head, 1 = soles; +x = the person's left,
# which is image right for a person facing the camera). Per side: shoulder, elbow,
# wrist, hip, knee, ankle; the right side is given mirrored (as positive x).
POSES = {
    "standing": {
        "left": [(0.11, 0.2), (0.155, 0.36), (0.175, 0.5), (0.065, 0.52), (0.07, 0.74), (0.075, 0.95)],
        "right": [(0.11, 0.2), (0.155, 0.36), (0.175, 0.5), (0.065, 0.52), (0.07, 0.74), (0.075, 0.95)],
    },
    "waving": {
        "left": [(0.11, 0.2), (0.22, 0.13), (0.25, -0.01), (0.065, 0.52), (0.07, 0.74), (0.075, 0.95)],
        "right": [(0.11, 0.2), (0.16, 0.36), (0.185, 0.5), (0.065, 0.52), (0.08, 0.74), (0.09, 0.95)],
    },
    "walking": {
        "left": [(0.11, 0.2), (0.17, 0.35), (0.21, 0.48), (0.065, 0.52), (0.11, 0.73), (0.16, 0.94)],
        "right": [(0.11, 0.2), (0.14, 0.36), (0.155, 0.5), (0.065, 0.52), (0.05, 0.74), (0.12, 0.95)],
    },
}


# ---------------------------------------------------------------- rasterising


def rasterize(rings: list[np.ndarray], h: int, w: int) -> np.ndarray:
    """Pixel mask of a (multi-part) polygon exactly as COCO tools rasterise it."""
    rles = mask_utils.frPyObjects([r.reshape(-1).tolist() for r in rings], h, w)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def clip_ring(ring: np.ndarray, w: int, h: int) -> np.ndarray:
    """Sutherland-Hodgman clip of a ring to the canvas [0, w] x [0, h]."""
    pts = [tuple(p) for p in ring]
    for axis, bound, keep_below in ((0, 0, False), (0, w, True), (1, 0, False), (1, h, True)):
        inside = (
            (lambda p, a=axis, b=bound: p[a] <= b) if keep_below else (lambda p, a=axis, b=bound: p[a] >= b)
        )
        out = []
        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            if inside(cur) != inside(prev):
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if inside(cur):
                out.append(cur)
        pts = out
    return np.round(np.array(pts, dtype=np.float64), 2)


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1]: a coarse random grid upsampled bilinearly."""
    coarse = rng.uniform(0, 255, (h // cell + 2, w // cell + 2)).astype(np.uint8)
    big = Image.fromarray(coarse).resize((w + 2 * cell, h + 2 * cell), Image.BILINEAR)
    return np.asarray(big, dtype=np.float64)[cell : cell + h, cell : cell + w] / 127.5 - 1.0


class Scene:
    """A canvas plus the COCO annotations of what has been painted on it."""

    def __init__(self, rng: np.random.Generator, w: int, h: int, grain: float = 5.0):
        self.rng, self.w, self.h, self.grain = rng, w, h, grain
        self.img = np.zeros((h, w, 3), dtype=np.float64)
        self.yy, self.xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5  # pixel centres
        self.taken = np.zeros((h, w), dtype=bool)
        self.annotations: list[dict] = []

    def paint(self, where: np.ndarray, colour, shade: float = 0.0, grain: float | None = None):
        """Fill pixels with a colour, a top-to-bottom shade and film grain."""
        if not where.any():
            return
        ys = self.yy[where]
        span = max(ys.max() - ys.min(), 1.0)
        light = 1.0 + shade * (0.5 - (ys - ys.min()) / span)
        noise = self.rng.normal(0, self.grain if grain is None else grain, (len(ys), 1))
        self.img[where] = np.asarray(colour, dtype=np.float64) * light[:, None] + noise

    def claim(self, mask: np.ndarray) -> None:
        if (mask & self.taken).any():
            raise AssertionError("two labelled instances overlap; fix the scene layout")
        if not mask.any():
            raise AssertionError("an instance has no pixels on the canvas")
        self.taken |= mask

    def add_polygon(self, cat: str, rings: list[np.ndarray], **fields) -> np.ndarray:
        rings = [np.round(clip_ring(r, self.w, self.h), 2) for r in rings]
        mask = rasterize(rings, self.h, self.w)
        self.claim(mask)
        pts = np.concatenate(rings)
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        self.annotations.append(
            {
                "category_id": CAT[cat],
                "iscrowd": 0,
                "segmentation": [[round(float(v), 2) for v in r.reshape(-1)] for r in rings],
                "area": float(mask.sum()),
                "bbox": [
                    round(float(x0), 2),
                    round(float(y0), 2),
                    round(float(x1 - x0), 2),
                    round(float(y1 - y0), 2),
                ],
                **fields,
            }
        )
        return mask

    def add_mask(self, cat: str, mask: np.ndarray, crowd: bool, **fields) -> np.ndarray:
        self.claim(mask)
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        if crowd:  # COCO stores crowd regions as uncompressed RLE: run lengths, column-major, zeros first
            flat = mask.reshape(-1, order="F")
            bounds = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]])
            counts = ([0] if flat[0] else []) + np.diff(bounds).astype(int).tolist()
            segmentation = {"size": [self.h, self.w], "counts": counts}
        else:
            segmentation = {"size": [self.h, self.w], "counts": rle["counts"].decode("ascii")}
        self.annotations.append(
            {
                "category_id": CAT[cat],
                "iscrowd": int(crowd),
                "segmentation": segmentation,
                "area": float(mask_utils.area(rle)),
                "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                **fields,
            }
        )
        return mask


# ---------------------------------------------------------------- backgrounds


def paint_background(s: Scene, horizon: int, street: tuple[int, int] | None = None, night: bool = False):
    t = np.clip(s.yy / horizon, 0, 1)[..., None]
    top, low = ((30, 40, 90), (120, 110, 150)) if night else ((70, 125, 200), (190, 215, 235))
    sky = np.asarray(top) * (1 - t) + np.asarray(low) * t
    clouds = np.clip(smooth_noise(s.rng, s.h, s.w, 40) * 1.6 - 0.5, 0, 1)[..., None]
    sky = sky * (1 - 0.6 * clouds) + 245 * 0.6 * clouds
    ground_t = np.clip((s.yy - horizon) / max(s.h - horizon, 1), 0, 1)[..., None]
    grass = np.asarray((110, 150, 70)) * (1 - ground_t) + np.asarray((60, 110, 45)) * ground_t
    grass = grass * (1 + 0.12 * smooth_noise(s.rng, s.h, s.w, 12))[..., None]
    hills = horizon - 14 * (0.5 + 0.5 * np.sin(s.xx / 37.0 + 1.3)) * (0.6 + 0.4 * np.sin(s.xx / 11.0))
    s.img = np.where(
        (s.yy >= hills)[..., None], np.where((s.yy >= horizon)[..., None], grass, grass * 0.8), sky
    )
    if street:
        kerb, road_top = street
        walk = (s.yy >= kerb) & (s.yy < road_top)
        s.img[walk] = np.asarray((175, 170, 160)) * (1 + 0.08 * np.sign(np.sin(s.xx[walk] / 6)))[:, None]
        road = s.yy >= road_top
        s.img[road] = (85, 85, 92)
        mid = road_top + (s.h - road_top) * 0.55
        dashes = road & (abs(s.yy - mid) < 1.6) & ((s.xx // 18) % 2 == 0)
        s.img[dashes] = (230, 225, 200)
    s.img += s.rng.normal(0, s.grain, s.img.shape)
