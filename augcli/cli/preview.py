"""Drawing for ``augcli preview``: samples and their augmented versions, labels on top.

One row per source sample (its original, then augmented versions), every cell
scaled to a common height (``preview_cell`` draws a cell), titled, with a
legend of the categories and keypoint sides closing the grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from augcli.cli.preview_cell import (
    CENTRE_COLOUR,
    LEFT_COLOUR,
    RIGHT_COLOUR,
    UNKNOWN_COLOUR,
    GridStyle,
    category_colors,
    draw_cell,
    font,
)
from augcli.core.sample import Categories, Sample


@dataclass(frozen=True)
class GridLayout:
    """Where everything goes; ``cells[r][c]`` is the (x, y, w, h) of an image area."""

    size: tuple[int, int]
    cells: list[list[tuple[int, int, int, int]]]
    titles: list[list[tuple[int, int, int]]]  # (x, y, width) of each title block
    legend_top: int


def _title_height(style: GridStyle) -> tuple[int, int]:
    line = int(font(_title_font_size(style)).getbbox("Ag")[3]) + 4
    return line, line * (style.title_lines + 1) + 4


def _title_font_size(style: GridStyle) -> int:
    return max(12, style.cell_height // 19)


def layout_grid(
    shapes: list[list[tuple[int, int]]], style: GridStyle = GridStyle(), legend_height: int = 0
) -> GridLayout:
    """Place cells: ``shapes[r][c]`` is the (width, height) of each drawn cell.

    Column width is the widest cell in that column; cells sit centred in it.
    """
    pad = style.pad
    columns = max(len(row) for row in shapes)
    col_w = [max((row[c][0] for row in shapes if c < len(row)), default=0) for c in range(columns)]
    col_x = np.concatenate([[pad], pad + np.cumsum(np.asarray(col_w) + pad)[:-1]]).astype(int)
    _, title_h = _title_height(style)
    cells, titles, y = [], [], pad
    for row in shapes:
        row_h = max(h for _, h in row)
        cells.append(
            [
                (int(col_x[c] + (col_w[c] - w) // 2), y + title_h + (row_h - h) // 2, w, h)
                for c, (w, h) in enumerate(row)
            ]
        )
        titles.append([(int(col_x[c]), y, col_w[c]) for c in range(len(row))])
        y += title_h + row_h + pad
    width = int(pad + sum(col_w) + pad * columns)
    return GridLayout((width, y + legend_height), cells, titles, y)


def _fit_lines(draw, text: str, fnt, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to ``max_lines``; the last line ends in '...' if text is left over.

    A word wider than ``width`` (a long file name) is cut into pieces that fit.
    """
    words = [piece for word in text.split() for piece in _split_wide(draw, word, fnt, width)]
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and draw.textlength(line + " " + words[0], font=fnt) <= width:
            line += " " + words.pop(0)
        lines.append(line)
    if lines and (words or draw.textlength(lines[-1], font=fnt) > width):
        last = lines[-1]
        while last and draw.textlength(last + "...", font=fnt) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "..."
    return lines


def _split_wide(draw, word: str, fnt, width: int) -> list[str]:
    pieces = []
    while word and draw.textlength(word, font=fnt) > width:
        cut = max(
            1, next((k for k in range(len(word), 0, -1) if draw.textlength(word[:k], font=fnt) <= width), 1)
        )
        pieces.append(word[:cut])
        word = word[cut:]
    return pieces + ([word] if word else [])


def _legend_items(categories: Categories, colours, used: set[int], has_keypoints: bool, has_crowd: bool):
    items = [("swatch", colours[c.id], c.name) for c in categories.items if c.id in used]
    items += [("swatch", UNKNOWN_COLOUR, f"id {i}") for i in sorted(used - set(colours))]
    if has_crowd:
        items.append(("hatch", UNKNOWN_COLOUR, "crowd"))
    if has_keypoints:
        items += [
            ("dot", LEFT_COLOUR, "left"),
            ("dot", RIGHT_COLOUR, "right"),
            ("dot", CENTRE_COLOUR, "visible (v=2)"),
            ("ring", CENTRE_COLOUR, "occluded (v=1)"),
        ]
    return items


def _flow_legend(draw, items, fnt, width: int, style: GridStyle, origin=(0, 0), paint: bool = False) -> int:
    """Lay legend items out in lines within ``width``; draw them when ``paint``; return the height."""
    line_h = fnt.getbbox("Ag")[3] + 8
    box = line_h - 10
    x, y = style.pad, origin[1] + style.pad // 2
    for kind, colour, label in [("text", None, "legend:")] + items:
        item_w = (0 if kind == "text" else box + 5) + int(draw.textlength(label, font=fnt)) + 16
        if x + item_w > width - style.pad and x > style.pad:
            x, y = style.pad, y + line_h
        if paint:
            top, tx = y + 4, x
            if kind != "text":
                tx = x + box + 5
                square = [x, top, x + box, top + box]
                if kind == "swatch":
                    draw.rectangle(square, fill=colour)
                elif kind == "hatch":
                    stripes = Image.new("L", (box + 1, box + 1), 0)
                    for k in range(0, 2 * box + 2, 4):
                        ImageDraw.Draw(stripes).line([(k, 0), (k - box - 1, box + 1)], fill=255)
                    draw.bitmap((x, top), stripes, fill=colour)
                    draw.rectangle(square, outline=colour)
                else:
                    draw.ellipse(square, fill=colour if kind == "dot" else None, outline=colour, width=2)
            draw.text((tx, top - 2), label, fill=style.muted if kind == "text" else style.text, font=fnt)
        x += item_w
    return y + line_h + style.pad // 2 - origin[1]


def render_grid(
    rows: list[list[Sample]],
    categories: Categories,
    titles: list[list[str]] | None = None,
    style: GridStyle = GridStyle(),
) -> Image.Image:
    """One RGB image: each row is a source sample's original then its augmented versions.

    Cells are titled ``titles[r][c]`` (default 'original', 'aug 1', ...) over an
    info line with the image size and object count; a legend closes the grid.
    """
    return render_grid_with_layout(rows, categories, titles, style)[0]


def render_grid_with_layout(
    rows: list[list[Sample]],
    categories: Categories,
    titles: list[list[str]] | None = None,
    style: GridStyle = GridStyle(),
) -> tuple[Image.Image, GridLayout]:
    """``render_grid`` plus where each cell landed (for tests and callers that crop)."""
    if not rows or not any(rows):
        raise ValueError("render_grid needs at least one sample")
    rows = [row for row in rows if row]
    colours = category_colors(categories)
    cells = [[draw_cell(sample, categories, colours, style) for sample in row] for row in rows]
    used = {int(label) for row in rows for s in row for label in s.instances.labels}
    has_kp = any(
        s.instances.keypoints is not None and (s.instances.keypoints[..., 2] > 0).any()
        for row in rows
        for s in row
    )
    has_crowd = any(np.asarray(s.instances.crowd, dtype=bool).any() for row in rows for s in row)
    items = _legend_items(categories, colours, used, has_kp, has_crowd)

    first = layout_grid([[c.size for c in row] for row in cells], style)
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    legend_font = font(max(12, style.cell_height // 20))
    legend_h = _flow_legend(scratch, items, legend_font, first.size[0], style) if items else 0
    layout = layout_grid([[c.size for c in row] for row in cells], style, legend_h)

    grid = Image.new("RGB", layout.size, style.background)
    draw = ImageDraw.Draw(grid)
    title_font = font(_title_font_size(style))
    line_h, _ = _title_height(style)
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            x, y, w, h = layout.cells[r][c]
            grid.paste(cell, (x, y))
            tx, ty, tw = layout.titles[r][c]
            text = (
                titles[r][c]
                if titles and r < len(titles) and c < len(titles[r])
                else ("original" if c == 0 else f"aug {c}")
            )
            lines = _fit_lines(draw, text, title_font, tw, style.title_lines)
            for k, line in enumerate(lines):
                draw.text((tx, ty + k * line_h), line, fill=style.text, font=title_font)
            sample = rows[r][c]
            n = len(sample.instances)
            info = f"{sample.width}x{sample.height} · {n} object{'s' if n != 1 else ''}"
            for line in _fit_lines(draw, info, title_font, tw, 1):
                draw.text((tx, ty + len(lines) * line_h), line, fill=style.muted, font=title_font)
        if r + 1 < len(cells):  # a faint rule between source samples
            y_rule = layout.titles[r + 1][0][1] - style.pad // 2
            draw.line([(style.pad, y_rule), (layout.size[0] - style.pad, y_rule)], fill=(60, 63, 70))
    if items:
        draw.line([(0, layout.legend_top), (layout.size[0], layout.legend_top)], fill=(60, 63, 70))
        _flow_legend(draw, items, legend_font, layout.size[0], style, (0, layout.legend_top), paint=True)
    return grid, layout
