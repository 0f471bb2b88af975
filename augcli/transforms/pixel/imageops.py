"""Small helpers every pixel op shares: value ranges, look-up tables, alpha.

Images are ``(H, W)`` or ``(H, W, C)`` uint8 or uint16. A trailing channel
makes ``C = 2`` (grey + alpha) and ``C = 4`` (RGB + alpha) carry an alpha
channel; colour ops change only the colour channels and leave alpha as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

try:  # a declared dependency; cv2.LUT keeps working if a platform lacks its wheel
    import stringzilla as _stringzilla
except ImportError:  # pragma: no cover
    _stringzilla = None

from augcli.core.errors import TransformError

_MAX = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def max_value(image: np.ndarray) -> int:
    """Largest value of the image's dtype (255 or 65535)."""
    try:
        return _MAX[image.dtype]
    except KeyError:
        raise TransformError(f"unsupported image dtype {image.dtype}; expected uint8 or uint16") from None


def num_channels(image: np.ndarray) -> int:
    return 1 if image.ndim == 2 else int(image.shape[2])


def has_alpha(image: np.ndarray) -> bool:
    return image.ndim == 3 and image.shape[2] in (2, 4)


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour channels, alpha channel or None)."""
    if has_alpha(image):
        return image[..., :-1], image[..., -1:]
    return image, None


def join_alpha(colour: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return colour
    if colour.ndim == 2:
        colour = colour[..., None]
    return np.concatenate([colour, alpha], axis=2)


def is_rgb(colour: np.ndarray) -> bool:
    return colour.ndim == 3 and colour.shape[2] == 3


def as_2d(colour: np.ndarray) -> np.ndarray:
    """A single-channel image as (H, W), the shape OpenCV returns for it."""
    return colour.reshape(colour.shape[:2]) if colour.ndim == 3 and colour.shape[2] == 1 else colour


def to_dtype(values: np.ndarray, dtype: np.dtype, maxv: int) -> np.ndarray:
    """Round, clip to [0, maxv] and cast (works in place on float arrays)."""
    np.rint(values, out=values)
    np.clip(values, 0, maxv, out=values)
    return values.astype(dtype)


def identity_lut(image: np.ndarray) -> np.ndarray:
    """float64 [0, 1, ..., maxv]: the domain a look-up table maps (tables are tiny)."""
    return np.arange(max_value(image) + 1, dtype=np.float64)


def apply_luts(image: np.ndarray, luts: np.ndarray) -> np.ndarray:
    """Map the colour channels through look-up tables; alpha stays untouched.

    ``luts`` is float, shape (maxv + 1,) for one table shared by every colour
    channel or (K, maxv + 1) with one table per colour channel (K = 3 for
    RGB). Values are rounded and clipped here.
    """
    maxv = max_value(image)
    table = to_dtype(np.array(luts, dtype=np.float64), image.dtype, maxv)
    colour, alpha = split_alpha(image)
    colours = num_channels(colour)
    if table.ndim == 2 and table.shape[0] == 1:
        table = table[0]
    if table.ndim == 2 and table.shape[0] != colours:
        raise TransformError(f"{table.shape[0]} look-up tables for {colours} colour channels")
    if image.dtype == np.uint8:
        return _lut_uint8(image, table, colours, alpha is not None)
    if table.ndim == 1:
        mapped = table[colour]
    else:
        mapped = np.stack([table[c][colour[..., c]] for c in range(colours)], axis=2)
    return join_alpha(mapped, alpha)


# OpenCV's uint8 arithmetic with a per-channel scalar takes a slow generic path (about 3 ms
# on 640x480x3); the same values as per-channel look-up tables are one LUT pass. How the
# values are rounded depends on the OpenCV: cv2.add rounds float32(x) + float32(s) in 5.x
# and adds the rounded scalar in 4.x; cv2.multiply rounds float64(x) * g (half to even,
# then saturated). ``scalar_tables`` uses the first rule a probe saw this OpenCV follow.
_SCALAR_RULES = {
    "add": [
        lambda value: np.rint(np.arange(256, dtype=np.float32) + np.float32(value)),
        lambda value: np.arange(256, dtype=np.float64) + np.rint(float(value)),
    ],
    "multiply": [lambda value: np.rint(np.arange(256, dtype=np.float64) * float(value))],
}
_SCALAR_PROBES = {  # values next to the rounding boundaries of both precisions
    "add": [(0.5, -0.5, 1.5), (2.4999999, 254.50000003, -3.5000001), (17.25, -0.75, 100.5)],
    "multiply": [(252.5 / 255, 0.5 / 3, 1.0), (0.9901961088180542, 1.0019569471624266, 1.2), (0.0, 2.5, 0.5)],
}
_scalar_rule: dict[str, Callable[[float], np.ndarray] | None] = {}


def scalar_tables(kind: str, values: list[float]) -> np.ndarray | None:
    """Per-channel uint8 tables, shape (len(values), 256), giving what ``cv2.add`` (kind
    "add") or ``cv2.multiply`` ("multiply") of a uint8 image and the per-channel scalar
    ``values`` gives; None when this OpenCV was not seen to compute so (use OpenCV then)."""
    if kind not in _scalar_rule:
        _scalar_rule[kind] = next((r for r in _SCALAR_RULES[kind] if _scalar_rule_holds(kind, r)), None)
    rule = _scalar_rule[kind]
    if rule is None:
        return None
    return np.stack([rule(v) for v in values]).astype(np.float64)


def _scalar_rule_holds(kind: str, rule: Callable[[float], np.ndarray]) -> bool:
    values = np.arange(256, dtype=np.uint8)
    probe = np.ascontiguousarray(np.repeat(values, 3).reshape(16, 16, 3))
    opencv = cv2.add if kind == "add" else cv2.multiply
    for trio in _SCALAR_PROBES[kind]:
        table = np.clip(np.stack([rule(v) for v in trio]), 0, 255).astype(np.uint8)
        expected = opencv(probe, (*trio, 0.0))
        if not np.array_equal(cv2.LUT(probe, np.ascontiguousarray(table.T).reshape(1, 256, 3)), expected):
            return False
    return True


def _lut_uint8(image: np.ndarray, table: np.ndarray, colours: int, alpha: bool) -> np.ndarray:
    channels = num_channels(image)
    if table.ndim == 1:
        # One shared table: a SIMD byte translation (about 10x cv2.LUT on 640x480x3);
        # alpha is copied back afterwards.
        out = _translate_bytes(image, table)
        if alpha:
            out[..., -1] = image[..., -1]
        return out
    per_channel = np.empty((channels, 256), dtype=np.uint8)
    per_channel[:colours] = table
    if alpha:
        per_channel[colours:] = np.arange(256, dtype=np.uint8)
    return cv2.LUT(image, np.ascontiguousarray(per_channel.T).reshape(1, 256, channels)).reshape(image.shape)


def _translate_bytes(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    if _stringzilla is None:
        return cv2.LUT(image, table).reshape(image.shape)
    source = np.ascontiguousarray(image, dtype=np.uint8)
    out = np.empty(image.shape, dtype=np.uint8)
    # one pass from the source into the new array (not a copy, then a translation in place)
    _stringzilla.translate(
        memoryview(source.reshape(-1)),  # type: ignore[arg-type]  # numpy's stubs omit the buffer protocol
        memoryview(np.ascontiguousarray(table, dtype=np.uint8)),  # type: ignore[arg-type]
        out=memoryview(out.reshape(-1)),  # type: ignore[arg-type]
    )
    return out


def luma(colour: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an RGB image, same dtype; single-channel images pass through."""
    if not is_rgb(colour):
        return as_2d(colour)
    return cv2.cvtColor(np.ascontiguousarray(colour), cv2.COLOR_RGB2GRAY)


def mean_luma(colour: np.ndarray) -> float:
    """Mean Rec. 601 luma, from per-channel means (no full-image temporary)."""
    if not is_rgb(colour):
        return float(np.mean(colour))
    r, g, b = cv2.mean(np.ascontiguousarray(colour))[:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


def sample_odd(rng: np.random.Generator, low: int, high: int) -> int:
    """A uniformly drawn odd integer in [low, high] (the caller checked one exists)."""
    first = low if low % 2 == 1 else low + 1
    count = (high - first) // 2 + 1
    return int(first + 2 * rng.integers(0, count))


def has_odd(low: int, high: int) -> bool:
    first = low if low % 2 == 1 else low + 1
    return first <= high


def keep_shape(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Put back the trailing channel axis OpenCV drops from (H, W, 1) images."""
    return result.reshape(like.shape) if result.shape != like.shape else result


def draw_seed(rng: np.random.Generator) -> int:
    """A seed for randomness an op generates itself (noise fields, random fills).

    31 bits, so it also fits OpenCV's ``setRNGSeed`` (a C int).
    """
    return int(rng.integers(0, 2**31 - 1))
