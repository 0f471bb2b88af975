"""The objects of the sample scenes: cars, trees, signs, fences, people and crowds, each
added to a ``Scene`` as labelled polygons."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from sample_scene import KEYPOINT_NAMES, POSES, Scene, smooth_noise

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
