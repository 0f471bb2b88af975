"""Small contexts and op makers for the geometric-op tests (a 160 x 120 canvas)."""

from __future__ import annotations

import numpy as np

from augcli.core.sample import Instances, Sample
from augcli.transforms.base import REGISTRY, SampleContext
from augcli.transforms.catalog import load_all

load_all()  # registers every transform

W, H = 160, 120


def ctx(width: int = W, height: int = H, boxes=None) -> SampleContext:
    boxes = np.zeros((0, 4)) if boxes is None else np.asarray(boxes, float)
    sample = Sample(
        image=np.zeros((height, width, 3), np.uint8),
        instances=Instances(labels=np.zeros(len(boxes), np.int64), boxes=boxes),
    )
    return SampleContext(width=width, height=height, get_sample=lambda: sample)


def make(name: str, **cfg):
    return REGISTRY[name](**cfg)


def op_of(name: str, seed: int = 0, context: SampleContext | None = None, **cfg):
    return make(name, **cfg).make_op(np.random.default_rng(seed), context or ctx())


def warp_of(name: str, seed: int = 0, **cfg):
    return op_of(name, seed, ctx(), **cfg).warp(W, H)


def apply_h(mat: np.ndarray, pts: np.ndarray) -> np.ndarray:
    out = np.c_[pts, np.ones(len(pts))] @ mat.T
    return out[:, :2] / out[:, 2:]


def centres_of(shape) -> np.ndarray:
    """Pixel centres in row-major order (matches ``arange(...).reshape(shape)``)."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    return np.c_[xs.ravel() + 0.5, ys.ravel() + 0.5]
