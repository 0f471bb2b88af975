"""The crop / pad catalogue of issue 4: windows checked against numpy slicing and padding,
label-driven crops against the labels they must keep."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.errors import TransformError
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.recipe.pipeline import Pipeline
from augcli.transforms.base import REGISTRY, SampleContext
from augcli.transforms.catalog import load_all
from augcli.transforms.geometric.label_crops import box_iou, labelled_pixels
from augcli.transforms.params import ParamError

load_all()  # registers every transform

W, H = 160, 120
LABEL_CROPS = (
    "BBoxSafeRandomCrop",
    "AtLeastOneBBoxRandomCrop",
    "RandomCropNearBBox",
    "CropNonEmptyMaskIfExists",
    "RandomIoUCrop",
)


def ids(height: int = H, width: int = W) -> np.ndarray:
    return np.arange(height * width, dtype=np.int32).reshape(height, width) + 1


def boxed(boxes, height: int = H, width: int = W, **extra) -> Sample:
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    return Sample(
        image=ids(height, width),
        instances=Instances(labels=np.arange(1, len(boxes) + 1), boxes=boxes),
        **extra,
    )


def op_of(name: str, sample: Sample, seed: int = 0, **cfg):
    ctx = SampleContext(width=sample.width, height=sample.height, get_sample=lambda: sample)
    return REGISTRY[name](**cfg, p=1.0).make_op(np.random.default_rng(seed), ctx)


def window(op) -> tuple[int, int, int, int]:
    return int(op.x_min), int(op.y_min), int(op.x_max), int(op.y_max)


def padded(image: np.ndarray, left: int, top: int, right: int, bottom: int) -> np.ndarray:
    return np.pad(image, ((top, bottom), (left, right)))


def test_label_crops_declare_that_they_read_labels():
    for name in LABEL_CROPS:
        assert REGISTRY[name].needs_labels, name
        assert REGISTRY[name].kind == "geometric"


# --- Crop, Pad, CropAndPad, RandomCropFromBorders -------------------------------------------


def test_crop_cuts_the_fixed_window_and_clips_it_to_the_image():
    sample = boxed([])
    out = op_of("Crop", sample, x_min=10, y_min=20, x_max=70, y_max=50).apply(sample)
    assert np.array_equal(out.image, sample.image[20:50, 10:70])
    out = op_of("Crop", sample, x_min=100, y_min=90, x_max=300, y_max=200).apply(sample)
    assert np.array_equal(out.image, sample.image[90:, 100:])


@pytest.mark.parametrize(
    "position, left, top", [("top_left", 0, 0), ("center", 20, 15), ("bottom_right", 40, 30)]
)
def test_crop_with_padding_pads_then_cuts(position, left, top):
    sample = boxed([])
    op = op_of(
        "Crop", sample, x_min=30, y_min=40, x_max=200, y_max=150, pad_if_needed=True, pad_position=position
    )
    out = op.apply(sample)
    big = padded(sample.image, left, top, 40 - left, 30 - top)  # 200 x 150 canvas
    assert np.array_equal(out.image, big[40:150, 30:200])


@pytest.mark.parametrize(
    "padding, sides", [(5, (5, 5, 5, 5)), ([3, 7], (3, 7, 3, 7)), ([1, 2, 3, 4], (1, 2, 3, 4))]
)
def test_pad_sides_are_left_top_right_bottom(padding, sides):
    sample = boxed([[10, 10, 20, 30]])
    out = op_of("Pad", sample, padding=padding).apply(sample)
    left, top, right, bottom = sides
    assert np.array_equal(out.image, padded(sample.image, left, top, right, bottom))
    np.testing.assert_allclose(out.instances.boxes[0], [10 + left, 10 + top, 20 + left, 30 + top])


def test_pad_rejects_negative_or_odd_lists():
    for bad in (-1, [1, 2, 3], [1.5, 2]):
        with pytest.raises(ParamError):
            REGISTRY["Pad"](padding=bad)


def test_crop_and_pad_fixed_sides_are_top_right_bottom_left():
    sample = boxed([])
    op = op_of("CropAndPad", sample, px=[4, -6, 8, -10], keep_size=False)
    out = op.apply(sample)
    expected = padded(sample.image[:, 10 : W - 6], 0, 4, 0, 8)
    assert np.array_equal(out.image, expected)


def test_crop_and_pad_ranges_per_side_or_shared():
    sample = boxed([])
    shapes_independent, amounts_shared = set(), []
    for seed in range(20):
        op = op_of("CropAndPad", sample, seed, px=[-10, 10], keep_size=False)
        shapes_independent.add((op.out_width, op.out_height))
        shared = op_of("CropAndPad", sample, seed, px=[-10, 10], keep_size=False, sample_independently=False)
        left, top = -shared.x_min, -shared.y_min
        right, bottom = shared.x_max - W, shared.y_max - H
        assert left == top == right == bottom
        amounts_shared.append(left)
        assert -10 <= left <= 10
    assert len(shapes_independent) > 5 and len(set(amounts_shared)) > 5


def test_crop_and_pad_percent_and_keep_size():
    sample = boxed([[40, 30, 80, 90]])
    sample = sample.replace(image=(sample.image % 251).astype(np.uint8))  # OpenCV resamples uint8
    op = op_of("CropAndPad", sample, percent=0.25)  # pad a quarter on every side
    assert (op.x_min, op.y_min, op.x_max, op.y_max) == (-40, -30, W + 40, H + 30)
    out = op.apply(sample)
    assert out.image.shape == (H, W)
    # labels follow: the canvas shrank by 1.5 both ways
    expected = (np.array([40, 30, 80, 90]) + [40, 30, 40, 30]) / 1.5
    np.testing.assert_allclose(out.instances.boxes[0], expected)


def test_crop_and_pad_never_crops_everything_and_needs_one_amount():
    sample = boxed([])
    op = op_of("CropAndPad", sample, px=-100, keep_size=False)
    assert op.out_width >= 1 and op.out_height >= 1
    with pytest.raises(ParamError):
        REGISTRY["CropAndPad"](px=4, percent=0.1)
    with pytest.raises(ParamError):
        REGISTRY["CropAndPad"]()


def test_random_crop_from_borders_stays_within_its_fractions():
    sample = boxed([])
    for seed in range(30):
        op = op_of(
            "RandomCropFromBorders",
            sample,
            seed,
            crop_left=0.2,
            crop_right=0.1,
            crop_top=0.3,
            crop_bottom=0.0,
        )
        x0, y0, x1, y1 = window(op)
        assert 0 <= x0 <= 0.2 * W and 0.9 * W <= x1 <= W and x1 > x0
        assert 0 <= y0 <= 0.3 * H and y1 == H
        assert np.array_equal(op.apply(sample).image, sample.image[y0:y1, x0:x1])
    with pytest.raises(ParamError):
        REGISTRY["RandomCropFromBorders"](crop_left=0.7, crop_right=0.5)


# --- LetterBox and RandomZoomOut ------------------------------------------------------------


@settings(max_examples=40)
@given(
    width=st.integers(8, 300),
    height=st.integers(8, 300),
    out_w=st.integers(16, 320),
    out_h=st.integers(16, 320),
    center=st.booleans(),
)
def test_letterbox_fits_the_image_with_its_aspect_into_the_size(width, height, out_w, out_h, center):
    sample = Sample(image=np.zeros((height, width), np.uint8), instances=Instances.empty())
    warp = op_of("LetterBox", sample, size=[out_h, out_w], center=center).warp(width, height)
    assert warp.out_size == (out_w, out_h)
    lo = warp.matrix[:2, 2]
    hi = lo + np.diag(warp.matrix)[:2] * [width, height]
    assert (lo >= -1e-9).all() and (hi <= np.array([out_w, out_h]) + 1e-9).all()
    touches = np.isclose(lo, 0) & np.isclose(hi, [out_w, out_h])
    assert touches.any()  # as large as fits
    scale = np.diag(warp.matrix)[:2]
    assert abs(scale[0] - scale[1]) <= 1.0 / min(width, height) + 1e-9  # aspect kept
    if center:
        margins = np.abs(lo - ([out_w, out_h] - hi))
        assert (margins <= 1.0 + 1e-9).all()
    else:
        np.testing.assert_allclose(lo, 0.0, atol=1e-9)


def test_letterbox_pads_with_grey_and_keeps_small_images_without_scaleup():
    sample = Sample(image=np.full((40, 60, 3), 9, np.uint8), instances=Instances.empty())
    out = op_of("LetterBox", sample, size=[100, 100], scaleup=False).apply(sample)
    assert out.image.shape == (100, 100, 3)
    assert (out.image[30:70, 20:80] == 9).all()
    assert (out.image[:30] == 114).all() and (out.image[70:] == 114).all()


def test_letterbox_auto_pads_to_the_stride():
    sample = Sample(image=np.zeros((300, 400), np.uint8), instances=Instances.empty())
    warp = op_of("LetterBox", sample, size=[640, 640], auto=True, stride=32).warp(400, 300)
    assert warp.out_size == (640, 480)  # 480 is already a multiple of 32
    warp = op_of("LetterBox", sample, size=[640, 640], auto=True, stride=100).warp(400, 300)
    assert warp.out_size == (640, 540)  # 480 + (160 % 100)


def test_random_zoom_out_places_the_image_on_a_larger_canvas():
    sample = boxed([[10, 20, 30, 40]])
    sizes = set()
    for seed in range(20):
        op = op_of("RandomZoomOut", sample, seed, side_range=[1.5, 3.0], fill=0)
        left, top = int(-op.x_min), int(-op.y_min)
        out = op.apply(sample)
        assert 1.5 * W - 1 <= op.out_width <= 3.0 * W and 1.5 * H - 1 <= op.out_height <= 3.0 * H
        assert np.array_equal(out.image[top : top + H, left : left + W], sample.image)
        assert out.image.sum() == sample.image.sum()  # everything else is fill
        np.testing.assert_allclose(out.instances.boxes[0], [10 + left, 20 + top, 30 + left, 40 + top])
        sizes.add(op.out_width)
    assert len(sizes) > 10


# --- crops that read labels -----------------------------------------------------------------


def contains(window_xyxy, box) -> bool:
    x0, y0, x1, y1 = window_xyxy
    return box[0] >= x0 and box[1] >= y0 and box[2] <= x1 and box[3] <= y1


@settings(max_examples=30)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 4))
def test_bbox_safe_random_crop_keeps_every_box_whole(seed, n):
    rng = np.random.default_rng(seed)
    lo = rng.uniform([0, 0], [W - 10, H - 10], (n, 2))
    boxes = np.c_[lo, lo + rng.uniform(2, [W, H] - lo)]
    sample = boxed(boxes)
    op = op_of("BBoxSafeRandomCrop", sample, seed)
    assert all(contains(window(op), b) for b in boxes)
    out = op.apply(sample)
    assert len(out.instances) == n
    x0, y0, x1, y1 = window(op)
    assert np.array_equal(out.image, sample.image[y0:y1, x0:x1])


def test_bbox_safe_random_crop_without_boxes_keeps_the_aspect():
    for seed in range(10):
        op = op_of("BBoxSafeRandomCrop", boxed([]), seed, erosion_rate=0.5)
        assert op.out_height >= 0.5 * H - 1
        assert abs(op.out_width / op.out_height - W / H) < 0.05


def test_at_least_one_box_survives_whole():
    boxes = [[5, 5, 25, 20], [120, 90, 150, 115], [60, 40, 90, 70]]
    sample = boxed(boxes)
    chosen = set()
    for seed in range(40):
        op = op_of("AtLeastOneBBoxRandomCrop", sample, seed, height=50, width=60)
        assert (op.out_width, op.out_height) == (60, 50)
        whole = [k for k, b in enumerate(boxes) if contains(window(op), b)]
        assert whole
        chosen.update(whole)
    assert chosen == {0, 1, 2}
    with pytest.raises(TransformError):
        op_of("AtLeastOneBBoxRandomCrop", sample, height=200, width=60)


def test_at_least_one_box_with_full_erosion_only_needs_the_centre():
    sample = boxed([[0, 0, 150, 110]])  # larger than the crop
    for seed in range(10):
        x0, y0, x1, y1 = window(
            op_of("AtLeastOneBBoxRandomCrop", sample, seed, height=30, width=40, erosion_factor=1.0)
        )
        assert x0 <= 75 <= x1 and y0 <= 55 <= y1


def test_random_crop_near_bbox_moves_each_edge_within_its_share():
    sample = boxed([[40, 30, 120, 90]])  # 80 x 60
    for seed in range(30):
        x0, y0, x1, y1 = window(op_of("RandomCropNearBBox", sample, seed, max_part_shift=[0.25, 0.5]))
        assert abs(x0 - 40) <= 40.5 and abs(x1 - 120) <= 40.5
        assert abs(y0 - 30) <= 15.5 and abs(y1 - 90) <= 15.5
    # a scalar shifts x only, as Albumentations' (0, x)
    x0, y0, x1, y1 = window(op_of("RandomCropNearBBox", sample, 3, max_part_shift=0.3))
    assert (y0, y1) == (30, 90)


def test_crop_near_bbox_without_instances_crops_near_the_whole_image():
    op = op_of("RandomCropNearBBox", boxed([]), 1, max_part_shift=[0.2, 0.2])
    x0, y0, x1, y1 = window(op)
    assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H


def scene_with_semantic() -> Sample:
    semantic = np.zeros((H, W), np.uint8)
    semantic[100:110, 140:150] = 3  # the only object class
    semantic[0:60, 0:80] = 5  # large, ignored below
    semantic[60:120, 0:40] = 255  # the ignore index never counts
    return Sample(image=ids(), semantic=semantic, instances=Instances.empty())


def test_crop_non_empty_mask_always_holds_an_object_pixel():
    sample = scene_with_semantic()
    for seed in range(25):
        op = op_of("CropNonEmptyMaskIfExists", sample, seed, height=30, width=40, ignore_values=[5])
        out = op.apply(sample)
        assert (out.semantic == 3).any()


def test_crop_non_empty_mask_counts_polygons_masks_and_boxes():
    mask = np.zeros((H, W), bool)
    mask[5:9, 150:155] = True
    polygon = [np.array([[2.0, 100.0], [8.0, 100.0], [8.0, 110.0], [2.0, 110.0]])]
    sample = Sample(
        image=ids(),
        instances=Instances(
            labels=[1, 2, 3],
            boxes=[[2, 100, 8, 110], rle.bounds(rle.encode(mask)), [70, 50, 74, 53]],
            polygons=[polygon, None, None],
            masks=[None, rle.encode(mask), None],
        ),
    )
    found = labelled_pixels(sample, set())
    assert found[100:110, 2:8].all() and found[5:9, 150:155].all() and found[50:53, 70:74].all()
    assert found.sum() == 60 + 20 + 12
    assert not labelled_pixels(sample, {1, 2, 3}).any()
    hits = [0, 0, 0]
    for seed in range(40):
        op = op_of("CropNonEmptyMaskIfExists", sample, seed, height=20, width=20)
        out = op.apply(sample)
        assert len(out.instances)  # some object is always in view
        for label in out.instances.labels:
            hits[int(label) - 1] += 1
    assert all(hits)


def test_crop_non_empty_mask_refuses_channels_and_oversized_crops():
    with pytest.raises(ParamError):
        REGISTRY["CropNonEmptyMaskIfExists"](height=10, width=10, ignore_channels=[0])
    with pytest.raises(TransformError):
        op_of("CropNonEmptyMaskIfExists", scene_with_semantic(), height=10, width=500)


def test_random_iou_crop_meets_its_minimum_iou():
    boxes = np.array([[20, 20, 60, 70], [100, 30, 150, 100]], float)
    sample = boxed(boxes)
    for seed in range(20):
        op = op_of("RandomIoUCrop", sample, seed, sampler_options=[0.5], min_scale=0.3)
        win = np.array(window(op), float)
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        inside = ((centres > win[:2]) & (centres < win[2:])).all(axis=1)
        assert inside.any() and box_iou(boxes[inside], win).max() >= 0.5
        w, h = win[2] - win[0], win[3] - win[1]
        assert 0.3 * W - 1 <= w <= W and 0.3 * H - 1 <= h <= H and 0.5 <= w / h <= 2.0


def test_random_iou_crop_option_one_leaves_the_image_whole():
    op = op_of("RandomIoUCrop", boxed([[0, 0, 5, 5]]), sampler_options=[1.0])
    assert window(op) == (0, 0, W, H)


def test_box_iou_oracle():
    boxes = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(box_iou(boxes, np.array([0, 0, 10, 10.0])), [1.0, 25 / 175, 0.0])


def test_label_crop_sees_labels_after_a_pending_warp():
    """ctx.sample() flushes the pending flip, so the crop keeps the flipped box."""
    sample = boxed([[5, 5, 25, 25]])
    pipeline = Pipeline(
        [REGISTRY["HorizontalFlip"](p=1.0), REGISTRY["AtLeastOneBBoxRandomCrop"](height=40, width=40, p=1.0)]
    )
    for seed in range(5):
        result = pipeline.run(sample, np.random.default_rng(seed))
        x0, _, x1, _ = result.sample.instances.boxes[0]
        assert x1 - x0 == pytest.approx(20)
        assert len(result.sample.instances) == 1
