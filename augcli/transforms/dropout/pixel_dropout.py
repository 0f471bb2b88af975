"""PixelDropout: drop single pixels (or single channel values) at random.

A pixel counts as covered for the labels when every colour channel of it was
dropped: with ``per_channel`` a pixel that keeps one channel still shows the
object. The drop pattern is regenerated from the op's seed, so the op stays
small and replays exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.errors import TransformError
from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.occlusion import apply_occlusion
from augcli.transforms.base import Op, SampleContext, Transform, register
from augcli.transforms.dropout.fill import check_class, check_fill, fill_semantic
from augcli.transforms.dropout.holes import LABELS_NOTE
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import draw_seed, max_value, num_channels, split_alpha


@dataclass(frozen=True)
class PixelDropoutOp(Op):
    kind: ClassVar[str] = "dropout"
    name: ClassVar[str] = "PixelDropout"
    dropout_prob: float
    per_channel: bool
    drop_value: Any  # number, per-channel tuple, or None: one random value from the seed
    mask_drop_value: int | None
    seed: int

    def dropped(self, image: np.ndarray) -> np.ndarray:
        """Boolean (H, W) or, per channel, (H, W, colour channels) map of dropped values."""
        colours = num_channels(split_alpha(image)[0])
        shape = image.shape[:2] + ((colours,) if self.per_channel and image.ndim == 3 else ())
        return np.random.default_rng(self.seed).random(shape, dtype=np.float32) < self.dropout_prob

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        image = sample.image
        dropped = self.dropped(image)
        covered = np.asarray(dropped.all(axis=2)) if dropped.ndim == 3 else dropped
        out = image.copy()
        colours = num_channels(split_alpha(image)[0])
        value = self._value(image)
        if image.ndim == 2:
            out[dropped] = value[0].astype(image.dtype)
        else:
            if len(value) not in (1, colours):
                raise TransformError(f"drop_value has {len(value)} values for {colours} colour channels")
            plane = np.broadcast_to(value.astype(image.dtype), (colours,))
            if dropped.ndim == 3:
                for c in range(colours):
                    out[..., c][dropped[..., c]] = plane[c]
            else:
                out[..., :colours][dropped] = plane
        semantic = fill_semantic(sample.semantic, covered, self.mask_drop_value)
        return apply_occlusion(sample.replace(image=out, semantic=semantic), covered, policy)

    def _value(self, image: np.ndarray) -> np.ndarray:
        maxv = max_value(image)
        if self.drop_value is None:
            # a stream of its own, so the random value does not shift the drop pattern
            return np.random.default_rng([self.seed, 1]).integers(0, maxv + 1, size=1).astype(np.float64)
        return np.clip(np.rint(np.asarray(self.drop_value, dtype=np.float64).reshape(-1)), 0, maxv)


@register
class PixelDropout(Transform):
    """Drop random pixels; labels lose the dropped pixels like any other occlusion."""

    kind = "dropout"
    params = (
        Param("dropout_prob", "float", 0.01, "probability of dropping each pixel", low=0.0, high=1.0),
        Param("per_channel", "bool", False, "draw the drop pattern for each colour channel on its own"),
        Param(
            "drop_value",
            "any",
            0,
            "value of the dropped pixels: a number, one number per colour channel, or null for one "
            "random value per application",
            nullable=True,
            shape="number or [numbers per channel]",
        ),
        Param(
            "mask_drop_value",
            "any",
            None,
            "class written into the semantic map at dropped pixels; null leaves the map as it is",
            nullable=True,
            shape="int",
        ),
    )
    default_p = 0.5
    example = "- PixelDropout: {dropout_prob: 0.02, per_channel: false, drop_value: 0, p: 0.5}"
    deviations = LABELS_NOTE + (
        " A pixel is covered for the labels only when all its colour channels "
        "were dropped; alpha is never dropped; mask_drop_value is one semantic "
        "class."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    drop_value: Any
    mask_drop_value: int | None

    def check(self) -> None:
        if self.drop_value is not None:
            self.drop_value = check_fill(self.drop_value, "drop_value", modes=())
        self.mask_drop_value = check_class(self.mask_drop_value, "mask_drop_value")
        self.cfg["drop_value"], self.cfg["mask_drop_value"] = self.drop_value, self.mask_drop_value

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        return PixelDropoutOp(
            dropout_prob=self.dropout_prob,
            per_channel=self.per_channel,
            drop_value=self.drop_value,
            mask_drop_value=self.mask_drop_value,
            seed=draw_seed(rng),
        )
