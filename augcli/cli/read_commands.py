"""The commands that only read (preview, stats, transforms, validate): typer signatures
only; ``augcli.cli.app`` registers them and the library does the work."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from augcli.cli import shared_options as shared
from augcli.cli.guard import guarded, stderr, stdout
from augcli.core.errors import one_line


def preview(
    source: shared.Source,
    recipe: shared.RecipeFile,
    out: str = typer.Option(  # a str: a Path drops the trailing / that names a folder
        ...,
        "--out",
        "-o",
        help="PNG or JPEG file to write, or a folder (ending in /) to write preview.png in.",
    ),
    fmt: shared.Format = "auto",
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
    seed: shared.Seed = None,
    images: shared.Images = None,
    cache_dir: shared.InputCache = None,
    debug: shared.Debug = False,
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


def stats(
    source: shared.Source,
    compare: str | None = typer.Option(
        None, "--compare", help="Another dataset or URL (e.g. the expanded OUT) to show side by side."
    ),
    fmt: shared.Format = "auto",
    images: shared.Images = None,
    cache_dir: shared.InputCache = None,
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as one JSON object."),
    plot: Path | None = typer.Option(None, "--plot", help="Also draw the charts into this PNG."),
    debug: shared.Debug = False,
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

    raise typer.Exit(show_catalog(name, as_json))


def validate(
    recipe: Path = typer.Argument(..., metavar="RECIPE", help="YAML recipe to check."),
    dataset: str | None = typer.Option(
        None, "--dataset", help="Also check the recipe against this dataset (a path or a URL)."
    ),
    images: shared.Images = None,
    fmt: shared.Format = "auto",
    masks: shared.Masks = None,
    mask_pattern: shared.MaskPattern = None,
    palette: shared.Palette = None,
    to: str = typer.Option(
        "same", "--to", help="Also list what converting the dataset to this format would drop or approximate."
    ),
    cache_dir: shared.InputCache = None,
    debug: shared.Debug = False,
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
            recipe, dataset, images, fmt, to, shared.mask_options(masks, mask_pattern, palette), cache_dir
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
