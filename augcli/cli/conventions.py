"""Command-line conventions on top of typer/click: one-line usage errors and plain help text.

Usage errors print ``augcli: error: missing option --recipe (see augcli expand -h)``
and exit 2 instead of click's boxed message. Help is click's plain layout
(flags show no ``<bool>``), and usage lines show ``SOURCE``, not ``{source}``.
"""

from __future__ import annotations

import sys

# typer 0.29 carries its own copy of click (pinned in pyproject.toml).
from typer._click import exceptions as click_errors
from typer._click.core import Context as ClickContext
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort

HELP_OPTIONS = ["-h", "--help"]
USAGE_EXIT = 2


def describe_usage_error(err: click_errors.UsageError) -> str:
    """Click's message as one lower-case line that names the option as typed on a command line."""
    param = getattr(err, "param", None)
    name = _option_name(param) if param is not None else ""
    if isinstance(err, click_errors.MissingParameter) and param is not None:
        return f"missing {'option' if isinstance(param, TyperOption) else 'argument'} {name}"
    if isinstance(err, click_errors.NoSuchOption):
        close = [p for p in (err.possibilities or []) if p.startswith("-")]
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        return f"no such option {err.option_name}{hint}"
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if isinstance(err, click_errors.BadParameter) and (low is not None or high is not None):
        bounds = (
            f"between {low} and {high}"
            if low is not None and high is not None
            else f">= {low}"
            if low is not None
            else f"<= {high}"
        )
        return f"invalid value for {name}: it must be {bounds}"
    message = " ".join(err.format_message().split())
    message = message.replace("'", "").rstrip(".")
    return message[:1].lower() + message[1:]


def _option_name(param) -> str:
    if isinstance(param, TyperOption):
        long_names = [o for o in param.opts if o.startswith("--")] or param.opts
        return long_names[0]
    return (param.metavar or param.name or "").upper()


def print_usage_error(err: click_errors.UsageError, command: str | None = None) -> None:
    """``command`` names the subcommand typed, for errors Click raises before its context exists."""
    ctx = err.ctx
    where = ctx.command_path if ctx is not None else "augcli"
    if command and " " not in where:
        where = f"{where} {command}"
    print(f"augcli: error: {describe_usage_error(err)} (see {where} -h)", file=sys.stderr)


class Terminated(Exception):
    """SIGTERM arrived; unwind like Ctrl-C so nothing is left half-written."""


class FlagsDefaultFalse:
    """A bool flag left unset (``-h``, ``--install-completion``) parses as False, not None.

    typer coerces None through a pydantic validator it builds on first use, and importing
    pydantic for that took ``augcli expand -h`` from 0.23 to 0.48 CPU-s; a bool is passed
    through as it is, and the flags' callbacks treat None and False alike.
    """

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            descriptor = getattr(param, "type_descriptor", None)
            if getattr(param, "is_flag", False) and param.default is None and descriptor is not None:
                if descriptor.annotation is bool:
                    param.default = False
        return super().parse_args(ctx, args)  # type: ignore[misc]


class Command(FlagsDefaultFalse, TyperCommand):
    """A command whose usage line shows arguments as SOURCE / [NAME]."""

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = (param.metavar or param.name or "").upper() + ("..." if param.nargs == -1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces


class Group(FlagsDefaultFalse, TyperGroup):
    """The top-level group: usage errors become one line and exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rc = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.UsageError as err:
            typed = sys.argv[1:] if args is None else list(args)
            print_usage_error(err, next((a for a in typed if a in self.commands), None))
            sys.exit(USAGE_EXIT)
        except click_errors.ClickException as err:
            print(f"augcli: error: {err.format_message()}", file=sys.stderr)
            sys.exit(err.exit_code)
        except Abort:
            print("augcli: interrupted", file=sys.stderr)
            sys.exit(130)
        sys.exit(rc or 0)
