"""What a remote OUT holds before a run claims it, and deleting an earlier run in a safe order."""

from __future__ import annotations

from typing import Any

from augcli.storage.append_objects import META, SEGMENTS

JOURNAL = "journal.jsonl"  # engine.journal.JOURNAL_NAME: the index of the other meta files
MANIFEST = "run.jsonl"  # engine.resume.RUN_FILE: written last, uploaded last
LOCK = "lock"


def find(fs: Any, prefix: str) -> list[str]:
    """Every object below ``prefix``, sorted (none when there is no such prefix)."""
    fs.invalidate_cache(prefix)
    try:
        return sorted(fs.find(prefix))
    except FileNotFoundError:
        return []


def top_level(fs: Any, path: str) -> set[str]:
    """The names directly below ``path``."""
    fs.invalidate_cache()  # listings cached earlier in this process may be stale
    if not fs.exists(path):
        return set()
    return {name.rstrip("/").rsplit("/", 1)[-1] for name in fs.ls(path, detail=False)}


def holds_data(fs: Any, path: str) -> bool:
    """More than a lock left by a run killed before it wrote anything."""
    return any(not key.endswith(f"/{LOCK}") for key in find(fs, f"{path}/{META}"))


def unfinished(fs: Any, path: str) -> bool:
    """A run cut short: a journal (whole or in segments), and no manifest."""
    keys = find(fs, f"{path}/{META}")
    return any(_is_journal(k, path) for k in keys) and f"{path}/{META}/{MANIFEST}" not in keys


def clear(fs: Any, path: str, lock_key: str) -> None:
    """Delete an earlier run's objects: the manifest first, the journal next, ``.augcli/`` last
    (so what is left of a clear cut short never looks complete, nor resumable)."""
    keys = [k for k in find(fs, path) if k != lock_key]
    meta = f"{path}/{META}/"
    first = [k for k in keys if k == meta + MANIFEST or _is_journal(k, path)]
    rest = [k for k in keys if k not in first]
    rest.sort(key=lambda k: k.startswith(meta))
    for batch in (sorted(first, key=lambda k: not k.endswith(MANIFEST)), rest):
        if batch:
            fs.rm(batch)


def _is_journal(key: str, path: str) -> bool:
    """The journal of the OUT ``path``, whole or one of its segments."""
    return key == f"{path}/{META}/{JOURNAL}" or key.startswith(f"{path}/{SEGMENTS}/{JOURNAL}/")
