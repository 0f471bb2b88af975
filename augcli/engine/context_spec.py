"""A run's ``WorkContext`` for workers that cannot inherit the parent's memory.

The fork pool hands its workers the parsed reader, recipe and writer for
free. A Ray worker (another process, maybe another machine) gets the next
best thing: ``context_snapshot``, the parent's own context pickled once
(what a fork would have copied), which each worker process unpickles once
(``restore_context``) instead of reading and checking the dataset again.
So ``worker.run_task`` sees exactly what a forked worker sees and writes the
same bytes.

When some part of the context does not pickle, the worker rebuilds it from
the ``ContextSpec`` (small, plain data) instead: it opens the dataset with the
format the parent detected, parses the recipe from its text, opens the writer
with the same options and rebuilds the partner pool (``build_context``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from augcli.core.errors import DatasetError
from augcli.engine.partners import check_partners, partner_source
from augcli.engine.worker import WorkContext, with_writer_capabilities
from augcli.formats.base import WriteOptions
from augcli.formats.registry import open_reader, open_writer


@dataclass(frozen=True)
class ContextSpec:
    source: str  # as given: messages name files exactly as the parent's would
    fmt: str  # the format the parent detected: workers never detect again
    images: str | None
    cwd: str  # the parent's working folder, which relative paths are relative to
    mask_options: dict = field(default_factory=dict)
    recipe_text: str | None = None  # the recipe's YAML text ...
    recipe_object: Any = None  # ... or, for a recipe built in Python that has no text, the Recipe itself
    recipe_source: str = "<recipe>"
    out: str | None = None  # None: a dry run (no writer)
    write_options: WriteOptions | None = None
    to: str = "same"
    seed: int = 0
    dry_run: bool = False
    debug: bool = False

    @property
    def token(self) -> str:
        """Names this run's context in a worker's cache (a reused worker must not mix runs)."""
        return hashlib.sha256(pickle.dumps(self)).hexdigest()[:16]


def context_spec(
    *,
    source: str | Path,
    reader: Any,
    recipe: Any,
    images: str | Path | None,
    mask_options: dict | None,
    out: Path | None,
    write_options: WriteOptions | None,
    to: str,
    seed: int,
    dry_run: bool,
    debug: bool,
) -> ContextSpec:
    """The spec of the context the parent built from these arguments (``out`` None: dry run)."""
    text = recipe.source_text if _reparses(recipe) else None
    return ContextSpec(
        source=str(source),
        fmt=reader.format_name,
        images=str(images) if images else None,
        cwd=os.getcwd(),
        mask_options={k: v for k, v in (mask_options or {}).items() if v is not None},
        recipe_text=text,
        recipe_object=None if text is not None else recipe,
        recipe_source=str(getattr(recipe, "source", "<recipe>")),
        out=str(out) if out is not None else None,
        write_options=write_options,
        to=to,
        seed=int(seed),
        dry_run=dry_run,
        debug=debug,
    )


def _reparses(recipe: Any) -> bool:
    """True when the recipe's text parses back into the same recipe (a file's text always does)."""
    from augcli.recipe.recipe import recipe_from_text

    text = getattr(recipe, "source_text", "")
    if not text:
        return False
    try:
        return pickle.dumps(recipe_from_text(text, source=recipe.source)) == pickle.dumps(recipe)
    except Exception:  # any failure just means: ship the object instead
        return False


def build_context(spec: ContextSpec) -> WorkContext:
    """The ``WorkContext`` the parent has, rebuilt in this process from ``spec``."""
    from augcli.recipe.recipe import recipe_from_text

    if os.path.isdir(spec.cwd):  # a worker on another machine needs absolute (shared) paths
        os.chdir(spec.cwd)
    reader = open_reader(
        Path(spec.source),
        fmt=spec.fmt,
        images=Path(spec.images) if spec.images else None,
        **spec.mask_options,
    )
    if spec.recipe_text is not None:
        recipe = recipe_from_text(spec.recipe_text, source=spec.recipe_source)
    else:
        recipe = spec.recipe_object
    writer = None
    if spec.out is not None and not spec.dry_run:
        writer = open_writer(reader, Path(spec.out), spec.write_options, to=spec.to)
    pool, _notes = check_partners(recipe, reader)
    prepare = partial(with_writer_capabilities, writer=writer)
    return WorkContext(
        reader=reader,
        recipe=recipe,
        writer=writer,
        seed=spec.seed,
        dry_run=spec.dry_run,
        debug=spec.debug,
        partners=partner_source(pool, reader, recipe, spec.seed, prepare),
    )


def context_snapshot(context: WorkContext) -> bytes | None:
    """``context`` pickled, without its part names (each Ray task names its own part file);
    None when some part of it does not pickle (the workers then use ``build_context``)."""
    try:
        return pickle.dumps(replace(context, parts=None), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # whatever the reason, the spec still rebuilds the same context
        return None


def snapshot_token(spec: ContextSpec, snapshot: bytes | None) -> str:
    """Names the context of ``spec`` and ``snapshot`` in a worker's cache (see ``ContextSpec.token``)."""
    if snapshot is None:
        return spec.token
    return f"{spec.token}-{hashlib.blake2b(snapshot, digest_size=8).hexdigest()}"


def restore_context(spec: ContextSpec, snapshot: bytes) -> WorkContext:
    """The parent's context from ``context_snapshot``, in the parent's working folder.

    A node that does not see the dataset is refused as ``build_context`` would refuse
    it (the parent's reader names files by the paths the parent used)."""
    if os.path.isdir(spec.cwd):
        os.chdir(spec.cwd)
    if not os.path.exists(spec.source):
        raise DatasetError(
            f"dataset not found: {spec.source} (on Ray node {socket.gethostname()}; "
            "every node must see the dataset at the same path)"
        )
    return pickle.loads(snapshot)
