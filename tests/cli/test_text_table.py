"""The catalogue's own box tables: full width on a pipe, folded at spaces on a narrow terminal."""

from __future__ import annotations

from augcli.cli.text_table import cell_width, render_table

HEADER = ["name", "type", "meaning"]
ROWS = [
    ["scale", "number, [min, max] or {x: ..., y: ...}", "scale factor, 1 = unchanged; per axis"],
    ["p", "float", "probability of applying the transform"],
]


def test_full_width_table_has_one_line_per_row_and_aligned_borders():
    lines = render_table(HEADER, ROWS).split("\n")
    assert len(lines) == 2 + 1 + 1 + len(ROWS)  # top, header, rule, rows, bottom
    assert len({cell_width(line) for line in lines}) == 1
    assert lines[0].startswith("┏━") and lines[2].startswith("┡━") and lines[-1].startswith("└─")
    assert (
        lines[3]
        == "│ scale │ number, [min, max] or {x: ..., y: ...} │ scale factor, 1 = unchanged; per axis │"
    )


def test_narrow_terminal_folds_columns_at_spaces_and_keeps_every_word():
    lines = render_table(HEADER, ROWS, max_width=50).split("\n")
    assert all(cell_width(line) <= 50 for line in lines)
    assert len(lines) > 2 + 1 + 1 + len(ROWS)
    body = [line.strip("│").split("│") for line in lines[3:-1]]
    for column in (1, 2):
        words = " ".join(cells[column].strip() for cells in body).split()
        assert words == " ".join(row[column] for row in ROWS).split()


def test_bold_marks_the_header_and_first_column_only_when_asked():
    plain = render_table(HEADER, ROWS)
    assert "\x1b[" not in plain
    marked = render_table(HEADER, ROWS, bold=True, bold_first_column=True)
    assert "\x1b[1mname\x1b[0m" in marked and "\x1b[1mscale\x1b[0m" in marked
    assert marked.replace("\x1b[1m", "").replace("\x1b[0m", "") == plain


def test_wide_characters_take_two_columns():
    assert cell_width("ab") == 2 and cell_width("日本") == 4
    lines = render_table(["x"], [["日本"], ["abcd"]]).split("\n")
    assert len({cell_width(line) for line in lines}) == 1
