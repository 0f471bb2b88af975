"""Folds: detection from the inverse map, the raster path, the keypoint rule.

A hand-made 1-D fold makes the truth easy to state: along x the grid samples
``g(x)`` that rises, falls back over a stretch, and rises again, so input
columns in the folded stretch appear three times (upright, mirrored,
upright). Rows are untouched.
"""

from __future__ import annotations

import numpy as np
import pytest
from label_raster import rasterise

from augcli.core.sample import Instances, Sample
from augcli.geometry import apply as apply_module
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp
from augcli.geometry.fold_raster import RASTER_PATH
from augcli.geometry.folds import find_folds, pick_copy, point_copies, reversed_cells
from augcli.geometry.polygons import polygon_to_mask
from augcli.geometry.tracing import mask_to_rings
from augcli.geometry.warp import GridWarp
from augcli.transforms.base import REGISTRY, SampleContext
from augcli.transforms.catalog import load_all

W, H = 120, 60


def fold_column(x: np.ndarray) -> np.ndarray:
    """Input x sampled at output x: up to 50, back to 30 at 70, then up again (slope 1)."""
    return np.where(x < 50, x, np.where(x < 70, 50 - (x - 50), 30 + (x - 70)))


def folding_warp() -> GridWarp:
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    return GridWarp(fold_column(xs).astype(np.float32), ys.astype(np.float32))


def painted(instances: Instances, meta: dict | None = None) -> Sample:
    return Sample(image=np.zeros((H, W), np.uint8), instances=instances, meta=dict(meta or {}))


def square(x0, y0, x1, y1) -> list:
    return [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)]


def test_reversed_cells_are_exactly_the_backward_stretch():
    warp = folding_warp()
    negative, _ = reversed_cells(warp.map_x, warp.map_y)
    columns = np.flatnonzero(negative.any(axis=0))
    # cell j spans output centres j + 0.5 .. j + 1.5: cells 49 and 69 hold the creases (flat),
    # cells 50..68 fall
    assert columns.tolist() == list(range(50, 69))
    folds = find_folds(warp)
    assert folds is not None
    assert folds.sources[0, 0] <= 30 and folds.sources[0, 2] >= 50  # the folded input columns


def test_warps_that_do_not_fold_are_left_alone():
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    wavy = GridWarp((xs + 3 * np.sin(xs / 9)).astype(np.float32), ys.astype(np.float32))
    mirror = GridWarp((W - xs).astype(np.float32), ys.astype(np.float32), mirrors=True)
    assert find_folds(wavy) is None and find_folds(mirror) is None


GEOMETRIC = sorted(name for name, cls in load_all().items() if cls.kind == "geometric")


@pytest.mark.parametrize("name", GEOMETRIC)
def test_documented_examples_of_grid_warps_do_not_fold(name):
    """The catalogue's examples are mild settings: they keep the vector path untouched."""
    import yaml

    cls = REGISTRY[name]
    cfg = dict(yaml.safe_load(cls.example)[0][name] or {}, p=1.0)
    context = SampleContext(width=160, height=120, get_sample=lambda: painted(Instances.empty()))
    for seed in range(3):
        op = cls(**cfg).sample(np.random.default_rng(seed), context)
        if op is None or not hasattr(op, "warp"):
            return
        assert find_folds(op.warp(160, 120)) is None, f"{name} example folds (seed {seed})"


def test_without_a_fold_apply_warp_is_the_vector_path_bit_for_bit(monkeypatch):
    """A warp without folds gives byte-equal labels whether fold detection runs or not."""
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    wavy = GridWarp((xs + 3 * np.sin(xs / 9)).astype(np.float32), (ys + np.cos(xs / 7)).astype(np.float32))
    keypoints = np.zeros((2, 1, 3))
    keypoints[0, 0] = (30.5, 20.5, 2)
    inst = Instances(
        labels=[1, 2],
        boxes=[[10, 10, 40, 40], [60, 5, 100, 50]],
        polygons=[square(10, 10, 40, 40), None],
        masks=[None, None],
        keypoints=keypoints,
    )
    sample = painted(inst, {"polygon_holes": "rle"})
    checked = apply_warp(sample, wavy)
    monkeypatch.setattr(apply_module, "find_folds", lambda warp: None)
    plain = apply_warp(sample, wavy)
    assert RASTER_PATH not in checked.meta
    np.testing.assert_array_equal(checked.instances.boxes, plain.instances.boxes)
    np.testing.assert_array_equal(checked.instances.keypoints, plain.instances.keypoints)
    for a, b in zip(checked.instances.polygons[0], plain.instances.polygons[0]):
        np.testing.assert_array_equal(a, b)


def folded_sample(meta: dict | None = None) -> Sample:
    """A polygon on the fold, a box on the fold, a polygon far from it; a keypoint on the fold."""
    keypoints = np.zeros((3, 1, 3))
    keypoints[1, 0] = (40.5, 30.5, 2)  # input column 40 shows at output 40.5, 59.5 and 80.5
    inst = Instances(
        labels=[1, 2, 3],
        boxes=[[36, 10, 44, 20], [34, 25, 46, 35], [5, 40, 20, 55]],
        polygons=[square(36, 10, 44, 20), None, square(5, 40, 20, 55)],
        masks=[None, None, None],
        keypoints=keypoints,
    )
    return painted(inst, meta)


def test_a_polygon_on_a_fold_becomes_its_warped_raster():
    out = apply_warp(folded_sample(), folding_warp())
    assert out.meta[RASTER_PATH] == 2  # the folded polygon and the folded box
    inst = out.instances
    # input columns 36..43 show at output 36..43 (upright), 56..63 (mirrored), 76..83 (upright)
    expected = np.zeros((H, W), bool)
    for c0 in (36, 56, 76):
        expected[10:20, c0 : c0 + 8] = True
    assert len(inst.polygons[0]) == 3  # one ring per copy
    assert np.array_equal(rasterise(inst.polygons[0], H, W), expected)
    assert np.array_equal(polygon_to_mask(inst.polygons[0], H, W), expected)
    np.testing.assert_array_equal(inst.boxes[0], [36, 10, 84, 20])  # from the mask
    np.testing.assert_array_equal(inst.boxes[1], [34, 25, 86, 35])  # box-only, from its raster
    assert inst.polygons[1] is None and inst.masks[1] is None  # stays box-only
    np.testing.assert_allclose(inst.boxes[2], [5, 40, 20, 55], atol=1e-3)  # vector path


def test_writers_that_store_rle_get_the_mask_itself():
    out = apply_warp(folded_sample({"polygon_holes": "rle"}), folding_warp())
    inst = out.instances
    assert inst.polygons[0] is None
    mask = rle.decode(inst.masks[0])
    assert mask.sum() == 3 * 8 * 10 and inst.polygons[2]  # the far polygon stays a polygon


def test_a_keypoint_on_a_fold_takes_the_top_most_upright_copy():
    warp = folding_warp()
    folds = find_folds(warp)
    roots, upright = point_copies(warp, folds, np.array([40.5, 30.5]))
    np.testing.assert_allclose(roots[:, 0], [40.5, 59.5, 80.5], atol=1e-2)
    assert upright.tolist() == [True, False, True]
    np.testing.assert_allclose(pick_copy(roots, upright), [40.5, 30.5], atol=1e-2)
    out = apply_warp(folded_sample(), warp)
    np.testing.assert_allclose(out.instances.keypoints[1, 0], [40.5, 30.5, 2], atol=1e-2)


def test_the_rule_prefers_upright_copies_then_the_top_most():
    roots = np.array([[50.0, 5.0], [10.0, 20.0], [5.0, 20.0]])
    assert pick_copy(roots, np.array([False, True, True])).tolist() == [10.0, 20.0]
    assert pick_copy(roots, np.array([False, False, False])).tolist() == [50.0, 5.0]
    assert pick_copy(np.empty((0, 2)), np.empty(0, bool)) is None


def test_tracing_gives_back_the_mask_holes_included():
    rng = np.random.default_rng(0)
    for _ in range(50):
        mask = rng.random((24, 31)) < rng.uniform(0.1, 0.9)
        rings = mask_to_rings(mask)
        assert np.array_equal(rasterise(rings, 24, 31), mask)
        assert np.array_equal(polygon_to_mask(rings, 24, 31), mask)
    ring = np.zeros((9, 9), bool)
    ring[1:8, 1:8], ring[3:6, 3:6] = True, False
    assert np.array_equal(rasterise(mask_to_rings(ring), 9, 9), ring)


def test_part_boxes_on_a_fold_hold_every_copy():
    sample = folded_sample()
    parts = [None, np.array([[36.0, 26.0, 40.0, 30.0], [5.0, 26.0, 9.0, 30.0]]), None]
    sample = sample.replace(instances=sample.instances.replace(part_boxes=parts))
    out = apply_warp(sample, folding_warp())
    folded, plain = out.instances.part_boxes[1]
    # input columns 36..39 show at 36..39, 60..63 (mirrored) and 76..79
    np.testing.assert_array_equal(folded, [36, 26, 80, 30])
    np.testing.assert_allclose(plain, [5, 26, 9, 30], atol=1e-3)  # off the fold: the vector path


@pytest.mark.parametrize("normalized", [True, False])
def test_grid_distortion_that_skips_the_check_really_cannot_fold(normalized):
    cls = REGISTRY["GridDistortion"]
    context = SampleContext(width=160, height=120, get_sample=lambda: painted(Instances.empty()))
    transform = cls(num_steps=7, distort_limit=[-1.0, 1.0], normalized=normalized, p=1.0)
    for seed in range(20):
        warp = transform.sample(np.random.default_rng(seed), context).warp(160, 120)
        assert not warp.may_fold
        assert not reversed_cells(warp.map_x, warp.map_y)[0].any()


def test_box_and_point_sets_on_a_fold_follow_the_same_rules():
    sample = folded_sample()
    face = [None, np.array([36.0, 26.0, 40.0, 30.0]), np.array([5.0, 40.0, 9.0, 44.0])]
    hand = [None, np.array([[40.5, 30.5, 2.0], [10.5, 45.5, 1.0]]), None]
    inst = sample.instances.replace(box_sets={"face": face}, point_sets={"hand": hand})
    out = apply_warp(sample.replace(instances=inst), folding_warp()).instances
    np.testing.assert_array_equal(out.box_sets["face"][1], [36, 26, 80, 30])
    np.testing.assert_allclose(out.box_sets["face"][2], [5, 40, 9, 44], atol=1e-3)
    np.testing.assert_allclose(out.point_sets["hand"][1], [[40.5, 30.5, 2], [10.5, 45.5, 1]], atol=1e-2)


def test_the_rule_overrides_the_copy_the_inverse_would_find():
    """Rows fold: input row y shows at y - 20 (upright), 80 - y (mirrored) and y + 20 (off the
    canvas). Newton's method from its usual start finds the copy off the canvas; the rule
    keeps the point, on the upright copy."""
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    rows = np.where(ys < 30, ys + 20, np.where(ys < 50, 50 - (ys - 30), 30 + (ys - 50)))
    warp = GridWarp(xs.astype(np.float32), rows.astype(np.float32))
    keypoints = np.zeros((1, 1, 3))
    keypoints[0, 0] = (30.5, 45.0, 2)
    inst = Instances(labels=[1], boxes=[[20, 40, 40, 50]], polygons=[None], masks=[None], keypoints=keypoints)
    out = apply_warp(painted(inst), warp)
    np.testing.assert_allclose(out.instances.keypoints[0, 0], [30.5, 25.0, 2], atol=1e-2)
    roots, upright = point_copies(warp, find_folds(warp), np.array([30.5, 45.0]))
    np.testing.assert_allclose(roots[:, 1], [25.0, 35.0], atol=1e-2)
    assert upright.tolist() == [True, False]
