"""Exact pixel permutations: flips, 90-degree rotations, transpose.

Each maps the canvas onto itself (or its transpose) without resampling
error, so with any interpolation the pixels land exactly on pixel cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import MatrixOp

_EXACT = "Pixels are permuted exactly; no resampling parameters."


@dataclass(frozen=True, kw_only=True)
class HorizontalFlipOp(MatrixOp):
    name: ClassVar[str] = "HorizontalFlip"

    def matrix(self, width: int, height: int):
        return np.array([[-1.0, 0.0, width], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), (width, height)


@dataclass(frozen=True, kw_only=True)
class VerticalFlipOp(MatrixOp):
    name: ClassVar[str] = "VerticalFlip"

    def matrix(self, width: int, height: int):
        return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, height], [0.0, 0.0, 1.0]]), (width, height)


@dataclass(frozen=True, kw_only=True)
class TransposeOp(MatrixOp):
    name: ClassVar[str] = "Transpose"

    def matrix(self, width: int, height: int):
        return np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), (height, width)


@dataclass(frozen=True, kw_only=True)
class Rotate90Op(MatrixOp):
    """Rotate ``k`` quarter turns counter-clockwise as seen on screen (like ``np.rot90``)."""

    name: ClassVar[str] = "RandomRotate90"
    k: int

    def matrix(self, width: int, height: int):
        k = self.k % 4
        if k == 0:
            return np.eye(3), (width, height)
        if k == 1:  # (x, y) -> (y, W - x)
            return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]]), (height, width)
        if k == 2:  # (x, y) -> (W - x, H - y)
            return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]]), (width, height)
        # k == 3: (x, y) -> (H - y, x)
        return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), (height, width)


@register
class HorizontalFlip(Transform):
    """Mirror the image left to right; left/right keypoints swap names."""

    kind = "geometric"
    default_p = 0.5
    example = "- HorizontalFlip: {p: 0.5}"
    deviations = _EXACT

    def make_op(self, rng, ctx):
        return HorizontalFlipOp()


@register
class VerticalFlip(Transform):
    """Mirror the image top to bottom; left/right keypoints swap names."""

    kind = "geometric"
    default_p = 0.5
    example = "- VerticalFlip: {p: 0.5}"
    deviations = _EXACT

    def make_op(self, rng, ctx):
        return VerticalFlipOp()


@register
class Transpose(Transform):
    """Swap rows and columns (mirror about the main diagonal); left/right keypoints swap."""

    kind = "geometric"
    default_p = 0.5
    example = "- Transpose: {p: 0.5}"
    deviations = _EXACT

    def make_op(self, rng, ctx):
        return TransposeOp()


@register
class RandomRotate90(Transform):
    """Rotate by a random multiple of 90 degrees (0, 90, 180 or 270, counter-clockwise)."""

    kind = "geometric"
    default_p = 1.0
    example = "- RandomRotate90: {p: 1.0}"
    deviations = _EXACT + " As in Albumentations, k = 0 (no rotation) is one of the four outcomes."

    def make_op(self, rng, ctx):
        return Rotate90Op(k=int(rng.integers(0, 4)))


# D4 elements as Albumentations names them, each a composition of the exact moves above.
D4_ELEMENTS = ("e", "r90", "r180", "r270", "v", "hvt", "h", "t")


@dataclass(frozen=True, kw_only=True)
class D4Op(MatrixOp):
    """One symmetry of the square: a quarter turn, a mirror, or both."""

    name: ClassVar[str] = "D4"
    element: str

    def matrix(self, width: int, height: int):
        if self.element in ("e", "r90", "r180", "r270"):
            k = ("e", "r90", "r180", "r270").index(self.element)
            return Rotate90Op(k=k).matrix(width, height)
        if self.element == "h":
            return HorizontalFlipOp().matrix(width, height)
        if self.element == "v":
            return VerticalFlipOp().matrix(width, height)
        if self.element == "t":
            return TransposeOp().matrix(width, height)
        # 'hvt': the anti-diagonal mirror, a transpose followed by a half turn
        mat, size = TransposeOp().matrix(width, height)
        turn, size = Rotate90Op(k=2).matrix(*size)
        return turn @ mat, size


@register
class D4(Transform):
    """One of the 8 symmetries of a square (identity, 3 quarter turns, 4 mirrors), uniformly."""

    kind = "geometric"
    default_p = 1.0
    example = "- D4: {p: 1.0}"
    deviations = (
        _EXACT + " On a non-square image the quarter turns and diagonal mirrors "
        "swap width and height; labels follow. Mirrors swap left/right keypoints."
    )

    def make_op(self, rng, ctx):
        return D4Op(element=D4_ELEMENTS[int(rng.integers(0, len(D4_ELEMENTS)))])
