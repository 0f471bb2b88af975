"""The preview grid: cells land where the layout says, labels are drawn where they are."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from augcli.cli.preview import render_grid, render_grid_with_layout
from augcli.cli.preview_cell import (
    CENTRE_COLOUR,
    LEFT_COLOUR,
    RIGHT_COLOUR,
    GridStyle,
    category_colors,
    cell_size,
)
from augcli.core.sample import Categories, Category, Instances, Sample

CATS = Categories(
    [
        Category(1, "person", ("nose", "left_eye", "right_eye", "left_ear"), ((1, 2), (2, 4))),
        Category(7, "car"),
        Category(9, "tree"),
    ]
)
ALPHA = GridStyle().fill_alpha


def solid(h: int, w: int, colour) -> Sample:
    return Sample(np.full((h, w, 3), colour, dtype=np.uint8), Instances.empty())


def pixel(grid, layout, r: int, c: int, x: float, y: float) -> np.ndarray:
    """Grid pixel at image-space point (x, y) of cell (r, c), scaled like the cell."""
    cx, cy, cw, ch = layout.cells[r][c]
    return np.asarray(grid)[cy + int(y), cx + int(x)].astype(int)


def rect_mask(h: int, w: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    m = np.zeros((h, w), dtype=np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def test_cells_are_scaled_to_a_common_height_and_placed_without_overlap():
    style = GridStyle(cell_height=80, pad=10)
    colours = [[(200, 10, 10), (10, 200, 10), (10, 10, 200)], [(250, 250, 0), (0, 250, 250)]]
    sizes = [[(50, 100), (60, 60), (100, 200)], [(120, 60), (40, 80)]]  # (h, w)
    rows = [[solid(h, w, col) for (h, w), col in zip(rs, cs)] for rs, cs in zip(sizes, colours)]
    grid, layout = render_grid_with_layout(rows, CATS, style=style)
    assert grid.size == layout.size
    # Scaled by hand: every cell is 80 px high, width follows the aspect ratio.
    expected = [[(160, 80), (80, 80), (160, 80)], [(40, 80), (160, 80)]]
    assert [[(w, h) for _, _, w, h in row] for row in layout.cells] == expected
    # Column widths are the widest cell per column; pads between and around.
    assert grid.size[0] == 10 + (160 + 10) + (160 + 10) + (160 + 10)
    arr = np.asarray(grid).astype(int)
    boxes = []
    for r, row in enumerate(layout.cells):
        for c, (x, y, w, h) in enumerate(row):
            area = arr[y : y + h, x : x + w]
            assert area.shape[:2] == (h, w)
            assert np.abs(area - np.array(colours[r][c])).max() <= 1  # the whole image, nothing else
            assert np.abs(arr[y + h // 2, x - 1] - np.array(colours[r][c])).max() > 30  # ends at its edge
            boxes.append((x, y, x + w, y + h))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_very_wide_images_are_capped_in_width():
    style = GridStyle(cell_height=80, max_cell_aspect=2.5)
    assert cell_size(1000, 100, style) == (200, 20)
    assert cell_size(300, 100, style) == (200, 67)
    assert cell_size(100, 300, style) == (27, 80)


def test_box_and_mask_pixels_are_drawn_in_their_category_colour():
    h, w = 100, 200
    car_rle = mask_utils.encode(np.asfortranarray(rect_mask(h, w, 30, 40, 90, 80)))
    tree_ring = np.array([[120, 40], [180, 40], [180, 90], [120, 90]], dtype=np.float64)
    inst = Instances(
        labels=[7, 9],
        boxes=[[30, 40, 90, 80], [120, 40, 180, 90]],
        polygons=[None, [tree_ring]],
        masks=[car_rle, None],
    )
    sample = Sample(np.zeros((h, w, 3), np.uint8), inst)
    grid, layout = render_grid_with_layout([[sample]], CATS, style=GridStyle(cell_height=100))
    colours = category_colors(CATS)
    car, tree = np.array(colours[7]), np.array(colours[9])
    assert np.abs(car - tree).max() > 50
    # Box edges in full colour, interiors tinted (black image: colour * alpha), outside untouched.
    assert np.abs(pixel(grid, layout, 0, 0, 30, 60) - car).max() <= 1
    assert np.abs(pixel(grid, layout, 0, 0, 60, 62) - car * ALPHA).max() <= 2
    assert np.abs(pixel(grid, layout, 0, 0, 179, 65) - tree).max() <= 1
    assert np.abs(pixel(grid, layout, 0, 0, 150, 65) - tree * ALPHA).max() <= 2
    assert pixel(grid, layout, 0, 0, 105, 95).max() == 0
    assert pixel(grid, layout, 0, 0, 10, 90).max() == 0


def test_masks_follow_the_cell_scale():
    h, w = 50, 100
    rle = mask_utils.encode(np.asfortranarray(rect_mask(h, w, 60, 10, 90, 40)))
    inst = Instances(labels=[7], boxes=np.zeros((1, 4)), masks=[rle])  # no box: only the mask
    grid, layout = render_grid_with_layout(
        [[Sample(np.zeros((h, w, 3), np.uint8), inst)]], CATS, style=GridStyle(cell_height=150)
    )
    car = np.array(category_colors(CATS)[7])
    arr = np.asarray(grid).astype(int)
    x, y, cw, ch = layout.cells[0][0]
    assert (cw, ch) == (300, 150)
    tinted = np.all(np.abs(arr[y : y + ch, x : x + cw] - car * ALPHA) <= 2, axis=2)
    ys, xs = np.nonzero(tinted)
    # The mask covers image x in [60, 90), y in [10, 40): x3 in the cell, minus the outline.
    assert xs.min() >= 180 and xs.max() < 270 and ys.min() >= 30 and ys.max() < 120
    assert tinted[75, 225] and not tinted[75, 150]


def test_keypoints_are_drawn_at_their_positions_by_visibility_and_side():
    h, w = 100, 200
    kps = np.array([[[50, 50, 2], [120, 60, 2], [20, 70, 1], [150, 80, 0]]], dtype=np.float64)
    inst = Instances(labels=[1], boxes=np.zeros((1, 4)), keypoints=kps)
    cats = Categories([Category(1, "person", ("nose", "left_eye", "right_eye", "left_ear"))])
    sample = Sample(np.zeros((h, w, 3), np.uint8), inst)
    grid, layout = render_grid_with_layout([[sample]], cats, style=GridStyle(cell_height=200))
    arr = np.asarray(grid).astype(int)
    x0, y0, _, _ = layout.cells[0][0]
    at = lambda x, y: arr[y0 + int(round(2 * y)), x0 + int(round(2 * x))]  # noqa: E731 (scale 2)
    assert np.array_equal(at(50, 50), CENTRE_COLOUR)  # v=2: filled dot
    assert np.array_equal(at(120, 60), LEFT_COLOUR)
    assert at(20, 70).max() == 0  # v=1: hollow ...
    ring = arr[y0 + 140 - 8 : y0 + 140 + 9, x0 + 40 - 8 : x0 + 40 + 9]
    assert np.all(ring == np.array(RIGHT_COLOUR), axis=2).sum() >= 8  # ... with a ring around it
    around_hidden = arr[y0 + 160 - 10 : y0 + 160 + 11, x0 + 300 - 10 : x0 + 300 + 11]
    assert around_hidden.max() == 0  # v=0: nothing at all


def test_skeleton_lines_join_visible_keypoints_only():
    h, w = 100, 200
    kps = np.array([[[20, 50, 2], [120, 50, 2], [60, 90, 2], [180, 50, 0]]], dtype=np.float64)
    inst = Instances(labels=[1], boxes=np.zeros((1, 4)), keypoints=kps)
    grid, layout = render_grid_with_layout(
        [[Sample(np.zeros((h, w, 3), np.uint8), inst)]], CATS, style=GridStyle(cell_height=100)
    )
    assert np.abs(pixel(grid, layout, 0, 0, 70, 50) - np.array(category_colors(CATS)[1])).max() <= 1
    # (2, 4) joins left_eye to a v=0 left_ear: not drawn.
    assert pixel(grid, layout, 0, 0, 150, 50).max() == 0


def test_crowd_regions_are_hatched():
    h, w = 60, 80
    m = rect_mask(h, w, 10, 10, 70, 50)
    flat = m.reshape(-1, order="F")
    bounds = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]])
    uncompressed = {"size": [h, w], "counts": np.diff(bounds).tolist()}  # as COCO stores crowd
    inst = Instances(labels=[1], boxes=[[10, 10, 70, 50]], masks=[uncompressed], crowd=np.array([True]))
    grid, layout = render_grid_with_layout(
        [[Sample(np.zeros((h, w, 3), np.uint8), inst)]], CATS, style=GridStyle(cell_height=60)
    )
    x, y, _, _ = layout.cells[0][0]
    inside = np.asarray(grid).astype(int)[y + 32 : y + 47, x + 15 : x + 65].reshape(-1, 3)  # below the tag
    person = np.array(category_colors(CATS)[1])
    strong = np.all(np.abs(inside - person * 0.85) <= 2, axis=1).mean()
    faint = np.all(np.abs(inside - person * ALPHA * 0.5) <= 2, axis=1).mean()
    assert 0.2 < strong < 0.5 and 0.5 < faint < 0.8 and strong + faint > 0.99


def test_grayscale_uint16_and_empty_instances_render():
    gray = Sample(np.full((40, 60), 77, np.uint8), Instances.empty())
    deep = Sample(np.full((40, 60), 1000, np.uint16), Instances.empty(num_keypoints=17))
    single = Sample(np.full((30, 30, 1), 200, np.uint8), Instances.empty())
    grid, layout = render_grid_with_layout([[gray, deep], [single]], CATS, style=GridStyle(cell_height=40))
    arr = np.asarray(grid)
    x, y, w, h = layout.cells[0][0]
    assert np.all(arr[y : y + h, x : x + w] == 77)
    x, y, w, h = layout.cells[0][1]
    assert np.all(arr[y : y + h, x : x + w] == 255)  # uint16 stretched to the display range
    x, y, w, h = layout.cells[1][0]
    assert (w, h) == (40, 40) and np.all(arr[y : y + h, x : x + w] == 200)


def test_long_titles_stay_inside_their_column():
    style = GridStyle(cell_height=60, pad=12)
    rows = [[solid(60, 60, (0, 0, 0)), solid(60, 60, (0, 0, 0))]]
    title = "aug 1: " + ", ".join(["RandomBrightnessContrast"] * 12)
    grid, layout = render_grid_with_layout(rows, CATS, titles=[[title, "aug 2"]], style=style)
    arr = np.asarray(grid).astype(int)
    (tx0, ty, tw0), (tx1, _, _) = layout.titles[0]
    band = arr[ty : layout.cells[0][0][1], tx0 + tw0 : tx1]  # the gap between the two columns
    assert np.all(band == np.array(style.background))
    assert np.any(arr[ty : layout.cells[0][0][1], tx0 : tx0 + tw0] != np.array(style.background))


def test_semantic_maps_are_tinted_except_background_and_ignore():
    sem = np.zeros((20, 30), np.uint8)
    sem[:, 10:20] = 7
    sem[:, 20:] = 255
    sample = Sample(np.zeros((20, 30, 3), np.uint8), Instances.empty(), semantic=sem)
    grid, layout = render_grid_with_layout([[sample]], CATS, style=GridStyle(cell_height=20))
    assert pixel(grid, layout, 0, 0, 5, 10).max() == 0
    assert pixel(grid, layout, 0, 0, 25, 10).max() == 0
    assert np.abs(pixel(grid, layout, 0, 0, 15, 10) - np.array(category_colors(CATS)[7]) * ALPHA).max() <= 2


def test_nothing_to_draw_is_an_error():
    with pytest.raises(ValueError):
        render_grid([], CATS)
