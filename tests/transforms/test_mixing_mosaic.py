"""Mosaic: every tile's labels land on its pixels, whatever the grid, fit and cell size."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mixing_scenes import H, W, assert_aligned, assert_complete, colour_id, colour_index, fire, scene

from augcli.core.errors import TransformError
from augcli.transforms.base import SampleContext
from augcli.transforms.catalog import load_all
from augcli.transforms.params import ParamError

MOSAIC = load_all()["Mosaic"]
SEEDS = range(4)


def tile_regions(op, out):
    """Per instance, the window of the tile it came from (the one holding its box centre)."""
    windows = []
    for tile in op.tiles:
        x0, y0, w, h = tile.window
        region = np.zeros((out.height, out.width), bool)
        region[y0 : y0 + h, x0 : x0 + w] = True
        windows.append((tile, region))
    regions = []
    for box in out.instances.boxes:
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        inside = [
            r
            for t, r in windows
            if t.window[0] <= cx <= t.window[0] + t.window[2]
            and t.window[1] <= cy <= t.window[1] + t.window[3]
        ]
        regions.append(inside[0])
    by_source = {"a": [r for t, r in windows if t.source == 0], "b": [r for t, r in windows if t.source > 0]}
    return regions, by_source


CASES = {
    "2x2 output-sized cells": ({"grid": [2, 2]}, 0.99),
    "3x3 half-size cells": ({"grid": [3, 3], "cell_size": [60, 80]}, 0.9),
    "2x3 cover": ({"grid": [2, 3], "cell_size": [70, 70], "fit": "cover"}, 0.9),
    "2x2 contain, larger output": ({"grid": [2, 2], "output_size": [200, 240], "fit": "contain"}, 0.9),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_tile_lands_on_its_pixels(case, seed):
    cfg, min_iou = CASES[case]
    op, out = fire(MOSAIC(**cfg, interpolation=0, p=1.0), scene("a"), seed)
    regions, by_source = tile_regions(op, out)
    ious = assert_aligned(out, regions, min_iou=min_iou, slack=1.5)
    assert ious, "no shaped instance survived"
    assert_complete(out, by_source)
    assert len(op.partners) == len(op.tiles) - 1
    assert sum(t.window[2] * t.window[3] for t in op.tiles) == out.width * out.height


def test_labels_cut_by_a_tile_edge_are_clipped_and_their_boxes_rederived():
    op, out = fire(MOSAIC(grid=[2, 2], interpolation=0, p=1.0), scene("a"), 1)
    regions, _ = tile_regions(op, out)
    cut = [i for i, v in enumerate(out.instances.visibility) if 0 < v < 1]
    assert cut, "this seed must cut at least one instance at a tile edge"
    for i in cut:
        x0, y0, x1, y1 = out.instances.boxes[i]
        ys, xs = np.nonzero(regions[i])
        assert xs.min() <= x0 and x1 <= xs.max() + 1 and ys.min() <= y0 and y1 <= ys.max() + 1


def test_semantic_map_follows_the_tiles_and_empty_canvas_is_ignore():
    op, out = fire(
        MOSAIC(grid=[2, 2], output_size=[200, 240], fit="contain", interpolation=0, p=1.0), scene(), 0
    )
    index = colour_index(out.image)
    checked = 0
    for palette, base in (("a", 0), ("b", 10)):
        for kind in (1, 2, 3):
            pixels = index == colour_id(palette, kind - 1)
            if pixels.sum() > 20:
                assert (out.semantic[pixels] == base + kind).mean() > 0.99
                checked += 1
    assert checked >= 4
    grey = (out.image == 114).all(axis=2)
    assert grey.any() and (out.semantic[grey] == 255).all()


def test_primary_cell_choices():
    for seed in SEEDS:
        op, _ = fire(MOSAIC(grid=[2, 2], p=1.0), scene(), seed)
        areas = [t.window[2] * t.window[3] for t in op.tiles]
        assert areas[0] == max(areas)  # the primary (tile 0) takes the largest cell
        op, _ = fire(MOSAIC(grid=[2, 2], primary_cell="top_left", p=1.0), scene(), seed)
        assert op.tiles[0].window[:2] == (0, 0)


def test_record_names_the_partners_and_is_json():
    op, _ = fire(MOSAIC(grid=[3, 3], cell_size=[60, 80], p=1.0), scene(), 2)
    record = json.loads(json.dumps(op.record()))
    assert record["partners"] == [p.meta["key"] for p in op.partners]
    assert len(set(record["partners"])) == len(record["partners"]) == len(op.tiles) - 1


def test_without_partners_it_fails_clearly():
    sample = scene()
    ctx = SampleContext(width=W, height=H, get_sample=lambda: sample)
    with pytest.raises(TransformError, match="partner images"):
        MOSAIC(p=1.0).sample(np.random.default_rng(0), ctx)


@pytest.mark.parametrize(
    "cfg, param",
    [
        ({"grid": [1, 1]}, "grid"),
        ({"grid": [2, "x"]}, "grid"),
        ({"output_size": [100, 100], "cell_size": [40, 40]}, "cell_size"),
        ({"fill_mask": "none"}, "fill_mask"),
    ],
)
def test_bad_parameters_are_refused(cfg, param):
    with pytest.raises(ParamError) as err:
        MOSAIC(**cfg)
    assert err.value.param == param


def test_min_size_drops_slivers_with_all_their_columns():
    plain_op, plain = fire(MOSAIC(grid=[2, 2], p=1.0), scene(), 1)
    op, out = fire(MOSAIC(grid=[2, 2], min_size=12, p=1.0), scene(), 1)
    sizes = np.minimum(
        plain.instances.boxes[:, 2] - plain.instances.boxes[:, 0],
        plain.instances.boxes[:, 3] - plain.instances.boxes[:, 1],
    )
    assert (sizes < 12).any(), "the seed must cut a sliver"
    assert len(out.instances) == int((sizes >= 12).sum())
    assert out.meta["dropped"]["min_size"] == int((sizes < 12).sum())
    assert out.instances.keypoints.shape[0] == len(out.instances.masks) == len(out.instances)


@settings(max_examples=40)
@given(
    rows=st.integers(1, 3),
    cols=st.integers(2, 3),
    cell=st.tuples(st.integers(40, 130), st.integers(40, 170)),
    out=st.tuples(st.integers(30, 120), st.integers(30, 160)),
    fit=st.sampled_from(["long_side", "cover", "contain"]),
    seed=st.integers(0, 2**16),
)
def test_tiles_partition_the_output_and_hold_their_labels(rows, cols, cell, out, fit, seed):
    assume(rows * cell[0] >= out[0] and cols * cell[1] >= out[1])
    mosaic = MOSAIC(grid=[rows, cols], cell_size=list(cell), output_size=list(out), fit=fit, p=1.0)
    op, result = fire(mosaic, scene(), seed)
    owner = np.zeros(out, int)
    for tile in op.tiles:
        x0, y0, w, h = tile.window
        owner[y0 : y0 + h, x0 : x0 + w] += 1
    assert (owner == 1).all()
    regions, _ = tile_regions(op, result)
    for box, region in zip(result.instances.boxes, regions):
        ys, xs = np.nonzero(region)
        assert xs.min() <= box[0] <= box[2] <= xs.max() + 1 and ys.min() <= box[1] <= box[3] <= ys.max() + 1
