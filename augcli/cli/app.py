"""The typer app: one thin command per verb; the library does the work."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import typer
from rich.console import Console

from augcli.core.errors import AugcliError, RecipeError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Expand a labeled image dataset offline with a YAML recipe of "
    "label-aware augmentations. Exit codes: 0 ok, 1 internal error, 2 usage, "
    "3 invalid recipe, 4 unreadable dataset, 5 items skipped with --strict, "
    "6 output failure, 130 interrupted, 143 terminated.",
)
stdout = Console()
stderr = Console(stderr=True, soft_wrap=True)


class Terminated(Exception):
    """SIGTERM arrived; unwind like Ctrl-C so nothing is left half-written."""


def _on_sigterm(_signum, _frame):
    raise Terminated()


def _fail(err: Exception, debug: bool) -> typer.Exit:
    if debug:
        raise err
    if isinstance(err, RecipeError) and len(err.problems) > 1:
        stderr.print(
            f"augcli: error: {len(err.problems)} problems in {err.file or 'the recipe'}:",
            highlight=False,
            markup=False,
        )
        for problem in err.problems:
            stderr.print(f"  {problem}", highlight=False, markup=False)
    else:
        stderr.print(f"augcli: error: {err}", highlight=False, markup=False)
    return typer.Exit(getattr(err, "exit_code", 1))


def _guarded(debug: bool, body):
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return body()
    except AugcliError as err:
        raise _fail(err, debug) from None
    except KeyboardInterrupt:
        stderr.print("augcli: interrupted")
        raise typer.Exit(130) from None
    except Terminated:
        stderr.print("augcli: terminated")
        raise typer.Exit(143) from None
    except (typer.Exit, SystemExit):
        raise
    except Exception as err:  # a bug: one line unless --debug
        if debug:
            raise
        stderr.print(
            f"augcli: internal error: {type(err).__name__}: {err} (rerun with --debug for a traceback)",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


FORMAT_HELP = "Input format: auto (detect), coco, voc, masks or yolo."
MASKS_HELP = "Mask-folder datasets: the folder of masks (label maps)."
MASK_PATTERN_HELP = "Mask-folder datasets: the mask file-name suffix after the image's stem (_L, _seg...)."
PALETTE_HELP = (
    "Mask-folder datasets: class names and colours (dataset_meta.json, class_dict.csv, "
    "label_colors.txt, config.json, or a YAML/JSON mapping name: [r, g, b])."
)


def _mask_options(masks: Path | None, mask_pattern: str | None, palette: Path | None) -> dict:
    return {"masks": masks, "mask_pattern": mask_pattern, "palette": palette}


TO_HELP = "Output format: same (as the input), coco, voc, masks or yolo (a conversion)."


@app.command()
def expand(
    source: Path = typer.Argument(
        ..., help="Dataset: a COCO JSON, a data.yaml, or a COCO/VOC/YOLO/mask folder."
    ),
    recipe: Path = typer.Option(..., "--recipe", "-r", help="YAML recipe of augmentations."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (mirrors the input layout)."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    to: str = typer.Option("same", "--to", help=TO_HELP),
    copies: int | None = typer.Option(
        None, "--copies", help="Augmented copies per image (overrides the recipe)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides the recipe)."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (default: CPU count)."),
    images: Path | None = typer.Option(
        None, "--images", help="Folder that image file_names resolve against."
    ),
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
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and plan everything, write nothing."),
    strict: bool = typer.Option(False, "--strict", help="Exit 5 when any item was skipped."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Apply RECIPE to every image of SOURCE and write the expanded dataset to OUT."""
    from augcli.cli.progress import Progress
    from augcli.cli.summary import print_summary
    from augcli.engine.runner import expand as run_expand

    progress = Progress(enabled=not quiet)

    def body():
        try:
            return run_expand(
                source,
                recipe,
                out,
                copies=copies,
                seed=seed,
                workers=workers,
                images=images,
                fmt=fmt,
                to=to,
                mask_options=_mask_options(masks, mask_pattern, palette),
                overwrite=overwrite,
                dry_run=dry_run,
                debug=debug,
                resume=resume,
                item_timeout=item_timeout or None,
                on_start=progress.start,
                on_result=progress.advance,
            )
        except (KeyboardInterrupt, Terminated):
            if not dry_run:
                stderr.print(
                    f"augcli: {out} can be completed with the same command and --resume",
                    highlight=False,
                    markup=False,
                )
            raise
        finally:
            progress.close()

    report = _guarded(debug, body)
    if as_json:
        print(report.to_json())
    else:
        print_summary(report, stdout)
    if strict and report.skipped:
        raise typer.Exit(5)


@app.command()
def preview(
    source: Path = typer.Argument(
        ..., help="Dataset: a COCO JSON, a data.yaml, or a COCO/VOC/YOLO/mask folder."
    ),
    recipe: Path = typer.Option(..., "--recipe", "-r", help="YAML recipe of augmentations."),
    out: Path = typer.Option(..., "--out", "-o", help="PNG file to write."),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    n: int = typer.Option(6, "-n", min=1, max=64, help="Number of source images (rows)."),
    versions: int = typer.Option(4, "--versions", min=1, max=16, help="Augmented versions per row."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides the recipe)."),
    images: Path | None = typer.Option(
        None, "--images", help="Folder that image file_names resolve against."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Draw a few samples, each as its original plus augmented versions, with labels, into one PNG."""
    from augcli.cli.preview_command import make_preview

    path = _guarded(
        debug,
        lambda: make_preview(source, recipe, out, n=n, versions=versions, seed=seed, images=images, fmt=fmt),
    )
    stderr.print(f"wrote {path}", highlight=False)


@app.command()
def stats(
    source: Path = typer.Argument(
        ..., help="Dataset: a COCO JSON, a data.yaml, or a COCO/VOC/YOLO/mask folder."
    ),
    compare: Path | None = typer.Option(
        None, "--compare", help="Another dataset (e.g. the expanded OUT) to show side by side."
    ),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    images: Path | None = typer.Option(
        None, "--images", help="Folder that image file_names resolve against."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as one JSON object."),
    plot: Path | None = typer.Option(None, "--plot", help="Also draw the charts into this PNG."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Per split: images, instances and images per class, box sizes, crowd and keypoint counts."""
    from augcli.cli.stats_command import print_stats, read_stats, stats_json

    def body():
        first, warnings = read_stats(source, fmt=fmt, images=images)
        other = read_stats(compare, fmt="auto")[0] if compare is not None else None
        if plot is not None:
            from augcli.engine.stats_plot import write_plot

            write_plot(first, plot, other)
        return first, other, warnings

    first, other, warnings = _guarded(debug, body)
    for warning in warnings:
        stderr.print(f"augcli: warning: {warning}", highlight=False, markup=False)
    if as_json:
        print(json.dumps(stats_json(first, other), sort_keys=True))
    else:
        print_stats(first, other, stdout)
    if plot is not None:
        stderr.print(f"wrote {plot}", highlight=False, markup=False)


@app.command()
def transforms(
    name: str | None = typer.Argument(None, help="Show one transform with a YAML example."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """List every transform with its kind, targets and parameters."""
    from augcli.cli.catalog_view import print_catalog, print_transform, transform_info
    from augcli.recipe.catalog import full_registry

    registry = full_registry()
    if name is not None:
        if name not in registry:
            import difflib

            close = difflib.get_close_matches(name, list(registry), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            stderr.print(f"augcli: error: unknown transform {name!r}{hint}", highlight=False)
            raise typer.Exit(2)
        if as_json:
            print(json.dumps(transform_info(registry[name]), indent=2))
        else:
            print_transform(registry[name], stdout)
        return
    if as_json:
        print(json.dumps([transform_info(c) for _, c in sorted(registry.items())], indent=2))
    else:
        print_catalog(registry, stdout)


@app.command()
def validate(
    recipe: Path = typer.Argument(..., help="YAML recipe to check."),
    dataset: Path | None = typer.Option(
        None, "--dataset", help="Also check the recipe against this dataset."
    ),
    images: Path | None = typer.Option(
        None, "--images", help="Folder that image file_names resolve against."
    ),
    fmt: str = typer.Option("auto", "--format", help=FORMAT_HELP),
    masks: Path | None = typer.Option(None, "--masks", help=MASKS_HELP),
    mask_pattern: str | None = typer.Option(None, "--mask-pattern", help=MASK_PATTERN_HELP),
    palette: Path | None = typer.Option(None, "--palette", help=PALETTE_HELP),
    to: str = typer.Option(
        "same", "--to", help="Also list what converting the dataset to this format would drop or approximate."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Check a recipe (and optionally a dataset against it) without touching pixels."""
    from augcli.engine.partners import check_partners
    from augcli.recipe.recipe import check_dataset, load_recipe

    def body():
        loaded = load_recipe(recipe)
        if dataset is None:
            return loaded, [], [], []
        from augcli.formats.convert.losses import upfront_warnings
        from augcli.formats.registry import SAME, check_output_format, open_reader

        check_output_format(to)
        reader = open_reader(dataset, fmt=fmt, images=images, **_mask_options(masks, mask_pattern, palette))
        problems = check_dataset(loaded, reader.categories, reader.targets())
        unreadable = [str(p) for p in reader.problems]
        warnings = list(getattr(reader, "notes", []))
        warnings += upfront_warnings(reader, to) if to != SAME else []
        warnings += check_partners(loaded, reader)[1]  # refuses a one-image dataset
        return loaded, problems, unreadable, warnings

    loaded, problems, unreadable, warnings = _guarded(debug, body)
    for warning in warnings:
        stderr.print(f"augcli: warning: {warning}", highlight=False, markup=False)
    if problems or unreadable:
        stderr.print(f"augcli: {len(problems) + len(unreadable)} problems:", highlight=False)
        for problem in problems + unreadable:
            stderr.print(f"  {problem}", highlight=False, markup=False)
        # 3: the recipe does not fit the dataset; 4: only the dataset has problems
        raise typer.Exit(3 if problems else 4)
    stdout.print(f"{recipe}: ok ({len(loaded.pipeline)} top-level transforms)", highlight=False)


def main() -> None:
    app(prog_name="augcli")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
