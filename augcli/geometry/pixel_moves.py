"""Warps that only move whole pixels: flips, 90-degree turns, transposes, crops, pads.

Their matrix (in OpenCV's pixel-index coordinates) is a signed permutation
with an integer shift, so the output is an exact copy of a window of the
input, transposed and/or flipped. Doing that with slicing, ``cv2.flip`` and
``cv2.transpose`` is several times faster than a general warp and gives the
same pixels for every interpolation.
"""

from __future__ import annotations

import cv2
import numpy as np

_CV_DTYPES = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)}


def whole_pixel_copy(
    image: np.ndarray, inverse_cv: np.ndarray, out_size: tuple[int, int], border_mode: int, fill: np.ndarray
) -> np.ndarray | None:
    """The warped image if ``inverse_cv`` (output index -> input index) only moves whole
    pixels, else None. Also None when part of the output lies outside the input and the
    border is not constant (OpenCV then reflects/replicates)."""
    rounded = np.round(inverse_cv)
    # not np.allclose(rtol=0, atol=1e-9): the same test (NaN fails it) at a tenth of the cost
    if not float(np.abs(inverse_cv - rounded).max()) <= 1e-9:
        return None
    if not (rounded[2, 0] == 0.0 and rounded[2, 1] == 0.0 and rounded[2, 2] == 1.0):
        return None
    linear, shift = rounded[:2, :2], rounded[:2, 2].astype(np.int64)
    magnitude = np.abs(linear)
    if not (
        np.all(magnitude.sum(axis=0) == 1)
        and np.all(magnitude.sum(axis=1) == 1)
        and np.count_nonzero(linear) == 2
    ):
        return None  # not a signed permutation
    transposed = linear[0, 0] == 0
    in_h, in_w = image.shape[:2]
    if transposed:
        # output row -> input column, output column -> input row
        row_map = (int(linear[0, 1]), int(shift[0]), in_w)
        col_map = (int(linear[1, 0]), int(shift[1]), in_h)
    else:
        row_map = (int(linear[1, 1]), int(shift[1]), in_h)
        col_map = (int(linear[0, 0]), int(shift[0]), in_w)
    width, height = out_size
    rows = _valid_run(*row_map[:2], height, row_map[2])
    cols = _valid_run(*col_map[:2], width, col_map[2])
    covered = rows is not None and cols is not None and rows == (0, height) and cols == (0, width)
    if not covered and border_mode != cv2.BORDER_CONSTANT:
        return None
    out_shape = (height, width) + image.shape[2:]
    if rows is None or cols is None:
        return _filled(out_shape, fill, image.dtype)
    r0, r1 = _source_range(row_map[0], row_map[1], *rows)
    c0, c1 = _source_range(col_map[0], col_map[1], *cols)
    window = image[c0:c1, r0:r1] if transposed else image[r0:r1, c0:c1]
    moved = _transpose_flip(window, transposed, row_map[0] < 0, col_map[0] < 0)
    if covered:
        return moved
    out = _filled(out_shape, fill, image.dtype)
    out[rows[0] : rows[1], cols[0] : cols[1]] = moved
    return out


def _filled(shape: tuple, fill: np.ndarray, dtype) -> np.ndarray:
    """An array of ``shape`` holding ``fill`` per channel. Filling one row and copying it
    down is ~30x faster than numpy broadcasting a per-channel fill over the whole array."""
    out = np.empty(shape, dtype=dtype)
    if len(shape) == 0 or shape[0] == 0:
        return out
    out[0] = fill
    out[1:] = out[0]
    return out


def _valid_run(step: int, offset: int, out_len: int, in_len: int) -> tuple[int, int] | None:
    """Output indices [a, b) whose source ``step * k + offset`` lies in [0, in_len)."""
    if step == 1:
        a, b = max(0, -offset), min(out_len, in_len - offset)
    else:
        a, b = max(0, offset - in_len + 1), min(out_len, offset + 1)
    return (a, b) if a < b else None


def _source_range(step: int, offset: int, a: int, b: int) -> tuple[int, int]:
    """The input indices [lo, hi) that output indices [a, b) read."""
    first, last = step * a + offset, step * (b - 1) + offset
    return min(first, last), max(first, last) + 1


def _transpose_flip(window: np.ndarray, transpose: bool, flip_rows: bool, flip_cols: bool) -> np.ndarray:
    """A new array: ``window`` transposed first (if asked), then flipped. Never a view."""
    channels = 1 if window.ndim == 2 else window.shape[2]
    if window.dtype in _CV_DTYPES and channels <= 4 and (transpose or flip_rows or flip_cols):
        out = cv2.transpose(window) if transpose else window
        if flip_rows or flip_cols:
            out = cv2.flip(out, -1 if (flip_rows and flip_cols) else (0 if flip_rows else 1))
        if window.ndim == 3 and out.ndim == 2:
            out = out[:, :, None]  # OpenCV drops a single channel axis
        return out
    out = np.swapaxes(window, 0, 1) if transpose else window
    if flip_rows:
        out = out[::-1]
    if flip_cols:
        out = out[:, ::-1]
    return np.array(out, copy=True, order="C")
