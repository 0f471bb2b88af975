"""Resampling rasters (images, label maps, mask stacks) through a warp.

This is the only module that thinks about pixel centres. Warps use
continuous coordinates (pixel ``(i, j)`` covers ``[j, j+1) x [i, i+1)``, its
centre is ``(j + 0.5, i + 0.5)``); OpenCV puts centres at integers. So a
matrix ``M`` becomes ``T(-0.5) @ M @ T(+0.5)`` for OpenCV, and a grid's
continuous source coordinates lose 0.5 before ``cv2.remap``.

Fast paths, each giving the same pixels the general warp would:
- a matrix that only flips, transposes and shifts by whole pixels (flips,
  90-degree rotations, crops, pads) is a pure array copy (slicing);
- a pure scale of the whole image is ``cv2.resize`` (which also makes
  ``INTER_AREA`` available; border pixels replicate instead of blending
  with the fill, which is what a resize should do).
"""
from __future__ import annotations

from functools import cached_property
from typing import Sequence

import cv2
import numpy as np

from augcli.geometry.warp import GridWarp, MatrixWarp, Warp, translation

_TO_CV = translation(-0.5, -0.5)
_FROM_CV = translation(0.5, 0.5)
_CV_MAX_CHANNELS = 4       # borderValue (and older OpenCV builds) handle at most 4
_NATIVE_LABEL_DTYPES = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16,
                                              np.int32, np.float32, np.float64)}
# Flags warpAffine/remap reject; the nearest equivalent they accept.
_WARP_INTERPOLATION = {cv2.INTER_AREA: cv2.INTER_LINEAR,
                       cv2.INTER_LINEAR_EXACT: cv2.INTER_LINEAR,
                       cv2.INTER_NEAREST_EXACT: cv2.INTER_NEAREST}
# cv2.resize's INTER_NEAREST is not centre-aligned; NEAREST_EXACT is.
_RESIZE_INTERPOLATION = {cv2.INTER_NEAREST: cv2.INTER_NEAREST_EXACT}


def opencv_matrix(matrix: np.ndarray) -> np.ndarray:
    """Continuous-coordinate 3x3 matrix -> the same map in OpenCV's pixel-centre coordinates."""
    return _TO_CV @ np.asarray(matrix, dtype=np.float64) @ _FROM_CV


class Resampler:
    """Everything needed to resample rasters through one warp, computed once per warp."""

    def __init__(self, warp: Warp):
        self.warp = warp
        self.out_size = warp.out_size          # (width, height)

    @cached_property
    def _inverse_cv(self) -> np.ndarray:
        return np.linalg.inv(opencv_matrix(self.warp.matrix))

    @cached_property
    def _cv_maps(self) -> tuple[np.ndarray, np.ndarray]:
        w = self.warp
        return ((np.asarray(w.map_x, dtype=np.float32) - np.float32(0.5)),
                (np.asarray(w.map_y, dtype=np.float32) - np.float32(0.5)))

    @cached_property
    def inverse_area_scale(self) -> np.ndarray | float:
        """|det| of the Jacobian of output -> input, per output pixel (a scalar when constant).

        An output pixel stands for this much input area.
        """
        w = self.warp
        if isinstance(w, MatrixWarp):
            inv = np.linalg.inv(w.matrix)
            if w.is_affine:
                return float(abs(np.linalg.det(inv[:2, :2])))
            width, height = self.out_size
            ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
            denom = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
            # Jacobian determinant of a homography: det(H) / denom^3.
            return np.abs(np.linalg.det(inv) / denom ** 3)
        if min(w.map_x.shape) < 2:
            return 1.0
        gxy, gxx = np.gradient(np.asarray(w.map_x, dtype=np.float64))
        gyy, gyx = np.gradient(np.asarray(w.map_y, dtype=np.float64))
        return np.abs(gxx * gyy - gxy * gyx)

    # -- public --------------------------------------------------------------

    def image(self, image: np.ndarray, *, interpolation: int = cv2.INTER_LINEAR,
              border_mode: int = cv2.BORDER_CONSTANT, fill: float | Sequence[float] = 0) -> np.ndarray:
        """Resample an (H, W) or (H, W, C) image; any number of channels."""
        image = np.asarray(image)
        channels = 1 if image.ndim == 2 else image.shape[2]
        fills = _per_channel(fill, channels)
        out = self._exact_copy(image, border_mode, fills)
        if out is not None:
            return out
        if image.ndim == 3 and channels > _CV_MAX_CHANNELS:
            parts = [self.image(image[:, :, k:k + _CV_MAX_CHANNELS], interpolation=interpolation,
                                border_mode=border_mode, fill=fills[k:k + _CV_MAX_CHANNELS])
                     for k in range(0, channels, _CV_MAX_CHANNELS)]
            return np.concatenate(parts, axis=2)
        out = self._cv_warp(np.ascontiguousarray(image), int(interpolation), int(border_mode),
                            tuple(fills) + (0.0,) * (_CV_MAX_CHANNELS - len(fills)))
        if image.ndim == 3 and out.ndim == 2:
            out = out[:, :, None]              # OpenCV drops a single channel axis
        return out

    def labels(self, label_map: np.ndarray, *, fill: float = 0,
               border_mode: int = cv2.BORDER_CONSTANT) -> np.ndarray:
        """Nearest-neighbour resampling of a label map (bool or any integer dtype)."""
        label_map = np.asarray(label_map)
        dtype = label_map.dtype
        if dtype == bool:
            out = self.image(label_map.view(np.uint8), interpolation=cv2.INTER_NEAREST,
                             border_mode=border_mode, fill=int(bool(fill)))
            return out.view(bool)
        if dtype in _NATIVE_LABEL_DTYPES:
            return self.image(label_map, interpolation=cv2.INTER_NEAREST,
                              border_mode=border_mode, fill=fill)
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(np.int32)
            values = [int(label_map.min(initial=0)), int(label_map.max(initial=0)), int(fill)]
            if min(values) < info.min or max(values) > info.max:
                raise TypeError(f"label values of {dtype} do not fit the int32 OpenCV can warp")
            out = self.image(label_map.astype(np.int32), interpolation=cv2.INTER_NEAREST,
                             border_mode=border_mode, fill=fill)
            return out.astype(dtype)
        raise TypeError(f"cannot resample a label map of dtype {dtype}")

    def mask_stack(self, masks: np.ndarray) -> np.ndarray:
        """(H, W, N) boolean masks -> warped (H', W', N), nearest, outside = False.

        Masks are bit-packed eight to a byte so one OpenCV call moves up to 32.
        """
        masks = np.asarray(masks, dtype=bool)
        n = masks.shape[2]
        width, height = self.out_size
        if n == 0:
            return np.zeros((height, width, 0), dtype=bool)
        packed = np.packbits(masks, axis=2)
        warped = self.labels(packed, fill=0)
        if warped.ndim == 2:
            warped = warped[:, :, None]
        return np.unpackbits(warped, axis=2, count=n).view(bool)

    # -- internals -----------------------------------------------------------

    def _cv_warp(self, image: np.ndarray, interpolation: int, border_mode: int,
                 border_value: tuple) -> np.ndarray:
        width, height = self.out_size
        warp = self.warp
        if isinstance(warp, GridWarp):
            map_x, map_y = self._cv_maps
            flag = _WARP_INTERPOLATION.get(interpolation, interpolation)
            return cv2.remap(image, map_x, map_y, flag, borderMode=border_mode,
                             borderValue=border_value)
        if self._is_whole_resize(image.shape[1], image.shape[0]):
            flag = _RESIZE_INTERPOLATION.get(interpolation, interpolation)
            return cv2.resize(image, (width, height), interpolation=flag)
        flag = _WARP_INTERPOLATION.get(interpolation, interpolation) | cv2.WARP_INVERSE_MAP
        inv = self._inverse_cv
        if warp.is_affine:
            return cv2.warpAffine(image, inv[:2], (width, height), flags=flag,
                                  borderMode=border_mode, borderValue=border_value)
        return cv2.warpPerspective(image, inv, (width, height), flags=flag,
                                   borderMode=border_mode, borderValue=border_value)

    def _is_whole_resize(self, in_width: int, in_height: int) -> bool:
        m = self.warp.matrix
        width, height = self.out_size
        expected = np.diag([width / in_width, height / in_height, 1.0])
        return bool(np.allclose(m, expected, rtol=0.0, atol=1e-9))

    def _exact_copy(self, image: np.ndarray, border_mode: int,
                    fills: list[float]) -> np.ndarray | None:
        """Whole-pixel flips/transposes/shifts as array slicing, or None if not one."""
        if not isinstance(self.warp, MatrixWarp):
            return None
        inv = self._inverse_cv                     # output pixel index -> input pixel index
        rounded = np.round(inv)
        if not np.allclose(inv, rounded, rtol=0.0, atol=1e-9) or not self.warp.is_affine:
            return None
        linear, shift = rounded[:2, :2], rounded[:2, 2].astype(np.int64)
        magnitude = np.abs(linear)
        if not (np.all(magnitude.sum(axis=0) == 1) and np.all(magnitude.sum(axis=1) == 1)
                and np.count_nonzero(linear) == 2):
            return None                            # not a signed permutation
        source = image
        if linear[0, 0] == 0:                      # x_in depends on y_out: transpose first
            source = np.swapaxes(image, 0, 1)
            sx, sy = int(linear[1, 0]), int(linear[0, 1])
            cx, cy = int(shift[1]), int(shift[0])
        else:
            sx, sy = int(linear[0, 0]), int(linear[1, 1])
            cx, cy = int(shift[0]), int(shift[1])
        width, height = self.out_size
        rows = _valid_run(sy, cy, height, source.shape[0])
        cols = _valid_run(sx, cx, width, source.shape[1])
        if rows is None or cols is None:
            covered = False
        else:
            covered = rows[0] == 0 and rows[1] == height and cols[0] == 0 and cols[1] == width
        if not covered and border_mode != cv2.BORDER_CONSTANT:
            return None                            # reflect/replicate: let OpenCV do it
        if covered:
            return np.ascontiguousarray(source[_source_slice(sy, cy, *rows),
                                               _source_slice(sx, cx, *cols)])
        shape = (height, width) + image.shape[2:]
        out = np.empty(shape, dtype=image.dtype)
        out[...] = _fill_array(fills, image)
        if rows is not None and cols is not None:
            out[rows[0]:rows[1], cols[0]:cols[1]] = source[_source_slice(sy, cy, *rows),
                                                           _source_slice(sx, cx, *cols)]
        return out


def _valid_run(step: int, offset: int, out_len: int, in_len: int) -> tuple[int, int] | None:
    """Output indices [a, b) whose source ``step * k + offset`` lies in [0, in_len)."""
    if step == 1:
        a, b = max(0, -offset), min(out_len, in_len - offset)
    else:
        a, b = max(0, offset - in_len + 1), min(out_len, offset + 1)
    return (a, b) if a < b else None


def _source_slice(step: int, offset: int, a: int, b: int) -> slice:
    first, last = step * a + offset, step * (b - 1) + offset
    if step == 1:
        return slice(first, last + 1)
    return slice(first, last - 1 if last > 0 else None, -1)


def _per_channel(fill: float | Sequence[float], channels: int) -> list[float]:
    if np.ndim(fill) == 0:
        return [float(fill)] * channels
    values = [float(v) for v in fill]
    if len(values) == 1:
        return values * channels
    if len(values) < channels:
        raise ValueError(f"fill has {len(values)} values for an image with {channels} channels")
    return values[:channels]


def _fill_array(fills: list[float], image: np.ndarray) -> np.ndarray:
    values = np.asarray(fills if image.ndim == 3 else fills[:1], dtype=np.float64)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        values = np.clip(np.round(values), info.min, info.max)   # as OpenCV saturates
    if image.ndim == 2:
        return values[0].astype(image.dtype)
    return values.astype(image.dtype)


def warp_image(image: np.ndarray, warp: Warp, *, interpolation: int = cv2.INTER_LINEAR,
               border_mode: int = cv2.BORDER_CONSTANT, fill: float | Sequence[float] = 0) -> np.ndarray:
    """Resample an image through ``warp`` (MatrixWarp or GridWarp)."""
    return Resampler(warp).image(image, interpolation=interpolation, border_mode=border_mode,
                                 fill=fill)


def warp_labels(label_map: np.ndarray, warp: Warp, *, fill: float,
                border_mode: int = cv2.BORDER_CONSTANT) -> np.ndarray:
    """Nearest-neighbour resampling of a semantic map or instance mask (bool/uint8/uint16/...)."""
    return Resampler(warp).labels(label_map, fill=fill, border_mode=border_mode)
