"""The photometric operations of the published policies, as pure image functions.

Every function takes an image (``(H, W)`` or ``(H, W, C)``, uint8 or uint16,
alpha untouched) and the already-converted parameter, never a level or a
bin: the magnitude tables live in ``tables.py`` and ``detection_tables.py``.
Values given on the 8-bit scale (solarize thresholds, additions) are scaled
to the dtype's range. Blends round to the nearest value where torchvision and
the TPU code truncate (a difference of at most one level).
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.transforms.pixel.histogram import AutoContrastOp, EqualizeOp, PosterizeOp
from augcli.transforms.pixel.imageops import (
    apply_luts,
    identity_lut,
    is_rgb,
    join_alpha,
    keep_shape,
    luma,
    max_value,
    split_alpha,
)

SHARPNESS_KERNEL = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13.0


def _colour_only(image: np.ndarray, fn) -> np.ndarray:
    colour, alpha = split_alpha(image)
    out = fn(np.ascontiguousarray(colour), max_value(image))
    return join_alpha(keep_shape(out, colour), alpha)


def blend(degenerate, colour: np.ndarray, factor: float) -> np.ndarray:
    """``degenerate + factor * (colour - degenerate)``, rounded and clipped: PIL's ImageEnhance rule.

    ``degenerate`` is an image like ``colour`` or a number (one OpenCV pass either way).
    """
    if np.ndim(degenerate) == 0:
        return cv2.addWeighted(colour, float(factor), colour, 0.0, (1.0 - factor) * float(degenerate))
    return cv2.addWeighted(colour, float(factor), degenerate, 1.0 - float(factor), 0.0)


def brightness(image: np.ndarray, factor: float) -> np.ndarray:
    return _colour_only(image, lambda c, m: blend(0.0, c, factor))


def color(image: np.ndarray, factor: float) -> np.ndarray:
    """Saturation: blend with the Rec. 601 grey image (grey images are unchanged)."""

    def run(c, m):
        if not is_rgb(c):
            return c
        return blend(cv2.cvtColor(luma(c), cv2.COLOR_GRAY2RGB), c, factor)

    return _colour_only(image, run)


def contrast(image: np.ndarray, factor: float, tpu_mean: bool = False) -> np.ndarray:
    """Blend with the mean grey level; ``tpu_mean`` uses the reference's pixel count / 256."""

    def run(c, m):
        grey = luma(c)
        mean = grey.size / 256.0 if tpu_mean else float(cv2.mean(grey)[0])
        return blend(mean, c, factor)

    return _colour_only(image, run)


def sharpness(image: np.ndarray, factor: float) -> np.ndarray:
    """Blend with a 3x3 smoothed image whose one-pixel border is the original's."""

    def run(c, m):
        if c.shape[0] < 3 or c.shape[1] < 3:
            return c
        degenerate = keep_shape(cv2.filter2D(c, -1, SHARPNESS_KERNEL, borderType=cv2.BORDER_REPLICATE), c)
        degenerate[0], degenerate[-1], degenerate[:, 0], degenerate[:, -1] = c[0], c[-1], c[:, 0], c[:, -1]
        return blend(degenerate, c, factor)

    return _colour_only(image, run)


def posterize(image: np.ndarray, bits: int) -> np.ndarray:
    """Keep the top ``bits`` bits (0 bits gives black, as the TPU code does)."""
    return PosterizeOp(num_bits=int(bits)).apply_image(image)


def solarize(image: np.ndarray, threshold: float) -> np.ndarray:
    """Invert every value >= ``threshold`` (8-bit scale; 0 inverts all, 256 none)."""

    def run(c, m):
        values = identity_lut(c)
        cut = threshold * m / 255.0
        return apply_luts(c, np.where(values >= cut, m - values, values))

    return _colour_only(image, run)


def solarize_add(image: np.ndarray, addition: float, threshold: float = 128.0) -> np.ndarray:
    """Add ``addition`` (8-bit scale) to every value below ``threshold``, clipped."""

    def run(c, m):
        scale = m / 255.0
        values = identity_lut(c)
        return apply_luts(c, np.where(values < threshold * scale, values + addition * scale, values))

    return _colour_only(image, run)


def autocontrast(image: np.ndarray) -> np.ndarray:
    """Stretch each channel's [min, max] to the full range (PIL/torchvision rule)."""
    return AutoContrastOp(cutoff=0.0, ignore=None, method="pil").apply_image(image)


def equalize(image: np.ndarray) -> np.ndarray:
    """Equalise each channel's histogram with PIL's rule (torchvision and TPU use it)."""
    return EqualizeOp(mode="pil", by_channels=True).apply_image(image)


def invert(image: np.ndarray) -> np.ndarray:
    return _colour_only(image, lambda c, m: (m - c).astype(c.dtype))


def fill_rect(image: np.ndarray, rect: tuple[int, int, int, int], fill) -> np.ndarray:
    """A copy with the pixel window ``[x0, x1) x [y0, y1)`` set to ``fill`` (image units, colour channels)."""
    x0, y0, x1, y1 = rect
    out = image.copy()
    if x1 <= x0 or y1 <= y0:
        return out
    colour, _ = split_alpha(out)
    channels = 1 if colour.ndim == 2 else colour.shape[2]
    patch = np.asarray(fill, np.float64).ravel()
    patch = np.broadcast_to(patch if patch.size == channels else patch[:1], (channels,))
    if out.ndim == 2:
        out[y0:y1, x0:x1] = np.clip(np.rint(np.ravel(patch)[0]), 0, max_value(image))
    else:
        out[y0:y1, x0:x1, :channels] = np.clip(np.rint(patch), 0, max_value(image))
    return out
