"""A window warp resampled as padding, a slice and ``cv2.resize`` instead of one warpAffine.

``PadResizeWarp`` is the MatrixWarp of a whole-pixel window (reaching outside the
image where it pads) stretched onto the output; only CropAndPad declares one, and
fused with any other warp it becomes a plain MatrixWarp (``MatrixWarp.then``), so
no other transform's pixels change.

The map is the matrix's, the one its labels follow: ``cv2.resize`` samples source
pixel ``(dst + 0.5) * in / out - 0.5``, the matrix in pixel centres, and the padding
is OpenCV's border of the whole image, as warpAffine's. Bytes differ from
warpAffine's by a few levels: resize interpolates with 11-bit weights (warpAffine
5-bit), and at the window's edge it repeats the edge pixel where warpAffine reads on
past it (the image beyond a crop, more border beyond a pad; a constant fill is the
same either way). On a 640x480 RGB image it takes half warpAffine's time.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from augcli.geometry.warp import MatrixWarp

RESIZE_DTYPES = {np.dtype(t) for t in (np.uint8, np.uint16, np.float32)}


@dataclass(frozen=True, eq=False)
class PadResizeWarp(MatrixWarp):
    """A window warp whose images are resampled by ``pad_and_resize``."""


def whole_pixel_window(warp: MatrixWarp) -> tuple[int, int, int, int] | None:
    """The whole-pixel input window ``(x0, y0, x1, y1)`` a pure scale-and-shift warp
    stretches onto its output (it may reach outside the input), else None."""
    m = warp.matrix
    sx, sy = m[0, 0], m[1, 1]
    # np.allclose(..., rtol=0, atol=1e-12) against [0, 0, 0, 0, 1] written out (NaN fails it too)
    off_diagonal = (m[0, 1], m[1, 0], m[2, 0], m[2, 1], m[2, 2] - 1.0)
    if sx <= 0 or sy <= 0 or not all(abs(v) <= 1e-12 for v in off_diagonal):
        return None
    width, height = warp.out_size
    corners = np.array([-m[0, 2] / sx, -m[1, 2] / sy, (width - m[0, 2]) / sx, (height - m[1, 2]) / sy])
    window = np.rint(corners)
    if not np.allclose(corners, window, rtol=0.0, atol=1e-6):
        return None
    x0, y0, x1, y1 = (int(v) for v in window)
    return x0, y0, x1, y1


def pad_and_resize(
    image: np.ndarray, warp: PadResizeWarp, interpolation: int, border_mode: int, border_value: tuple
) -> np.ndarray | None:
    """The image through ``warp``: the whole image padded with its border, the window
    sliced from it, the slice resized (``interpolation`` is a cv2.resize flag); None
    when the window misses the image or the dtype is not one resize takes."""
    window = whole_pixel_window(warp)
    height, width = image.shape[:2]
    if window is None or image.dtype not in RESIZE_DTYPES:
        return None
    x0, y0, x1, y1 = window
    if x0 >= width or x1 <= 0 or y0 >= height or y1 <= 0:
        return None
    top, bottom, left, right = max(-y0, 0), max(y1 - height, 0), max(-x0, 0), max(x1 - width, 0)
    # the sides that crop are sliced away before padding: a border never reads them
    # except when it wraps or reflects, so those modes pad the whole image
    if border_mode in (cv2.BORDER_CONSTANT, cv2.BORDER_REPLICATE):
        source = image[max(y0, 0) : min(y1, height), max(x0, 0) : min(x1, width)]
        canvas = cv2.copyMakeBorder(source, top, bottom, left, right, border_mode, value=border_value)
    else:
        padded = cv2.copyMakeBorder(image, top, bottom, left, right, border_mode, value=border_value)
        canvas = padded[y0 + top : y1 + top, x0 + left : x1 + left]
    return cv2.resize(canvas, warp.out_size, interpolation=interpolation)
