"""``augcli merge``: join shard outputs with progress (the work is ``engine.merge``)."""

from __future__ import annotations

from pathlib import Path

from augcli.engine.report import RunReport


def run_merge(
    parts: list[str], out: str, *, overwrite: bool, quiet: bool, debug: bool, cache_dir: Path | None
) -> RunReport:
    from augcli.cli.progress import Progress
    from augcli.engine.merge import merge

    progress = Progress(enabled=not quiet, label="merge")
    try:
        return merge(
            parts,
            out,
            overwrite=overwrite,
            debug=debug,
            on_start=progress.start,
            on_result=progress.advance,
            cache_dir=cache_dir,
        )
    finally:
        progress.close()
