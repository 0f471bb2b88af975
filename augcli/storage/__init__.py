"""Object storage: SOURCE, ``--images`` and OUT as fsspec URLs (``s3://``, ``gs://``, ``memory://``).

Readers and writers stay path-based. Remote inputs are mirrored into a local
cache (``mirror``); a remote OUT is written to a local staging folder that an
uploader mirrors to the store in an order a reader and ``--resume`` can
trust (``remote_out``). ``file://`` URLs are plain paths. This package
imports neither the engine nor fsspec at import time.
"""

from augcli.storage.urls import is_remote, local_path, protocol

__all__ = ["is_remote", "local_path", "protocol"]
