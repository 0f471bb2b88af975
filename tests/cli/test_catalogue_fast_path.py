"""``augcli transforms`` reads the generated catalogue: the same output as the typer
command built from the registry, without importing a transform."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from augcli.cli import app as cli
from augcli.cli.catalog_view import CATALOGUE_FILE, build_catalogue, load_catalogue
from augcli.recipe.catalog import full_registry

REPO = Path(__file__).resolve().parents[2]
FORMS = [
    ["transforms"],
    ["transforms", "Affine"],
    ["transforms", "--json"],
    ["transforms", "OneOf", "--json"],
]


def test_the_catalogue_file_is_what_the_registry_gives():
    entries = build_catalogue(full_registry())
    assert list(load_catalogue().values()) == entries, (
        f"{CATALOGUE_FILE} is out of date: run python scripts/gen_transform_docs.py"
    )


@pytest.mark.parametrize("args", FORMS + [["transforms", "Afine"]])
def test_fast_path_prints_what_the_typer_command_prints(args, capsys, monkeypatch):
    assert cli.catalogue_request(args) is not None
    monkeypatch.setattr(sys, "argv", ["augcli", *args])
    with pytest.raises(SystemExit) as fast_exit:
        cli.main()
    fast = capsys.readouterr()
    monkeypatch.setattr(cli, "catalogue_request", lambda args: None)  # the typer route
    with pytest.raises(SystemExit) as typer_exit:
        cli.main()
    slow = capsys.readouterr()
    assert (fast.out, fast.err, fast_exit.value.code) == (slow.out, slow.err, typer_exit.value.code)
    assert fast_exit.value.code == (2 if "Afine" in args else 0)


@pytest.mark.parametrize(
    "args",
    [
        ["transforms", "-h"],
        ["transforms", "--help"],
        ["transforms", "A", "B"],
        ["transforms", "--json", "--json"],
    ],
)
def test_anything_else_goes_through_typer(args):
    assert cli.catalogue_request(args) is None
    assert cli.catalogue_request(["expand", *args[1:]]) is None


def imported_after(args: list[str], modules: tuple[str, ...]) -> tuple[list[str], str]:
    """Which of ``modules`` a fresh interpreter has imported after ``augcli ARGS`` (exit 0),
    and what the command printed."""
    code = (
        f"import sys; sys.argv = ['augcli', *{args!r}]\n"
        "from augcli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert done.code in (0, None), done.code\n"
        f"print([m for m in {modules!r} if m in sys.modules], file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stderr.strip()), done.stdout


def test_listing_imports_no_transform():
    heavy = ("numpy", "cv2", "PIL", "augcli.transforms.base", "typer", "rich")
    imported, shown = imported_after(["transforms"], heavy)
    assert imported == [] and "Affine" in shown


@pytest.mark.parametrize("args", [["--help"], ["expand", "--help"], ["transforms", "-h"]])
def test_help_imports_no_pydantic(args):
    """typer would build a pydantic validator for each unset -h flag (0.25 s to import)."""
    imported, shown = imported_after(args, ("pydantic",))
    assert imported == [] and "Usage:" in shown


@pytest.mark.parametrize("args", FORMS)
def test_a_reader_that_leaves_early_gets_no_traceback(args):
    """``augcli transforms | head -1``: the pipe is closed under the catalogue; exit 1, stderr empty."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has left before the first byte: every write fails, whatever its size
    try:
        child = subprocess.run(
            [sys.executable, "-m", "augcli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert child.returncode == 1 and child.stderr == b""
