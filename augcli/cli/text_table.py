"""Box-drawn text tables for ``augcli transforms``, in the layout of rich's heavy-head table.

Importing rich and laying its table out were half of the command's start-up
(0.17 of 0.36 CPU-s), so the catalogue draws its own: each cell padded by one space,
columns as wide as their widest cell, and on a terminal narrower than the table the
widest columns folded at spaces until it fits.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from typing import TextIO

# Box characters as (left, fill, joint, right).
TOP, HEAD, HEAD_RULE, ROW, BOTTOM = (tuple(box) for box in ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "└─┴┘"))
MIN_FOLDED = 12  # a column is never folded narrower than this (or its header)


def cell_width(text: str) -> int:
    """Terminal columns ``text`` takes (East Asian wide characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def render_table(
    header: list[str],
    rows: list[list[str]],
    *,
    max_width: int | None = None,
    bold: bool = False,
    bold_first_column: bool = False,
) -> str:
    """The table as lines of text; ``bold`` marks the header (and the first column) with ANSI."""
    widths = [max(cell_width(cell) for cell in column) for column in zip(header, *rows)]
    if max_width is not None:
        _fit(widths, [max(MIN_FOLDED, cell_width(h)) for h in header], max_width)
    lines = [_rule(TOP, widths)]
    lines += _row(HEAD, header, widths, range(len(header)) if bold else ())
    lines.append(_rule(HEAD_RULE, widths))
    for row in rows:
        lines += _row(ROW, row, widths, (0,) if bold and bold_first_column else ())
    lines.append(_rule(BOTTOM, widths))
    return "\n".join(lines)


def _fit(widths: list[int], floors: list[int], max_width: int) -> None:
    """Narrow the widest foldable column, one column at a time, until the table fits."""
    excess = sum(widths) + 3 * len(widths) + 1 - max_width  # + borders and padding
    while excess > 0:
        foldable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not foldable:
            return  # the terminal wraps what still does not fit
        widest = max(foldable, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1


def _rule(box: tuple[str, ...], widths: list[int]) -> str:
    left, fill, joint, right = box
    return left + joint.join(fill * (w + 2) for w in widths) + right


def _row(box: tuple[str, ...], cells: list[str], widths: list[int], bold_cells) -> list[str]:
    left, _, joint, right = box
    folded = [_fold(cell, w) for cell, w in zip(cells, widths)]
    lines = []
    for i in range(max(len(f) for f in folded)):
        padded = []
        for c, (f, w) in enumerate(zip(folded, widths)):
            cell = f[i] if i < len(f) else ""
            pad = " " * (w - cell_width(cell))
            padded.append(f"\x1b[1m{cell}\x1b[0m{pad}" if c in bold_cells and cell else cell + pad)
        lines.append(f"{left} " + f" {joint} ".join(padded) + f" {right}")
    return lines


def _fold(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken at spaces where it can be."""
    if cell_width(text) <= width:
        return [text]
    import textwrap

    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def terminal_width(stream: TextIO) -> int | None:
    """The terminal's width when ``stream`` is one, else None (a pipe or a file: never fold)."""
    if not stream.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def wants_bold(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def bold(text: str, stream: TextIO = sys.stdout) -> str:
    return f"\x1b[1m{text}\x1b[0m" if wants_bold(stream) else text
