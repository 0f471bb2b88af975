"""The ``augcli`` entry point. ``augcli transforms [NAME] [--json]`` is answered from the
generated catalogue without importing typer (half the start-up); everything else runs the
typer app of ``augcli.cli.commands``, imported only then."""

from __future__ import annotations

import os
import sys
from typing import Any


def main() -> None:
    request = catalogue_request(sys.argv[1:])
    if request is not None:
        from augcli.cli.catalog_view import show_catalog

        try:
            code = show_catalog(*request)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (`| head`): exit 1 without a traceback, as before
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            code = 1
        sys.exit(code)
    from augcli.cli.commands import app

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


def __getattr__(name: str) -> Any:
    """``augcli.cli.app.app`` (the typer app) for tests and embedders, built on first use."""
    if name == "app":
        from augcli.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    main()
