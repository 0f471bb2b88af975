"""How every command fails: one line on stderr and its exit code, never a traceback
(unless ``--debug``); Ctrl-C is 130 (a second one too), SIGTERM 143."""

from __future__ import annotations

import signal

import typer
from rich.console import Console

from augcli.cli.conventions import Terminated
from augcli.core.errors import AugcliError, RecipeError, one_line

# Messages are never wrapped: a log or a pipe gets each one on one line.
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def _on_sigterm(_signum, _frame):
    raise Terminated()


def fail(err: Exception, debug: bool) -> typer.Exit:
    if debug:
        raise err
    if isinstance(err, RecipeError) and len(err.problems) > 1:
        stderr.print(
            f"augcli: error: {len(err.problems)} problems in {one_line(err.file or 'the recipe')}:",
            highlight=False,
            markup=False,
        )
        for problem in err.problems:
            stderr.print(f"  {one_line(problem)}", highlight=False, markup=False)
    else:
        stderr.print(f"augcli: error: {err}", highlight=False, markup=False)
    return typer.Exit(getattr(err, "exit_code", 1))


def guarded(debug: bool, body):
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return body()
    except AugcliError as err:
        raise fail(err, debug) from None
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not change the exit code
        stderr.print("augcli: interrupted")
        raise typer.Exit(130) from None
    except Terminated:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stderr.print("augcli: terminated")
        raise typer.Exit(143) from None
    except (typer.Exit, SystemExit):
        raise
    except Exception as err:  # a bug: one line unless --debug
        if debug:
            raise
        stderr.print(
            f"augcli: internal error: {type(err).__name__}: {one_line(err)} "
            "(rerun with --debug for a traceback)",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
