"""The commands that write a dataset (expand, convert, merge): typer signatures only;
``augcli.cli.app`` registers them and the library does the work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from augcli.cli.guard import guarded, stderr, stdout
from augcli.cli.option_help import (
    ADDRESS_HELP,
    CACHE_HELP,
    EXECUTOR_HELP,
    FORMAT_HELP,
    KEEP_INVALID_HELP,
    MASK_PATTERN_HELP,
    MASKS_HELP,
    NUM_SHARDS_HELP,
    PALETTE_HELP,
    SHARD_INDEX_HELP,
    TO_HELP,
    URL_IMAGES_HELP,
    URL_SOURCE_HELP,
    YOLO_TASK_HELP,
    mask_options,
    shard_of,
)


def expand(
    source: str = typer.Argument(..., metavar="SOURCE", help=URL_SOURCE_HELP),
    recipe: Path = typer.Option(..., "--recipe", "-r", help="YAML recipe of augmentations."),
    out: str = typer.Option(
        ..., "--out", "-o", help="Output folder or URL (s3://...; mirrors the input layout)."
    ),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    to: str = typer.Option("same", "--to", help=TO_HELP),
    copies: int | None = typer.Option(
        None, "--copies", help="Augmented copies per image (overrides the recipe)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides the recipe)."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (default: CPU count)."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    address: str | None = typer.Option(None, "--address", help=ADDRESS_HELP),
    images: str | None = typer.Option(None, "--images", help=URL_IMAGES_HELP),
    masks: Path | None = typer.Option(None, "--masks", help=MASKS_HELP),
    mask_pattern: str | None = typer.Option(None, "--mask-pattern", help=MASK_PATTERN_HELP),
    palette: Path | None = typer.Option(None, "--palette", help=PALETTE_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a previous augcli output in OUT."),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue an interrupted run in OUT (same arguments); "
        "the result is the same as an uninterrupted run.",
    ),
    item_timeout: float = typer.Option(
        600.0,
        "--item-timeout",
        min=0.0,
        help="Seconds one image may take in a worker before it is skipped (0: no limit).",
    ),
    splits: str | None = typer.Option(
        None,
        "--splits",
        help="Comma list of the splits to augment (default: train, else every split); "
        "the others are written unchanged.",
    ),
    yolo_task: str | None = typer.Option(None, "--yolo-task", help=YOLO_TASK_HELP),
    keep_invalid: bool = typer.Option(False, "--keep-invalid", help=KEEP_INVALID_HELP),
    num_shards: int | None = typer.Option(None, "--num-shards", help=NUM_SHARDS_HELP),
    shard_index: int | None = typer.Option(None, "--shard-index", help=SHARD_INDEX_HELP),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and plan everything, write nothing."),
    strict: bool = typer.Option(False, "--strict", help="Exit 5 when any item was skipped."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Apply RECIPE to every image of SOURCE and write the expanded dataset to OUT.

    \b
    Examples:
      augcli expand sample_data --recipe recipes/detection.yaml --out expanded
      augcli expand data/annotations/instances_train.json -r recipe.yaml -o out --copies 4
      augcli expand voc_data -r recipe.yaml -o out --to coco --workers 2
      augcli expand data -r recipe.yaml -o out --resume    # after Ctrl-C or a crash
      augcli expand data -r recipe.yaml -o out-$SLURM_ARRAY_TASK_ID --num-shards 8   # in a Slurm array
      augcli expand /shared/data -r recipe.yaml -o /shared/out --executor ray --address auto
    """
    from augcli.cli.expand_command import run_with_progress, show_report

    options: dict[str, Any] = dict(copies=copies, seed=seed, workers=workers, images=images, fmt=fmt, to=to)
    options.update(overwrite=overwrite, dry_run=dry_run, debug=debug, resume=resume)
    options.update(splits=splits, yolo_task=yolo_task, keep_invalid=keep_invalid, cache_dir=cache_dir)
    options.update(executor=executor, address=address)
    options.update(mask_options=mask_options(masks, mask_pattern, palette))
    report = guarded(
        debug,
        lambda: run_with_progress(
            source,
            recipe,
            out,
            quiet=quiet,
            errors=stderr,
            label="expand",
            item_timeout=item_timeout or None,
            shard=shard_of(num_shards, shard_index),
            **options,
        ),
    )
    show_report(report, as_json=as_json, quiet=quiet, strict=strict, console=stdout, errors=stderr)


def convert(
    source: str = typer.Argument(..., metavar="SOURCE", help=URL_SOURCE_HELP),
    to: str = typer.Option(..., "--to", help="Output format: coco, voc, masks or yolo."),
    out: str = typer.Option(..., "--out", "-o", help="Output folder or URL (s3://...)."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    images: str | None = typer.Option(None, "--images", help=URL_IMAGES_HELP),
    masks: Path | None = typer.Option(None, "--masks", help=MASKS_HELP),
    mask_pattern: str | None = typer.Option(None, "--mask-pattern", help=MASK_PATTERN_HELP),
    palette: Path | None = typer.Option(None, "--palette", help=PALETTE_HELP),
    yolo_task: str | None = typer.Option(None, "--yolo-task", help=YOLO_TASK_HELP),
    keep_invalid: bool = typer.Option(False, "--keep-invalid", help=KEEP_INVALID_HELP),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (default: CPU count)."),
    num_shards: int | None = typer.Option(None, "--num-shards", help=NUM_SHARDS_HELP),
    shard_index: int | None = typer.Option(None, "--shard-index", help=SHARD_INDEX_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a previous augcli output in OUT."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted conversion in OUT."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read everything, write nothing."),
    strict: bool = typer.Option(False, "--strict", help="Exit 5 when any item was skipped."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Write SOURCE in another format to OUT, image for image, without augmenting (no recipe).

    \b
    Examples:
      augcli convert sample_data --to yolo --out as-yolo
      augcli convert voc_data --to coco --out as-coco
      augcli convert data.yaml --to voc --out as-voc --dry-run   # what would be dropped
    """
    from augcli.cli.expand_command import CONVERT_RECIPE, run_with_progress, show_report

    options: dict[str, Any] = dict(workers=workers, images=images, fmt=fmt, to=to, overwrite=overwrite)
    options.update(mask_options=mask_options(masks, mask_pattern, palette))
    options.update(dry_run=dry_run, debug=debug, resume=resume, yolo_task=yolo_task)
    options.update(keep_invalid=keep_invalid, cache_dir=cache_dir)
    report = guarded(
        debug,
        lambda: run_with_progress(
            source,
            CONVERT_RECIPE,
            out,
            quiet=quiet,
            errors=stderr,
            label="convert",
            shard=shard_of(num_shards, shard_index),
            **options,
        ),
    )
    show_report(report, as_json=as_json, quiet=quiet, strict=strict, console=stdout, errors=stderr)


def merge(
    parts: list[str] = typer.Argument(
        ..., metavar="PARTS", help="The output folders (or URLs: s3://...) of every shard."
    ),
    out: str = typer.Option(..., "--out", "-o", help="Output folder or URL of the merged run."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a previous augcli output in OUT."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
    strict: bool = typer.Option(False, "--strict", help="Exit 5 when any item was skipped."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Join the outputs of an expand or convert run with --num-shards into OUT, as one run writes it.

    The parts must be every shard of one run (same recipe, seed, copies, source,
    formats, augcli version and --num-shards); they are only read. OUT is byte for
    byte the output of that run without shards. Rerun the same merge after a crash.

    \b
    Examples:
      augcli merge part-0 part-1 part-2 --out expanded
      augcli merge parts/* --out expanded --overwrite
      augcli merge s3://bucket/run/part-0 s3://bucket/run/part-1 --out s3://bucket/run/merged
    """
    from augcli.cli.expand_command import show_report
    from augcli.cli.merge_command import run_merge

    report = guarded(
        debug,
        lambda: run_merge(parts, out, overwrite=overwrite, quiet=quiet, debug=debug, cache_dir=cache_dir),
    )
    show_report(
        report,
        as_json=as_json,
        quiet=quiet,
        strict=strict,
        console=stdout,
        errors=stderr,
        title="augcli merge",
    )
