"""The typer app: one thin command per verb; the library does the work."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from augcli.cli.conventions import HELP_OPTIONS, Command, Group
from augcli.cli.guard import guarded, stderr, stdout
from augcli.cli.option_help import (
    ADDRESS_HELP,
    CACHE_HELP,
    EXECUTOR_HELP,
    FORMAT_HELP,
    INPUT_CACHE_HELP,
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
from augcli.core.errors import one_line

app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": HELP_OPTIONS},
)


def _print_version(value: bool) -> None:
    if value:
        from augcli import __version__

        print(f"augcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Expand a labeled image dataset offline with a YAML recipe of label-aware augmentations.

    \b
    Examples:
      augcli transforms
      augcli validate recipes/detection.yaml --dataset sample_data
      augcli preview sample_data --recipe recipes/detection.yaml --out preview.png
      augcli expand sample_data --recipe recipes/detection.yaml --out expanded
      augcli convert sample_data --to yolo --out as-yolo
      augcli expand data -r recipe.yaml -o part-0 --num-shards 2 --shard-index 0
      augcli merge part-0 part-1 --out expanded

    Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid recipe, 4 unreadable
    dataset, 5 items skipped with --strict, 6 output failure, 130 interrupted,
    143 terminated.
    """


@app.command(cls=Command)
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


@app.command(cls=Command)
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


@app.command(cls=Command)
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


@app.command(cls=Command)
def preview(
    source: str = typer.Argument(..., metavar="SOURCE", help=URL_SOURCE_HELP),
    recipe: Path = typer.Option(..., "--recipe", "-r", help="YAML recipe of augmentations."),
    out: str = typer.Option(  # a str: a Path drops the trailing / that names a folder
        ...,
        "--out",
        "-o",
        help="PNG or JPEG file to write, or a folder (ending in /) to write preview.png in.",
    ),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    n: int = typer.Option(6, "-n", min=1, max=64, help="Number of source images (rows)."),
    versions: int | None = typer.Option(
        None, "--versions", min=1, max=16, help="Augmented versions per row (default: the recipe's copies)."
    ),
    image: list[str] = typer.Option(
        [],
        "--image",
        help="Preview this image (its file name or key; repeat for more) instead of a random pick.",
    ),
    names: bool = typer.Option(True, "--names/--no-names", help="Draw category names on boxes."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides the recipe)."),
    images: str | None = typer.Option(None, "--images", help=URL_IMAGES_HELP),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=INPUT_CACHE_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Draw a few samples, each as its original plus augmented versions, with labels, into one picture.

    \b
    Examples:
      augcli preview sample_data --recipe recipes/detection.yaml --out preview.png
      augcli preview data -r recipe.yaml -o previews/ -n 3 --versions 6
      augcli preview data -r recipe.yaml -o one.jpg --image 000000397133.jpg --no-names
    """
    from augcli.cli.preview_command import make_preview

    path = guarded(
        debug,
        lambda: make_preview(
            source,
            recipe,
            out,
            n=n,
            versions=versions,
            seed=seed,
            images=images,
            fmt=fmt,
            keys=image,
            names=names,
            cache_dir=cache_dir,
        ),
    )
    stderr.print(f"wrote {path}", highlight=False, markup=False)


@app.command(cls=Command)
def stats(
    source: str = typer.Argument(..., metavar="SOURCE", help=URL_SOURCE_HELP),
    compare: str | None = typer.Option(
        None, "--compare", help="Another dataset or URL (e.g. the expanded OUT) to show side by side."
    ),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    images: str | None = typer.Option(None, "--images", help=URL_IMAGES_HELP),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=INPUT_CACHE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as one JSON object."),
    plot: Path | None = typer.Option(None, "--plot", help="Also draw the charts into this PNG."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Per split: images, instances and images per class, box sizes, crowd and keypoint counts.

    \b
    Examples:
      augcli stats sample_data
      augcli stats data --compare expanded --plot stats.png
      augcli stats data.yaml --json
    """
    from augcli.cli.stats_command import print_stats, read_stats, stats_json

    def body():
        first, warnings = read_stats(source, fmt=fmt, images=images, cache_dir=cache_dir)
        other = read_stats(compare, fmt="auto", cache_dir=cache_dir)[0] if compare is not None else None
        if plot is not None:
            from augcli.engine.stats_plot import write_plot

            write_plot(first, plot, other)
        return first, other, warnings

    first, other, warnings = guarded(debug, body)
    for warning in warnings:
        stderr.print(f"augcli: warning: {one_line(warning)}", highlight=False, markup=False)
    if as_json:
        print(json.dumps(stats_json(first, other), sort_keys=True))
    else:
        print_stats(first, other, stdout)
    if plot is not None:
        stderr.print(f"wrote {plot}", highlight=False, markup=False)


@app.command(cls=Command)
def transforms(
    name: str | None = typer.Argument(None, metavar="NAME", help="Show one transform with a YAML example."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """List every transform with its kind and parameters, or show one.

    \b
    Examples:
      augcli transforms
      augcli transforms Affine
      augcli transforms --json
    """
    from augcli.cli.catalog_view import show_catalog

    raise typer.Exit(show_catalog(name, as_json, stdout, stderr))


@app.command(cls=Command)
def validate(
    recipe: Path = typer.Argument(..., metavar="RECIPE", help="YAML recipe to check."),
    dataset: str | None = typer.Option(
        None, "--dataset", help="Also check the recipe against this dataset (a path or a URL)."
    ),
    images: str | None = typer.Option(None, "--images", help=URL_IMAGES_HELP),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    masks: Path | None = typer.Option(None, "--masks", help=MASKS_HELP),
    mask_pattern: str | None = typer.Option(None, "--mask-pattern", help=MASK_PATTERN_HELP),
    palette: Path | None = typer.Option(None, "--palette", help=PALETTE_HELP),
    to: str = typer.Option(
        "same", "--to", help="Also list what converting the dataset to this format would drop or approximate."
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=INPUT_CACHE_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Check a recipe (and optionally a dataset against it) without touching pixels.

    \b
    Examples:
      augcli validate recipes/detection.yaml
      augcli validate recipe.yaml --dataset data/annotations/instances_train.json
      augcli validate recipe.yaml --dataset voc_data --to yolo
    """
    from augcli.cli.validate_command import check

    loaded, problems, unreadable, warnings = guarded(
        debug,
        lambda: check(
            recipe, dataset, images, fmt, to, mask_options(masks, mask_pattern, palette), cache_dir
        ),
    )
    for warning in warnings:
        stderr.print(f"augcli: warning: {one_line(warning)}", highlight=False, markup=False)
    if problems or unreadable:
        stderr.print(f"augcli: {len(problems) + len(unreadable)} problems:", highlight=False)
        for problem in problems + unreadable:
            stderr.print(f"  {one_line(problem)}", highlight=False, markup=False)
        # 3: the recipe does not fit the dataset; 4: only the dataset has problems
        raise typer.Exit(3 if problems else 4)
    stdout.print(f"{recipe}: ok ({len(loaded.pipeline)} top-level transforms)", highlight=False, markup=False)


def main() -> None:
    request = catalogue_request(sys.argv[1:])
    if request is not None:  # typer's argument parsing alone would double the start-up
        from augcli.cli.catalog_view import show_catalog

        sys.exit(show_catalog(*request, stdout, stderr))
    app(prog_name="augcli")


def catalogue_request(args: list[str]) -> tuple[str | None, bool] | None:
    """``(NAME or None, --json)`` when ``args`` is exactly ``transforms [NAME] [--json]`` (the
    command people run to look something up), else None: typer parses everything else."""
    if not args or args[0] != "transforms":
        return None
    rest = args[1:]
    as_json = "--json" in rest
    names = [a for a in rest if a != "--json"]
    if rest.count("--json") > 1 or len(names) > 1 or any(a.startswith("-") for a in names):
        return None
    return (names[0] if names else None), as_json


if __name__ == "__main__":  # pragma: no cover
    main()
