"""What every multi-image transform shares: partners, one-warp placement, label merging.

A placement moves a whole sample (the primary or a partner) through one
``MatrixWarp`` straight into the window it will occupy (a Mosaic cell, a
CutMix rectangle, the output canvas), so ``geometry.apply.apply_warp`` clips
every label to that window exactly and re-derives boxes from the clipped
geometry. ``shift_instances`` then moves the window's labels onto the
output canvas by an integer offset, which changes no label but the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from augcli.core.errors import TransformError
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp
from augcli.geometry.warp import MatrixWarp
from augcli.transforms.base import Op, Transform
from augcli.transforms.params import Param, ParamError

IGNORE = "ignore"
FILL_MASK = Param(
    "fill_mask",
    "any",
    IGNORE,
    "semantic-map class of pixels no image covers: 'ignore' (the dataset's ignore index) or a class id",
    shape="'ignore' or int",
)
PARTNER_NOTE = (
    "Partners are drawn by the engine from the primary's own split, without replacement, "
    "never the image itself, reproducibly per (seed, split, key, copy); their keys are in "
    "the provenance log."
)


def check_fill_mask(value: Any) -> Any:
    if value == IGNORE or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535):
        return value
    raise ParamError(f"fill_mask must be 'ignore' or a class id >= 0, got {value!r}", "fill_mask")


def mask_fill(value: Any, sample: Sample) -> int:
    return sample.ignore_index if value == IGNORE else int(value)


class MixingTransform(Transform):
    """Base of the transforms that combine the primary with partner samples."""

    kind = "mixing"
    default_p = 0.5
    needs_labels = True

    @property
    def partners_needed(self) -> int:
        return 1

    def partners(self, rng: np.random.Generator, ctx: Any, count: int) -> list[Sample]:
        if ctx.draw is None:
            raise TransformError(
                f"{self.name} needs partner images, which only a run over a dataset provides "
                "(augcli expand or preview)"
            )
        return list(ctx.draw(rng, count)) if count > 0 else []


class MixingOp(Op):
    """Base of the multi-image ops: the partner samples travel with the op."""

    kind: ClassVar[str] = "mixing"
    partners: tuple[Sample, ...]

    def record(self) -> dict:
        out = super().record()
        out["partners"] = [partner_key(p) for p in self.partners]
        return out


def partner_key(sample: Sample) -> str:
    return str(sample.meta.get("key", "?"))


def place(
    sample: Sample,
    matrix: np.ndarray,
    size: tuple[int, int],
    *,
    fill: Any,
    fill_mask: Any,
    interpolation: int,
    policy: Any,
) -> Sample:
    """``sample`` moved by ``matrix`` into a window of ``size`` (width, height): one warp."""
    warp = MatrixWarp(matrix, size)
    return apply_warp(
        sample,
        warp,
        interpolation=interpolation,
        fill=fill,
        fill_mask=mask_fill(fill_mask, sample),
        policy=policy,
    )


def fit_matrix(width: int, height: int, out_w: int, out_h: int, mode: str) -> np.ndarray:
    """Scale (and centre) a width x height image onto out_w x out_h.

    ``resize`` stretches; ``letterbox`` keeps the aspect and pads (centred).
    """
    if mode == "resize":
        return np.diag([out_w / width, out_h / height, 1.0])
    s = min(out_w / width, out_h / height)
    dx = round((out_w - width * s) / 2)
    dy = round((out_h - height * s) / 2)
    return np.array([[s, 0.0, dx], [0.0, s, dy], [0.0, 0.0, 1.0]])


def shift_instances(inst: Instances, dx: int, dy: int, width: int, height: int) -> Instances:
    """Labels of a window moved by the integer offset (dx, dy) onto a width x height canvas."""
    if len(inst) == 0:
        return inst
    offset = np.array([dx, dy], dtype=np.float64)
    polygons = [None if p is None else [np.asarray(r, np.float64) + offset for r in p] for p in inst.polygons]
    masks = [None if m is None else _embed_rle(m, dx, dy, width, height) for m in inst.masks]
    keypoints = None
    if inst.keypoints is not None:
        keypoints = inst.keypoints.copy()
        labelled = keypoints[:, :, 2] > 0
        keypoints[:, :, :2][labelled] += offset
    part_boxes = [
        None if b is None else np.asarray(b, np.float64) + np.tile(offset, 2) for b in inst.part_boxes
    ]
    box_sets = {name: [_shift_box(b, offset) for b in column] for name, column in inst.box_sets.items()}
    point_sets = {
        name: [_shift_points(p, offset) for p in column] for name, column in inst.point_sets.items()
    }
    return inst.replace(
        boxes=inst.boxes + np.tile(offset, 2),
        polygons=polygons,
        masks=masks,
        keypoints=keypoints,
        part_boxes=part_boxes,
        box_sets=box_sets,
        point_sets=point_sets,
    )


def _shift_box(box, offset: np.ndarray):
    """An attached box moved; one collapsed to nothing (it left its window) stays (0, 0, 0, 0)."""
    if box is None:
        return None
    box = np.asarray(box, np.float64)
    return box if box[2] <= box[0] or box[3] <= box[1] else box + np.tile(offset, 2)


def _shift_points(points, offset: np.ndarray):
    """Attached keypoints moved; unlabelled ones (v = 0) stay at (0, 0)."""
    if points is None:
        return None
    out = np.asarray(points, np.float64).copy()
    out[out[:, 2] > 0, :2] += offset
    return out


def _embed_rle(mask: dict, dx: int, dy: int, width: int, height: int) -> dict:
    piece = rle.decode(mask)
    canvas = np.zeros((height, width), dtype=np.uint8, order="F")
    h, w = piece.shape
    canvas[dy : dy + h, dx : dx + w] = piece
    return rle.encode(canvas)


def concat_instances(parts: Sequence[Instances]) -> Instances:
    """One Instances holding every row of ``parts`` in order; columns one part lacks are filled.

    Keypoints are padded to the widest J with unlabelled points; an extra
    column missing from a part holds None for its rows.
    """
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    joints = [p.keypoints.shape[1] for p in parts if p.keypoints is not None]
    keypoints = kp_count = None
    if joints:
        width = max(joints)
        keypoints = np.concatenate([_padded_keypoints(p, width) for p in parts])
        kp_count = np.concatenate(
            [p.kp_count if p.kp_count is not None else np.zeros(len(p), np.int64) for p in parts]
        )
    extra = _merged_columns([p.extra for p in parts], [len(p) for p in parts])
    return Instances(
        labels=np.concatenate([p.labels for p in parts]),
        boxes=np.concatenate([p.boxes for p in parts]),
        polygons=[x for p in parts for x in p.polygons],
        masks=[x for p in parts for x in p.masks],
        keypoints=keypoints,
        kp_count=kp_count,
        crowd=np.concatenate([p.crowd for p in parts]),
        visibility=np.concatenate([p.visibility for p in parts]),
        extra=extra,
        part_boxes=[x for p in parts for x in p.part_boxes],
        box_sets=_merged_columns([p.box_sets for p in parts], [len(p) for p in parts]),
        point_sets=_merged_columns([p.point_sets for p in parts], [len(p) for p in parts]),
    )


def _merged_columns(columns: list[dict], sizes: list[int]) -> dict[str, list]:
    """Named per-instance columns of several parts joined; None where a part lacks one."""
    names = dict.fromkeys(n for c in columns for n in c)
    return {name: [v for c, n in zip(columns, sizes) for v in c.get(name, [None] * n)] for name in names}


def _padded_keypoints(inst: Instances, width: int) -> np.ndarray:
    out = np.zeros((len(inst), width, 3))
    if inst.keypoints is not None:
        out[:, : inst.keypoints.shape[1]] = inst.keypoints
    return out


def blend(a: np.ndarray, b: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """``alpha * a + (1 - alpha) * b`` rounded back to a's dtype; alpha may be (H, W)."""
    alpha = np.asarray(alpha, dtype=np.float32)
    if alpha.ndim == 2 and a.ndim == 3:
        alpha = alpha[:, :, None]
    base = b.astype(np.float32)
    mixed = base + (a.astype(np.float32) - base) * alpha
    info = np.iinfo(a.dtype)
    return np.clip(np.rint(mixed), info.min, info.max).astype(a.dtype)


def like_image(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``image`` in the channel layout and dtype of ``like`` (a dataset may mix grey and colour)."""
    if image.dtype != like.dtype:
        scale = (np.iinfo(like.dtype).max + 1) / (np.iinfo(image.dtype).max + 1)
        image = np.clip(np.rint(image.astype(np.float64) * scale), 0, np.iinfo(like.dtype).max)
        image = image.astype(like.dtype)
    channels, have = (like.shape[2] if like.ndim == 3 else 0), (image.shape[2] if image.ndim == 3 else 0)
    if channels == have:
        return image
    if have == 0:
        return np.repeat(image[:, :, None], channels, axis=2)
    if channels == 0:
        return image[:, :, 0]
    if have > channels:
        return image[:, :, :channels]
    opaque = np.full(image.shape[:2] + (channels - have,), np.iinfo(like.dtype).max, like.dtype)
    base = image if have >= 3 else np.repeat(image[:, :, :1], 3, axis=2)
    return np.concatenate([base, opaque], axis=2)[:, :, :channels]
