"""The work of a run: one task per source image, holding its split and output copies.

Copies of one image run together so the image is decoded once; each copy
still has its own random stream (``engine.seeds``), so grouping never changes
the output.

Which images get augmented copies is decided per split: ``augmented_splits``
resolves ``--splits`` / the recipe's ``splits:`` against the dataset, and
every image of a split that is not augmented gets only its original (copy
0), whatever ``keep_original`` says, so OUT is always a complete dataset.
How many copies an augmented image gets is ``copies_of(split, key)``: a
constant today, the hook for planners that vary it per image.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from augcli.core.errors import UsageError
from augcli.formats.splits import (
    DEFAULT_SPLIT,
    normalize_split,
    overlapping_images,
    split_names_of,
    split_of,
    train_splits,
)


@dataclass(frozen=True)
class Task:
    index: int  # position in the plan; records are assembled in this order
    key: str
    copies: tuple[int, ...]  # 0 = the untouched original, 1..N = augmented copies
    split: str = DEFAULT_SPLIT


@dataclass(frozen=True)
class SplitChoice:
    augmented: tuple[str, ...]
    warning: str | None = None  # said when the choice was not the user's


def augmented_splits(present: Sequence[str], wanted: Sequence[str] | None) -> SplitChoice:
    """The splits to augment: ``wanted`` (all must exist), else the training split, else all.

    Raises ``UsageError`` (exit 2) naming the splits present when ``wanted``
    names one the dataset does not have.
    """
    present = list(present)
    if wanted:
        missing = [name for name in wanted if name not in present]
        if missing:
            raise UsageError(
                f"--splits names {', '.join(missing)}, which this dataset does not have; "
                f"its splits: {', '.join(present) or 'none'}"
            )
        return SplitChoice(tuple(dict.fromkeys(wanted)))
    train = train_splits(present)
    if train:
        return SplitChoice(tuple(train))
    if present in ([DEFAULT_SPLIT], []):  # a dataset without splits: nothing to tell apart
        return SplitChoice(tuple(present))
    return SplitChoice(
        tuple(present),
        f"no split named train: augmenting every split ({', '.join(present)}); pass --splits to choose",
    )


@dataclass
class SplitsPlan:
    """Each image's split, the splits present and those augmented, and what to warn about."""

    items: list[tuple[str, str]]  # (split, key) in input order
    present: list[str]
    augmented: tuple[str, ...]
    warnings: list[str]

    def augmented_keys(self) -> list[str]:
        return [key for split, key in self.items if split in self.augmented]

    def table(self) -> dict[str, dict]:
        """The report's per-split counts, before any output is written."""
        table = {
            name: {"augmented": name in self.augmented, "images_in": 0, "images_out": 0}
            for name in self.present
        }
        for split, _ in self.items:
            table[split]["images_in"] += 1
        return table


def plan_splits(reader: Any, keys: Sequence[str], wanted: str | Sequence[str] | None) -> SplitsPlan:
    """Resolve ``--splits`` / the recipe's ``splits`` (a comma list or names) against the reader."""
    items = [(split_of(reader, key), key) for key in keys]
    present = split_names_of(reader)
    choice = augmented_splits(present, _split_list(wanted))
    warnings = _split_warnings(reader, present, items)
    if choice.warning:
        warnings.append(choice.warning)
    return SplitsPlan(items, present, choice.augmented, warnings)


def _split_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [normalize_split(n.strip()) for n in names if n.strip()]
    if not names:
        raise UsageError("--splits needs at least one split name")
    return names


def _split_warnings(reader: Any, present: list[str], items: list[tuple[str, str]]) -> list[str]:
    """Empty splits and images shared by two splits (validation leaking into training)."""
    warnings = []
    used = {split for split, _ in items}
    for name in present:
        if name not in used:
            warnings.append(f"split {name} has no images")
    if len(present) > 1:
        count, shown = overlapping_images(reader)
        if count:
            more = f" and {count - len(shown)} more" if count > len(shown) else ""
            warnings.append(
                f"{count} image(s) are in more than one split (leakage): {', '.join(shown)}{more}"
            )
    return warnings


def plan_tasks(
    items: Sequence[tuple[str, str]],
    copies_of: int | Mapping[str, int] | Callable[[str, str], int],
    keep_original: bool,
    augmented: Sequence[str] | None = None,
) -> list[Task]:
    """One task per ``(split, key)`` in input order.

    ``copies_of`` is the number of augmented copies of an image of an
    augmented split: an int for all, a count per key (``engine.class_plan``;
    missing keys get none) or a function of ``(split, key)``; ``augmented`` is
    None for "every split".
    """
    if isinstance(copies_of, int):
        count = lambda _split, _key: copies_of  # noqa: E731
    elif isinstance(copies_of, Mapping):
        count = lambda _split, key: copies_of.get(key, 0)  # noqa: E731
    else:
        count = copies_of
    chosen = None if augmented is None else frozenset(augmented)
    tasks: list[Task] = []
    for split, key in items:
        if chosen is not None and split not in chosen:
            wanted: tuple[int, ...] = (0,)
        else:
            wanted = ((0,) if keep_original else ()) + tuple(range(1, count(split, key) + 1))
        if wanted:
            tasks.append(Task(len(tasks), key, wanted, split))
    return tasks
