"""The typer app: one thin command per verb (``write_commands``, ``read_commands``);
the library does the work. ``augcli.cli.app`` is the entry point that runs it."""

from __future__ import annotations

import typer

from augcli.cli.conventions import HELP_OPTIONS, Command, Group
from augcli.cli.read_commands import preview, stats, transforms, validate
from augcli.cli.write_commands import convert, expand, merge

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


for command in (expand, convert, merge, preview, stats, transforms, validate):  # the order -h lists
    app.command(cls=Command)(command)
