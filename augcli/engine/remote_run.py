"""``expand`` and ``merge`` with URL arguments: mirrored inputs, an OUT staged locally and uploaded.

``with_storage`` wraps ``runner.expand``. Plain paths pass straight through.
For URLs it mirrors SOURCE and ``--images`` (``storage.mirror``), points the
run at a staging folder for a remote OUT (``storage.remote_out``), and
afterwards uploads what is left, the manifest last. The remote OUT is
claimed (its lock taken, an earlier run cleared or downloaded for
``--resume``) only once every check of the run passed, from the one place the
runner takes the local OUT lock (``claim_output``), so a usage error touches
nothing in the store. Messages name remote files by URL, not by cache path.

``with_remote_parts`` wraps ``merge.merge``: shard outputs given as URLs are
mirrored like any remote input (once no run holds their lock object), and
the merge runs on the mirrors; its OUT may be a URL through ``with_storage``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from augcli.core.errors import AugcliError, DatasetError, OutputError, UsageError

_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar("augcli_remote_out", default=None)


def claim_output(out: Path, *, overwrite: bool, resume: bool) -> None:
    """Claim the remote OUT this local ``out`` stages, if any (see the module docstring)."""
    remote = _ACTIVE.get()
    if remote is not None and Path(out) == remote.staging and not remote.claimed:
        remote.claim(overwrite=overwrite, resume=resume)


def with_storage(expand: Callable) -> Callable:
    @functools.wraps(expand)
    def wrapper(source: Any, recipe: Any, out: Any, **options: Any) -> Any:
        from augcli.storage.urls import protocol

        cache_dir = options.pop("cache_dir", None)
        if not any(protocol(v) for v in (source, options.get("images"), out)):
            return expand(source, recipe, out, **options)
        return _expand_urls(expand, source, recipe, out, cache_dir, options)

    return wrapper


def _expand_urls(expand: Callable, source: Any, recipe: Any, out: Any, cache_dir: Any, options: dict) -> Any:
    from augcli.engine import worker
    from augcli.storage.mirror import local_input
    from augcli.storage.remote_out import RemoteOutput
    from augcli.storage.urls import is_remote, local_path

    images = options.get("images")
    local_source = local_input(source, cache_dir)
    if images is not None:
        options["images"] = local_input(images, cache_dir, what="images folder")
    if not is_remote(out):
        return _public(lambda: expand(local_source, recipe, local_path(out), **options), source, out)
    _check_apart(str(out), [local_source, options.get("images")])
    remote = RemoteOutput(str(out), cache_dir)
    on_result = options.get("on_result")

    def checked(result: Any, task: Any) -> None:
        remote.check()  # an upload failure stops the run here; the journal is flushed on the way out
        if on_result is not None:
            on_result(result, task)

    options["on_result"] = checked
    token = _ACTIVE.set(remote)
    worker.DISCARD_LISTENERS.append(remote.note_discarded)
    try:
        report = _public(
            lambda: expand(local_source, recipe, remote.prepare_staging(), **options), source, out
        )
        if remote.claimed:
            _public(remote.finish, source, out)
        return report
    finally:
        remote.abort()  # after finish: a no-op; after a failure: what is durable, never the manifest
        worker.DISCARD_LISTENERS.remove(remote.note_discarded)
        _ACTIVE.reset(token)


def _check_apart(out: str, inputs: list) -> None:
    """A remote OUT must neither lie inside a remote input nor contain it."""
    from augcli.storage.mirror import root_url
    from augcli.storage.urls import strip

    target = strip(out) + "/"
    for local in inputs:
        url = root_url(local) if local is not None else None
        if url is None:
            continue
        if target.startswith(url + "/") or (url + "/").startswith(target):
            raise UsageError(f"output {strip(out)} overlaps the input {url}; choose another --out")


def with_remote_parts(merge: Callable) -> Callable:
    @functools.wraps(merge)
    def wrapper(parts: Sequence[Any], out: Any, **options: Any) -> Any:
        from augcli.storage.urls import is_remote, local_path

        if not any(is_remote(part) for part in parts):
            return merge([local_path(part) for part in parts], out, **options)
        with public_messages():
            local = [_mirrored_part(part, options.get("cache_dir")) for part in parts]
            if is_remote(out):
                _check_apart(str(out), local)
            return merge(local, out, **options)

    return wrapper


def holds_unfinished_run(out: str) -> bool:
    """Whether the remote OUT ``out`` holds a run cut short (a journal, no manifest): what a
    merge run again finishes, as it does in a local OUT."""
    from augcli.storage.remote_listing import unfinished
    from augcli.storage.urls import filesystem, storage_error

    fs, path = filesystem(out)
    try:
        return unfinished(fs, path)
    except Exception as err:
        raise storage_error(err, out, "read", OutputError) from None


def _mirrored_part(part: Any, cache_dir: Any) -> Path:
    """The local mirror of the shard output ``part`` (a URL), or the path itself."""
    from augcli.storage.lock_object import check_free
    from augcli.storage.mirror import mirror
    from augcli.storage.urls import filesystem, is_remote, local_path, storage_error, strip

    if not is_remote(part):
        return local_path(part)
    fs, path = filesystem(str(part))
    try:
        check_free(fs, f"{path}/.augcli/lock", strip(str(part)))  # no shard may still be writing there
    except Exception as err:
        raise storage_error(err, strip(str(part)), "read", DatasetError) from None
    return mirror(str(part), cache_dir, what="shard output")


@contextlib.contextmanager
def public_messages() -> Iterator[None]:
    """Errors raised inside with cache and staging paths written as URLs."""
    from augcli.storage.mirror import public_text

    try:
        yield
    except AugcliError as err:
        err.message = public_text(err.message)
        err.file = public_text(err.file) if err.file else err.file
        raise


def _public(run: Callable, source: Any, out: Any) -> Any:
    """``run()`` with cache and staging paths in its errors and report written as URLs."""
    from augcli.storage.mirror import public_records, public_text

    with public_messages():
        report = run()
    if report is not None and hasattr(report, "skipped"):
        report.source, report.out = str(source), str(out)
        report.skipped = public_records(report.skipped)
        report.warnings = [public_text(w) if isinstance(w, str) else w for w in report.warnings]
    return report
