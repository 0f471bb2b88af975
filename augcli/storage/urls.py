"""fsspec URLs: which arguments are URLs, the file system behind one, its errors as augcli errors.

fsspec (and s3fs for ``s3://``, gcsfs for ``gs://``) are optional: they are
imported only when a URL is given, and a missing one is a one-line usage
error naming the extra to install. Credentials and endpoints come from the
usual places (``AWS_*`` variables, ``~/.aws/config``, ``AWS_ENDPOINT_URL``,
``FSSPEC_S3_*``): never from the command line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from augcli.core.errors import AugcliError, UsageError, one_line

_URL = re.compile(r"^(?P<protocol>[a-zA-Z][a-zA-Z0-9+.-]+)://")
# the extra or package each protocol needs, for the message when it is missing
_PACKAGES = {"s3": "augcli[s3]", "s3a": "augcli[s3]", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs"}


def protocol(value: object) -> str | None:
    """The protocol of a URL argument (``s3``, ``memory``...), None for a plain path."""
    match = _URL.match(str(value)) if isinstance(value, str) else None
    return match.group("protocol").lower() if match else None


def is_remote(value: object) -> bool:
    """A URL that is not ``file://``: its files must be mirrored or uploaded."""
    return protocol(value) not in (None, "file")


def local_path(value: str | Path) -> Path:
    """A plain path, or the path of a ``file://`` URL."""
    if protocol(value) == "file":
        parts = urlsplit(str(value))
        return Path(unquote(parts.netloc + parts.path)).expanduser()
    return Path(value).expanduser()


def strip(url: str) -> str:
    """``url`` without a trailing slash (``s3://b/x/`` and ``s3://b/x`` are one prefix)."""
    return url.rstrip("/") if not url.endswith("://") else url


def filesystem(url: str) -> tuple[Any, str]:
    """``(fsspec file system, path inside it)`` for ``url``; a missing package is a ``UsageError``."""
    name = protocol(url) or "file"
    try:
        import fsspec
    except ImportError:
        raise UsageError(
            f"{one_line(url)}: URLs need fsspec; install it with pip install '{_PACKAGES.get(name, 'augcli[s3]')}'"
        ) from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError:
        raise UsageError(
            f"{one_line(url)}: {name}:// URLs need another package; "
            f"install it with pip install '{_PACKAGES.get(name, name + 'fs')}'"
        ) from None
    except ValueError as err:  # an unknown protocol
        raise UsageError(f"{one_line(url)}: {err}") from None
    return fs, strip(path)


def join(url: str, *parts: str) -> str:
    return "/".join([strip(url), *(p.strip("/") for p in parts if p)])


def storage_error(err: BaseException, url: str, what: str, error: type[AugcliError]) -> AugcliError:
    """One line for a failed remote operation: what failed, on which URL, and the likely cause."""
    if isinstance(err, AugcliError):
        return err
    if isinstance(err, FileNotFoundError):
        cause = "not found (check the bucket and the path)"
    elif isinstance(err, PermissionError):
        cause = "access denied (check the credentials: AWS_* variables, ~/.aws, AWS_PROFILE)"
    elif type(err).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        cause = "no credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)"
    else:
        cause = f"{type(err).__name__}: {err}"
    return error(f"cannot {what} {url}: {cause}")


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where mirrors and staging folders live: ``--cache-dir``, ``AUGCLI_CACHE``, else
    ``$XDG_CACHE_HOME/augcli`` (``~/.cache/augcli``)."""
    if cache_dir:
        return Path(cache_dir).expanduser().absolute()
    if os.environ.get("AUGCLI_CACHE"):
        return Path(os.environ["AUGCLI_CACHE"]).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return (Path(base).expanduser() / "augcli").absolute()
