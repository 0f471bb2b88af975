"""RandomGridShuffle: cut the image into a grid of tiles and shuffle them.

The warp is discontinuous, so it is a ``PiecewiseWarp``: one whole-pixel
translation per tile. Pixels, masks and the semantic map are copied tile by
tile; keypoints move with the tile under them; polygons are cut along the
tile borders and every part moves with its tile (an object split by the grid
becomes a multi-part polygon); a box-only instance becomes the box around
its moved parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from augcli.geometry.piecewise import Piece, PiecewiseWarp, piecewise_warp
from augcli.geometry.warp import translation
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import ResampledOp, require
from augcli.transforms.params import Param


def grid_tiles(width: int, height: int, rows: int, cols: int) -> list[tuple[int, int, int, int]]:
    """Tiles (x0, y0, x1, y1) in row-major order; sides differ by at most one pixel."""
    xs = np.linspace(0, width, cols + 1).astype(int)
    ys = np.linspace(0, height, rows + 1).astype(int)
    return [
        (int(xs[c]), int(ys[r]), int(xs[c + 1]), int(ys[r + 1])) for r in range(rows) for c in range(cols)
    ]


@dataclass(frozen=True, kw_only=True)
class GridShuffleOp(ResampledOp):
    """Tile k (row-major) of a rows x cols grid is shown where tile ``order[k]`` was.

    Tiles move by whole pixels, so they are copied; the resampling fields only
    matter to the general path (nearest keeps it exact too)."""

    name: ClassVar[str] = "RandomGridShuffle"
    rows: int
    cols: int
    order: tuple[int, ...]

    def warp(self, width: int, height: int) -> PiecewiseWarp:
        tiles = grid_tiles(width, height, self.rows, self.cols)
        pieces = []
        for (x0, y0, x1, y1), target in zip(tiles, self.order):
            tx0, ty0, tx1, ty1 = tiles[target]
            if (tx1 - tx0, ty1 - ty0) != (x1 - x0, y1 - y0):
                raise ValueError("tiles of different sizes cannot trade places")
            if x1 > x0 and y1 > y0:
                pieces.append(Piece((x0, y0, x1, y1), translation(tx0 - x0, ty0 - y0)))
        return piecewise_warp(pieces, (width, height))


@register
class RandomGridShuffle(Transform):
    """Split the image into a grid of tiles and shuffle them; labels are cut and moved with them."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "grid",
            "int_range",
            (3, 3),
            "[rows, columns] of the grid; a number n means n x n",
            low=1,
            ordered=False,
        ),
    )
    example = "- RandomGridShuffle: {grid: [3, 3], p: 0.5}"
    deviations = (
        "Tiles trade places only with tiles of the same size (when the image does not "
        "divide evenly, sides differ by one pixel). Polygons are cut along tile borders "
        "and become multi-part; a box-only instance cut by a border gets the box around "
        "all its moved parts."
    )

    def check(self) -> None:
        rows, cols = self.grid
        require(rows * cols >= 1, "grid needs at least one tile", "grid")

    def make_op(self, rng, ctx):
        rows, cols = self.grid
        tiles = grid_tiles(ctx.width, ctx.height, rows, cols)
        order = np.arange(len(tiles))
        sizes: dict[tuple[int, int], list[int]] = {}
        for k, (x0, y0, x1, y1) in enumerate(tiles):
            sizes.setdefault((x1 - x0, y1 - y0), []).append(k)
        for members in sizes.values():  # shuffle within each group of equal tiles
            order[members] = rng.permutation(members)
        return GridShuffleOp(rows=rows, cols=cols, order=tuple(int(k) for k in order), interpolation=0)
