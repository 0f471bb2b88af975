"""YOLO label lines <-> instances, in normalised coordinates.

- detect: ``cls cx cy w h``;
- segment: ``cls x1 y1 x2 y2 ...`` (one ring, at least 3 points);
- pose: ``cls cx cy w h`` then ``x y [v]`` per keypoint (``kpt_shape``).

All values are fractions of the image width/height; ``x * W`` is a
continuous pixel coordinate (no half-pixel shift: YOLO boxes and polygons
describe the same continuous plane augcli uses). Written values are
clipped to [0, 1] (real inputs carry 1.001; Ultralytics refuses them) and
have 6 decimals, trailing zeros removed.

Ultralytics reads a file as segments as soon as one line is longer than a
box, so in a segment dataset a box-only instance is written as its four
corners. A multi-part polygon is joined into one ring by zero-width bridges
between the closest vertices of consecutive parts, every part turned the
same way round first (so the shoelace area is the sum of the parts').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DECIMALS = 6
KIND_BOX, KIND_SEGMENT, KIND_POSE = "box", "segment", "pose"


@dataclass
class ParsedLine:
    label: int
    kind: str
    box: np.ndarray  # continuous xyxy
    ring: np.ndarray | None = None  # (K, 2) continuous, segment lines
    keypoints: np.ndarray | None = None  # (J, 3) x, y, v (COCO visibility), pose lines


def parse_line(line: str, width: int, height: int, kpt_shape: tuple[int, int] | None) -> ParsedLine:
    """One non-empty label line; raises ValueError with what is wrong."""
    fields = line.split()
    try:
        values = [float(v) for v in fields]
    except ValueError:
        raise ValueError(f"label line {line.strip()!r} holds something that is not a number") from None
    if not np.isfinite(values).all():
        raise ValueError(f"label line {line.strip()!r} holds a non-finite number")
    label = values[0]
    if not fields[0].isdecimal() or not fields[0].isascii():  # "1.0", "1e0", "+1": not a class number
        raise ValueError(f"class {fields[0]!r} is not a non-negative integer")
    scale = np.array([width, height], dtype=np.float64)
    rest = np.array(values[1:], dtype=np.float64)
    if kpt_shape is not None:
        joints, dims = kpt_shape
        if len(rest) != 4 + joints * dims:
            raise ValueError(
                f"pose line has {len(rest)} values after the class; kpt_shape "
                f"{list(kpt_shape)} needs {4 + joints * dims}"
            )
        return ParsedLine(
            int(label),
            KIND_POSE,
            _box(rest[:4], scale),
            keypoints=_keypoints(rest[4:].reshape(joints, dims), scale),
        )
    if len(rest) == 4:
        return ParsedLine(int(label), KIND_BOX, _box(rest, scale))
    if len(rest) >= 6 and len(rest) % 2 == 0:
        ring = rest.reshape(-1, 2) * scale
        box = np.concatenate([ring.min(axis=0), ring.max(axis=0)])
        return ParsedLine(int(label), KIND_SEGMENT, box, ring=ring)
    raise ValueError(
        f"label line has {len(fields)} values: neither a box (5) nor a polygon (class + at least 3 x y pairs)"
    )


def _box(cxcywh: np.ndarray, scale: np.ndarray) -> np.ndarray:
    cx, cy, w, h = cxcywh
    if w < 0 or h < 0:
        raise ValueError(f"box width/height {w}, {h} are negative")
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]) * np.tile(scale, 2)


def _keypoints(raw: np.ndarray, scale: np.ndarray) -> np.ndarray:
    out = np.zeros((len(raw), 3))
    out[:, :2] = raw[:, :2] * scale
    if raw.shape[1] == 3:
        out[:, 2] = np.rint(raw[:, 2])
    else:  # no visibility column: a point at (0, 0) is unlabelled
        out[:, 2] = np.where((raw[:, 0] == 0) & (raw[:, 1] == 0), 0, 2)
    unlabelled = out[:, 2] <= 0
    out[unlabelled] = 0.0
    return out


def number(value: float) -> str:
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _numbers(values) -> str:
    return " ".join(number(v) for v in np.asarray(values, dtype=np.float64).ravel())


def box_line(label: int, box: np.ndarray, width: int, height: int) -> str:
    # Ultralytics refuses coordinates outside [0, 1]: boxes are clipped to the image
    x0, x1 = (min(max(float(v), 0.0), width) for v in (box[0], box[2]))
    y0, y1 = (min(max(float(v), 0.0), height) for v in (box[1], box[3]))
    centre_size = [(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height]
    return f"{label} {_numbers(centre_size)}"


def segment_line(label: int, ring: np.ndarray, width: int, height: int) -> str:
    points = np.asarray(ring, dtype=np.float64).reshape(-1, 2) / np.array([width, height])
    return f"{label} {_numbers(np.clip(points, 0.0, 1.0))}"


def pose_line(label: int, box: np.ndarray, keypoints: np.ndarray, dims: int, width: int, height: int) -> str:
    points = np.asarray(keypoints, dtype=np.float64).reshape(-1, 3).copy()
    points[:, 0] = np.clip(points[:, 0] / width, 0.0, 1.0)
    points[:, 1] = np.clip(points[:, 1] / height, 0.0, 1.0)
    columns = points[:, :dims].copy()
    if dims == 3:
        columns[:, 2] = np.rint(points[:, 2])
    return f"{box_line(label, box, width, height)} {_numbers(columns)}"


def box_ring(box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (float(v) for v in box)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def join_parts(rings: list[np.ndarray]) -> np.ndarray:
    """One ring visiting every part, via out-and-back bridges between closest vertices."""
    parts = [np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in rings if len(r) >= 3]
    if len(parts) <= 1:
        return parts[0] if parts else np.zeros((0, 2))
    parts = [_oriented(p) for p in parts]
    merged = parts[0]
    for part in parts[1:]:
        gaps = ((merged[:, None, :] - part[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
        loop = np.concatenate([part[j:], part[: j + 1]])  # the part, back to its start
        merged = np.concatenate([merged[: i + 1], loop, merged[i:]])
    return merged


def _oriented(ring: np.ndarray) -> np.ndarray:
    """The ring with a positive shoelace area, so joined parts add up instead of cancelling."""
    x, y = ring[:, 0], ring[:, 1]
    signed = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return ring[::-1] if signed < 0 else ring
