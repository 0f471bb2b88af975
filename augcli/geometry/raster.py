"""Resampling rasters (images, label maps, mask stacks) through a warp.

This is the only module that thinks about pixel centres. Warps use
continuous coordinates (pixel ``(i, j)`` covers ``[j, j+1) x [i, i+1)``, its
centre is ``(j + 0.5, i + 0.5)``); OpenCV puts centres at integers. So a
matrix ``M`` becomes ``T(-0.5) @ M @ T(+0.5)`` for OpenCV, and a grid's
continuous source coordinates lose 0.5 before ``cv2.remap``.

Nearest-neighbour resampling (label maps, masks, nearest images) moves
every raster as single uint8 planes (its bytes), so all of them go through
one OpenCV kernel: warpAffine and warpPerspective round half-pixel ties
differently by dtype and channel count (IPP for some types, SIMD kernels for
others, and which ones changed between 4.x and 5.x), so a uint16 label map
warped as uint16 could sample another pixel than its uint8 RGB image.

Fast paths, each giving the same pixels the general warp would:
- a matrix that only flips, transposes and shifts by whole pixels (flips,
  90-degree rotations, crops, pads) is an array copy (``pixel_moves``);
- a crop-and-scale (a pure scale of a whole-pixel window) is ``cv2.resize`` (which also makes
  ``INTER_AREA`` available; border pixels replicate instead of blending
  with the fill, which is what a resize should do).

One path gives other bytes on purpose: a ``PadResizeWarp`` (CropAndPad's, unfused)
resamples images, not labels, as padding + slice + ``cv2.resize`` (``pad_resize``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import cv2
import numpy as np

from augcli.geometry.pad_resize import PadResizeWarp, pad_and_resize, whole_pixel_window
from augcli.geometry.piecewise import PiecewiseWarp
from augcli.geometry.pixel_moves import whole_pixel_copy
from augcli.geometry.warp import GridWarp, MatrixWarp, Warp, translation

_TO_CV = translation(-0.5, -0.5)
_FROM_CV = translation(0.5, 0.5)
_CV_MAX_CHANNELS = 4  # borderValue (and older OpenCV builds) handle at most 4
_NATIVE_LABEL_DTYPES = {
    np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)
}
# Flags warpAffine/remap reject; the nearest equivalent they accept.
_WARP_INTERPOLATION = {
    cv2.INTER_AREA: cv2.INTER_LINEAR,
    cv2.INTER_LINEAR_EXACT: cv2.INTER_LINEAR,
    cv2.INTER_NEAREST_EXACT: cv2.INTER_NEAREST,
}
# labels and nearest images: never resized by pad_and_resize
_NEAREST = (cv2.INTER_NEAREST, cv2.INTER_NEAREST_EXACT)
# cv2.resize's INTER_NEAREST is not centre-aligned; NEAREST_EXACT is.
_RESIZE_INTERPOLATION = {cv2.INTER_NEAREST: cv2.INTER_NEAREST_EXACT}


def opencv_matrix(matrix: np.ndarray) -> np.ndarray:
    """Continuous-coordinate 3x3 matrix -> the same map in OpenCV's pixel-centre coordinates."""
    return _TO_CV @ np.asarray(matrix, dtype=np.float64) @ _FROM_CV


class Resampler:
    """Everything needed to resample rasters through one warp, computed once per warp."""

    def __init__(self, warp: Warp):
        self.warp = warp
        self.out_size = warp.out_size  # (width, height)

    @cached_property
    def _inverse_cv(self) -> np.ndarray:
        assert isinstance(self.warp, MatrixWarp)
        return np.linalg.inv(opencv_matrix(self.warp.matrix))

    @cached_property
    def _cv_maps(self) -> tuple[np.ndarray, np.ndarray]:
        w = self.warp
        assert isinstance(w, GridWarp)
        return (
            (np.asarray(w.map_x, dtype=np.float32) - np.float32(0.5)),
            (np.asarray(w.map_y, dtype=np.float32) - np.float32(0.5)),
        )

    def inverse_area_scale(self, window: tuple[int, int, int, int] | None = None) -> np.ndarray | float:
        """|det| of the Jacobian of output -> input: the input area one output pixel stands for.

        A float for affine warps; otherwise an array over the output pixels of
        ``window`` = (x0, y0, x1, y1) (the whole canvas when None).
        """
        w = self.warp
        if isinstance(w, MatrixWarp) and w.is_affine:
            return float(abs(np.linalg.det(np.linalg.inv(w.matrix)[:2, :2])))
        width, height = self.out_size
        x0, y0, x1, y1 = window if window is not None else (0, 0, width, height)
        if isinstance(w, PiecewiseWarp):
            return w.area_scale((x0, y0, x1, y1))  # per piece: no false stretch at the seams
        if isinstance(w, MatrixWarp):
            inv = np.linalg.inv(w.matrix)
            ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
            denom = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
            return np.abs(np.linalg.det(inv) / denom**3)  # a homography's Jacobian
        if min(height, width) < 2:
            return np.ones((y1 - y0, x1 - x0))
        # central differences need one pixel around the window (np.gradient handles the edges)
        r0, c0 = max(y0 - 1, 0), max(x0 - 1, 0)
        r1, c1 = min(max(y1 + 1, r0 + 2), height), min(max(x1 + 1, c0 + 2), width)
        gxy, gxx = np.gradient(np.asarray(w.map_x[r0:r1, c0:c1], dtype=np.float64))
        gyy, gyx = np.gradient(np.asarray(w.map_y[r0:r1, c0:c1], dtype=np.float64))
        det = np.abs(gxx * gyy - gxy * gyx)
        return det[y0 - r0 : y1 - r0, x0 - c0 : x1 - c0]

    # -- public --------------------------------------------------------------

    def image(
        self,
        image: np.ndarray,
        *,
        interpolation: int = cv2.INTER_LINEAR,
        border_mode: int = cv2.BORDER_CONSTANT,
        fill: float | Sequence[float] = 0,
    ) -> np.ndarray:
        """Resample an (H, W) or (H, W, C) image; any number of channels."""
        image = np.asarray(image)
        channels = 1 if image.ndim == 2 else image.shape[2]
        fills = _per_channel(fill, channels)
        if isinstance(self.warp, MatrixWarp):
            out = whole_pixel_copy(
                image, self._inverse_cv, self.out_size, border_mode, _fill_array(fills, image)
            )
            if out is not None:
                return out
        if isinstance(self.warp, PiecewiseWarp):
            out = _copy_pieces(image, self.warp)
            if out is not None:
                return out
        if image.ndim == 3 and channels > _CV_MAX_CHANNELS:
            parts = [
                self.image(
                    image[:, :, k : k + _CV_MAX_CHANNELS],
                    interpolation=interpolation,
                    border_mode=border_mode,
                    fill=fills[k : k + _CV_MAX_CHANNELS],
                )
                for k in range(0, channels, _CV_MAX_CHANNELS)
            ]
            return np.concatenate(parts, axis=2)
        out = self._cv_warp(
            np.ascontiguousarray(image),
            int(interpolation),
            int(border_mode),
            tuple(fills) + (0.0,) * (_CV_MAX_CHANNELS - len(fills)),
        )
        if image.ndim == 3 and out.ndim == 2:
            out = out[:, :, None]  # OpenCV drops a single channel axis
        return out

    def labels(
        self, label_map: np.ndarray, *, fill: float = 0, border_mode: int = cv2.BORDER_CONSTANT
    ) -> np.ndarray:
        """Nearest-neighbour resampling of a label map (bool or any integer dtype)."""
        label_map = np.asarray(label_map)
        dtype = label_map.dtype
        if dtype == np.bool_:
            out = self.image(
                label_map.view(np.uint8),
                interpolation=cv2.INTER_NEAREST,
                border_mode=border_mode,
                fill=int(bool(fill)),
            )
            return out.view(bool)
        if dtype in _NATIVE_LABEL_DTYPES:
            return self.image(label_map, interpolation=cv2.INTER_NEAREST, border_mode=border_mode, fill=fill)
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(np.int32)
            values = [int(label_map.min(initial=0)), int(label_map.max(initial=0)), int(fill)]
            if min(values) < info.min or max(values) > info.max:
                raise TypeError(f"label values of {dtype} do not fit the int32 OpenCV can warp")
            out = self.image(
                label_map.astype(np.int32),
                interpolation=cv2.INTER_NEAREST,
                border_mode=border_mode,
                fill=fill,
            )
            return out.astype(dtype)
        raise TypeError(f"cannot resample a label map of dtype {dtype}")

    def mask_stack(self, masks: np.ndarray) -> np.ndarray:
        """(H, W, N) boolean masks -> warped (H', W', N) bool, nearest, outside = False.

        Works in COCO's column-major layout: a Fortran-ordered stack (what
        pycocotools decodes) is N contiguous transposed planes, and the result
        is Fortran-ordered again, so it encodes without a copy. Planes are
        bit-packed eight to a byte, so one OpenCV call moves eight masks. Each
        packed plane is warped upright, like label maps and images: OpenCV's
        fixed-point warp is not symmetric in x and y, so a transposed warp can
        sample a boundary pixel on the other side.
        """
        masks = np.asarray(masks, dtype=bool)
        n = masks.shape[2]
        width, height = self.out_size
        out = np.empty((n, width, height), dtype=np.uint8)  # transposed planes
        planes = masks.T.view(np.uint8)  # (N, W, H)
        for start in range(0, n, 8):
            group = planes[start : start + 8]
            packed = group[0]
            if len(group) > 1:  # a lone plane is not packed: the upright copy below is its only one
                packed = packed.copy()
                for bit in range(1, len(group)):
                    packed |= group[bit] << bit
            warped = self.labels(np.ascontiguousarray(packed.T), fill=0).T
            if len(group) == 1:
                out[start] = warped
                continue
            for bit in range(len(group)):
                np.bitwise_and(warped >> bit, 1, out=out[start + bit])
        return out.T.view(bool)

    # -- internals -----------------------------------------------------------

    def _cv_warp(
        self, image: np.ndarray, interpolation: int, border_mode: int, border_value: tuple
    ) -> np.ndarray:
        nearest = _WARP_INTERPOLATION.get(interpolation, interpolation) == cv2.INTER_NEAREST
        if nearest and (image.ndim == 3 or image.dtype != np.uint8):
            return self._nearest_by_planes(image, interpolation, border_mode, border_value)
        return self._opencv_warp(image, interpolation, border_mode, border_value)

    def _nearest_by_planes(
        self, image: np.ndarray, interpolation: int, border_mode: int, border_value: tuple
    ) -> np.ndarray:
        """Nearest resampling of any dtype and channels as 2-D uint8 planes (the kernel every raster shares)."""
        height, width = image.shape[:2]
        channels = 1 if image.ndim == 2 else image.shape[2]
        planes = image.reshape(height, width, channels).view(np.uint8)
        fill_bytes = _saturated(border_value[:channels], image.dtype).view(np.uint8)
        warped = [
            self._opencv_warp(plane, interpolation, border_mode, (float(b),))
            for plane, b in zip(_byte_planes(planes), fill_bytes, strict=True)
        ]
        out = cv2.merge(warped).reshape(*warped[0].shape, len(warped)).view(image.dtype)
        return out[:, :, 0] if image.ndim == 2 else out

    def _opencv_warp(
        self, image: np.ndarray, interpolation: int, border_mode: int, border_value: tuple
    ) -> np.ndarray:
        width, height = self.out_size
        warp = self.warp
        if isinstance(warp, GridWarp):
            map_x, map_y = self._cv_maps
            flag = _WARP_INTERPOLATION.get(interpolation, interpolation)
            return cv2.remap(image, map_x, map_y, flag, borderMode=border_mode, borderValue=border_value)
        if isinstance(warp, PadResizeWarp) and interpolation not in _NEAREST:
            flag = _RESIZE_INTERPOLATION.get(interpolation, interpolation)
            out = pad_and_resize(image, warp, flag, border_mode, border_value)
            if out is not None:
                return out
        window = self._resize_window(image.shape[1], image.shape[0])
        if window is not None:
            x0, y0, x1, y1 = window
            flag = _RESIZE_INTERPOLATION.get(interpolation, interpolation)
            return cv2.resize(image[y0:y1, x0:x1], (width, height), interpolation=flag)
        flag = _WARP_INTERPOLATION.get(interpolation, interpolation) | cv2.WARP_INVERSE_MAP
        inv = self._inverse_cv
        if warp.is_affine:
            return cv2.warpAffine(
                image, inv[:2], (width, height), flags=flag, borderMode=border_mode, borderValue=border_value
            )
        return cv2.warpPerspective(
            image, inv, (width, height), flags=flag, borderMode=border_mode, borderValue=border_value
        )

    def _resize_window(self, in_width: int, in_height: int) -> tuple[int, int, int, int] | None:
        """The whole-pixel input window a crop-and-scale warp stretches onto the output.

        Such a warp is ``cv2.resize`` of that window (centre-aligned like our
        matrices, and INTER_AREA works); None for any other warp.
        """
        assert isinstance(self.warp, MatrixWarp)
        window = whole_pixel_window(self.warp)
        if window is None:
            return None
        x0, y0, x1, y1 = window
        if not (0 <= x0 < x1 <= in_width and 0 <= y0 < y1 <= in_height):
            return None
        return x0, y0, x1, y1


def _byte_planes(planes: np.ndarray) -> list[np.ndarray]:
    """The channels of ``planes`` (uint8, H x W x C) as contiguous 2-D arrays.

    ``cv2.extractChannel`` per channel: ``cv2.split`` costs about 2.5x as much
    on a 640x480 RGB image in OpenCV 4.14."""
    return [cv2.extractChannel(planes, channel) for channel in range(planes.shape[2])]


def _copy_pieces(image: np.ndarray, warp: PiecewiseWarp) -> np.ndarray | None:
    """A piecewise warp of whole-pixel shifts (grid shuffles) as array copies, or None."""
    moves = warp.whole_pixel_moves()
    if moves is None:
        return None
    height, width = image.shape[:2]
    if any(x0 < 0 or y0 < 0 or x1 > width or y1 > height for (x0, y0, x1, y1), _ in moves):
        return None
    out_w, out_h = warp.out_size
    out = np.empty((out_h, out_w) + image.shape[2:], dtype=image.dtype)
    for (x0, y0, x1, y1), (ox, oy) in moves:
        out[oy : oy + y1 - y0, ox : ox + x1 - x0] = image[y0:y1, x0:x1]
    return out


def _per_channel(fill: float | Sequence[float], channels: int) -> list[float]:
    """One fill value per channel; a short list is padded with 0 (as OpenCV pads a Scalar)."""
    if np.ndim(fill) == 0:
        return [float(np.asarray(fill))] * channels
    values = [float(v) for v in np.ravel(fill)]
    if len(values) == 1:
        return values * channels
    return (values + [0.0] * channels)[:channels]


def _fill_array(fills: list[float], image: np.ndarray) -> np.ndarray:
    values = _saturated(fills if image.ndim == 3 else fills[:1], image.dtype)
    return values[0] if image.ndim == 2 else values


def _saturated(values: Sequence[float], dtype: np.dtype) -> np.ndarray:
    """Fill values in ``dtype``, rounded and clipped as OpenCV saturates its borderValue."""
    out = np.asarray(values, dtype=np.float64)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return out.astype(dtype)


def warp_image(
    image: np.ndarray,
    warp: Warp,
    *,
    interpolation: int = cv2.INTER_LINEAR,
    border_mode: int = cv2.BORDER_CONSTANT,
    fill: float | Sequence[float] = 0,
) -> np.ndarray:
    """Resample an image through ``warp`` (MatrixWarp or GridWarp)."""
    return Resampler(warp).image(image, interpolation=interpolation, border_mode=border_mode, fill=fill)


def warp_labels(
    label_map: np.ndarray, warp: Warp, *, fill: float, border_mode: int = cv2.BORDER_CONSTANT
) -> np.ndarray:
    """Nearest-neighbour resampling of a semantic map or instance mask (bool/uint8/uint16/...)."""
    return Resampler(warp).labels(label_map, fill=fill, border_mode=border_mode)
