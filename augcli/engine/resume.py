"""What OUT/.augcli/ says about a run: who wrote it, how far it got, whether it can go on.

- A fresh run clears OUT (the old journal and run file go first, the marker
  folder last, so a run killed while clearing is never mistaken for a
  resumable one) and starts a journal whose header is the run's identity.
- ``--resume`` reopens the journal when the identity matches (same source,
  recipe, seed, copies, formats, augcli version) and refuses otherwise;
  leftover temporary files of the killed run are removed first. An OUT with
  no journal but a matching ``run.jsonl`` is a finished run: nothing to do.
  An empty OUT, or one augcli started but never journaled, starts afresh.
- The identity includes the fingerprint of every input file (see
  ``engine.inputs``), so ``--resume`` refuses inputs that changed, naming them.
- The caller holds the OUT lock (``engine.lock``) throughout; every file in
  ``OUT/.augcli/`` is opened without following symlinks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augcli import __version__
from augcli.core.errors import OutputError, UsageError
from augcli.engine import inputs
from augcli.engine.journal import JOURNAL_NAME, Done, Journal, JournalError
from augcli.engine.lock import LOCK_NAME, MARKER_DIR, read_meta
from augcli.formats.atomic import remove_temp_files_below
from augcli.storage.mirror import public_name

RUN_FILE = "run.jsonl"
_HASH_CHUNK = 1 << 20


@dataclass
class RunState:
    journal: Journal | None  # None for a finished run (nothing left to do)
    done: dict[int, Done] = field(default_factory=dict)
    finished: dict | None = None  # run.jsonl of a finished run
    resumed: bool = False


def run_identity(source: Any, plan: Any, writer: Any, input_rows: list[dict]) -> dict:
    """Everything that decides the output bytes (workers and timeouts do not); ``plan`` is the
    run's ``engine.run_plan.RunPlan``."""
    reader = plan.reader
    keys = hashlib.sha256("\n".join(reader.keys()).encode("utf-8", "surrogatepass")).hexdigest()
    annotation_file = getattr(reader, "annotation_file", None)
    return {
        "augcli": __version__,
        "source": public_name(Path(source).expanduser().resolve()),
        "format": getattr(reader, "format_name", None),
        "output_format": getattr(writer, "format_name", None),
        "images": public_name(getattr(reader, "image_dir", reader.root)),
        "image_keys": keys,
        "annotation_file": _annotation_digest(reader, annotation_file) if annotation_file else None,
        # a dataset of several split files (formats.splits.SplitReader): each one's digest
        "annotation_files": [_file_digest(p) for p in getattr(reader, "annotation_files", [])],
        "recipe": hashlib.sha256(plan.recipe_text.encode("utf-8")).hexdigest(),
        "seed": int(plan.seed),
        "copies": int(plan.copies),
        "keep_original": bool(plan.keep_original),
        "inputs": inputs.digest(input_rows),
    }


def _annotation_digest(reader: Any, path: Path) -> str:
    """The reader's digest of its annotation file when it found one while reading (a COCO
    reader does, in a helper: ``formats.coco.facts``), else the file hashed here."""
    known = getattr(reader, "annotation_digest", None)
    digest = known() if known is not None else None
    return digest if digest is not None else _file_digest(path)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def clear_output(out: Path) -> None:
    """Empty OUT (an augcli output or a new folder) but for its marker folder and lock."""
    meta = out / MARKER_DIR
    if _real_folder(meta):
        for name in (JOURNAL_NAME, RUN_FILE):  # first: a half-cleared OUT must not look resumable
            (meta / name).unlink(missing_ok=True)
    if out.is_dir():
        for child in sorted(out.iterdir(), key=lambda p: p.name == MARKER_DIR):
            if child.name == MARKER_DIR and _real_folder(child):
                for inner in child.iterdir():  # the lock stays: it is held by this run
                    if inner.name != LOCK_NAME:
                        _remove(inner)
            else:
                _remove(child)
    out.mkdir(parents=True, exist_ok=True)
    meta.mkdir(exist_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def begin_run(
    out: Path, identity: dict, resume: bool, input_rows: list[dict], task_keys: dict[int, str]
) -> RunState:
    """Prepare OUT for the run (see the module docstring); write failures are ``OutputError``."""
    try:
        return _begin_run(out, identity, resume, input_rows, task_keys)
    except OSError as err:
        raise OutputError(f"cannot prepare the output folder {out}: {err.strerror or err}") from None


def _begin_run(
    out: Path, identity: dict, resume: bool, input_rows: list[dict], task_keys: dict[int, str]
) -> RunState:
    meta = out / MARKER_DIR
    if resume and not _real_folder(meta):
        resume = False  # nothing of ours to resume (a linked marker is never followed)
    journal = None
    if resume and _exists(meta / JOURNAL_NAME):
        try:
            journal, previous, done = Journal.reopen(meta)
        except JournalError as err:
            if not err.torn:
                raise UsageError(
                    f"cannot resume: {err}; start over with --overwrite instead of --resume"
                ) from None
            journal = None
    if journal is not None:
        try:
            _check_same_run(previous, identity, out, input_rows)
            _check_done(done, task_keys, meta / JOURNAL_NAME)
        except UsageError:
            journal.close()
            raise
        remove_temp_files_below(out)
        return RunState(journal, done, resumed=True)
    elif resume and _exists(meta / RUN_FILE):
        finished = read_run_file(meta)
        if finished is not None:
            _check_same_run(finished.get("identity") or {}, identity, out, input_rows)
            return RunState(None, finished=finished, resumed=True)
    clear_output(out)
    inputs.save_rows(meta, input_rows)
    return RunState(Journal.create(meta, identity))


def _exists(path: Path) -> bool:
    return path.is_symlink() or path.exists()  # a planted link counts (and is refused on open)


def _check_done(done: dict[int, Done], task_keys: dict[int, str], where: Path) -> None:
    """Every journaled task must be one of this run's plan (a forged line names another)
    and its part must hold the bytes the journal says (parts are synced before their lines)."""
    sizes: dict[str, int] = {}
    for index, result in done.items():
        if task_keys.get(index) != result.key:
            raise UsageError(
                f"cannot resume: {where} records task {index} for image {result.key!r}, "
                "which this run's plan does not hold (a forged or damaged journal); "
                "start over with --overwrite instead of --resume"
            )
        ref = result.ref
        if ref is None or ref.file == where.name:
            continue
        if ref.file not in sizes:
            sizes[ref.file] = _size(where.parent / ref.file)
        if sizes[ref.file] < ref.offset + ref.length:
            raise UsageError(
                f"cannot resume: {where.parent / ref.file} is shorter than the journal says "
                f"(task {index}, image {result.key!r}; a damaged output folder); "
                "start over with --overwrite instead of --resume"
            )


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size if not path.is_symlink() else -1
    except OSError:
        return -1


def _real_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def read_run_file(meta: Path) -> dict | None:
    rows = read_jsonl_rows(meta, RUN_FILE)
    return rows[0] if rows and isinstance(rows[0], dict) else None


def read_jsonl_rows(meta: Path, name: str) -> list:
    """The rows of a JSON-lines file augcli wrote in ``meta`` (empty if missing or unreadable)."""
    try:
        return [json.loads(line) for line in read_meta(meta, name).decode("utf-8").splitlines() if line]
    except (OSError, ValueError, OutputError):
        return []


def _check_same_run(previous: dict, identity: dict, out: Path, input_rows: list[dict]) -> None:
    differs = [name for name in identity if previous.get(name) != identity[name]]
    if "inputs" in differs and set(differs) <= {"inputs", "image_keys", "annotation_file"}:
        changed = inputs.changed_files(out / MARKER_DIR, input_rows)
        named = f": {', '.join(changed)}" if changed else ""
        raise UsageError(
            f"cannot resume: input files changed since the run in {out} started{named}; "
            "rerun with --overwrite instead of --resume to start over with the new inputs"
        )
    if differs:
        both = "; ".join(
            f"{name} {_shown(previous.get(name))}, now {_shown(identity[name])}" for name in differs
        )
        raise UsageError(
            f"cannot resume: {out} holds a run with a different {', '.join(differs)} ({both}); "
            "rerun with the same arguments, or with --overwrite instead of --resume to start over"
        )


def _shown(value: Any) -> str:
    """A value for a message: digests shortened to 12 hex digits."""
    text = str(value)
    return text[:12] if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text
