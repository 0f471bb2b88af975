"""Mosaic: the primary and partners tiled on a rows x cols grid, an output window cut from it.

The grid is ``rows * cell_h`` by ``cols * cell_w``; the output window's
top-left corner is drawn at a fraction ``center_range`` of the room the grid
leaves (Albumentations' centre rule; [0.25, 0.75] on a 2x2 grid of output-
sized cells puts the junction where Ultralytics' U(s/2, 3s/2) does). Each
cell the window sees gets one image, moved by one matrix straight into the
visible part of its cell, so every label is clipped to it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.filtering import drop_instances
from augcli.geometry.warp import scaling, translation
from augcli.transforms.base import register
from augcli.transforms.geometric._common import interpolation_param
from augcli.transforms.mixing._common import (
    FILL_MASK,
    PARTNER_NOTE,
    MixingOp,
    MixingTransform,
    check_fill_mask,
    concat_instances,
    like_image,
    mask_fill,
    place,
    shift_instances,
)
from augcli.transforms.params import Param, ParamError

FITS = ("long_side", "cover", "contain")
PRIMARY_CELLS = ("largest", "top_left", "random")


@dataclass(frozen=True)
class Tile:
    source: int  # 0 = the primary, i = partners[i - 1]
    matrix: tuple  # 3x3, source pixels -> the visible window of its cell
    window: tuple[int, int, int, int]  # x0, y0, width, height on the output


@dataclass(frozen=True)
class MosaicOp(MixingOp):
    name: ClassVar[str] = "Mosaic"
    partners: tuple[Sample, ...]
    tiles: tuple[Tile, ...]
    out_width: int
    out_height: int
    fill: Any
    fill_mask: Any
    interpolation: int
    min_size: float = 0.0

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        sources = (sample, *self.partners)
        width, height = self.out_width, self.out_height
        image = _canvas(sample.image, height, width, self.fill)
        semantic = None
        if sample.semantic is not None:
            semantic = np.full((height, width), mask_fill(self.fill_mask, sample), sample.semantic.dtype)
        parts, meta = [], dict(sample.meta)
        for tile in self.tiles:
            x0, y0, w, h = tile.window
            source = sources[tile.source]
            piece = place(
                source,
                np.array(tile.matrix),
                (w, h),
                fill=self.fill,
                fill_mask=self.fill_mask,
                interpolation=self.interpolation,
                policy=policy,
            )
            image[y0 : y0 + h, x0 : x0 + w] = like_image(piece.image, sample.image)
            if semantic is not None and piece.semantic is not None:
                semantic[y0 : y0 + h, x0 : x0 + w] = piece.semantic
            parts.append(shift_instances(piece.instances, x0, y0, width, height))
            if tile.source == 0:
                meta = dict(piece.meta)  # the primary's drop counts; partners' cut-offs are not losses
        if "width" in meta:
            meta.update(width=width, height=height)
        out = sample.replace(image=image, semantic=semantic, instances=concat_instances(parts), meta=meta)
        if self.min_size <= 0 or not len(out.instances):
            return out
        boxes = out.instances.boxes
        big = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= self.min_size
        return drop_instances(out, big, "min_size")

    def record(self) -> dict:
        out = super().record()
        out["tiles"] = [
            {"source": t.source, "window": list(t.window), "matrix": np.round(t.matrix, 6).tolist()}
            for t in self.tiles
        ]
        return out


def _canvas(like: np.ndarray, height: int, width: int, fill: Any) -> np.ndarray:
    canvas = np.empty((height, width) + like.shape[2:], like.dtype)
    canvas[...] = np.asarray(fill)
    return canvas


def _size(value: Any, name: str) -> tuple[int, int] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
    )
    if not ok:
        raise ParamError(f"{name} must be [height, width] with positive integers, got {value!r}", name)
    return int(value[0]), int(value[1])


@register
class Mosaic(MixingTransform):
    """Tile the image with partner images on a grid (2x2, 3x3, any rows x cols) and cut the output from it."""

    default_p = 1.0
    params = (
        Param("grid", "any", [2, 2], "[rows, cols] of the grid", shape="[int, int]"),
        Param(
            "output_size",
            "any",
            None,
            "[height, width] of the output; null: the image's size",
            nullable=True,
            shape="[int, int]",
        ),
        Param(
            "cell_size",
            "any",
            None,
            "[height, width] of one cell; null: output_size",
            nullable=True,
            shape="[int, int]",
        ),
        Param(
            "fit",
            "choice",
            "long_side",
            "how an image fills its cell: long_side (scaled to fit, pushed towards the grid centre, "
            "Ultralytics), contain (scaled to fit, centred), cover (scaled to cover, centred, cropped)",
            choices=FITS,
        ),
        Param(
            "center_range",
            "range",
            (0.25, 0.75),
            "where the output window sits on the grid, as a fraction of the room left",
            low=0.0,
            high=1.0,
        ),
        Param(
            "primary_cell",
            "choice",
            "largest",
            "which cell the image itself takes: the largest visible one, the top-left one, or a random one",
            choices=PRIMARY_CELLS,
        ),
        Param(
            "min_size",
            "float",
            0.0,
            "drop instances whose box is narrower or lower than this (px) after the cut (Ultralytics: 2)",
            low=0.0,
        ),
        Param("fill", "color", 114, "image value where no image covers the canvas"),
        FILL_MASK,
        interpolation_param(),
    )
    example = "- Mosaic: {grid: [2, 2], output_size: [96, 128], p: 1.0}"
    deviations = (
        "Partners come from the engine (Albumentations: supplied by the caller; Ultralytics: a trailing "
        "buffer, with repeats). " + PARTNER_NOTE + " Every label type is clipped exactly to its cell: "
        "multi-part polygons, RLE masks, semantic maps (fill_mask where no image is), keypoints (outside "
        "their cell: v=0) and boxes, which are re-derived from the clipped polygon or mask. Filtering is "
        "the recipe's labels: policy (min_visibility, min_area), plus min_size (off by default). center_range defaults to [0.25, 0.75] "
        "(Albumentations 0.3-0.7); fill defaults to 114 as in Ultralytics; fit long_side is Ultralytics' "
        "tile placement (Albumentations: cover/contain only). Cells outside the output take no partner."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    grid: Any
    output_size: Any
    cell_size: Any
    fill_mask: Any

    def check(self) -> None:
        grid = self.grid
        if not (
            isinstance(grid, (list, tuple))
            and len(grid) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in grid)
            and grid[0] * grid[1] >= 2
        ):
            raise ParamError(
                f"grid must be [rows, cols] of positive integers with 2+ cells, got {grid!r}", "grid"
            )
        self.grid = (int(grid[0]), int(grid[1]))
        self.output_size = _size(self.output_size, "output_size")
        self.cell_size = _size(self.cell_size, "cell_size")
        self.fill_mask = check_fill_mask(self.fill_mask)
        if self.output_size and self.cell_size:
            rows, cols = self.grid
            if (
                rows * self.cell_size[0] < self.output_size[0]
                or cols * self.cell_size[1] < self.output_size[1]
            ):
                raise ParamError(
                    "the grid of cells is smaller than output_size; enlarge cell_size", "cell_size"
                )

    @property
    def partners_needed(self) -> int:
        return self.grid[0] * self.grid[1] - 1

    def make_op(self, rng: np.random.Generator, ctx: Any) -> MosaicOp:
        primary = ctx.sample()
        out_h, out_w = self.output_size or (primary.height, primary.width)
        cell_h, cell_w = self.cell_size or (out_h, out_w)
        rows, cols = self.grid
        grid_w, grid_h = cols * cell_w, rows * cell_h
        if grid_w < out_w or grid_h < out_h:
            raise ParamError("the grid of cells is smaller than the output; enlarge cell_size", "cell_size")
        lo, hi = self.center_range
        left = min(int((grid_w - out_w + 1) * rng.uniform(lo, hi)), grid_w - out_w)
        top = min(int((grid_h - out_h + 1) * rng.uniform(lo, hi)), grid_h - out_h)
        cells = _visible_cells(rows, cols, cell_w, cell_h, left, top, out_w, out_h)
        first = self._primary_cell(cells, rng)
        others = [c for c in cells if c is not first]
        partners = self.partners(rng, ctx, len(others))
        assigned = [(first, primary, 0)] + [
            (cell, p, i + 1) for i, (cell, p) in enumerate(zip(others, partners))
        ]
        tiles = []
        for (row, col, window), source, index in assigned:
            matrix = self._tile_matrix(source, row, col, cell_w, cell_h, left, top, window)
            tiles.append(Tile(index, tuple(map(tuple, matrix)), window))
        return MosaicOp(
            partners=tuple(partners),
            tiles=tuple(tiles),
            out_width=out_w,
            out_height=out_h,
            fill=self.fill,
            fill_mask=self.fill_mask,
            interpolation=self.interpolation,
            min_size=self.min_size,
        )

    def _primary_cell(self, cells: list, rng: np.random.Generator):
        if self.primary_cell == "random":
            return cells[int(rng.integers(len(cells)))]
        if self.primary_cell == "top_left":
            return cells[0]
        areas = [w * h for _, _, (_, _, w, h) in cells]
        return cells[int(np.argmax(areas))]

    def _tile_matrix(self, source: Sample, row, col, cell_w, cell_h, left, top, window) -> np.ndarray:
        width, height = source.width, source.height
        fit_scale = min(cell_w / width, cell_h / height)
        s = max(cell_w / width, cell_h / height) if self.fit == "cover" else fit_scale
        rows, cols = self.grid
        if self.fit == "long_side":
            dx = _towards_centre(col, cols, cell_w - width * s)
            dy = _towards_centre(row, rows, cell_h - height * s)
        else:
            dx, dy = round((cell_w - width * s) / 2), round((cell_h - height * s) / 2)
        x0, y0 = window[0], window[1]
        origin_x, origin_y = col * cell_w - left + dx - x0, row * cell_h - top + dy - y0
        return translation(origin_x, origin_y) @ scaling(s, s)


def _towards_centre(index: int, count: int, room: float) -> float:
    """Offset in a cell that pushes the image against the side facing the grid's centre."""
    if count % 2 and index == count // 2:
        return round(room / 2)
    return round(room) if index < count / 2 else 0


def _visible_cells(rows, cols, cell_w, cell_h, left, top, out_w, out_h) -> list:
    """(row, col, window) of every cell the output sees, in row-major order."""
    cells = []
    for row in range(rows):
        for col in range(cols):
            x0 = max(col * cell_w - left, 0)
            y0 = max(row * cell_h - top, 0)
            x1 = min((col + 1) * cell_w - left, out_w)
            y1 = min((row + 1) * cell_h - top, out_h)
            if x1 > x0 and y1 > y0:
                cells.append((row, col, (x0, y0, x1 - x0, y1 - y0)))
    return cells
