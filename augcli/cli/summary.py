"""Rendering run reports and problems for people (rich) and machines (JSON)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from augcli.engine.report import RunReport

MAX_SKIPS_SHOWN = 20


def print_summary(report: RunReport, console: Console) -> None:
    table = Table(title="augcli expand" + (" (dry run)" if report.dry_run else ""), show_header=True)
    table.add_column("", style="bold")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_row("images", str(report.images_in), str(report.images_out))
    table.add_row(
        "annotations", str(report.annotations_in), "-" if report.dry_run else str(report.annotations_out)
    )
    for reason, count in report.dropped.items():
        table.add_row(f"instances dropped: {reason}", "", str(count))
    if report.raster_path:
        table.add_row("instances on folds (raster path)", "", str(report.raster_path))
    table.add_row("items skipped", "", str(len(report.skipped)))
    rate = f"{report.images_out / report.seconds:.1f}/s" if report.seconds else "-"
    table.add_row("seconds", "", f"{report.seconds:.2f} ({rate}, {report.workers} workers)")
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    for skip in report.skipped[:MAX_SKIPS_SHOWN]:
        console.print(f"[yellow]skipped[/yellow] {format_problem(skip)}", highlight=False)
    if len(report.skipped) > MAX_SKIPS_SHOWN:
        console.print(
            f"... and {len(report.skipped) - MAX_SKIPS_SHOWN} more (see {report.out}/.augcli/report.jsonl)"
        )


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
    return f"{where}: {record.get('message')}" if where else str(record.get("message"))
