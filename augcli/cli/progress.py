"""Progress on stderr: a tqdm bar on a terminal, plain lines otherwise (CI logs).

It counts output images (an original kept or a copy made), and only this
run's: after ``--resume`` the total is what was still to do.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, enabled: bool = True, label: str = "expand"):
        self.enabled = enabled
        self.label = label
        self.bar = None
        self.total = 0
        self.done = 0
        self._last_line = 0.0

    def start(self, total: int) -> None:
        self.total = total
        if not self.enabled:
            return
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.label, unit="img", file=sys.stderr, leave=False)
        else:
            print(f"{self.label}: {total} output images to make", file=sys.stderr, flush=True)

    def advance(self, _result=None, task=None) -> None:
        step = len(task.copies) if task is not None else 1
        self.done += step
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(step)
            return
        now = time.monotonic()
        if self.done == self.total or now - self._last_line >= 5.0:
            self._last_line = now
            print(f"{self.label}: {self.done}/{self.total} output images", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
