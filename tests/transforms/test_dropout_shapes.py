"""Where the holes go: Erasing, XYMasking, GridDropout and PixelDropout draw what their parameters say."""

from __future__ import annotations

import numpy as np
import pytest
from contract_samples import fire, labelled_sample, textured_image

from augcli.core.errors import TransformError
from augcli.geometry import rle
from augcli.transforms.catalog import load_all
from augcli.transforms.dropout.grid import GridDropoutOp
from augcli.transforms.params import ParamError

REGISTRY = load_all()


def build(name: str, **config):
    return REGISTRY[name](**{**config, "p": 1.0})


@pytest.mark.parametrize("seed", range(20))
def test_erasing_area_and_aspect_stay_in_their_ranges(seed):
    sample = labelled_sample(120, 160)
    op = fire(build("Erasing", scale=[0.05, 0.2], ratio=[0.5, 2.0]), sample, seed)
    ((x1, y1, x2, y2),) = op.holes
    w, h = x2 - x1, y2 - y1
    area = 120 * 160
    # sides are rounded, so allow one pixel of slack on each
    assert 0.05 * area <= (w + 1) * (h + 1) and (w - 1) * (h - 1) <= 0.2 * area
    assert 0.5 <= (w + 1) / max(h - 1, 1) and (w - 1) / (h + 1) <= 2.0
    assert 0 <= x1 and x2 < 160 + 1 and 0 <= y1 and y2 <= 120


def test_erasing_that_cannot_fit_erases_nothing():
    sample = labelled_sample(120, 160)
    op = fire(build("Erasing", scale=[0.99, 1.0], ratio=[3.0, 3.0]), sample, 0)
    assert op.holes == ()
    assert op.apply(sample) is sample


@pytest.mark.parametrize("seed", range(5))
def test_xy_masking_cuts_full_strips_of_the_asked_sizes(seed):
    sample = labelled_sample(120, 160)
    transform = build("XYMasking", num_masks_x=[1, 3], mask_x_length=[5, 9], num_masks_y=2, mask_y_length=4)
    op = fire(transform, sample, seed)
    columns = [h for h in op.holes if h[1] == 0 and h[3] == 120]
    rows = [h for h in op.holes if h[0] == 0 and h[2] == 160]
    assert 1 <= len(columns) <= 3 and len(rows) == 2  # an int means exactly that many
    assert all(5 <= x2 - x1 <= 9 for x1, _, x2, _ in columns)
    assert all(y2 - y1 == 4 for _, y1, _, y2 in rows)


def test_xy_masking_refuses_strips_without_a_length():
    with pytest.raises(ParamError, match="mask_x_length"):
        build("XYMasking", num_masks_x=2)
    assert fire(build("XYMasking"), labelled_sample(), 0).holes == ()  # defaults: no strips


def test_grid_dropout_with_a_fixed_shift_is_the_periodic_pattern():
    sample = labelled_sample(100, 200)
    op = fire(
        build(
            "GridDropout", ratio=0.5, unit_size_range=[20, 20], random_offset=False, shift_xy=[3, 7], fill=0
        ),
        sample,
        0,
    )
    ys, xs = np.mgrid[0:100, 0:200]
    expected = (((xs - 3) % 20) < 10) & (((ys - 7) % 20) < 10)
    assert np.array_equal(op.covered(100, 200), expected)
    out = op.apply(sample)
    assert np.all(out.image[expected] == 0)
    assert np.array_equal(out.image[~expected], sample.image[~expected])


def test_grid_dropout_holes_number_is_x_then_y():
    op = fire(
        build("GridDropout", holes_number_xy=[4, 2], ratio=0.5, random_offset=False),
        labelled_sample(100, 200),
        0,
    )
    assert op.unit == (50, 50) and op.hole == (25, 25)
    covered = op.covered(100, 200)
    column_runs = np.count_nonzero(np.diff(covered[0].astype(int)) == 1) + int(covered[0, 0])
    row_runs = np.count_nonzero(np.diff(covered[:, 0].astype(int)) == 1) + int(covered[0, 0])
    assert (column_runs, row_runs) == (4, 2)


def test_grid_dropout_default_unit_is_a_tenth_of_each_side_and_offset_stays_in_range():
    for seed in range(10):
        op = fire(build("GridDropout", ratio=0.3), labelled_sample(100, 200), seed)
        assert op.unit == (20, 10) and op.hole == (6, 3)
        assert 0 <= op.offset[0] <= 20 - 6 and 0 <= op.offset[1] <= 10 - 3


def test_grid_dropout_random_uniform_paints_each_hole_in_one_colour():
    sample = labelled_sample(60, 80)
    op = GridDropoutOp(
        unit=(20, 20), hole=(8, 8), offset=(2, 4), fill="random_uniform", fill_mask=None, seed=1
    )
    out = op.apply(sample)
    colours = set()
    for y in range(4, 60, 20):
        for x in range(2, 80, 20):
            cell = out.image[y : y + 8, x : x + 8].reshape(-1, 3)
            assert len(np.unique(cell, axis=0)) == 1
            colours.add(tuple(cell[0]))
    assert len(colours) > 6  # 12 holes, colours drawn at random


def test_pixel_dropout_drops_about_the_asked_share():
    sample = labelled_sample(200, 200)
    out = fire(build("PixelDropout", dropout_prob=0.2, drop_value=0), sample, 0).apply(sample)
    dropped = (out.image == 0).all(axis=2)
    assert 0.18 < dropped.mean() < 0.22
    assert np.array_equal(out.image[~dropped], sample.image[~dropped])


def test_pixel_dropout_per_channel_covers_labels_only_where_every_channel_dropped():
    sample = labelled_sample(200, 200)
    op = fire(
        build("PixelDropout", dropout_prob=0.5, per_channel=True, drop_value=0, mask_drop_value=9), sample, 3
    )
    out = op.apply(sample)
    zero = out.image == 0
    assert 0.45 < zero.mean() < 0.55 and 0.1 < zero.all(axis=2).mean() < 0.15
    assert np.array_equal(out.semantic == 9, zero.all(axis=2) | (sample.semantic == 9))
    blob = out.instances.masks[1]
    before = rle.decode(sample.instances.masks[1])
    assert np.array_equal(rle.decode(blob), before & ~zero.all(axis=2))


@pytest.mark.parametrize("dtype, maxv", [(np.uint8, 255), (np.uint16, 65535)])
def test_pixel_dropout_random_value_is_one_value_in_the_dtype_range(dtype, maxv):
    image = textured_image(80, 100, dtype=dtype)
    sample = labelled_sample(image=image)
    values = set()
    for seed in range(6):
        op = fire(build("PixelDropout", dropout_prob=0.3, drop_value=None), sample, seed)
        out = op.apply(sample)
        changed = (out.image != sample.image).any(axis=2)
        dropped = np.unique(out.image[changed].reshape(-1))
        assert len(dropped) == 1 and 0 <= int(dropped[0]) <= maxv
        values.add(int(dropped[0]))
    assert len(values) > 3


def test_pixel_dropout_drop_value_must_match_the_channels():
    sample = labelled_sample(40, 50)
    op = fire(build("PixelDropout", drop_value=[1, 2]), sample, 0)
    with pytest.raises(TransformError, match="drop_value"):
        op.apply(sample)


@pytest.mark.parametrize(
    "name, config",
    [
        ("Erasing", {"scale": [0.5, 0.2]}),
        ("Erasing", {"ratio": [0, 1]}),
        ("GridDropout", {"ratio": 1.5}),
        ("GridDropout", {"unit_size_range": [1, 4]}),
        ("PixelDropout", {"dropout_prob": 2}),
        ("PixelDropout", {"drop_value": "random"}),
        ("PixelDropout", {"mask_drop_value": -1}),
        ("MaskDropout", {"max_objects": [0, 2]}),
        ("MaskDropout", {"fill": "blue"}),
        ("PatchGaussian", {"patch_size_range": [0, 4]}),
        ("PatchGaussian", {"sigma_range": [-1, 0.2]}),
        ("XYMasking", {"num_masks_y": [2, 1]}),
    ],
)
def test_bad_parameters_are_refused(name, config):
    with pytest.raises(ParamError):
        REGISTRY[name](**config)


def test_patch_gaussian_patch_centre_is_uniform_so_the_border_cuts_some_patches():
    sample = labelled_sample(100, 100)
    transform = build("PatchGaussian", patch_size_range=[60, 60])
    patches = [fire(transform, sample, s).patch for s in range(40)]
    assert all(0 <= x1 < x2 <= 100 and 0 <= y1 < y2 <= 100 for x1, y1, x2, y2 in patches)
    sides = [(x2 - x1, y2 - y1) for x1, y1, x2, y2 in patches]
    assert (60, 60) in sides
    assert any(min(side) < 60 for side in sides)
    assert all(max(side) <= 60 for side in sides)
