"""Pixels and labels still agree after every geometric transform.

Each object of a synthetic scene is painted in its own colour: a two-part
polygon instance, an irregular RLE-mask instance, a box-only instance, and
a keypoint instance whose points are painted dots. After a transform (p = 1,
nearest interpolation, several seeds) the labels are compared with the
pixels of their colours: mask IoU, boxes containing their pixels, keypoints
at the centroids of their dots, and left/right keypoints swapped exactly
when the warp mirrors (the scene and its checker: ``alignment_checks``).

The test is parametrized over every registered transform of kind
'geometric', so a transform added later is covered without a new test; its
documented ``example`` is used unless ``STRONG`` gives bolder settings.

Warps that fold (``FOLDING``: ThinPlateSpline at its default and stronger,
ImageNet-C's elastic transform at severities 3-5, strong elastic and mesh
warps) show some objects twice. The same thresholds hold there: shapes are
compared with all the pixels of their colour, boxes of objects on a fold must
be exactly the box of their pixels, and keypoints are checked against the
copy the documented rule picks, found from a warped coordinate image
(``fold_checks``).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from alignment_checks import (
    POLYGON,
    RED,
    SEEDS,
    Checker,
    H,
    Run,
    W,
    colour_masks,
    moves,
    palette_index,
    run,
    scene,
)
from fold_checks import folded_pixels

from augcli.geometry.warp import GridWarp, MatrixWarp
from augcli.transforms.base import REGISTRY
from augcli.transforms.catalog import load_all

# Bolder settings than the documented examples, so objects really move and get cut.
STRONG = {
    "Rotate": {"limit": [-40, 40]},
    "Affine": {
        "rotate": [-30, 30],
        "scale": [0.8, 1.2],
        "translate_percent": [-0.1, 0.1],
        "shear": [-10, 10],
    },
    "ShiftScaleRotate": {"shift_limit": 0.1, "scale_limit": 0.2, "rotate_limit": 30},
    "Perspective": {"scale": [0.05, 0.12]},
    "RandomCrop": {"height": 90, "width": 120},
    "CenterCrop": {"height": 90, "width": 110},
    "RandomResizedCrop": {"size": [100, 130], "scale": [0.4, 1.0]},
    "RandomSizedBBoxSafeCrop": {"height": 100, "width": 130},
    "Resize": {"height": 150, "width": 130},
    "LongestMaxSize": {"max_size": 200},
    "SmallestMaxSize": {"max_size": 100},
    "PadIfNeeded": {"min_height": 150, "min_width": 190, "position": "random"},
    "ElasticTransform": {"alpha": 30, "sigma": 8},
    "GridDistortion": {"num_steps": 5, "distort_limit": 0.3},
    # --- geometric catalogue (issue 4) ---
    "SafeRotate": {"limit": [-45, 45]},
    "RandomScale": {"scale_limit": [-0.4, 0.6]},
    "OpticalDistortion": {"distort_limit": 0.3},
    "ThinPlateSpline": {"scale_range": [0.4, 0.6]},  # folds: the raster path
    "PiecewiseAffine": {"scale": [0.03, 0.05], "nb_rows": [3, 5], "nb_cols": [3, 5]},
    "GridElasticDeform": {"num_grid_xy": [4, 3], "magnitude": 8},
    "RandomGridShuffle": {"grid": [1, 4]},  # seams cut the polygon, the mask and the box
    "Crop": {"x_min": 20, "y_min": 10, "x_max": 150, "y_max": 115},
    "RandomCropFromBorders": {"crop_left": 0.3, "crop_right": 0.3, "crop_top": 0.3, "crop_bottom": 0.3},
    "BBoxSafeRandomCrop": {"erosion_rate": 0.2},
    "AtLeastOneBBoxRandomCrop": {"height": 70, "width": 90},
    "RandomCropNearBBox": {"max_part_shift": [0.6, 0.8]},
    "CropNonEmptyMaskIfExists": {"height": 70, "width": 90},
    "RandomZoomOut": {"side_range": [1.2, 2.5]},
    "CropAndPad": {"percent": [-0.2, 0.2]},
    "Pad": {"padding": [12, 7, 3, 20]},
    "LetterBox": {"size": [256, 224], "fill": 0},  # grey 114 reads as a colour here
    # --- policies (issue 13): their geometric ops only, as colour ops repaint the scene ---
    "RandAugment": {
        "num_ops": 2,
        "magnitude": 14,
        "ops": ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"],
    },
    # (TranslateY is left out: a whole-pixel shift that lays a polygon edge on the border
    # leaves a zero-width bridge in the clipped ring, which widens its tight box)
    "TrivialAugmentWide": {"ops": ["ShearX", "ShearY", "TranslateX", "Rotate"]},
    "AutoAugment": {
        "policy": "custom",
        "sub_policies": [
            [["Rotate", 1.0, 9], ["ShearX", 0.8, 6]],
            [["TranslateY", 1.0, 5], ["ShearY", 1.0, 8]],
        ],
    },
    "DetectionAutoAugment": {
        "policy": "custom",
        "sub_policies": [[["Rotate_BBox", 1.0, 8], ["TranslateX_BBox", 0.8, 1]], [["ShearY_BBox", 1.0, 6]]],
        "fill": 0,
    },
    "AugMix": {"geometry": "shared", "ops": ["Posterize"]},  # 3-4 bit posterize keeps the palette
}
# Warps that move content inside boxes only, not the canvas: test_policy_boxes.py checks them.
INSIDE_BOXES_ONLY = {"InsideBoxes"}
# Further settings worth covering: other output sizes and code paths. Strong zooms
# turn a half-pixel convention slip (pixel centres vs corners) into a whole-pixel one.
EXTRA = [
    ("Resize", {"height": 360, "width": 480}),
    ("Affine", {"scale": [2.0, 2.5], "rotate": [-20, 20]}),
    ("Rotate", {"limit": [20, 50], "crop_border": True}),
    ("Affine", {"rotate": [-30, 30], "scale": [0.7, 0.9], "fit_output": True}),
    ("Perspective", {"scale": [0.08, 0.12], "fit_output": True}),
    ("Perspective", {"scale": [0.08, 0.12], "keep_size": False}),
    ("RandomCrop", {"height": 150, "width": 140, "pad_if_needed": True, "pad_position": "random"}),
    ("OpticalDistortion", {"distort_limit": [-0.3, 0.3], "mode": "fisheye"}),
    ("CropAndPad", {"px": [-20, 20, [-10, 10], 15], "keep_size": False}),
    ("Crop", {"x_min": 100, "y_min": 60, "x_max": 200, "y_max": 150, "pad_if_needed": True}),
    ("LetterBox", {"size": [100, 300], "fill": 0, "center": False}),
    ("GridDistortion", {"num_steps": 4, "distort_limit": 0.4, "normalized": False}),
    ("ThinPlateSpline", {"scale_range": [0.05, 0.1]}),  # does not fold: the vector path
]
# Settings whose warps fold over themselves (the defaults of ThinPlateSpline among them).
FOLDING = [
    ("ThinPlateSpline", {}),
    ("ThinPlateSpline", {"scale_range": [0.4, 0.6]}),
    ("ThinPlateSpline", {"scale_range": [0.3, 0.4], "num_control_points": 6}),
    ("Corrupt", {"name": "elastic_transform", "severity": 3}),
    ("Corrupt", {"name": "elastic_transform", "severity": 4}),
    ("Corrupt", {"name": "elastic_transform", "severity": 5}),
    ("ElasticTransform", {"alpha": 100, "sigma": 6}),
    ("GridElasticDeform", {"num_grid_xy": [6, 4], "magnitude": 20}),
    ("PiecewiseAffine", {"scale": [0.08, 0.1]}),  # its exact point map is checked against the grid
]


def config_for(name: str, overrides: dict | None) -> dict:
    cls = REGISTRY[name]
    if overrides is None:
        overrides = STRONG.get(name)
    if overrides is None:
        item = yaml.safe_load(cls.example)[0]
        overrides = dict(item[name] or {})
    cfg = dict(overrides, p=1.0)
    if "interpolation" in {p.name for p in cls.all_params()}:
        cfg["interpolation"] = 0  # nearest keeps colours exact
    return cfg


GEOMETRIC = sorted(
    name for name, cls in load_all().items() if cls.kind == "geometric" and name not in INSIDE_BOXES_ONLY
)
CASES = [pytest.param(name, None, id=name) for name in GEOMETRIC] + [
    pytest.param(name, cfg, id=f"{name}-{'-'.join(cfg)}") for name, cfg in EXTRA
]


@pytest.mark.parametrize("name, overrides", CASES)
def test_labels_follow_pixels(name, overrides):
    cfg = config_for(name, overrides)
    checker = Checker()
    runs = [run(name, cfg, seed) for seed in SEEDS]
    assert any(moves(r.warp) for r in runs), f"{name} {cfg} never moved anything"
    for result in runs:
        checker.check(result)
    checker.assert_quality(grid=isinstance(runs[0].warp, GridWarp))
    if any(r.warp.mirrors for r in runs):
        assert checker.mirrored_points, "a mirroring warp never exercised the left/right swap"


def test_registry_has_the_geometric_catalogue():
    expected = {
        "HorizontalFlip",
        "VerticalFlip",
        "RandomRotate90",
        "Transpose",
        "Rotate",
        "Affine",
        "ShiftScaleRotate",
        "Perspective",
        "RandomCrop",
        "CenterCrop",
        "RandomResizedCrop",
        "RandomSizedBBoxSafeCrop",
        "Resize",
        "LongestMaxSize",
        "SmallestMaxSize",
        "PadIfNeeded",
        "ElasticTransform",
        "GridDistortion",
    }
    assert expected <= set(GEOMETRIC)


def test_scene_is_aligned_before_any_transform():
    """The checker itself: the untouched scene passes with perfect scores."""
    sample = scene()
    checker = Checker()
    checker.check(Run(None, MatrixWarp(np.eye(3), (W, H)), sample))
    assert checker.ious == [1.0, 1.0]
    assert checker.keypoint_errors == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_checker_catches_a_misaligned_label():
    """A label moved by 3 pixels without its pixels must fail the quality bar."""
    sample = scene()
    shifted = [r + [3.0, 0.0] for r in POLYGON]
    inst = sample.instances.replace(polygons=[shifted, None, None, None])
    checker = Checker()
    checker.check(Run(None, MatrixWarp(np.eye(3), (W, H)), sample.replace(instances=inst)))
    checker.keypoint_errors = [0.0]
    with pytest.raises(AssertionError):
        checker.assert_quality(grid=False)


@pytest.mark.parametrize("holes", ["keep", "rle"])
@pytest.mark.parametrize("name, overrides", [pytest.param(n, c, id=f"{n}-{c}") for n, c in FOLDING])
def test_labels_follow_pixels_on_folds(name, overrides, holes):
    """Folding warps meet the grid warps' bar; polygons on a fold become masks for RLE writers."""
    cfg = config_for(name, dict(overrides))
    checker = Checker()
    runs = [run(name, cfg, seed, meta={"polygon_holes": holes}) for seed in SEEDS]
    assert any(r.coords is not None for r in runs), f"{name} {cfg} never folded"
    assert sum(r.out.meta.get("raster_path", 0) for r in runs) > 0, "no instance took the raster path"
    for result in runs:
        checker.check(result)
    checker.assert_quality(grid=True)
    for result in runs:  # a polygon whose pixels lie on a fold is stored as the writer can
        labels = list(result.out.instances.labels)
        if result.coords is None or 1 not in labels:
            continue
        red = colour_masks(result.out.image) == palette_index(RED)
        if (red & folded_pixels(result.coords)).any():
            polygon = result.out.instances.polygons[labels.index(1)]
            assert (polygon is None) == (holes == "rle"), "a folded polygon in the wrong form"
