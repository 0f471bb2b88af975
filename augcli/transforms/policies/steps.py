"""The frozen steps a policy op runs, in order, and the op that runs them.

A policy's ``Transform.sample`` draws everything random (which sub-policy,
which ops fire, signs, cutout centres, which boxes) and returns a
``PolicyOp`` holding a tuple of steps with their final parameters: no step
draws anything. Steps:

- ``PixelStep``: a photometric op on the whole image; labels stay byte-equal;
- ``WarpStep``: shear, translate, rotate or flip as one 3x3 matrix through
  ``geometry.apply.apply_warp``, so every target moves;
- ``CutoutStep``: a filled square; labels unchanged, as in the references;
- ``BoxStep`` (``boxes.py``): one of the above inside each chosen box.

Instances are tagged with their row at the start of ``PolicyOp.apply`` so a
box step finds the boxes it drew for after earlier steps dropped some.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.apply import apply_warp
from augcli.geometry.warp import MatrixWarp, rotation_about, translation
from augcli.transforms.base import GeometricOp
from augcli.transforms.policies import imageops

ROW_TAG = "_policy_row"  # extra column present only while a PolicyOp runs


@dataclass(frozen=True)
class PixelStep:
    op: str
    value: float = 0.0
    tpu_mean: bool = False  # Contrast only: the reference's pixel-count/256 "mean"

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        if self.op == "Contrast":
            return imageops.contrast(image, self.value, self.tpu_mean)
        fn = _PIXEL[self.op]
        assert fn is not None
        return fn(image, self.value)

    def apply(self, sample: Sample, settings: dict, policy: LabelPolicy) -> Sample:
        return sample.replace(image=self.apply_image(sample.image))


_PIXEL: dict[str, Callable[[np.ndarray, float], np.ndarray] | None] = {
    "Identity": lambda image, value: image,
    "AutoContrast": lambda image, value: imageops.autocontrast(image),
    "Equalize": lambda image, value: imageops.equalize(image),
    "Invert": lambda image, value: imageops.invert(image),
    "Posterize": lambda image, value: imageops.posterize(image, int(value)),
    "Solarize": imageops.solarize,
    "SolarizeAdd": imageops.solarize_add,
    "Brightness": imageops.brightness,
    "Color": imageops.color,
    "Contrast": None,  # needs tpu_mean, see PixelStep.apply_image
    "Sharpness": imageops.sharpness,
}
PIXEL_OPS = tuple(_PIXEL)
WARP_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "FlipX")


@dataclass(frozen=True)
class WarpStep:
    """``value``: shear factor, shift in pixels, or degrees counter-clockwise."""

    op: str
    value: float = 0.0

    def matrix(self, width: float, height: float) -> np.ndarray:
        v = self.value
        if self.op in ("ShearX", "ShearY"):
            # about the centre of the top-left pixel, as torchvision (center=[0, 0]) and PIL
            shear = np.eye(3)
            shear[0 if self.op == "ShearX" else 1, 1 if self.op == "ShearX" else 0] = -v
            return translation(0.5, 0.5) @ shear @ translation(-0.5, -0.5)
        if self.op == "TranslateX":
            return translation(v, 0.0)
        if self.op == "TranslateY":
            return translation(0.0, v)
        if self.op == "Rotate":
            return rotation_about(v, width / 2.0, height / 2.0)
        if self.op == "FlipX":
            return np.array([[-1.0, 0.0, float(width)], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        raise AssertionError(self.op)

    def apply(self, sample: Sample, settings: dict, policy: LabelPolicy) -> Sample:
        warp = MatrixWarp(self.matrix(sample.width, sample.height), (sample.width, sample.height))
        return apply_warp(sample, warp, policy=policy, **settings)


@dataclass(frozen=True)
class CutoutStep:
    """Fill the pixel window ``rect`` = (x0, y0, x1, y1) with the op's fill."""

    op: ClassVar[str] = "Cutout"
    rect: tuple[int, int, int, int]

    def apply(self, sample: Sample, settings: dict, policy: LabelPolicy) -> Sample:
        return sample.replace(image=imageops.fill_rect(sample.image, self.rect, settings["fill"]))


def cutout_rect(cx: int, cy: int, pad: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The 2*pad square centred on pixel (cx, cy), clipped to the canvas."""
    return (max(0, cx - pad), max(0, cy - pad), min(width, cx + pad), min(height, cy + pad))


def step_record(step: Any) -> dict:
    """A step's parameters as plain JSON data (ops of the catalogue record themselves)."""
    if hasattr(step, "record"):
        return step.record()
    out = {"op": getattr(step, "op", type(step).__name__), **asdict(step)}
    if isinstance(step, PixelStep) and not step.tpu_mean:
        out.pop("tpu_mean")
    return _plain(out)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


@dataclass(frozen=True, kw_only=True)
class PolicyOp(GeometricOp):
    """Run a policy's steps in order; geometric ones move every label."""

    name: ClassVar[str] = "Policy"
    steps: tuple = ()
    interpolation: int = 0
    fill: Any = 0
    fill_mask: Any = None
    box: str | None = None  # overrides labels.box (compat: tpu uses corner boxes)

    def settings(self) -> dict:
        return {
            "interpolation": self.interpolation,
            "border_mode": 0,
            "fill": self.fill,
            "fill_mask": self.fill_mask,
        }

    def resampling(self) -> dict:
        return self.settings()

    def warp(self, width: int, height: int) -> MatrixWarp:
        """The net whole-image geometry of the steps (inside-box warps excluded)."""
        matrix = np.eye(3)
        for step in self.steps:
            if isinstance(step, WarpStep):
                matrix = step.matrix(width, height) @ matrix
        return MatrixWarp(matrix, (width, height))

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        if self.box is not None:
            policy = replace(policy, box=self.box)
        inst = sample.instances
        out = sample.replace(instances=inst.replace(extra={**inst.extra, ROW_TAG: list(range(len(inst)))}))
        settings = self.settings()
        for step in self.steps:
            out = step.apply(out, settings, policy)
        extra = dict(out.instances.extra)
        extra.pop(ROW_TAG, None)
        return out.replace(instances=out.instances.replace(extra=extra))

    def record(self) -> dict:
        out = {"op": self.name, "steps": [step_record(s) for s in self.steps]}
        out.update(_plain({k: v for k, v in self.settings().items() if k != "border_mode"}))
        if self.box is not None:
            out["box"] = self.box
        return out


def signed(rng: np.random.Generator, value: float) -> float:
    """``value`` with its sign flipped with probability 1/2 (always one draw)."""
    return -value if rng.random() < 0.5 else value
