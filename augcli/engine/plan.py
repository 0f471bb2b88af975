"""The work of a run: one task per source image, holding its output copies.

Copies of one image run together so the image is decoded once; each copy
still has its own random stream (``engine.seeds``), so grouping never changes
the output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    index: int  # position in the plan; records are assembled in this order
    key: str
    copies: tuple[int, ...]  # 0 = the untouched original, 1..N = augmented copies


def plan_tasks(keys: list[str], copies: int | Mapping[str, int], keep_original: bool) -> list[Task]:
    """``copies`` is one count for every image, or a count per key (``engine.class_plan``)."""
    original = (0,) if keep_original else ()
    tasks = []
    for key in keys:
        count = copies if isinstance(copies, int) else copies.get(key, 0)
        wanted = original + tuple(range(1, count + 1))
        if wanted:
            tasks.append(Task(len(tasks), key, wanted))
    return tasks
