"""Crops that look at the labels: BBoxSafeRandomCrop, AtLeastOneBBoxRandomCrop,
RandomCropNearBBox, CropNonEmptyMaskIfExists and RandomIoUCrop (SSD).

Each reads the current sample through ``ctx.sample()`` (``needs_labels``), then
returns a whole-pixel ``WindowOp``: the labels move through the same one-warp
core as every other crop.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from augcli.core.errors import TransformError
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_to_mask
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import WindowOp, require
from augcli.transforms.geometric.crops import RandomSizedBBoxSafeCrop
from augcli.transforms.params import Param, ParamError


class BBoxSafeRandomCropOp(WindowOp):
    name = "BBoxSafeRandomCrop"


class AtLeastOneBBoxRandomCropOp(WindowOp):
    name = "AtLeastOneBBoxRandomCrop"


class RandomCropNearBBoxOp(WindowOp):
    name = "RandomCropNearBBox"


class CropNonEmptyMaskIfExistsOp(WindowOp):
    name = "CropNonEmptyMaskIfExists"


class RandomIoUCropOp(WindowOp):
    name = "RandomIoUCrop"


def crop_window(op_type: type, x0: int, y0: int, width: int, height: int) -> WindowOp:
    """A whole-pixel crop: no resampling, so every interpolation gives the same pixels."""
    return op_type(
        x_min=float(x0),
        y_min=float(y0),
        x_max=float(x0 + width),
        y_max=float(y0 + height),
        out_width=int(width),
        out_height=int(height),
        interpolation=0,
    )


def fixed_size_crop(transform: Transform, ctx) -> tuple[int, int]:
    """The transform's height x width crop, refused when larger than the image."""
    if transform.width > ctx.width or transform.height > ctx.height:
        raise TransformError(
            f"{transform.name}: crop {transform.height}x{transform.width} is "
            f"larger than the image ({ctx.height}x{ctx.width})"
        )
    return transform.width, transform.height


def _require_size(transform: Transform) -> None:
    for name in ("height", "width"):
        require(getattr(transform, name) is not None, f"{transform.name} needs {name}", name)


@register
class BBoxSafeRandomCrop(RandomSizedBBoxSafeCrop):
    """Random crop that keeps every box whole (no resize)."""

    name = "BBoxSafeRandomCrop"
    params = (
        Param(
            "erosion_rate",
            "float",
            0.0,
            "shrink the union of boxes by this fraction before choosing the crop, allowing "
            "crops that cut boxes slightly; without boxes, the crop keeps at least "
            "(1 - erosion_rate) of the image height",
            low=0.0,
            high=1.0,
        ),
    )
    example = "- BBoxSafeRandomCrop: {erosion_rate: 0.0}"
    deviations = "The crop window is snapped outwards to whole pixels so boxes stay inside."

    def check(self) -> None:
        pass

    def make_op(self, rng, ctx):
        boxes = ctx.sample().instances.boxes
        if len(boxes):
            union = np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])
            x0, y0, x1, y1 = self._window_around(rng, union, ctx.width, ctx.height)
        else:
            x0, y0, x1, y1 = self._window_without_boxes(rng, ctx.width, ctx.height)
        return crop_window(BBoxSafeRandomCropOp, int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def _start_holding(rng, lo_edge: float, hi_edge: float, crop: int, size: int) -> int:
    """A random crop start along one axis whose window holds [lo_edge, hi_edge]; centred
    on it when it does not fit."""
    first = max(0, math.ceil(hi_edge) - crop)
    last = min(math.floor(lo_edge), size - crop)
    if first > last:
        return int(np.clip(round((lo_edge + hi_edge - crop) / 2.0), 0, size - crop))
    return int(rng.integers(first, last + 1))


@register
class AtLeastOneBBoxRandomCrop(Transform):
    """Random height x width crop that holds at least one (randomly chosen) box whole."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    params = (
        Param("height", "int", None, "crop height (pixels)", low=1),
        Param("width", "int", None, "crop width (pixels)", low=1),
        Param(
            "erosion_factor",
            "float",
            0.0,
            "shrink the chosen box by this fraction first (1 = only its centre must be inside the crop)",
            low=0.0,
            high=1.0,
        ),
    )
    example = "- AtLeastOneBBoxRandomCrop: {height: 96, width: 128}"
    deviations = (
        "A box larger than the crop gets a crop centred on it. A crop larger than "
        "the image skips the image with a TransformError."
    )

    def check(self) -> None:
        _require_size(self)

    def make_op(self, rng, ctx):
        width, height = fixed_size_crop(self, ctx)
        boxes = ctx.sample().instances.boxes
        if len(boxes) == 0:
            x0 = int(rng.integers(0, ctx.width - width + 1))
            y0 = int(rng.integers(0, ctx.height - height + 1))
            return crop_window(AtLeastOneBBoxRandomCropOp, x0, y0, width, height)
        bx0, by0, bx1, by1 = boxes[int(rng.integers(0, len(boxes)))]
        dx, dy = (bx1 - bx0) * self.erosion_factor / 2.0, (by1 - by0) * self.erosion_factor / 2.0
        x0 = _start_holding(rng, bx0 + dx, bx1 - dx, width, ctx.width)
        y0 = _start_holding(rng, by0 + dy, by1 - dy, height, ctx.height)
        return crop_window(AtLeastOneBBoxRandomCropOp, x0, y0, width, height)


@register
class RandomCropNearBBox(Transform):
    """Crop a random instance's box with each edge shifted by up to max_part_shift of its size."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    params = (
        Param(
            "max_part_shift",
            "range",
            (0.0, 0.3),
            "[height, width] fractions of the box size each edge may move by (either way); "
            "a number x means [0, x]",
            low=0.0,
            high=1.0,
            scalar="upto",
            ordered=False,
        ),
        Param(
            "cropping_bbox_key",
            "choice",
            "cropping_bbox",
            "accepted for Albumentations compatibility: the box is a random instance's box",
            choices=("cropping_bbox",),
        ),
    )
    example = "- RandomCropNearBBox: {max_part_shift: [0.3, 0.3]}"
    deviations = (
        "Albumentations crops around a box passed with the data; augcli uses the box "
        "of a randomly chosen instance (the whole image when there is none). The "
        "window is rounded to whole pixels, clipped to the image, and keeps at least "
        "one pixel."
    )

    def make_op(self, rng, ctx):
        boxes = ctx.sample().instances.boxes
        if len(boxes):
            x0, y0, x1, y1 = boxes[int(rng.integers(0, len(boxes)))]
        else:
            x0, y0, x1, y1 = 0.0, 0.0, float(ctx.width), float(ctx.height)
        shift_y = self.max_part_shift[0] * (y1 - y0)
        shift_x = self.max_part_shift[1] * (x1 - x0)
        jitter = rng.uniform(-1.0, 1.0, 4) * [shift_x, shift_y, shift_x, shift_y]
        left = int(np.clip(round(x0 + jitter[0]), 0, ctx.width - 1))
        top = int(np.clip(round(y0 + jitter[1]), 0, ctx.height - 1))
        right = int(np.clip(round(x1 + jitter[2]), left + 1, ctx.width))
        bottom = int(np.clip(round(y1 + jitter[3]), top + 1, ctx.height))
        return crop_window(RandomCropNearBBoxOp, left, top, right - left, bottom - top)


def labelled_pixels(sample, ignore_values: set) -> np.ndarray:
    """Pixels that hold an object: instance polygons, masks and box-only boxes, and the
    semantic map's classes (not 0, not the ignore index), except ``ignore_values``."""
    height, width = sample.height, sample.width
    found = np.zeros((height, width), dtype=bool)
    if sample.semantic is not None:
        found |= _not_in(sample.semantic, ignore_values | {0, sample.ignore_index})
    inst = sample.instances
    for i in range(len(inst)):
        if int(inst.labels[i]) in ignore_values:
            continue
        if inst.polygons[i]:
            found |= polygon_to_mask(inst.polygons[i], height, width)
        elif inst.masks[i] is not None:
            found |= rle.decode(inst.masks[i]).astype(bool)
        else:
            x0, y0, x1, y1 = inst.boxes[i]
            # pixels whose centres the box covers
            c0, r0 = max(0, math.ceil(x0 - 0.5)), max(0, math.ceil(y0 - 0.5))
            c1, r1 = min(width, math.floor(x1 - 0.5) + 1), min(height, math.floor(y1 - 0.5) + 1)
            found[r0:r1, c0:c1] = True
    return found


def _not_in(values: np.ndarray, skip: set) -> np.ndarray:
    """``~np.isin(values, skip)``; for uint8 maps one table look-up (np.isin sorts)."""
    if values.dtype != np.uint8:
        return ~np.isin(values, np.array(sorted(skip)))
    table = np.ones(256, dtype=np.uint8)
    table[[v for v in skip if 0 <= v <= 255]] = 0
    return cv2.LUT(np.ascontiguousarray(values), table).reshape(values.shape).view(bool)


@register
class CropNonEmptyMaskIfExists(Transform):
    """Random height x width crop around a random labelled pixel (a plain random crop if none)."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    params = (
        Param("height", "int", None, "crop height (pixels)", low=1),
        Param("width", "int", None, "crop width (pixels)", low=1),
        Param(
            "ignore_values",
            "list",
            None,
            "semantic-map values and instance category ids that do not count as objects "
            "(0 and the ignore index never count)",
            nullable=True,
        ),
        Param(
            "ignore_channels",
            "list",
            None,
            "accepted for Albumentations compatibility only as null: augcli's semantic map "
            "has one channel (use ignore_values)",
            nullable=True,
        ),
    )
    example = "- CropNonEmptyMaskIfExists: {height: 96, width: 128}"
    deviations = (
        "Objects are the union of the semantic map's classes and every instance's "
        "polygon, mask or (box-only) box; the ignore index never counts. "
        "ignore_channels must be null. A crop larger than the image skips the image "
        "with a TransformError."
    )

    def check(self) -> None:
        _require_size(self)
        if self.ignore_channels is not None:
            raise ParamError(
                "ignore_channels is not supported: the semantic map has one channel; use ignore_values",
                "ignore_channels",
            )
        values = self.ignore_values or []
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise ParamError("ignore_values must be a list of integers", "ignore_values")
        self.ignored = set(values)

    def make_op(self, rng, ctx):
        width, height = fixed_size_crop(self, ctx)
        found = labelled_pixels(ctx.sample(), self.ignored)
        flat = np.flatnonzero(found)  # row-major, as np.nonzero's (rows, cols): one array, not two
        if len(flat):
            k = int(rng.integers(0, len(flat)))
            row, col = divmod(int(flat[k]), found.shape[1])
            x0 = col - int(rng.integers(0, width))
            y0 = row - int(rng.integers(0, height))
            x0 = int(np.clip(x0, 0, ctx.width - width))
            y0 = int(np.clip(y0, 0, ctx.height - height))
        else:
            x0 = int(rng.integers(0, ctx.width - width + 1))
            y0 = int(rng.integers(0, ctx.height - height + 1))
        return crop_window(CropNonEmptyMaskIfExistsOp, x0, y0, width, height)


def box_iou(boxes: np.ndarray, window: np.ndarray) -> np.ndarray:
    inter_w = np.clip(np.minimum(boxes[:, 2], window[2]) - np.maximum(boxes[:, 0], window[0]), 0, None)
    inter_h = np.clip(np.minimum(boxes[:, 3], window[3]) - np.maximum(boxes[:, 1], window[1]), 0, None)
    inter = inter_w * inter_h
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = areas + (window[2] - window[0]) * (window[3] - window[1]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


@register
class RandomIoUCrop(Transform):
    """SSD's random crop: a window whose IoU with some box reaches a randomly chosen minimum."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    attempts = 50  # draws of a minimum IoU before giving up (torchvision loops forever)
    params = (
        Param(
            "min_scale", "float", 0.3, "smallest crop side as a fraction of the image side", low=0.0, high=1.0
        ),
        Param(
            "max_scale", "float", 1.0, "largest crop side as a fraction of the image side", low=0.0, high=1.0
        ),
        Param("min_aspect_ratio", "float", 0.5, "smallest crop width/height ratio", low=0.0),
        Param("max_aspect_ratio", "float", 2.0, "largest crop width/height ratio", low=0.0),
        Param(
            "sampler_options",
            "list",
            [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0],
            "minimum IoUs to choose from; an option >= 1 means no crop",
        ),
        Param("trials", "int", 40, "crop attempts per chosen minimum IoU", low=1),
    )
    example = "- RandomIoUCrop: {min_scale: 0.3, max_scale: 1.0}"
    deviations = (
        "No Albumentations twin: follows torchvision.transforms.v2.RandomIoUCrop. "
        "Boxes whose centre leaves the crop are not removed outright (torchvision "
        "marks them for SanitizeBoundingBoxes): instances are clipped and filtered by "
        "labels.min_visibility / min_area like after every crop. Without instances any "
        "crop of the right scale and aspect passes; after 50 fruitless draws of a "
        "minimum IoU the image is left uncropped."
    )

    def check(self) -> None:
        require(self.min_scale <= self.max_scale, "min_scale must not exceed max_scale", "max_scale")
        require(
            self.min_aspect_ratio <= self.max_aspect_ratio,
            "min_aspect_ratio must not exceed max_aspect_ratio",
            "max_aspect_ratio",
        )
        options = self.sampler_options
        if not options or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in options):
            raise ParamError("sampler_options must be a non-empty list of numbers", "sampler_options")

    def _trial(self, rng, width: int, height: int) -> tuple[int, int, int, int] | None:
        scale = self.min_scale + (self.max_scale - self.min_scale) * rng.random(2)
        new_w, new_h = int(width * scale[0]), int(height * scale[1])
        if new_w < 1 or new_h < 1:
            return None
        if not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
            return None
        place = rng.random(2)
        left, top = int((width - new_w) * place[0]), int((height - new_h) * place[1])
        return left, top, new_w, new_h

    def make_op(self, rng, ctx):
        boxes = ctx.sample().instances.boxes
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2.0
        for _ in range(self.attempts):
            min_iou = float(self.sampler_options[int(rng.integers(0, len(self.sampler_options)))])
            if min_iou >= 1.0:
                break
            for _ in range(self.trials):
                trial = self._trial(rng, ctx.width, ctx.height)
                if trial is None:
                    continue
                left, top, w, h = trial
                if len(boxes) == 0:
                    return crop_window(RandomIoUCropOp, left, top, w, h)
                window = np.array([left, top, left + w, top + h], dtype=np.float64)
                within = (
                    (centres[:, 0] > window[0])
                    & (centres[:, 0] < window[2])
                    & (centres[:, 1] > window[1])
                    & (centres[:, 1] < window[3])
                )
                if within.any() and box_iou(boxes[within], window).max() >= min_iou:
                    return crop_window(RandomIoUCropOp, left, top, w, h)
        return crop_window(RandomIoUCropOp, 0, 0, ctx.width, ctx.height)
