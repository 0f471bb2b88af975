"""``augcli expand`` and ``augcli convert``: a run with progress, then its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from augcli.cli.conventions import Terminated
from augcli.core.errors import one_line
from augcli.engine.report import RunReport

# ``convert`` is ``expand`` with this recipe: every original, no copies, no transform.
CONVERT_RECIPE = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}


def run_with_progress(
    source: str | Path,
    recipe: Any,
    out: str | Path,
    *,
    quiet: bool,
    errors: Console,
    label: str,
    **options: Any,
) -> RunReport:
    from augcli.cli.progress import Progress
    from augcli.engine.runner import expand

    progress = Progress(enabled=not quiet, label=label)
    try:
        return expand(source, recipe, out, on_start=progress.start, on_result=progress.advance, **options)
    except (KeyboardInterrupt, Terminated):
        if not options.get("dry_run"):
            errors.print(
                f"augcli: {one_line(out)} can be completed with the same command and --resume",
                highlight=False,
                markup=False,
            )
        raise
    finally:
        progress.close()


def show_report(
    report: RunReport,
    *,
    as_json: bool,
    quiet: bool,
    strict: bool,
    console: Console,
    errors: Console,
    title: str = "augcli expand",
) -> None:
    from augcli.cli.summary import print_summary

    if as_json:
        print(report.to_json())
    elif not quiet:
        print_summary(report, console, errors, title=title)
    if strict and report.skipped:
        raise typer.Exit(5)
