"""Did an input change since the run started? The fingerprint ``--resume`` compares.

Every file a reader reads or checks while indexing is recorded (see
``formats.contained``):

- label files it reads (annotation JSON, XML, label and list files, class
  lists, data.yaml) by the sha256 of their bytes, computed as they are read;
- images and masks, which are only checked while indexing, by
  (size, mtime_ns, ctime_ns, inode). ``ctime`` changes on every write and
  cannot be set back with ``os.utime``, so an edit that keeps the size and
  restores the mtime is noticed too. Where the file system keeps whole-second
  times only (the mtime and ctime have no sub-second part), the content is
  hashed instead.

The fingerprint of the run is the sha256 of every (path, fingerprint) in
path order; ``OUT/.augcli/inputs.jsonl`` keeps the rows so a refusal can
name the files that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from augcli.engine.lock import read_meta
from augcli.formats.atomic import atomic_write_bytes
from augcli.storage.mirror import public_rows

INPUTS_FILE = "inputs.jsonl"
_CHUNK = 1 << 20
_SECOND = 1_000_000_000


def fingerprint_rows(seen: dict[str, dict]) -> list[dict]:
    """One row per recorded file, in path order, coarse timestamps replaced by a hash."""
    rows = []
    seen = public_rows(seen)  # mirrored files: by URL and remote ETag, the same on every machine
    for path in sorted(seen):
        fingerprint = dict(seen[path])
        if "sha256" not in fingerprint and "mtime_ns" in fingerprint and _coarse(fingerprint):
            fingerprint = {"size": fingerprint["size"], "sha256": _hash_file(path)}
        rows.append({"path": path, **fingerprint})
    return rows


def current_rows(rows: list[dict]) -> list[dict]:
    """``rows`` (``fingerprint_rows``) of the same files as they are now: hashed again where
    they were hashed, else their ``stat``; a file gone is its path alone."""
    from augcli.formats.contained import stat_fingerprint

    now = []
    for row in rows:
        path = row["path"]
        try:
            info = os.stat(path)
        except OSError:
            now.append({"path": path})
            continue
        if "sha256" in row:
            now.append({"path": path, "size": info.st_size, "sha256": _hash_file(path)})
        else:
            now.append({"path": path, **stat_fingerprint(info)})
    return now


def digest(rows: list[dict]) -> str:
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def changed_files(meta: Path, rows: list[dict], limit: int = 3) -> list[str]:
    """Paths whose fingerprint differs from the one saved in ``meta`` (added and removed too)."""
    try:
        saved = {r["path"]: r for r in map(json.loads, read_meta(meta, INPUTS_FILE).splitlines()) if r}
    except (OSError, ValueError, KeyError, TypeError):
        return []
    now = {row["path"]: row for row in rows}
    changed = [p for p in sorted(set(saved) | set(now)) if saved.get(p) != now.get(p)]
    return changed[:limit] + ([f"and {len(changed) - limit} more"] if len(changed) > limit else [])


def save_rows(meta: Path, rows: list[dict]) -> None:
    """Write the rows to ``meta/inputs.jsonl`` atomically (a symlink there is replaced, not followed)."""
    data = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    atomic_write_bytes(meta / INPUTS_FILE, data.encode("utf-8"), durable_dir=True)


def _coarse(fingerprint: dict) -> bool:
    return fingerprint["mtime_ns"] % _SECOND == 0 and fingerprint["ctime_ns"] % _SECOND == 0


def _hash_file(path: str) -> str | None:
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                hasher.update(chunk)
    except OSError:
        return None
    return hasher.hexdigest()
