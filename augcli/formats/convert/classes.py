"""Class values for label maps written from another format's samples."""

from __future__ import annotations

from augcli.core.sample import Categories

BACKGROUND = "background"


def class_table(categories: Categories, has_semantic: bool) -> tuple[list[str], dict[int, int]]:
    """Class names by label-map value, and category id -> value.

    A semantic map already holds category ids, so values are the ids (gaps
    named ``class_<v>``); shapes painted from instances get their category's
    position, with ``background`` first at 0 (a YOLO class 0 must not become
    the background).
    """
    if has_semantic:
        by_id = categories.names()
        top = max(by_id, default=0)
        names = [by_id.get(i, BACKGROUND if i == 0 else unnamed(i)) for i in range(top + 1)]
        return names, {i: i for i in by_id}
    names = [c.name for c in categories.items]
    if BACKGROUND not in names:
        names = [BACKGROUND] + names
    return names, {c.id: names.index(c.name) for c in categories.items}


def unnamed(value: int) -> str:
    return f"class_{value}"


def complete_names(names: list[str], top: int) -> tuple[list[str], list[str]]:
    """``names`` extended to cover values up to ``top`` (``class_<v>``), and a warning if it was."""
    if top < len(names):
        return names, []
    added = [unnamed(v) for v in range(len(names), top + 1)]
    return names + added, [
        f"the source names no class for label values {len(names)}..{top}: they are written as "
        f"{added[0]}{'...' + added[-1] if len(added) > 1 else ''}"
    ]
