"""Per-output random streams that do not depend on workers, order or shard.

Each output is ``(split, image key, copy index)``; its generator comes from
``SeedSequence(seed, spawn_key=(stable_hash(split), stable_hash(key), copy))``.
``stable_hash`` is sha256-based: Python's ``hash()`` changes between processes.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np


@functools.lru_cache(maxsize=1024)  # a task's copies hash the same split and key
def stable_hash(key: str) -> int:
    """A 63-bit integer from sha256 of the key, identical on every machine."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def task_rng(seed: int, split: str, key: str, copy: int) -> np.random.Generator:
    sequence = np.random.SeedSequence(seed, spawn_key=(stable_hash(split), stable_hash(key), copy))
    return np.random.default_rng(sequence)
