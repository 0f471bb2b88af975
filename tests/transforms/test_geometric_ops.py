"""Geometric ops against hand-derived matrices and independent oracles: permutations,
crops, pads and resizes (rotations, affine and grid warps: ``test_geometric_warps``).

Exact permutations (flips, rot90, transpose) are checked against numpy's own
array operations: every pixel centre must land on the centre of the cell the
numpy result puts that pixel in; sampled parameters against their declared ranges.
"""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
from geometric_probes import H, W, apply_h, centres_of, ctx, make, op_of, warp_of
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.errors import TransformError
from augcli.geometry.warp import MatrixWarp
from augcli.transforms.base import REGISTRY
from augcli.transforms.catalog import load_all
from augcli.transforms.geometric.flips import Rotate90Op
from augcli.transforms.params import ParamError

load_all()  # registers every transform


def assert_permutation_matches(warp: MatrixWarp, numpy_result: np.ndarray) -> None:
    """Each input pixel centre maps to the centre of the cell numpy moved that pixel to."""
    ids = np.arange(H * W).reshape(H, W)
    expected = numpy_result(ids)
    assert warp.out_size == (expected.shape[1], expected.shape[0])
    where = np.empty((H * W, 2))
    rows, cols = np.mgrid[0 : expected.shape[0], 0 : expected.shape[1]]
    where[expected.ravel()] = np.c_[cols.ravel() + 0.5, rows.ravel() + 0.5]
    np.testing.assert_allclose(apply_h(warp.matrix, centres_of((H, W))), where, atol=1e-9)


# --- exact permutations -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, matrix, numpy_op",
    [
        ("HorizontalFlip", [[-1, 0, W], [0, 1, 0], [0, 0, 1]], np.fliplr),  # x -> W - x
        ("VerticalFlip", [[1, 0, 0], [0, -1, H], [0, 0, 1]], np.flipud),  # y -> H - y
        ("Transpose", [[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.transpose),  # (x, y) -> (y, x)
    ],
)
def test_mirrors_match_hand_matrix_and_numpy(name, matrix, numpy_op):
    warp = warp_of(name)
    np.testing.assert_array_equal(warp.matrix, matrix)
    assert warp.mirrors
    assert_permutation_matches(warp, numpy_op)


ROT90_ORACLES = {
    1: [[0, 1, 0], [-1, 0, W], [0, 0, 1]],  # (x, y) -> (y, W - x)
    2: [[-1, 0, W], [0, -1, H], [0, 0, 1]],  # (x, y) -> (W - x, H - y)
    3: [[0, -1, H], [1, 0, 0], [0, 0, 1]],  # (x, y) -> (H - y, x)
}


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rot90_matches_hand_matrix_and_numpy(k):
    warp = Rotate90Op(k=k).warp(W, H)
    np.testing.assert_array_equal(warp.matrix, ROT90_ORACLES[k])
    assert not warp.mirrors
    assert_permutation_matches(warp, lambda a: np.rot90(a, k))


def test_random_rotate90_draws_every_quarter_turn():
    ks = {op_of("RandomRotate90", seed).k for seed in range(40)}
    assert ks == {0, 1, 2, 3}


# --- crops, pads, resizes ---------------------------------------------------------------


def test_center_crop_is_a_translation_by_the_centred_offset():
    warp = warp_of("CenterCrop", height=50, width=100)
    # offsets (160 - 100) // 2 = 30 and (120 - 50) // 2 = 35
    np.testing.assert_allclose(warp.matrix, [[1, 0, -30], [0, 1, -35], [0, 0, 1]])
    assert warp.out_size == (100, 50)
    # odd margins round down like Albumentations
    np.testing.assert_allclose(warp_of("CenterCrop", height=119, width=157).matrix[:2, 2], [-1, 0])


def test_resize_is_a_pure_scale():
    warp = warp_of("Resize", height=60, width=200)
    np.testing.assert_allclose(warp.matrix, [[200 / W, 0, 0], [0, 60 / H, 0], [0, 0, 1]])
    assert warp.out_size == (200, 60)
    # the canvas corners map onto the new canvas corners
    np.testing.assert_allclose(apply_h(warp.matrix, np.array([[W, H]])), [[200, 60]])


@pytest.mark.parametrize(
    "name, cfg, size",
    [
        ("LongestMaxSize", {"max_size": 80}, (80, 60)),
        ("SmallestMaxSize", {"max_size": 60}, (80, 60)),
        ("LongestMaxSize", {"max_size_hw": [30, None]}, (40, 30)),
        ("LongestMaxSize", {"max_size_hw": [90, 80]}, (80, 60)),
        ("SmallestMaxSize", {"max_size_hw": [90, 80]}, (120, 90)),
    ],
)
def test_aspect_resizes_keep_the_ratio(name, cfg, size):
    warp = warp_of(name, **cfg)
    assert warp.out_size == size
    np.testing.assert_allclose(np.diag(warp.matrix)[:2], [size[0] / W, size[1] / H])


def test_max_size_list_picks_each_value():
    sizes = {warp_of("LongestMaxSize", seed, max_size=[40, 80]).out_size for seed in range(30)}
    assert sizes == {(40, 30), (80, 60)}


@pytest.mark.parametrize(
    "cfg, offset, size",
    [
        # extra 40 x 11 pixels: left 20, top 5 (the odd pixel goes to the bottom)
        ({"min_height": 131, "min_width": 200}, (20, 5), (200, 131)),
        ({"min_height": 130, "min_width": 200, "position": "top_left"}, (0, 0), (200, 130)),
        ({"min_height": 130, "min_width": 200, "position": "top_right"}, (40, 0), (200, 130)),
        ({"min_height": 130, "min_width": 200, "position": "bottom_left"}, (0, 10), (200, 130)),
        ({"min_height": 130, "min_width": 200, "position": "bottom_right"}, (40, 10), (200, 130)),
        # 120 -> 128 (multiple of 32), 160 -> 200 (multiple of 50)
        (
            {"min_height": None, "min_width": None, "pad_height_divisor": 32, "pad_width_divisor": 50},
            (20, 4),
            (200, 128),
        ),
        ({"min_height": 10, "min_width": 10}, (0, 0), (W, H)),
    ],
)
def test_pad_if_needed_is_a_translation(cfg, offset, size):
    warp = warp_of("PadIfNeeded", **cfg)
    np.testing.assert_allclose(warp.matrix, [[1, 0, offset[0]], [0, 1, offset[1]], [0, 0, 1]])
    assert warp.out_size == size


def test_pad_if_needed_needs_exactly_one_of_min_and_divisor():
    with pytest.raises(ParamError):
        make("PadIfNeeded", pad_height_divisor=32)
    with pytest.raises(ParamError):
        make("PadIfNeeded", min_height=None)


def test_random_crop_windows_stay_inside_and_cover_all_offsets():
    offsets = set()
    for seed in range(200):
        warp = warp_of("RandomCrop", seed, height=117, width=157)
        tx, ty = -warp.matrix[0, 2], -warp.matrix[1, 2]
        assert warp.out_size == (157, 117)
        assert float(tx).is_integer() and float(ty).is_integer()
        assert 0 <= tx <= W - 157 and 0 <= ty <= H - 117
        offsets.add((tx, ty))
    assert offsets == {(x, y) for x in range(4) for y in range(4)}


def test_crop_larger_than_image_needs_pad_if_needed():
    with pytest.raises(TransformError):
        op_of("RandomCrop", height=200, width=100)
    warp = warp_of("RandomCrop", height=200, width=100, pad_if_needed=True)
    assert warp.out_size == (100, 200)
    assert warp.matrix[1, 2] == 40  # 80 rows of padding, centred
    assert 0 <= -warp.matrix[0, 2] <= W - 100
    centre = warp_of("CenterCrop", height=200, width=170, pad_if_needed=True)
    np.testing.assert_allclose(centre.matrix[:2, 2], [5, 40])


def test_crop_parameters_are_required():
    with pytest.raises(ParamError):
        make("RandomCrop", height=10)
    with pytest.raises(ParamError):
        make("RandomResizedCrop")


def test_random_resized_crop_respects_area_and_ratio():
    for seed in range(100):
        op = op_of("RandomResizedCrop", seed, size=[64, 48], scale=[0.2, 0.6], ratio=[0.5, 2.0])
        w, h = op.x_max - op.x_min, op.y_max - op.y_min
        assert 0 <= op.x_min and op.x_max <= W and 0 <= op.y_min and op.y_max <= H
        # rounding w and h moves area and ratio a little
        assert 0.2 * W * H * 0.95 <= w * h <= 0.6 * W * H * 1.05
        assert 0.5 * 0.95 <= w / h <= 2.0 * 1.05
        warp = op.warp(W, H)
        assert warp.out_size == (48, 64)
        np.testing.assert_allclose(
            apply_h(warp.matrix, np.array([[op.x_min, op.y_min], [op.x_max, op.y_max]])),
            [[0, 0], [48, 64]],
            atol=1e-9,
        )


def test_random_resized_crop_falls_back_to_a_centred_window():
    # no window of 8x the image area exists: the fallback keeps ratio within range
    op = op_of("RandomResizedCrop", size=[10, 10], scale=[1.0, 1.0], ratio=[3.0, 4.0])
    assert (op.x_min, op.x_max) == (0, W)
    assert op.y_max - op.y_min == round(W / 3.0)
    assert op.y_min == (H - round(W / 3.0)) // 2


def test_area_for_downscale_switches_to_inter_area_only_when_shrinking():
    small = op_of("Resize", height=60, width=80, area_for_downscale="image")
    large = op_of("Resize", height=240, width=320, area_for_downscale="image")
    assert small.interpolation == cv2.INTER_AREA
    assert large.interpolation == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, W - 1), st.floats(0, H - 1), st.floats(1, 60), st.floats(1, 60)),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 2**32 - 1),
)
def test_bbox_safe_crop_keeps_every_box(raw, seed):
    boxes = np.array([[x, y, min(x + w, W), min(y + h, H)] for x, y, w, h in raw])
    op = op_of("RandomSizedBBoxSafeCrop", seed, ctx(boxes=boxes), height=64, width=80)
    assert op.x_min <= boxes[:, 0].min() and op.y_min <= boxes[:, 1].min()
    assert op.x_max >= boxes[:, 2].max() and op.y_max >= boxes[:, 3].max()
    assert 0 <= op.x_min < op.x_max <= W and 0 <= op.y_min < op.y_max <= H
    warp = op.warp(W, H)
    moved = apply_h(warp.matrix, boxes.reshape(-1, 2)).reshape(-1, 4)
    assert moved.min() >= -1e-9
    assert (moved[:, [0, 2]] <= 80 + 1e-9).all() and (moved[:, [1, 3]] <= 64 + 1e-9).all()


def test_bbox_safe_crop_without_boxes_keeps_enough_of_the_image():
    for seed in range(50):
        op = op_of("RandomSizedBBoxSafeCrop", seed, height=64, width=80, erosion_rate=0.25)
        h = op.y_max - op.y_min
        assert int(H * 0.75) <= h <= H and 0 <= op.x_min and op.x_max <= W


# --- contract ---------------------------------------------------------------------------

GEOMETRIC = sorted(n for n, c in REGISTRY.items() if c.kind == "geometric")
EXAMPLE_CONFIGS = {
    "RandomCrop": {"height": 96, "width": 128},
    "CenterCrop": {"height": 96, "width": 128},
    "RandomResizedCrop": {"size": [96, 128]},
    "RandomSizedBBoxSafeCrop": {"height": 96, "width": 128},
    "Resize": {"height": 96, "width": 128},
    # geometric catalogue (issue 4)
    "AtLeastOneBBoxRandomCrop": {"height": 96, "width": 128},
    "CropNonEmptyMaskIfExists": {"height": 96, "width": 128},
    "GridElasticDeform": {"num_grid_xy": [4, 4], "magnitude": 10},
    "CropAndPad": {"px": [-12, 12]},
    # policies (issue 13)
    "InsideBoxes": {"transform": {"Rotate": {"limit": 20}}, "p_per_box": 1.0},
}


@pytest.mark.parametrize("name", GEOMETRIC)
def test_ops_pickle_and_record_and_are_deterministic(name):
    cfg = EXAMPLE_CONFIGS.get(name, {})
    box_ctx = ctx(boxes=[[10, 10, 40, 50]])
    op = op_of(name, 11, box_ctx, **cfg)
    again = pickle.loads(pickle.dumps(op))
    assert again == op
    assert op == op_of(name, 11, box_ctx, **cfg)
    record = op.record()
    assert record["op"] == name and "interpolation" in record
    w1, w2 = op.warp(W, H), again.warp(W, H)
    assert w1.out_size == w2.out_size
    if isinstance(w1, MatrixWarp):
        np.testing.assert_array_equal(w1.matrix, w2.matrix)
    else:
        np.testing.assert_array_equal(w1.map_x, w2.map_x)


@pytest.mark.parametrize("name", GEOMETRIC)
def test_transform_metadata(name):
    cls = REGISTRY[name]
    assert cls.summary() and cls.example.startswith(f"- {name}:")
    assert cls.deviations
    names = [p.name for p in cls.all_params()]
    assert len(names) == len(set(names))
