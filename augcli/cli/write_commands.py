"""The commands that write a dataset (expand, convert, merge): typer signatures only;
``augcli.cli.app`` registers them and the library does the work."""

from __future__ import annotations

from typing import Any

import typer

from augcli.cli import shared_options as shared
from augcli.cli.guard import guarded, stderr, stdout


def expand(
    source: shared.Source,
    recipe: shared.RecipeFile,
    out: str = typer.Option(
        ..., "--out", "-o", help="Output folder or URL (s3://...; mirrors the input layout)."
    ),
    fmt: shared.Format = "auto",
    to: str = typer.Option("same", "--to", help=shared.TO_HELP),
    copies: int | None = typer.Option(
        None, "--copies", help="Augmented copies per image (overrides the recipe)."
    ),
    seed: shared.Seed = None,
    workers: shared.Workers = None,
    executor: str = typer.Option("local", "--executor", help=shared.EXECUTOR_HELP),
    address: str | None = typer.Option(None, "--address", help=shared.ADDRESS_HELP),
    images: shared.Images = None,
    masks: shared.Masks = None,
    mask_pattern: shared.MaskPattern = None,
    palette: shared.Palette = None,
    overwrite: shared.Overwrite = False,
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
    yolo_task: shared.YoloTask = None,
    keep_invalid: shared.KeepInvalid = False,
    num_shards: shared.NumShards = None,
    shard_index: shared.ShardIndex = None,
    cache_dir: shared.OutputCache = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and plan everything, write nothing."),
    strict: shared.Strict = False,
    as_json: shared.SummaryJson = False,
    quiet: shared.Quiet = False,
    debug: shared.Debug = False,
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
    options.update(mask_options=shared.mask_options(masks, mask_pattern, palette))
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
            shard=shared.shard_of(num_shards, shard_index),
            **options,
        ),
    )
    show_report(report, as_json=as_json, quiet=quiet, strict=strict, console=stdout, errors=stderr)


def convert(
    source: shared.Source,
    to: str = typer.Option(..., "--to", help="Output format: coco, voc, masks or yolo."),
    out: str = typer.Option(..., "--out", "-o", help="Output folder or URL (s3://...)."),
    fmt: shared.Format = "auto",
    images: shared.Images = None,
    masks: shared.Masks = None,
    mask_pattern: shared.MaskPattern = None,
    palette: shared.Palette = None,
    yolo_task: shared.YoloTask = None,
    keep_invalid: shared.KeepInvalid = False,
    workers: shared.Workers = None,
    num_shards: shared.NumShards = None,
    shard_index: shared.ShardIndex = None,
    overwrite: shared.Overwrite = False,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted conversion in OUT."),
    cache_dir: shared.OutputCache = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Read everything, write nothing."),
    strict: shared.Strict = False,
    as_json: shared.SummaryJson = False,
    quiet: shared.Quiet = False,
    debug: shared.Debug = False,
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
    options.update(mask_options=shared.mask_options(masks, mask_pattern, palette))
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
            shard=shared.shard_of(num_shards, shard_index),
            **options,
        ),
    )
    show_report(report, as_json=as_json, quiet=quiet, strict=strict, console=stdout, errors=stderr)


def merge(
    parts: list[str] = typer.Argument(
        ..., metavar="PARTS", help="The output folders (or URLs: s3://...) of every shard."
    ),
    out: str = typer.Option(..., "--out", "-o", help="Output folder or URL of the merged run."),
    overwrite: shared.Overwrite = False,
    cache_dir: shared.OutputCache = None,
    strict: shared.Strict = False,
    as_json: shared.SummaryJson = False,
    quiet: shared.Quiet = False,
    debug: shared.Debug = False,
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
