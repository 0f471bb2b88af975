"""Tiny test-only transforms, registered as ``_Test*`` for the duration of a test.

They exercise the recipe machinery without depending on the real catalogue:
matrix warps of each flavour, a grid warp, a pixel op, a transform that
looks at the labels, and one with a cross-parameter check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.sample import Instances, Sample
from augcli.geometry.warp import GridWarp, MatrixWarp, rotation_about, scaling, translation
from augcli.transforms.base import REGISTRY, GeometricOp, Op, PixelOp, Transform
from augcli.transforms.params import Param, ParamError


@dataclass(frozen=True)
class MatrixTestOp(GeometricOp):
    """A fixed matrix given as a function of the canvas it meets."""

    name: ClassVar[str] = "_TestMatrix"
    kind_of: str
    amount: float
    interpolation: int = 1

    def warp(self, width: int, height: int) -> MatrixWarp:
        a = self.amount
        if self.kind_of == "shift":
            return MatrixWarp(translation(a, -a / 2), (width, height))
        if self.kind_of == "flip":
            return MatrixWarp(np.array([[-1.0, 0, width], [0, 1, 0], [0, 0, 1]]), (width, height))
        if self.kind_of == "scale":
            out = (max(1, round(width * a)), max(1, round(height * a)))
            return MatrixWarp(scaling(out[0] / width, out[1] / height), out)
        if self.kind_of == "rotate":
            return MatrixWarp(rotation_about(a, width / 2, height / 2), (width, height))
        if self.kind_of == "crop":  # keep the central fraction ``a`` of the canvas
            w, h = max(1, round(width * a)), max(1, round(height * a))
            x0, y0 = (width - w) // 2, (height - h) // 2
            return MatrixWarp(translation(-x0, -y0), (w, h))
        if self.kind_of == "pad":  # ``a`` pixels of border on every side
            pad = round(a)
            return MatrixWarp(translation(pad, pad), (width + 2 * pad, height + 2 * pad))
        if self.kind_of == "perspective":
            m = np.array([[1.0, 0.02 * a, 0.0], [0.01 * a, 1.0, 0.0], [1e-4 * a, 0.0, 1.0]])
            return MatrixWarp(m, (width, height))
        raise AssertionError(self.kind_of)


class _MatrixFake(Transform):
    kind = "geometric"
    kind_of: ClassVar[str] = ""

    def make_op(self, rng, ctx):
        lo, hi = self.amount
        return MatrixTestOp(
            kind_of=self.kind_of, amount=float(rng.uniform(lo, hi)), interpolation=self.interpolation
        )


def _matrix_params(low: float, high: float) -> tuple:
    return (
        Param("amount", "range", (low, high), "how much"),
        Param("interpolation", "int", 1, "cv2 flag", low=0, high=4),
    )


class FakeShift(_MatrixFake):
    """Translate."""

    name, kind_of, params = "_TestShift", "shift", _matrix_params(2.0, 6.0)


class FakeFlip(_MatrixFake):
    """Mirror left to right."""

    name, kind_of, params = "_TestFlip", "flip", _matrix_params(0.0, 0.0)


class FakeScale(_MatrixFake):
    """Resize the whole canvas."""

    name, kind_of, params = "_TestScale", "scale", _matrix_params(0.5, 1.5)


class FakeRotate(_MatrixFake):
    """Rotate about the centre."""

    name, kind_of, params = "_TestRotate", "rotate", _matrix_params(-20.0, 20.0)


class FakeCrop(_MatrixFake):
    """Keep a central part of the canvas."""

    name, kind_of, params = "_TestCrop", "crop", _matrix_params(0.6, 0.9)


class FakePad(_MatrixFake):
    """Add a border on every side."""

    name, kind_of, params = "_TestPad", "pad", _matrix_params(8.0, 8.0)


class FakePerspective(_MatrixFake):
    """Mild perspective."""

    name, kind_of, params = "_TestPerspective", "perspective", _matrix_params(0.5, 1.0)


def _shift_grid(x: np.ndarray) -> np.ndarray:
    return x + np.array([1.5, 0.0])


@dataclass(frozen=True)
class GridTestOp(GeometricOp):
    """Shift right by 1.5 px, declared as a dense grid (a non-matrix warp)."""

    name: ClassVar[str] = "_TestGrid"

    def warp(self, width: int, height: int) -> GridWarp:
        xs, ys = np.meshgrid(np.arange(width) + 0.5 - 1.5, np.arange(height) + 0.5)
        return GridWarp(xs.astype(np.float32), ys.astype(np.float32), point_map=_shift_grid)


class FakeGrid(Transform):
    """Shift by a grid warp."""

    name = "_TestGrid"
    kind = "geometric"

    def make_op(self, rng, ctx):
        return GridTestOp()


@dataclass(frozen=True)
class PaintOp(PixelOp):
    name: ClassVar[str] = "_TestPaint"
    value: int
    seen_size: tuple

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        return np.clip(image.astype(np.int64) + self.value, 0, 255).astype(image.dtype)


class FakePaint(Transform):
    """Brighten by a value; records the canvas size it was sampled on."""

    name = "_TestPaint"
    kind = "pixel"
    params = (Param("value", "int_range", (1, 20), "added to every pixel", low=0, high=255),)

    def make_op(self, rng, ctx):
        lo, hi = self.value
        return PaintOp(value=int(rng.integers(lo, hi + 1)), seen_size=(ctx.width, ctx.height))


@dataclass(frozen=True)
class NoteOp(Op):
    """Changes nothing; records what the transform saw."""

    name: ClassVar[str] = "_TestLabels"
    count: int
    first_box: tuple
    size: tuple

    def apply(self, sample, policy=None):
        return sample


class FakeLabels(Transform):
    """Looks at the current labels while drawing (needs_labels)."""

    name = "_TestLabels"
    kind = "dropout"
    needs_labels = True

    def make_op(self, rng, ctx):
        sample = ctx.sample()
        first = tuple(sample.instances.boxes[0].round(6)) if len(sample.instances) else ()
        return NoteOp(count=len(sample.instances), first_box=first, size=(sample.width, sample.height))


class FakeChecked(Transform):
    """A transform with a cross-parameter check (low < high)."""

    name = "_TestChecked"
    kind = "pixel"
    params = (Param("low", "float", 0.0, "lower", low=0.0), Param("high", "float", 1.0, "upper"))

    def check(self) -> None:
        if self.low >= self.high:
            raise ParamError(f"high must be greater than low ({self.low})", "high")

    def make_op(self, rng, ctx):
        return PaintOp(value=0, seen_size=(ctx.width, ctx.height))


class FakeBoxesOnly(FakePaint):
    """Handles only the image and boxes."""

    name = "_TestBoxesOnly"
    targets = ("image", "boxes")


FAKES: list[type[Transform]] = [
    FakeShift,
    FakeFlip,
    FakeScale,
    FakeRotate,
    FakeCrop,
    FakePad,
    FakePerspective,
    FakeGrid,
    FakePaint,
    FakeLabels,
    FakeChecked,
    FakeBoxesOnly,
]


def register_fakes() -> None:
    for cls in FAKES:
        REGISTRY[cls.name] = cls


def unregister_fakes() -> None:
    for cls in FAKES:
        if REGISTRY.get(cls.name) is cls:
            del REGISTRY[cls.name]


def square_sample(size: int = 64, channels: int = 3) -> Sample:
    """A gradient image with two square instances that have polygons and keypoints."""
    ys, xs = np.mgrid[0:size, 0:size]
    image = np.stack([(xs * 3) % 256, (ys * 3) % 256, ((xs + ys) * 2) % 256], axis=-1)
    image = image[..., :channels].astype(np.uint8)
    rings = [
        np.array([[20.0, 20], [36, 20], [36, 36], [20, 36]]),
        np.array([[30.0, 10], [44, 12], [42, 26], [28, 24]]),
    ]
    kps = np.array([[[24.0, 24, 2], [32, 30, 2]], [[34.0, 14, 2], [40, 20, 1]]])
    inst = Instances(
        labels=np.array([1, 1]),
        boxes=np.array([[20.0, 20, 36, 36], [28, 10, 44, 26]]),
        polygons=[[rings[0]], [rings[1]]],
        keypoints=kps,
    )
    return Sample(image=image, instances=inst, meta={"key": "square"})


def plain(value: Any) -> Any:
    """Records compare as plain data."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
