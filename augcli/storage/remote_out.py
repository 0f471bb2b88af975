"""A remote OUT: the run writes a local staging folder, an uploader mirrors it to the store.

Order is what lets a reader and ``--resume`` trust the remote tree:

- Every round (every few seconds while the run goes on) first reads the
  new whole lines of the journal (``.augcli/journal.jsonl``), then uploads
  every finished output file (temporary files never), then every other file
  under ``.augcli/`` (the new lines of the part files...), and only then the
  journal lines read at the start. A task the remote journal names therefore
  has its images and part bytes in the store already: an object store has no
  rename, so this order is what replaces the local "synced before journaled"
  rule.
- An output file is removed from staging once it is in the store, so the
  staging folder holds only what is in flight (and ``.augcli/``).
- Label files appear when the run finalizes; the last round uploads them,
  then the reports, and last of all the manifest ``.augcli/run.jsonl``.
  **A remote dataset is complete when its ``.augcli/run.jsonl`` exists**;
  ``--overwrite`` deletes that object first, so a half-replaced dataset never
  looks complete.
- ``--resume`` (on this machine or another) downloads only what is in the
  store under ``.augcli/`` into a fresh staging folder and continues from it.
- The journal and the part files only grow: each round sends their new
  lines as segment objects of their own (``storage.append_objects``), so
  every byte is sent once; a run that keeps them (a shard) stores them whole
  just before its manifest. Other files under ``.augcli/`` are small and
  uploaded whole when they changed. Rounds are spaced by at least four times
  what the last one spent scanning and re-sending, so that stays a small
  share.
- One run per OUT: the lock object ``.augcli/lock`` (``storage.lock_object``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from augcli.core.errors import OutputError, UsageError
from augcli.formats.atomic import temp_file_target
from augcli.storage.append_objects import (
    AppendState,
    is_append_file,
    next_chunk,
    parse_segment,
    rebuild,
    segment_name,
)
from augcli.storage.lock_object import LockObject
from augcli.storage.mirror import cache_key, register_name
from augcli.storage.remote_listing import JOURNAL, LOCK, MANIFEST, META, clear, find, holds_data, top_level
from augcli.storage.urls import cache_root, filesystem, join, storage_error, strip

ROUND_SECONDS = float(os.environ.get("AUGCLI_UPLOAD_SECONDS", "5"))
_FORBIDDEN = (MANIFEST, JOURNAL, LOCK)
_JOURNAL = f"{META}/{JOURNAL}"
_BATCH = 512  # files per parallel put
_SEGMENT_BATCH = 32  # segments per parallel download (held in memory until written)


class RemoteOutput:
    """OUT at ``url``, written through ``staging`` (see the module docstring)."""

    def __init__(self, url: str, cache_dir: str | Path | None = None):
        self.url = strip(url)
        self.fs, self.path = filesystem(self.url)
        folder = cache_root(cache_dir).resolve() / "staging" / cache_key(self.url)
        self.staging = folder / f"run-{os.getpid()}"
        self._uploaded: dict[str, tuple] = {}  # relpath -> (size, mtime_ns, inode) as uploaded
        self._evicted: set[str] = set()  # output files removed from staging once in the store
        self._remote_meta: set[str] = set()  # meta relpaths the store holds
        self._appends: dict[str, AppendState] = {}  # append-only meta files: what the store holds
        self._next_gen: dict[str, int] = {}  # the generation a rewritten append file takes next
        self._discarded: set[str] = set()
        self._lock_key = f"{self.path}/{META}/{LOCK}"
        self._lock = LockObject(self.fs, self._lock_key, self.url)
        self._claimed = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        self._failure: OutputError | None = None

    # -- before the run: lock, check, clear or download ----------------------------------------

    def prepare_staging(self) -> Path:
        """A fresh, empty staging folder (earlier ones of this URL are removed once claimed)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.parent.mkdir(parents=True, exist_ok=True)
        register_name(self.staging, self.url)
        return self.staging

    def claim(self, *, overwrite: bool, resume: bool) -> None:
        """Take the lock object, then clear the store (fresh run) or download its state (--resume)."""
        try:
            entries = top_level(self.fs, self.path)
            ours = META in entries
            if entries - {META} and not ours:
                raise UsageError(
                    f"output {self.url} is not empty and was not written by augcli; choose another "
                    "--out (augcli never deletes objects it did not write)"
                )
            if ours and not (overwrite or resume) and holds_data(self.fs, self.path):
                raise UsageError(
                    f"output {self.url} holds an earlier augcli run; pass --overwrite to replace it "
                    "or --resume to finish it"
                )
            self._lock.take()
            self._claimed = True
            if resume:
                self._download_state()
            else:
                clear(self.fs, self.path, self._lock_key)
        except (UsageError, OutputError):
            raise
        except Exception as err:
            raise storage_error(err, self.url, "write to", OutputError) from None
        for sibling in self.staging.parent.iterdir():  # stagings of killed runs on this machine
            if sibling != self.staging:
                shutil.rmtree(sibling, ignore_errors=True)
        self._thread = threading.Thread(target=self._loop, name="augcli-upload", daemon=True)
        self._thread.start()

    def _download_state(self) -> None:
        """Copy the store's ``.augcli/`` (but the lock) into the empty staging folder, the append
        files rebuilt from their segments (see ``storage.append_objects``)."""
        prefix = f"{self.path}/{META}/"
        keys = [k for k in find(self.fs, prefix.rstrip("/")) if k != self._lock_key and k.startswith(prefix)]
        rels = {f"{META}/{k[len(prefix) :]}": k for k in keys}
        whole = [rel for rel in rels if parse_segment(rel) is None]
        targets = [self.staging / rel for rel in whole]
        for path in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
        if whole:
            self.fs.get([rels[rel] for rel in whole], [str(p) for p in targets])
        for rel, path in zip(whole, targets):
            self._uploaded[rel] = _stat_key(path)
        self._remote_meta.update(rels)
        plan = rebuild(rels)
        self._next_gen = plan.next_gen
        for rel, chain in plan.chains.items():
            path = self.staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                state = AppendState(chain[0].gen, 0, os.fstat(handle.fileno()).st_ino)
                for start in range(0, len(chain), _SEGMENT_BATCH):  # in parallel, a batch in memory
                    keys = [rels[segment.rel] for segment in chain[start : start + _SEGMENT_BATCH]]
                    found = self.fs.cat(keys)
                    for key in keys:
                        data = found[key] if key in found else self.fs.cat_file(key)
                        handle.write(data)
                        state = state.after(data)
            self._appends[rel] = state
        for rel in (r for r in whole if is_append_file(r)):  # stored whole by the end of a run
            gen = self._next_gen.get(rel, 0)
            self._appends[rel] = state = AppendState.of_file(gen, self.staging / rel)
            if f"{META}/{MANIFEST}" not in rels:  # killed before its manifest: from now on segments
                segment = segment_name(rel, gen, 0, state.length)  # hold it, and later lines follow
                self.fs.put_file(str(self.staging / rel), f"{self.path}/{segment}")
                self._remote_meta.add(segment)
                self._next_gen[rel] = gen + 1
                self._delete([rel])
        self._delete([rel for rel in plan.stale if rel in self._remote_meta])

    def _heartbeat(self, force: bool = False) -> None:
        self._lock.refresh(force)

    # -- uploading -----------------------------------------------------------------------------

    def note_discarded(self, path: Path) -> None:
        """An output file a failed task may have written: it must not stay in the store."""
        try:
            rel = Path(path).relative_to(self.staging).as_posix()
        except ValueError:
            return
        with self._mutex:
            self._discarded.add(rel)

    def check(self) -> None:
        """Raise the uploader's failure in the run's thread (stops the run; --resume continues it)."""
        if self._failure is not None:
            raise self._failure

    def _loop(self) -> None:
        pause = ROUND_SECONDS
        while not self._stop.wait(pause):
            try:
                overhead = self._round(final=False)
            except Exception as err:
                self._failure = _upload_failure(err, self.url)
                return
            pause = max(ROUND_SECONDS, 4 * overhead)  # scanning and re-sending .augcli/: a small share

    def _round(self, final: bool) -> float:
        """One upload round (see the module docstring); returns the seconds it spent on what
        is overhead (scanning the staging folder, re-sending ``.augcli/``), not on new files."""
        meta = self.staging / META
        journal = self._chunk(_JOURNAL)  # first: every task it names is on disk by now
        started = time.monotonic()
        outputs, metas = self._scan()
        overhead = time.monotonic() - started
        vanished = set(self._put(outputs))
        self._evict(rel for rel in outputs if rel not in vanished)
        gone = [
            rel
            for rel in self._uploaded
            if not rel.startswith(META + "/") and rel not in outputs and rel not in self._evicted
        ]
        with self._mutex:  # a failed item's file leaves the store once it left staging
            discarded = {rel for rel in self._discarded if final or not (self.staging / rel).exists()}
            self._discarded -= discarded
        self._delete(gone + sorted(discarded))
        started = time.monotonic()
        small = {rel: key for rel, key in metas.items() if not is_append_file(rel)}
        torn = self._put({rel: key for rel, key in small.items() if rel.rsplit("/", 1)[-1] not in _FORBIDDEN})
        overhead += time.monotonic() - started
        chunks = {}
        for rel in sorted(rel for rel in metas if is_append_file(rel) and rel != _JOURNAL):
            try:
                chunk = self._chunk(rel, missing_ok=False)
            except FileNotFoundError:
                torn.append(rel)
                continue
            if chunk is not None:
                chunks[rel] = chunk
        self._send_segments(chunks)
        # a part file removed before it was sent (the run is finishing): the journal read at the
        # start may name bytes the store does not have yet, so it waits for the next round
        if journal is not None and not torn:
            self._send_segments({_JOURNAL: journal})
        if final and (meta / MANIFEST).is_file():
            self._heartbeat(force=True)  # never a manifest from a run that lost its lock
            kept = [rel for rel in metas if is_append_file(rel)]  # a shard's records, for merge
            self._put({rel: metas[rel] for rel in kept if rel != _JOURNAL})
            self._put({rel: metas[rel] for rel in kept if rel == _JOURNAL})
            self._delete([rel for rel in self._remote_meta if parse_segment(rel) is not None])
            self._put({f"{META}/{MANIFEST}": metas.get(f"{META}/{MANIFEST}")})
            self._delete([rel for rel in self._remote_meta if rel not in metas and rel != f"{META}/{LOCK}"])
        self._heartbeat()
        return overhead

    def _chunk(self, rel: str, missing_ok: bool = True) -> tuple[AppendState, bytes] | None:
        """The whole lines of the append file ``rel`` the store lacks (``append_objects.next_chunk``)."""
        try:
            return next_chunk(self.staging / rel, self._appends.get(rel), self._next_gen.get(rel, 0))
        except FileNotFoundError:
            if missing_ok:
                return None
            raise

    def _send_segments(self, chunks: dict[str, tuple[AppendState, bytes]]) -> None:
        """Store each chunk as a segment object (in parallel where the store can); a rewritten
        file's older generation is deleted once its new one is stored."""
        named = {
            rel: segment_name(rel, state.gen, state.length, state.length + len(data))
            for rel, (state, data) in chunks.items()
        }
        if not named:
            return
        self.fs.pipe({f"{self.path}/{named[rel]}": data for rel, (_, data) in chunks.items()})
        for rel, (state, data) in chunks.items():
            self._remote_meta.add(named[rel])
            self._appends[rel] = state.after(data)
            if state.length == 0:  # a new generation: the older ones are superseded
                self._next_gen[rel] = state.gen + 1
                self._delete(
                    [
                        r
                        for r in self._remote_meta
                        if (s := parse_segment(r)) and s.file == rel and s.gen != state.gen
                    ]
                )
        self._heartbeat()

    def _scan(self) -> tuple[dict[str, tuple], dict[str, tuple]]:
        """(output files, files under .augcli/) of the staging folder, by relpath, with their stat."""
        outputs: dict[str, tuple] = {}
        metas: dict[str, tuple] = {}
        for folder, dirs, names in os.walk(self.staging):
            dirs.sort()
            rel_folder = Path(folder).relative_to(self.staging).as_posix()
            for name in sorted(names):
                if temp_file_target(name) is not None:
                    continue
                rel = name if rel_folder == "." else f"{rel_folder}/{name}"
                try:
                    key = _stat_key(Path(folder) / name)
                except OSError:
                    continue  # removed while listed
                (metas if rel.startswith(META + "/") else outputs)[rel] = key
        return outputs, metas

    def _put(self, files: dict[str, Any]) -> list[str]:
        """Upload the files that changed since their last upload; returns those that vanished
        locally since the scan (a failed item's image, the part files of a finishing run)."""
        todo = [rel for rel, key in files.items() if key is not None and self._uploaded.get(rel) != key]
        vanished: list[str] = []
        for start in range(0, len(todo), _BATCH):  # batches: the lock stays fresh in a long upload
            batch = todo[start : start + _BATCH]
            while batch:
                try:
                    self.fs.put([str(self.staging / r) for r in batch], [f"{self.path}/{r}" for r in batch])
                    break
                except FileNotFoundError:
                    still = [rel for rel in batch if (self.staging / rel).is_file()]
                    if len(still) == len(batch):
                        raise
                    vanished += [rel for rel in batch if rel not in still]
                    batch = still
            for rel in batch:
                self._uploaded[rel] = files[rel]
                if rel.startswith(META + "/"):
                    self._remote_meta.add(rel)
            self._heartbeat()
        return vanished

    def _evict(self, rels) -> None:
        """Remove uploaded output files from staging: it holds only what is not in the store yet.
        Nothing reads an output image back (a resume elsewhere has none either)."""
        for rel in rels:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.staging / rel)
            self._evicted.add(rel)

    def _delete(self, rels: list[str]) -> None:
        if not rels:
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm([f"{self.path}/{rel}" for rel in sorted(set(rels))])
        for rel in rels:
            self._uploaded.pop(rel, None)
            self._evicted.discard(rel)
            self._remote_meta.discard(rel)

    # -- after the run -------------------------------------------------------------------------

    def finish(self) -> None:
        """Upload what is left, the manifest last; remove the staging folder; release the lock."""
        self._halt()
        self.check()
        try:
            self._round(final=True)
        except Exception as err:
            self._failure = _upload_failure(err, self.url)  # abort() then uploads nothing more
            raise self._failure from None
        self._release()
        shutil.rmtree(self.staging, ignore_errors=True)

    def abort(self) -> None:
        """The run stopped: upload what is durable (never the manifest), release the lock."""
        self._halt()
        if self._failure is None and self._claimed:
            with contextlib.suppress(Exception):
                self._round(final=False)
        self._release()

    def _halt(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _release(self) -> None:
        if self._claimed:
            self._claimed = False
            self._lock.release()

    @property
    def claimed(self) -> bool:
        return self._claimed


def _stat_key(path: Path) -> tuple:
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def _upload_failure(err: BaseException, url: str) -> OutputError:
    failure = storage_error(err, url, "upload to", OutputError)
    failure.message += "; the run stopped: rerun the same command with --resume to continue"
    return failure  # type: ignore[return-value]


__all__ = ["RemoteOutput", "join"]
