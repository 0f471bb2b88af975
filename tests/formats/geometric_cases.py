"""Every registered geometric transform, set up to fire on a 160 x 120 scene.

Shared by the format alignment tests (VOC, mask folders, YOLO): each draws
a transform from the registry with p = 1 and nearest interpolation, applies
it to a sample read from disk, writes the result with the format's writer
and reads it back, so the whole format path is checked, not only the warp.
"""

from __future__ import annotations

import numpy as np
import yaml
from label_raster import iou, rasterise  # noqa: F401  (re-exported for the format tests)

from augcli.geometry.warp import GridWarp
from augcli.transforms.base import REGISTRY, SampleContext
from augcli.transforms.catalog import load_all

W, H = 160, 120
SEEDS = (0, 1)
GEOMETRIC = sorted(name for name, cls in load_all().items() if cls.kind == "geometric")
# Sizes that fit the small scene (documented examples may assume bigger images).
FIT = {
    "RandomCrop": {"height": 90, "width": 120},
    "CenterCrop": {"height": 90, "width": 110},
    "RandomResizedCrop": {"size": [100, 130], "scale": [0.4, 1.0]},
    "RandomSizedBBoxSafeCrop": {"height": 100, "width": 130},
    "Resize": {"height": 150, "width": 130},
    "LongestMaxSize": {"max_size": 200},
    "SmallestMaxSize": {"max_size": 100},
    "PadIfNeeded": {"min_height": 150, "min_width": 190, "position": "random"},
    "Rotate": {"limit": [-40, 40]},
    "Affine": {"rotate": [-30, 30], "scale": [0.8, 1.2], "translate_percent": [-0.1, 0.1]},
    # policies (issue 13): their geometric ops only, as their colour ops repaint the scene
    "RandAugment": {"ops": ["ShearX", "ShearY", "Rotate"], "magnitude": 14},
    "TrivialAugmentWide": {"ops": ["ShearX", "ShearY", "Rotate"]},
    "AutoAugment": {"policy": "custom", "sub_policies": [[["Rotate", 1.0, 9], ["ShearY", 0.8, 6]]]},
    "DetectionAutoAugment": {
        "policy": "custom",
        "sub_policies": [[["Rotate_BBox", 1.0, 8]], [["ShearX_BBox", 1.0, 6]]],
        "fill": 0,
    },
    "AugMix": {"geometry": "shared", "ops": ["Posterize"]},
    "InsideBoxes": {"transform": {"Rotate": {"limit": [10, 20], "interpolation": 0}}, "p_per_box": 1.0},
    # The default strength folds the plate: every format's writer gets the raster path's labels.
    "ThinPlateSpline": {"scale_range": [0.2, 0.4]},
}


def config_for(name: str) -> dict:
    cls = REGISTRY[name]
    overrides = FIT.get(name)
    if overrides is None:
        overrides = dict(yaml.safe_load(cls.example)[0][name] or {})
    cfg = dict(overrides, p=1.0)
    if "interpolation" in {p.name for p in cls.all_params()}:
        cfg["interpolation"] = 0  # nearest keeps colours exact
    return cfg


def transformed(sample, name: str, seed: int):
    """(the sample after one draw of ``name``, the op's warp)."""
    transform = REGISTRY[name](**config_for(name))
    context = SampleContext(width=sample.width, height=sample.height, get_sample=lambda: sample)
    op = transform.sample(np.random.default_rng(seed), context)
    assert op is not None, f"{name} with p = 1 did not fire"
    return op.apply(sample), op.warp(sample.width, sample.height)


def max_zoom(warp) -> float:
    """Largest local magnification (output pixels per input pixel) on the output canvas."""
    width, height = warp.out_size
    if isinstance(warp, GridWarp):
        sx, sy = np.asarray(warp.map_x, float), np.asarray(warp.map_y, float)
    else:
        ys, xs = np.mgrid[0:height, 0:width] + 0.5
        src = np.stack([xs, ys, np.ones_like(xs)], -1) @ np.linalg.inv(warp.matrix).T
        sx, sy = src[..., 0] / src[..., 2], src[..., 1] / src[..., 2]
    (a, b), (c, d) = np.gradient(sx), np.gradient(sy)
    sq = a * a + b * b + c * c + d * d
    det = np.abs(a * d - b * c)
    sigma_min = np.sqrt(np.maximum(sq / 2 - np.sqrt(np.maximum(sq * sq / 4 - det * det, 0)), 1e-12))
    return float(min(1.0 / sigma_min.min(), 50.0))


def pixel_bounds(pixels: np.ndarray) -> np.ndarray | None:
    """Continuous xyxy bounds of the True pixels, or None."""
    if not pixels.any():
        return None
    ys, xs = np.nonzero(pixels)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


def assert_box_holds(box: np.ndarray, pixels: np.ndarray, slack: float, what: str) -> None:
    bounds = pixel_bounds(pixels)
    if bounds is None:
        return
    assert (box[:2] <= bounds[:2] + slack).all() and (box[2:] >= bounds[2:] - slack).all(), (
        f"{what}: box {box} does not hold its pixels {bounds} (slack {slack:.2f})"
    )


def is_grid(warp) -> bool:
    return isinstance(warp, GridWarp)
