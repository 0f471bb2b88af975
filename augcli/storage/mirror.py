"""Remote inputs read through a local mirror: the path-based readers run unchanged on it.

``mirror(url)`` copies every object below ``url`` into
``<cache>/mirror/<protocol>/<bucket>/<path>/``, downloading in parallel
(fsspec's batched ``get``) only what changed: an object whose size and ETag
(or modification time, where the store has no ETag) match the last download
is kept. Files the store no longer holds are removed, so the mirror is the
remote tree, no more. A URL naming one file (a COCO JSON) mirrors its folder,
or the folder above when that one is ``annotations/`` (where the images
usually are); other layouts pass ``--images`` as another URL.

Each mirror remembers its URL and the remote fingerprint of every file, so
``public_name`` can name a file by its URL in messages and ``--resume``
compares inputs by their remote identity, not by the local copy's inode.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from augcli.core.errors import DatasetError
from augcli.formats.atomic import atomic_write_bytes
from augcli.storage.urls import cache_root, filesystem, is_remote, join, local_path, storage_error, strip

_MIRRORS: dict[str, tuple[str, dict[str, dict]]] = {}  # local root -> (URL, {relpath: fingerprint})
_NAMES: dict[str, str] = {}  # local root -> URL, for messages: mirrors and staging folders
_FINGERPRINT_KEYS = ("ETag", "etag", "md5Hash", "generation", "mtime", "LastModified", "created")
_PARTIAL = ".augcli-download"


def cache_key(url: str) -> str:
    """A folder name for ``url``: a hash (one URL, one folder) and its last part, for people."""
    url = strip(url)
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rsplit("/", 1)[-1])[:40] or "root"
    return f"{hashlib.sha256(url.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}-{tail}"


def remote_fingerprint(info: dict) -> dict:
    """What identifies an object's content in a listing: size plus ETag (or mtime)."""
    fingerprint: dict[str, Any] = {"size": int(info.get("size") or 0)}
    for key in _FINGERPRINT_KEYS:
        if info.get(key) is not None:
            fingerprint["version"] = str(info[key])
            break
    return fingerprint


def mirror(url: str, cache_dir: str | Path | None = None, *, what: str = "dataset") -> Path:
    """The local path standing for ``url`` after mirroring (see the module docstring)."""
    fs, path = filesystem(url)
    fs.invalidate_cache()  # a listing cached earlier in this process may be stale
    try:
        is_file = fs.isfile(path)
        folder_path = posixpath.dirname(path) if is_file else path
        if is_file and posixpath.basename(folder_path) == "annotations":
            folder_path = posixpath.dirname(folder_path)
        listing = fs.find(folder_path, detail=True) if folder_path else {}
    except Exception as err:
        raise storage_error(err, url, f"list the {what}", DatasetError) from None
    prefix = folder_path.rstrip("/") + "/"
    files = {}
    for name, info in listing.items():
        rel = name[len(prefix) :] if name.startswith(prefix) else None
        if rel and info.get("type", "file") == "file" and _safe(rel):
            files[rel] = (name, remote_fingerprint(info))
    if not files:
        raise DatasetError(f"dataset not found: {url} (no objects there)")
    folder_url = _url_of(url, path, folder_path)
    cache = cache_root(cache_dir).resolve()
    root = cache / "mirror" / _local_part(folder_url, folder_path)
    state = cache / "mirror-state" / cache_key(folder_url)
    with _locked(state.with_suffix(".lock")):
        _sync(fs, files, root, folder_url, state.with_suffix(".json"))
    _MIRRORS[str(root)] = (folder_url, {rel: fp for rel, (_, fp) in files.items()})
    register_name(root, folder_url)
    return root / path[len(prefix) :] if is_file else root


def local_input(value: str | Path, cache_dir: str | Path | None = None, *, what: str = "dataset") -> Path:
    """The local path a reader opens for ``value``: its mirror when it is a URL, else the path."""
    return mirror(str(value), cache_dir, what=what) if is_remote(value) else local_path(value)


def _local_part(url: str, path: str) -> str:
    """``<protocol>/<bucket>/<path>``: mirrors keep the store's paths, so a SOURCE and an
    ``--images`` folder in one bucket lie where they lie in the bucket, as local folders would
    (an OUT mirrors their common folder). A path that cannot be a folder name is hashed."""
    name = (url.split("://", 1)[0] or "file").lower()
    parts = [p for p in path.strip("/").split("/")]
    if not all(part not in ("", ".", "..") and "\0" not in part for part in parts):
        parts = [cache_key(url)]
    return "/".join([name, *parts])


def _url_of(url: str, path: str, folder_path: str) -> str:
    """The URL of ``folder_path`` (a prefix of ``url``'s path, same protocol and bucket)."""
    url = strip(url)
    cut = len(path) - len(folder_path)
    return url[: len(url) - cut] if cut else url


def _safe(rel: str) -> bool:
    """A key that maps to a file below the mirror (no ``..``, no empty or absolute parts)."""
    parts = rel.split("/")
    return all(part not in ("", ".", "..") for part in parts) and "\0" not in rel


def _sync(fs: Any, files: dict[str, tuple[str, dict]], root: Path, url: str, manifest_path: Path) -> None:
    try:
        known = json.loads(manifest_path.read_text("utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        known = {}
    root.mkdir(parents=True, exist_ok=True)
    wanted = {str(root / rel) for rel in files}
    for folder, _dirs, names in os.walk(root):  # what the store no longer holds (and torn downloads)
        for name in names:
            stray = os.path.join(folder, name)
            if stray not in wanted:
                os.unlink(stray)
    fetch = []
    for rel, (remote, fingerprint) in files.items():
        target = root / rel
        if (
            known.get(rel) == fingerprint
            and target.is_file()
            and target.stat().st_size == fingerprint["size"]
        ):
            continue
        fetch.append((rel, remote))
    if fetch:
        for rel, _ in fetch:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
        partial = [str(root / rel) + _PARTIAL for rel, _ in fetch]
        try:
            fs.get([remote for _, remote in fetch], partial)
        except Exception as err:
            raise storage_error(err, join(url, fetch[0][0]), "download", DatasetError) from None
        for (rel, _), part in zip(fetch, partial):
            os.replace(part, root / rel)
    state = {"url": url, "files": {rel: fp for rel, (_, fp) in files.items()}}
    atomic_write_bytes(manifest_path, json.dumps(state, sort_keys=True).encode("utf-8"))
    _remove_empty_folders(root)


def _remove_empty_folders(root: Path) -> None:
    for folder, dirs, names in os.walk(root, topdown=False):
        if not dirs and not names and Path(folder) != root:
            with contextlib.suppress(OSError):
                os.rmdir(folder)


@contextlib.contextmanager
def _locked(path: Path):
    """One process mirrors one URL at a time (another waits for it, then finds little to do)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# -- naming mirrored files by their URL -------------------------------------------------------------


def _mirror_of(path: str) -> tuple[str, str, dict[str, dict]] | None:
    """(root, URL, fingerprints) of the mirror holding ``path``, if any."""
    for root, (url, fingerprints) in _MIRRORS.items():
        if path == root or path.startswith(root + os.sep):
            return root, url, fingerprints
    return None


def register_name(root: Path, url: str) -> None:
    """Name files below the local folder ``root`` by ``url`` in messages and identities."""
    _NAMES[str(root)] = strip(url)


def public_name(path: str | Path) -> str:
    """``path`` as a URL when it is inside a mirror or staging folder, else unchanged."""
    text = os.fsdecode(path)
    for root, url in _NAMES.items():
        if text == root:
            return url
        if text.startswith(root + os.sep):
            return join(url, text[len(root) + 1 :].replace(os.sep, "/"))
    return text


def root_url(path: str | Path) -> str | None:
    """The URL of the mirror or staging folder holding ``path``, None for other paths."""
    text = os.fsdecode(path)
    return next((url for root, url in _NAMES.items() if text == root or text.startswith(root + os.sep)), None)


def public_text(text: str) -> str:
    """``text`` with every mirror or staging folder in it written as its URL (for messages)."""
    for root, url in sorted(_NAMES.items(), key=lambda item: -len(item[0])):
        text = text.replace(root + os.sep, url + "/").replace(root, url)
    return text


def public_rows(seen: dict[str, dict]) -> dict[str, dict]:
    """Input fingerprints keyed by URL for mirrored files; a file only checked (an image) is
    fingerprinted by its remote size and ETag, which a fresh mirror on another machine shares."""
    rows = {}
    for path, fingerprint in seen.items():
        found = _mirror_of(path)
        if found is None:
            rows[path] = fingerprint
            continue
        root, _url, fingerprints = found
        rel = path[len(root) + 1 :].replace(os.sep, "/")
        if "sha256" not in fingerprint and rel in fingerprints:
            fingerprint = dict(fingerprints[rel])
        rows[public_name(path)] = fingerprint
    return rows


def forget_mirrors() -> None:
    """Drop the URL registry (tests; a long-lived process that mirrored other URLs)."""
    _MIRRORS.clear()
    _NAMES.clear()


def public_records(records: list) -> list:
    """Error records (``report.skipped``) with their ``file`` and ``message`` naming mirrored
    and staged files by URL."""
    if not _NAMES:
        return records
    return [_public_record(r) if isinstance(r, dict) else r for r in records]


def _public_record(record: dict) -> dict:
    return {
        key: public_text(value) if key in ("file", "message", "where") and isinstance(value, str) else value
        for key, value in record.items()
    }
