"""The work of a run: one task per source image, holding its output copies.

Copies of one image run together so the image is decoded once; each copy
still has its own random stream (``engine.seeds``), so grouping never changes
the output.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    index: int  # position in the plan; records are assembled in this order
    key: str
    copies: tuple[int, ...]  # 0 = the untouched original, 1..N = augmented copies


def plan_tasks(keys: list[str], copies: int, keep_original: bool) -> list[Task]:
    wanted = ((0,) if keep_original else ()) + tuple(range(1, copies + 1))
    if not wanted:
        return []
    return [Task(i, key, wanted) for i, key in enumerate(keys)]
