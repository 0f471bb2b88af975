"""Shards: one run's plan split across independent processes (a Slurm array, a Kubernetes Indexed Job).

A task belongs to shard ``stable hash of (split, key) mod N``: the same image
lands in the same shard on every machine, whatever the listing order, and
keeps its shard when other images are added. A shard runs only its tasks,
with their global task indices and seeds, so each output file is byte for
byte the one a single run writes; ``engine.merge`` joins the shards into
that single run's tree.

``resolve_shard`` turns ``--num-shards`` / ``--shard-index`` (either one asks
for sharding) into a ``Shard``, filling a missing value from the batch
scheduler's environment: the index from ``SLURM_ARRAY_TASK_ID`` (minus
``SLURM_ARRAY_TASK_MIN``, as Slurm arrays may start at 1), else
``JOB_COMPLETION_INDEX``; the count from ``SLURM_ARRAY_TASK_COUNT``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from augcli.core.errors import UsageError
from augcli.engine.plan import Task

MAX_SHARDS = 100_000  # a bound on the number of part folders one merge reads
INDEX_VARIABLES = ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")
COUNT_VARIABLE = "SLURM_ARRAY_TASK_COUNT"
SLURM_MIN = "SLURM_ARRAY_TASK_MIN"


def _key_bytes(text: str) -> bytes:
    try:  # a file name that was not UTF-8 hashes as its bytes on disk
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate escaped in a JSON string
        return text.encode("utf-8", "surrogatepass")


def shard_of(split: str, key: str, count: int) -> int:
    """The shard (0..count-1) of the task of ``key`` in ``split``; the same on every machine."""
    digest = hashlib.blake2b(_key_bytes(split) + b"\0" + _key_bytes(key), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def owns(self, split: str, key: str) -> bool:
        return shard_of(split, key, self.count) == self.index

    def select(self, tasks: Iterable[Task]) -> list[Task]:
        """This shard's tasks, in plan order, with their global indices."""
        return [task for task in tasks if self.owns(task.split, task.key)]

    def identity(self) -> dict:
        """What a shard adds to the run identity (``engine.resume``): another shard is another run."""
        return {"num_shards": self.count, "shard_index": self.index}

    def label(self) -> str:
        return f"shard {self.index} of {self.count}"


def resolve_shard(
    num_shards: int | None, shard_index: int | None, environ: Mapping[str, str]
) -> Shard | None:
    """The shard to run, or None when neither option was given (see the module docstring).

    Raises ``UsageError`` (exit 2) for a missing or out-of-range value, naming both bounds.
    """
    if num_shards is None and shard_index is None:
        return None
    if num_shards is None:
        num_shards = _from_env(environ, COUNT_VARIABLE)
        if num_shards is None:
            raise UsageError(
                f"--shard-index needs --num-shards (or {COUNT_VARIABLE} from a Slurm array); "
                f"it must be between 1 and {MAX_SHARDS}"
            )
    if not 1 <= num_shards <= MAX_SHARDS:
        raise UsageError(f"--num-shards {num_shards} is out of range: it must be between 1 and {MAX_SHARDS}")
    where = f"--shard-index {shard_index}"
    if shard_index is None:
        shard_index, where = _index_from_env(environ)
        if shard_index is None:
            raise UsageError(
                f"--num-shards {num_shards} needs --shard-index between 0 and {num_shards - 1} "
                f"(or {' or '.join(INDEX_VARIABLES)} from a Slurm array or a Kubernetes Indexed Job)"
            )
    if not 0 <= shard_index < num_shards:
        raise UsageError(
            f"{where} is out of range: with --num-shards {num_shards} "
            f"it must be between 0 and {num_shards - 1}"
        )
    return Shard(shard_index, num_shards)


def _index_from_env(environ: Mapping[str, str]) -> tuple[int | None, str]:
    slurm = _from_env(environ, "SLURM_ARRAY_TASK_ID")
    if slurm is not None:
        first = _from_env(environ, SLURM_MIN) or 0
        shown = f"SLURM_ARRAY_TASK_ID {slurm}" + (f" minus {SLURM_MIN} {first}" if first else "")
        return slurm - first, f"shard index {slurm - first} ({shown})"
    kubernetes = _from_env(environ, "JOB_COMPLETION_INDEX")
    return kubernetes, f"shard index {kubernetes} (JOB_COMPLETION_INDEX)"


def _from_env(environ: Mapping[str, str], name: str) -> int | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{name} is {text[:40]!r}, not a whole number") from None


PathArg = str | os.PathLike[str] | None


def run_arguments(
    source: PathArg,
    source_label: str | None,
    fmt: str,
    to: str,
    images: PathArg,
    mask_options: Mapping[str, PathArg] | None,
    splits: str | list[str] | None,
) -> dict:
    """A shard's expand arguments as JSON, paths absolute: what ``augcli merge`` reruns the plan with."""
    masks = {
        name: (str(value) if name == "mask_pattern" and value is not None else _absolute(value))
        for name, value in (mask_options or {}).items()
    }
    return {
        "source": _absolute(source),
        "source_label": str(source) if source_label is None else source_label,
        "fmt": fmt,
        "to": to,
        "images": _absolute(images),
        "mask_options": masks,
        "splits": splits if splits is None or isinstance(splits, str) else list(splits),
    }


def _absolute(path: PathArg) -> str | None:
    """An absolute path; a mirror of a remote input as its URL (mirrored again where merge runs)."""
    from augcli.storage.mirror import public_name

    if path is None:
        return None
    return public_name(os.path.abspath(os.path.expanduser(os.fspath(path))))
