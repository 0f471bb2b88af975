"""Warnings that numpy, Pillow, OpenCV or pycocotools raise while augcli works.

Python prints them as two lines of source location and code, from whichever
worker raised them, in the middle of the progress bar. augcli records them
instead: per task, each distinct (category, message) once with a count and
the image that raised it, written to ``OUT/.augcli/warnings.jsonl`` and
summed up in one warning line of the run report.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from augcli.core.errors import one_line

MAX_PER_TASK = 20  # distinct warnings kept per task; a kernel warning once per pixel row stays one row
WARNINGS_FILE = "warnings.jsonl"
REPORT_PREFIX = "libraries raised "


@contextmanager
def captured(image: str | None = None) -> Iterator[list[dict]]:
    """Record every warning raised inside the block (none is printed) as report rows;
    the caller may fill in each row's ``file``."""
    rows: list[dict] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every image's warnings, whatever ran before in this worker
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
            warnings.simplefilter("ignore", category)  # meant for developers, as Python's defaults say
        try:
            yield rows
        finally:
            rows.extend(summarize(caught, image))


def summarize(caught: Iterable[warnings.WarningMessage], image: str | None) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    for item in caught:
        category = item.category.__name__
        message = one_line(str(item.message))
        row = rows.get((category, message))
        if row is not None:
            row["count"] += 1
            continue
        if len(rows) >= MAX_PER_TASK:
            continue
        rows[(category, message)] = {
            "warning": category,
            "message": message,
            "file": None,
            "image": image,
            "where": f"{_module_of(item.filename)}:{item.lineno}",
            "count": 1,
        }
    return list(rows.values())


def report_line(rows: list[dict], where: str | None) -> str | None:
    """One warning line for the report: how many, of what, where they are listed."""
    if not rows:
        return None
    total = sum(int(row.get("count", 1)) for row in rows)
    images = len({row.get("image") for row in rows if row.get("image") is not None})
    first = rows[0]
    place = f"; each is in {where}" if where else ""
    on = f" on {images} image{'s' if images != 1 else ''}" if images else ""
    return (
        f"{REPORT_PREFIX}{total} warning{'s' if total != 1 else ''}{on} "
        f"(first: {first['warning']}: {first['message']}){place}"
    )


def _module_of(filename: str) -> str:
    """``numpy/core/_methods.py`` rather than a path that names the machine."""
    parts = os.path.normpath(filename).split(os.sep)
    for anchor in ("site-packages", "dist-packages"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :])
    return "/".join(parts[-2:])


def records_warnings(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (returning a ``RunReport``) with every library warning raised in this process
    recorded; they join the workers' rows in the report and in ``OUT/.augcli/warnings.jsonl``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with captured() as rows:
            report = func(*args, **kwargs)
        add_to_report(report, rows)
        return report

    return wrapper


def add_to_report(report: Any, rows: list[dict]) -> None:
    """Add ``rows`` to ``report.library_warnings``, rewrite the warnings file and the report line."""
    for row in rows:  # a resumed run re-reads the dataset and meets its warnings again
        if row not in report.library_warnings:
            report.library_warnings.append(row)
    if not report.library_warnings:
        return
    where = None
    if not report.dry_run:
        from augcli.engine.lock import MARKER_DIR
        from augcli.engine.report import write_jsonl

        meta = Path(report.out) / MARKER_DIR
        try:
            write_jsonl(meta / WARNINGS_FILE, report.library_warnings)
            where = str(meta / WARNINGS_FILE)
        except OSError:  # the output is complete; the rows are still in the report and --json
            where = None
    report.warnings = [w for w in report.warnings if not w.startswith(REPORT_PREFIX)]
    line = report_line(report.library_warnings, where)
    if line:
        report.warnings.append(line)
