"""Rendering run reports and problems for people (rich) and machines (JSON).

The table goes to stdout; warnings and skipped items go to stderr, one line
each, with rich markup escaped so ``[x, y, w, h]`` in a message survives.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from augcli.core.errors import one_line
from augcli.engine.report import RunReport

MAX_SKIPS_SHOWN = 20
REPORT_FILE = Path(".augcli") / "report.jsonl"


def print_summary(
    report: RunReport, console: Console, errors: Console | None = None, title: str = "augcli expand"
) -> None:
    """The table on ``console``; warnings and skipped items on ``errors`` (the CLI's stderr)."""
    errors = errors or console
    title += " (dry run)" if report.dry_run else ""
    if report.shard:
        shard = report.shard
        title += f" (shard {shard['index']} of {shard['count']}: {shard['tasks']} of {shard['of']} images)"
    table = Table(title=title, show_header=True)
    table.add_column("", style="bold")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_row("images", str(report.images_in), str(report.images_out))
    table.add_row(
        "annotations", str(report.annotations_in), "-" if report.dry_run else str(report.annotations_out)
    )
    if len(report.splits) > 1:
        for name, counts in report.splits.items():
            mark = "augmented" if counts["augmented"] else "unchanged"
            table.add_row(f"  split {name} ({mark})", str(counts["images_in"]), str(counts["images_out"]))
    for reason, count in report.dropped.items():
        table.add_row(f"instances dropped: {escape(reason)}", "", str(count))
    if report.raster_path:
        table.add_row("instances on folds (raster path)", "", str(report.raster_path))
    table.add_row("items skipped", "", str(len(report.skipped)))
    rate = report.rate()
    table.add_row(
        "seconds",
        "",
        f"{report.seconds:.2f} ({rate if rate is not None else '-'}/s, {report.workers} workers)",
    )
    console.print(table)
    print_classes(report, console)
    print_problems(report, errors)
    if report.dry_run:
        console.print("dry run: nothing was written", highlight=False, markup=False)
    else:
        console.print(f"output: {report.out}", highlight=False, markup=False)
    if report.skipped and not report.dry_run:
        console.print(
            f"{len(report.skipped)} items skipped, each with its file, image and annotation: "
            f"{Path(report.out) / REPORT_FILE}",
            highlight=False,
            markup=False,
        )


def print_classes(report: RunReport, console: Console) -> None:
    """Instances per class in and out (dropped by reason); on a dry run, the copies plan."""
    if report.classes:
        table = Table(title="instances per class", title_justify="left")
        for column in ("class", "in", "out", "dropped"):
            table.add_column(column, justify="left" if column in ("class", "dropped") else "right")
        for name, row in sorted(report.classes.items()):
            dropped = ", ".join(f"{reason} {n}" for reason, n in sorted(row["dropped"].items()))
            table.add_row(escape(name), str(row["in"]), str(row["out"]), escape(dropped))
        console.print(table)
    for split, rows in (report.class_plan or {}).items() if report.dry_run else ():
        table = Table(title=escape(f"copies plan, split {split}"), title_justify="left")
        for column in ("class", "instances now", "planned copies", "expected instances after"):
            table.add_column(column, justify="left" if column == "class" else "right")
        for name, row in rows.items():
            table.add_row(escape(name), str(row["instances"]), str(row["copies"]), str(row["expected"]))
        console.print(table)


def print_problems(report: RunReport, errors: Console) -> None:
    for warning in report.warnings:
        errors.print(f"[yellow]warning[/yellow] {escape(one_line(warning))}", highlight=False)
    for skip in report.skipped[:MAX_SKIPS_SHOWN]:
        errors.print(f"[yellow]skipped[/yellow] {escape(format_problem(skip))}", highlight=False)
    if len(report.skipped) > MAX_SKIPS_SHOWN:
        errors.print(f"... and {len(report.skipped) - MAX_SKIPS_SHOWN} more", highlight=False, markup=False)


def format_problem(record: dict) -> str:
    where = ", ".join(
        str(x)
        for x in (
            record.get("file"),
            record.get("where"),
            f"image {record['image']}" if record.get("image") is not None else None,
            f"annotation {record['annotation']}" if record.get("annotation") is not None else None,
        )
        if x
    )
    return one_line(f"{where}: {record.get('message')}" if where else record.get("message"))
