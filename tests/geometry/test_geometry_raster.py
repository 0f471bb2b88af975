"""Raster resampling: pixel-centre convention, exactness, channels, dtypes, fast paths."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from geometry_scenes import grid_for, iou
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.geometry.points import map_points
from augcli.geometry.polygons import clip_polygon, densify, polygon_to_mask
from augcli.geometry.raster import Resampler, warp_image, warp_labels
from augcli.geometry.warp import GridWarp, MatrixWarp, rotation_about, scaling, translation

RNG = np.random.default_rng(11)


def random_image(h, w, c=3, dtype=np.uint8):
    hi = 256 if dtype == np.uint8 else 65536
    shape = (h, w) if c is None else (h, w, c)
    return RNG.integers(0, hi, shape).astype(dtype)


FLIP_X = lambda w, h: MatrixWarp([[-1, 0, w], [0, 1, 0], [0, 0, 1]], (w, h))  # noqa: E731
ROT90 = lambda w, h: MatrixWarp([[0, 1, 0], [-1, 0, w], [0, 0, 1]], (h, w))  # noqa: E731


@pytest.mark.parametrize(
    "channels, dtype", [(None, np.uint8), (1, np.uint8), (3, np.uint8), (6, np.uint8), (3, np.uint16)]
)
def test_flip_and_rot90_are_array_flips(channels, dtype):
    img = random_image(9, 14, channels, dtype)
    assert np.array_equal(warp_image(img, FLIP_X(14, 9)), img[:, ::-1])
    assert np.array_equal(warp_image(img, ROT90(14, 9)), np.rot90(img))
    out = warp_image(img, FLIP_X(14, 9))
    assert out.shape == img.shape and out.dtype == img.dtype


@settings(max_examples=40, deadline=None)
@given(
    st.integers(-20, 20),
    st.integers(-15, 15),
    st.sampled_from([cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC]),
)
def test_integer_translation_is_exact_on_both_paths(dx, dy, interpolation):
    img = random_image(12, 16)
    rows, cols = np.mgrid[0:12, 0:16]
    src_r, src_c = rows - dy, cols - dx
    valid = (src_r >= 0) & (src_r < 12) & (src_c >= 0) & (src_c < 16)
    expected = np.full_like(img, 7)
    expected[valid] = img[src_r[valid], src_c[valid]]
    m = translation(dx, dy)
    fast = warp_image(img, MatrixWarp(m, (16, 12)), interpolation=interpolation, fill=7)
    remap = warp_image(img, grid_for(m, 16, 12), interpolation=interpolation, fill=7)
    assert np.array_equal(fast, expected)
    assert np.array_equal(remap, expected)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(
        [
            (1, 0, 0, 1),
            (-1, 0, 0, 1),
            (1, 0, 0, -1),
            (-1, 0, 0, -1),
            (0, 1, 1, 0),
            (0, -1, 1, 0),
            (0, 1, -1, 0),
            (0, -1, -1, 0),
        ]
    ),
    st.integers(-12, 30),
    st.integers(-12, 30),
    st.integers(1, 25),
    st.integers(1, 25),
    st.sampled_from([None, 1, 3, 6]),
)
def test_whole_pixel_moves_match_the_general_resampler(lin, tx, ty, out_w, out_h, channels):
    """Flips, quarter turns and transposes with crops/pads: slicing path == cv2.remap path."""
    img = random_image(11, 17, channels)
    m = np.array([[lin[0], lin[1], tx], [lin[2], lin[3], ty], [0, 0, 1]], dtype=float)
    fill = (9, 8, 7, 6, 5, 4)[: channels or 1]
    fast = warp_image(img, MatrixWarp(m, (out_w, out_h)), fill=fill)
    general = warp_image(img, grid_for(m, out_w, out_h), interpolation=cv2.INTER_NEAREST, fill=fill)
    assert fast.shape == general.shape and np.array_equal(fast, general)
    assert not np.shares_memory(fast, img)


def test_crop_and_pad_with_reflection_matches_opencv():
    img = random_image(10, 12)
    pad = MatrixWarp(translation(3, 2), (18, 14))
    got = warp_image(img, pad, border_mode=cv2.BORDER_REFLECT_101)
    expected = cv2.copyMakeBorder(img, 2, 2, 3, 3, cv2.BORDER_REFLECT_101)
    assert np.array_equal(got, expected)
    crop = MatrixWarp(translation(-4, -3), (5, 6))
    assert np.array_equal(warp_image(img, crop), img[3:9, 4:9])


def test_matrix_and_grid_paths_agree_on_a_rotation():
    img = random_image(40, 50)
    m = rotation_about(23.0, 25.0, 20.0)
    a = warp_image(img, MatrixWarp(m, (50, 40))).astype(int)
    b = warp_image(img, grid_for(m, 50, 40)).astype(int)
    assert np.percentile(np.abs(a - b), 99) <= 3  # only fixed-point rounding differs (1/32 px)


SQUARE = [np.array([[30.0, 25.0], [90.0, 25.0], [90.0, 70.0], [30.0, 70.0]])]


def perspective_matrix():
    src = np.float32([[0, 0], [120, 0], [120, 100], [0, 100]])
    dst = np.float32([[8, 5], [110, 12], [118, 96], [3, 88]])
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64)


def elastic_grid(w, h, amplitude=4.0):
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    return GridWarp(
        (xs + amplitude * np.sin(ys / 9.0)).astype(np.float32),
        (ys + amplitude * np.cos(xs / 11.0)).astype(np.float32),
    )


@pytest.mark.parametrize(
    "warp",
    [
        MatrixWarp(rotation_about(30.0, 60.0, 50.0), (120, 100)),
        MatrixWarp(scaling(1.7, 0.6) @ rotation_about(-12.0, 60.0, 50.0), (150, 80)),
        MatrixWarp(perspective_matrix(), (120, 100)),
        elastic_grid(120, 100),
    ],
    ids=["rotate", "scale-rotate", "perspective", "grid"],
)
def test_painted_shape_follows_its_warped_polygon(warp):
    painted = polygon_to_mask(SQUARE, 100, 120)
    image = np.where(painted, 255, 0).astype(np.uint8)
    moved = warp_image(image, warp) >= 128
    labels = warp_labels(painted, warp, fill=False)
    ring = map_points(densify(SQUARE[0], 1.0), warp)
    expected = polygon_to_mask(clip_polygon([ring], *warp.out_size), warp.out_size[1], warp.out_size[0])
    assert iou(moved, expected) >= 0.98
    assert iou(labels, expected) >= 0.98


@pytest.mark.parametrize(
    "warp",
    [
        MatrixWarp(rotation_about(30.0, 60.0, 50.0) @ scaling(1.2, 1.2), (120, 100)),
        MatrixWarp(perspective_matrix(), (120, 100)),
        elastic_grid(120, 100),
    ],
    ids=["rotate", "perspective", "grid"],
)
def test_warped_pixels_sit_where_the_warped_polygon_says_not_half_a_pixel_off(warp):
    painted = polygon_to_mask(SQUARE, 100, 120)
    moved = warp_image(np.where(painted, 255, 0).astype(np.uint8), warp) >= 128
    ring = map_points(densify(SQUARE[0], 1.0), warp)
    scores = {}
    for dx, dy in [(0, 0), (0.5, 0), (-0.5, 0), (0, 0.5), (0, -0.5)]:
        shifted = clip_polygon([ring + [dx, dy]], *warp.out_size)
        scores[dx, dy] = iou(moved, polygon_to_mask(shifted, 100, 120))
    best = max(scores, key=scores.get)
    assert best == (0, 0) and all(scores[0, 0] - v > 0.005 for k, v in scores.items() if k != (0, 0))


def test_many_channels_take_per_channel_fill():
    img = random_image(20, 24, 7)
    fill = (1, 2, 3, 4, 5, 6, 7)
    warp = MatrixWarp(rotation_about(40.0, 12.0, 10.0), (24, 20))
    out = warp_image(img, warp, fill=fill)
    assert out.shape == (20, 24, 7)
    for k in range(7):
        single = warp_image(img[:, :, k], warp, fill=fill[k])
        assert np.array_equal(out[:, :, k], single)
    assert tuple(out[0, 0]) == fill  # a corner is off the rotated image
    shifted = warp_image(img, MatrixWarp(translation(5, 0), (24, 20)), fill=fill)
    assert np.all(shifted[:, :5] == np.array(fill))


def test_labels_keep_dtype_and_never_invent_values():
    labels = RNG.choice(np.array([0, 3, 700, 65000], dtype=np.uint16), size=(30, 40))
    warp = MatrixWarp(rotation_about(17.0, 20.0, 15.0) @ scaling(1.3, 1.3), (40, 30))
    out = warp_labels(labels, warp, fill=65535)
    assert out.dtype == np.uint16
    assert set(np.unique(out)) <= {0, 3, 700, 65000, 65535}
    assert np.count_nonzero(out == 65535) > 0  # the rotated corners are filled
    values = np.array([0, 3, 700, 65000, 65535])
    codes = np.searchsorted(values, labels).astype(np.uint8)  # same picture, uint8 labels
    assert np.array_equal(warp_labels(codes, warp, fill=4), np.searchsorted(values, out))
    flags = labels > 100
    out_bool = warp_labels(flags, warp, fill=False)
    assert out_bool.dtype == bool and np.array_equal(out_bool, np.isin(out, [700, 65000]))


def test_wide_integer_labels_survive_the_int32_detour():
    ids = RNG.integers(-(2**31), 2**31 - 1, size=(30, 40), dtype=np.int64)
    warp = MatrixWarp(rotation_about(17.0, 20.0, 15.0), (40, 30))
    out = warp_labels(ids, warp, fill=-7)
    assert out.dtype == np.int64
    assert np.array_equal(out, warp_labels(ids.astype(np.int32), warp, fill=-7).astype(np.int64))
    assert set(np.unique(out)) <= set(np.unique(ids)) | {-7}
    with pytest.raises(TypeError, match="int32"):
        warp_labels(ids + 2**40, warp, fill=0)


def test_whole_image_resize_uses_centre_aligned_sampling():
    img = random_image(6, 8)
    up = warp_image(img, MatrixWarp(scaling(2, 2), (16, 12)), interpolation=cv2.INTER_NEAREST)
    assert np.array_equal(up, img.repeat(2, axis=0).repeat(2, axis=1))
    down = warp_image(up, MatrixWarp(scaling(0.5, 0.5), (8, 6)), interpolation=cv2.INTER_AREA)
    assert np.array_equal(down, img)  # area average of identical 2x2 blocks
    labels = warp_labels(up[:, :, 0], MatrixWarp(scaling(0.5, 0.5), (8, 6)), fill=0)
    assert np.array_equal(labels, img[:, :, 0])


@pytest.mark.parametrize("n", [1, 9, 40])
def test_mask_stack_equals_warping_each_mask(n):
    stack = RNG.random((25, 30, n)) < 0.3
    for warp in (MatrixWarp(rotation_about(33.0, 15.0, 12.0), (28, 26)), elastic_grid(30, 25)):
        out = Resampler(warp).mask_stack(stack)
        assert out.shape == (warp.out_size[1], warp.out_size[0], n) and out.dtype == bool
        for k in range(n):
            assert np.array_equal(out[:, :, k], warp_labels(stack[:, :, k], warp, fill=False))


def test_mask_stack_samples_boundary_pixels_as_label_maps_do():
    """Fortran-ordered stacks (as pycocotools decodes them) through many affine warps: every
    mask pixel is where the label-map warp of the same mask puts it, boundary pixels included."""
    rng = np.random.default_rng(7)
    stack = np.asfortranarray(rng.random((48, 64, 3)) < 0.5)
    for _ in range(60):  # round angles, scales and half-pixel shifts: exact ties on pixel borders
        angle = np.deg2rad(rng.choice([0, 15, 30, 45, 90]))
        scale = rng.choice([0.5, 0.75, 1.0, 1.25, 1.5, 2.0], 2)
        matrix = np.eye(3)
        matrix[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]] * scale
        matrix[:2, 2] = rng.integers(-20, 20, 2) / 2
        warp = MatrixWarp(matrix, (64, 48))
        out = Resampler(warp).mask_stack(stack)
        for k in range(stack.shape[2]):
            assert np.array_equal(out[:, :, k], warp_labels(stack[:, :, k], warp, fill=False))


def test_inverse_area_scale_matches_the_warp():
    affine = Resampler(MatrixWarp(scaling(2.0, 3.0), (10, 10)))
    assert affine.inverse_area_scale() == pytest.approx(1 / 6)
    persp = Resampler(MatrixWarp(perspective_matrix(), (120, 100))).inverse_area_scale()
    inv = np.linalg.inv(perspective_matrix())
    # finite-difference Jacobian of the inverse homography at one pixel centre
    f = lambda x, y: (inv @ [x, y, 1])[:2] / (inv @ [x, y, 1])[2]  # noqa: E731
    e = 1e-4
    jx = (f(40.5 + e, 30.5) - f(40.5 - e, 30.5)) / (2 * e)
    jy = (f(40.5, 30.5 + e) - f(40.5, 30.5 - e)) / (2 * e)
    assert persp[30, 40] == pytest.approx(abs(jx[0] * jy[1] - jx[1] * jy[0]), rel=1e-5)
    assert Resampler(MatrixWarp(perspective_matrix(), (120, 100))).inverse_area_scale(
        (40, 30, 45, 33)
    ) == pytest.approx(persp[30:33, 40:45])
    bent = Resampler(elastic_grid(60, 50, amplitude=3.0))
    full = bent.inverse_area_scale()
    assert full.shape == (50, 60) and abs(full.mean() - 1.0) < 0.05 and full.std() > 0.01
    for window in [(0, 0, 60, 50), (10, 5, 30, 20), (0, 40, 1, 50), (59, 0, 60, 1)]:
        x0, y0, x1, y1 = window
        assert np.allclose(bent.inverse_area_scale(window), full[y0:y1, x0:x1])
