"""Generate ``sample_data/``: a tiny, deterministic COCO dataset of synthetic scenes.

Every labelled object is painted from the rasterisation of the very label that
is written (pycocotools decodes the polygon or RLE; only those pixels are
painted), and no two instances share a pixel, so labels and pixels agree exactly.

Run from the repository root:  ``python scripts/make_sample_data.py [--out sample_data]``
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
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


# ---------------------------------------------------------------- objects


def add_car(s: Scene, x0: float, ground: float, length: float, height: float, colour, facing: int = 1):
    """A side-view car: one silhouette ring (body, cabin, wheels bulging below)."""
    rw = 0.22 * height
    body_bottom = ground - 1.3 * rw
    wheels = [(0.8 * length, ground - rw), (0.2 * length, ground - rw)]
    profile = [
        (0, -0.55),
        (0.02, -0.6),
        (0.22, -0.62),
        (0.33, -0.98),
        (0.36, -1.0),
        (0.6, -1.0),
        (0.75, -0.63),
        (0.95, -0.58),
        (1.0, -0.5),
        (1.0, -0.3),
    ]
    ring = [(u * length, ground + v * height) for u, v in profile] + [(0.98 * length, body_bottom)]
    for cx, cy in wheels:  # arcs below the body line, travelling from front to rear
        start = math.degrees(math.asin((body_bottom - cy) / rw))
        for a in np.linspace(start, 180 - start, 9):
            ring.append((cx + rw * math.cos(math.radians(a)), cy + rw * math.sin(math.radians(a))))
    ring.append((0.0, body_bottom))
    local = np.array(ring)
    place = (lambda x: x0 + x) if facing > 0 else (lambda x: x0 + length - x)
    ring_px = np.column_stack([place(local[:, 0]), local[:, 1]])
    mask = s.add_polygon("car", [ring_px], attributes={"occluded": False})
    s.paint(mask, colour, shade=0.35)
    lx = (s.xx - x0) if facing > 0 else (x0 + length - s.xx)  # local x, rear = 0
    window = (
        mask
        & (s.yy > ground - 0.95 * height)
        & (s.yy < ground - 0.65 * height)
        & (lx > 0.31 * length)
        & (lx < 0.7 * length)
        & (abs(lx - 0.5 * length) > 0.015 * length)
    )
    s.paint(window, (150, 180, 200), shade=0.5)
    for cx, cy in wheels:
        d = np.hypot(lx - cx, s.yy - cy)
        s.paint(mask & (d < rw), (28, 28, 30), grain=3)
        s.paint(mask & (d < 0.5 * rw), (170, 170, 176), grain=3)
    s.paint(
        mask & (lx > 0.95 * length) & (abs(s.yy - (ground - 0.45 * height)) < 0.05 * height), (250, 235, 160)
    )
    s.paint(
        mask & (lx < 0.02 * length) & (abs(s.yy - (ground - 0.5 * height)) < 0.05 * height), (200, 30, 30)
    )


def add_tree(s: Scene, cx: float, cy: float, radius: float, trunk_w: float, bottom: float):
    """A round-crowned tree: a star-shaped ring around the crown centre (so it is simple)."""
    half = trunk_w / 2
    attach_y = cy + math.sqrt(radius**2 - half**2) * 0.85
    a0 = math.degrees(math.acos(half / radius))
    angles = np.linspace(180 - a0, 360 + a0, 22)[1:-1]
    radii = radius * (1 + 0.1 * s.rng.uniform(-1, 1, len(angles)))
    crown = [
        (cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
        for a, r in zip(angles, radii)
    ]
    ring = np.array(
        [(cx - half, attach_y), *crown, (cx + half, attach_y), (cx + half, bottom), (cx - half, bottom)]
    )
    mask = s.add_polygon("tree", [ring], attributes={"occluded": False})
    leaves = 1 + 0.25 * smooth_noise(s.rng, s.h, s.w, 5) - 0.2 * ((s.xx - cx) + (s.yy - cy)) / radius
    crown_px = mask & (s.yy < attach_y + 2)
    s.paint(crown_px, (60, 120, 45))
    s.img[crown_px] *= leaves[crown_px][:, None]
    s.paint(mask & ~crown_px, (95, 65, 40), grain=9)
    return cx - half, cx + half


def add_pine(s: Scene, cx: float, top: float, width: float, height: float, trunk_w: float):
    tiers, half = 3, trunk_w / 2
    right = []
    for k in range(tiers):
        y = top + (k + 1) * height * 0.85 / tiers
        w = width / 2 * (k + 1) / tiers
        right += [(cx + w, y), (cx + (0.45 * w if k < tiers - 1 else half), y)]
    right += [(cx + half, top + height)]
    ring = np.array([(cx, top), *right, *[(2 * cx - x, y) for x, y in reversed(right)]])
    mask = s.add_polygon("tree", [ring], attributes={"occluded": False})
    needles = mask & (s.yy < top + height * 0.85)
    s.paint(needles, (35, 95, 55), shade=0.4)
    s.paint(mask & ~needles, (90, 60, 38))


def add_stop_sign(s: Scene, cx: float, cy: float, radius: float, pole_w: float, bottom: float):
    octagon = [
        (cx + radius * math.cos(math.radians(a)), cy + radius * math.sin(math.radians(a)))
        for a in np.arange(112.5, 112.5 + 360, 45)
    ]
    edge_y = octagon[-1][1]
    ring = np.array(
        [
            *octagon,
            (cx + pole_w / 2, edge_y),
            (cx + pole_w / 2, bottom),
            (cx - pole_w / 2, bottom),
            (cx - pole_w / 2, edge_y),
        ]
    )
    mask = s.add_polygon("stop sign", [ring], attributes={"occluded": False})
    s.paint(mask & (s.yy > edge_y), (140, 140, 145), grain=3)
    face = mask & (s.yy <= edge_y)
    s.paint(face, (235, 240, 240), grain=3)
    inner = np.abs(np.stack([s.xx - cx, s.yy - cy]))
    octagon_metric = np.maximum(inner.max(axis=0), (inner[0] + inner[1]) / math.sqrt(2))
    s.paint(face & (octagon_metric < radius * 0.83), (200, 25, 30), grain=4)
    text = Image.new("L", (s.w, s.h))
    font = ImageFont.load_default(size=max(6, int(radius * 0.6)))
    ImageDraw.Draw(text).text((cx, cy), "STOP", fill=255, font=font, anchor="mm")
    s.paint(face & (np.asarray(text) > 128), (250, 250, 250), grain=2)


def add_fence(s: Scene, x0: float, x1: float, top: float, bottom: float, gaps: list[tuple[float, float]]):
    """A picket fence; each gap (an occluder in front) splits it into another polygon part."""
    cuts = [x0] + [v for gap in sorted(gaps) for v in gap] + [x1]
    rings = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        xs = np.arange(a, b, 8.0)
        zigzag = [p for x in xs for p in ((x, top + 4), (min(x + 4, b), top))]
        rings.append(np.array([(a, bottom), *zigzag, (b, top + 4), (b, bottom)]))
    mask = s.add_polygon("fence", rings, attributes={"occluded": bool(gaps)})
    s.paint(mask, (200, 170, 120), shade=0.2)
    s.paint(mask & (((s.xx - x0) % 8) >= 6.5), (110, 85, 55))
    rails = (abs(s.yy - (top + (bottom - top) * 0.35)) < 1.5) | (
        abs(s.yy - (top + (bottom - top) * 0.8)) < 1.5
    )
    s.paint(mask & rails, (150, 120, 80))


def limb_outline(joints: list[tuple[float, float]], half: float):
    """Offset points on both sides of a joint chain (the 'outer' side first)."""
    p = np.array(joints)
    dirs = np.diff(p, axis=0)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    normals = np.column_stack([dirs[:, 1], -dirs[:, 0]])
    node_n = np.vstack([normals[0], (normals[:-1] + normals[1:]) / 2, normals[-1]])
    node_n /= np.linalg.norm(node_n, axis=1, keepdims=True)
    return p + half * node_n, p - half * node_n, dirs[-1]


def half_silhouette(side: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Outline of one body half (positive x) from the neck down to the crotch."""
    sh, el, wr, hip, kn, an = side
    outer, inner, arm_dir = limb_outline([sh, el, wr], 0.032)
    hand = np.asarray(wr) + 0.045 * arm_dir
    leg_out, leg_in, _ = limb_outline([hip, kn, an], 0.042)
    return [
        (0.035, 0.155),
        (sh[0], sh[1] - 0.03),
        *map(tuple, outer[1:]),
        tuple(hand),
        *map(tuple, inner[:0:-1]),
        (sh[0] - 0.01, sh[1] + 0.075),
        (0.09, 0.42),
        (hip[0] + 0.045, hip[1]),
        *map(tuple, leg_out[1:]),
        (an[0] + 0.05, 1.0),
        (an[0] - 0.045, 1.0),
        *map(tuple, leg_in[:0:-1]),
        (0.0, hip[1] + 0.07),
    ]


def add_person(
    s: Scene,
    fx: float,
    feet: float,
    height: float,
    pose: str,
    shirt,
    trousers,
    occluded: tuple[str, ...] = (),
):
    joints = POSES[pose]
    ha = math.degrees(math.acos(0.035 / 0.072))
    head_arc = [
        (0.072 * math.cos(math.radians(a)), 0.075 + 0.072 * math.sin(math.radians(a)))
        for a in np.linspace(180 - ha, 360 + ha, 15)
    ]
    left = half_silhouette(joints["left"])
    right = [(-x, y) for x, y in reversed(half_silhouette(joints["right"]))]
    local = np.array(head_arc + left + right)
    to_px = lambda pts: np.column_stack([fx + pts[:, 0] * height, feet - (1 - pts[:, 1]) * height])  # noqa: E731
    mask = s.add_polygon("person", [to_px(local)], attributes={"occluded": bool(occluded)})
    face = [(0, 0.09), (0.025, 0.065), (-0.025, 0.065), (0.066, 0.075), (-0.066, 0.075)]
    body = [p for pair in zip(joints["left"], [(-x, y) for x, y in joints["right"]]) for p in pair]
    kps = to_px(np.array(face + body))
    lx, ly = (s.xx - fx) / height, (s.yy - feet) / height + 1
    hands = np.zeros_like(mask)
    for wx, wy in (joints["left"][2], (-joints["right"][2][0], joints["right"][2][1])):
        hands |= np.hypot(lx - wx, ly - wy) < 0.045
    hip_y, ankle_y = joints["left"][3][1], joints["left"][5][1]
    s.paint(mask, shirt, shade=0.3)
    s.paint(mask & (ly > hip_y - 0.01), trousers, shade=0.2)
    s.paint(mask & (ly > ankle_y + 0.015), (40, 32, 30))
    head = mask & (ly < 0.16) & (abs(lx) < 0.08)
    s.paint(head | (mask & hands), (225, 180, 150), shade=0.2)
    s.paint(head & (ly < 0.045), (70, 45, 30))
    for ex, ey in kps[1:3]:
        s.paint(mask & (np.hypot(s.xx - ex, s.yy - ey) < max(0.6, height * 0.008)), (30, 25, 25), grain=1)
    flat = []
    for name, (x, y) in zip(KEYPOINT_NAMES, kps):
        inside = 0 <= x < s.w and 0 <= y < s.h
        v = 0 if not inside else (1 if name in occluded else 2)
        flat += [round(float(x), 2), round(float(y), 2), v] if v else [0, 0, 0]
    ann = s.annotations[-1]
    ann["keypoints"], ann["num_keypoints"] = flat, sum(1 for v in flat[2::3] if v > 0)


def add_crowd(s: Scene, x0: float, x1: float, feet: float, count: int):
    """A distant group of tiny people: one crowd region (iscrowd=1), as COCO labels them."""
    region = np.zeros((s.h, s.w), dtype=bool)
    for x in np.sort(s.rng.uniform(x0, x1, count)):
        y = feet + s.rng.uniform(-4, 4)
        hh = s.rng.uniform(11, 15)
        body = ((s.xx - x) / 2.6) ** 2 + ((s.yy - (y - hh * 0.4)) / (hh * 0.42)) ** 2 < 1
        head = np.hypot(s.xx - x, s.yy - (y - hh * 0.92)) < 1.9
        s.paint(body & ~region, s.rng.uniform(40, 220, 3), grain=4)
        s.paint(head & ~region, (220, 175, 145), grain=4)
        region |= body | head
    s.add_mask(
        "person", region, crowd=True, keypoints=[0] * 51, num_keypoints=0, attributes={"occluded": False}
    )


def add_bush(s: Scene, cx: float, cy: float, spread: float):
    """An irregular blob stored as compressed RLE (mask-only, non-crowd)."""
    blob = np.zeros((s.h, s.w), dtype=bool)
    for _ in range(9):
        bx, by = cx + s.rng.normal(0, spread * 0.45), cy + s.rng.normal(0, spread * 0.2)
        blob |= np.hypot(s.xx - bx, s.yy - by) < s.rng.uniform(0.35, 0.6) * spread
    s.add_mask("bush", blob, crowd=False, attributes={"occluded": False})
    s.paint(blob, (50, 105, 40), shade=0.5)
    s.img[blob] *= (1 + 0.3 * smooth_noise(s.rng, s.h, s.w, 3))[blob][:, None]


# ---------------------------------------------------------------- scenes


def scene_street(s: Scene):
    paint_background(s, horizon=105, street=(150, 168))
    add_tree(s, 60, 88, 30, 10, 150)
    add_stop_sign(s, 272, 108, 12, 4, 158)
    add_person(s, 160, 162, 84, "standing", shirt=(190, 60, 50), trousers=(50, 60, 90))
    add_car(s, 18, 226, 112, 44, (185, 30, 35), facing=1)
    add_car(s, 190, 203, 104, 40, (40, 80, 170), facing=-1)


def scene_park(s: Scene):
    paint_background(s, horizon=100)
    left, right = add_tree(s, 170, 78, 38, 14, 186)
    add_fence(s, 96, 304, 148, 180, gaps=[(left, right)])  # the trunk splits the fence in two
    add_person(s, 58, 232, 112, "waving", shirt=(240, 200, 60), trousers=(70, 70, 80))
    add_bush(s, 262, 214, 34)


def scene_plaza(s: Scene):
    paint_background(s, horizon=118)
    add_crowd(s, 150, 300, 132, 16)
    add_pine(s, 32, 52, 42, 100, 6)
    add_person(
        s, 82, 228, 100, "walking", shirt=(60, 140, 190), trousers=(40, 40, 50), occluded=("right_ear",)
    )
    add_car(s, 176, 230, 118, 46, (230, 230, 225), facing=-1)


def scene_edge(s: Scene):
    """Objects cut by the image border: a clipped car and a person whose feet are out of frame."""
    paint_background(s, horizon=110, street=(160, 175))
    add_tree(s, 282, 82, 28, 9, 158)
    add_stop_sign(s, 118, 120, 11, 4, 170)
    add_person(s, 198, 274, 124, "standing", shirt=(120, 70, 150), trousers=(30, 50, 70))
    add_car(s, -48, 224, 118, 46, (70, 150, 70), facing=1)


def scene_two_people(s: Scene):
    paint_background(s, horizon=104)
    add_bush(s, 36, 212, 26)
    add_pine(s, 302, 36, 46, 126, 7)
    add_person(s, 104, 214, 94, "standing", shirt=(230, 120, 40), trousers=(60, 60, 120))
    add_person(
        s,
        214,
        226,
        104,
        "walking",
        shirt=(70, 170, 110),
        trousers=(90, 70, 50),
        occluded=("right_ear", "right_wrist"),
    )


def scene_traffic(s: Scene):
    paint_background(s, horizon=112, street=(150, 166))
    add_stop_sign(s, 160, 114, 13, 4, 160)
    add_car(s, 8, 204, 100, 40, (40, 130, 80), facing=1)
    add_car(s, 232, 196, 86, 34, (225, 190, 40), facing=1)
    add_car(s, 116, 236, 114, 44, (235, 235, 235), facing=-1)


def scene_portrait(s: Scene):
    paint_background(s, horizon=150)
    add_pine(s, 42, 56, 56, 150, 8)
    add_fence(s, 168, 240, 226, 258, gaps=[])
    add_person(s, 118, 304, 160, "waving", shirt=(200, 50, 110), trousers=(50, 50, 60))


def scene_empty(s: Scene):
    paint_background(s, horizon=130)  # an image with no annotations at all


SCENES = [  # file name, width, height, builder, grain (the PNG is kept smooth so it stays small)
    ("street_01.jpg", 320, 240, scene_street, 5.0),
    ("park_02.jpg", 320, 240, scene_park, 5.0),
    ("plaza_03.jpg", 320, 240, scene_plaza, 5.0),
    ("street_04.jpg", 320, 240, scene_edge, 5.0),
    ("park_05.jpg", 320, 240, scene_two_people, 5.0),
    ("road_06.jpg", 320, 240, scene_traffic, 5.0),
    ("portrait_07.png", 240, 320, scene_portrait, 0.0),
    ("empty_08.jpg", 320, 240, scene_empty, 5.0),
]


def build(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    images_dir, ann_dir = out / "images", out / "annotations"
    images_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for image_id, (name, w, h, builder, grain) in enumerate(SCENES, start=1):
        scene = Scene(rng, w, h, grain)
        builder(scene)
        pixels = Image.fromarray(np.clip(np.round(scene.img), 0, 255).astype(np.uint8))
        if name.endswith(".png"):
            pixels.quantize(64, dither=Image.Dither.NONE).convert("RGB").save(
                images_dir / name, optimize=True
            )
        else:
            pixels.save(images_dir / name, quality=88, optimize=True)
        images.append(
            {
                "id": image_id,
                "width": w,
                "height": h,
                "file_name": name,
                "license": 1,
                "flickr_url": "",
                "coco_url": "",
                "date_captured": 0,
            }
        )
        for ann in scene.annotations:
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, **ann})
    dataset = {
        "info": {
            "description": "augcli sample data: synthetic street and park scenes",
            "url": "",
            "version": "1.0",
            "year": 2024,
            "contributor": "augcli",
            "date_created": "2024-06-01",
        },
        "licenses": [
            {"id": 1, "name": "CC0 1.0", "url": "https://creativecommons.org/publicdomain/zero/1.0/"}
        ],
        "categories": CATEGORIES,
        "images": images,
        "annotations": annotations,
    }
    text = json.dumps(dataset, separators=(",", ":"))
    (ann_dir / "instances_default.json").write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(images)} images and {len(annotations)} annotations to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "sample_data")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
