"""``expand``: the whole run, callable from Python without the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from augcli.core.errors import AugcliError, OutputError, UsageError
from augcli.engine.assemble import assemble, results_in_order
from augcli.engine.executors import (
    DEFAULT_ITEM_TIMEOUT,
    check_executor,
    closes_sessions,
    default_workers,
    open_session,
)
from augcli.engine.inputs import current_rows
from augcli.engine.library_warnings import WARNINGS_FILE, records_warnings
from augcli.engine.lock import MARKER_DIR, OutputLock, releases_locks
from augcli.engine.parts import Finished, PartNames, remove_parts
from augcli.engine.plan import Task
from augcli.engine.remote_run import claim_output, with_storage
from augcli.engine.report import RunReport
from augcli.engine.results import TaskResult, WorkContext
from augcli.engine.resume import begin_run, run_identity
from augcli.engine.run_plan import emit, plan_run, resolve_copies
from augcli.engine.saved_plan import save_plan, snapshot
from augcli.engine.shards import Shard, run_arguments
from augcli.formats.base import WriteOptions
from augcli.formats.registry import open_writer
from augcli.storage.mirror import public_name

# What runs tasks (workers, the recipe's transforms, executors) is imported where it is used:
# a merge on its shards' saved plan runs none of it.
if TYPE_CHECKING:
    from augcli.recipe.recipe import Recipe


def resolve_recipe(recipe: Any) -> Recipe:
    from augcli.recipe.recipe import Recipe, load_recipe, recipe_from_dict

    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, dict):
        return recipe_from_dict(recipe)
    return load_recipe(Path(recipe))


def prepare_output(out: Path, input_root: Path, overwrite: bool, resume: bool = False) -> Path:
    """Refuse outputs that overlap the input or hold someone else's files.

    ``resume`` accepts an augcli output as ``overwrite`` does; whether it
    holds the same run is checked against its journal later.
    """
    out = Path(out).expanduser().resolve()
    root = Path(input_root).resolve()
    if out == root or out.is_relative_to(root):
        raise UsageError(f"output folder {out} is inside the input dataset {root}; choose another --out")
    if root.is_relative_to(out):
        raise UsageError(f"output folder {out} contains the input dataset {root}; choose another --out")
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise UsageError(f"output folder {out} cannot be made: {blocking} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER_DIR).is_dir() or (out / MARKER_DIR).is_symlink():
            raise UsageError(
                f"output folder {out} is not empty and was not written by augcli; "
                "choose another --out (augcli never deletes files it did not write)"
            )
        if not (overwrite or resume):
            raise UsageError(
                f"output folder {out} holds an earlier augcli run; pass --overwrite to replace it "
                "or --resume to finish it"
            )
    return out


@with_storage
@releases_locks
@records_warnings
@closes_sessions
def expand(
    source: str | Path,
    recipe: Any,
    out: str | Path,
    *,
    copies: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    images: str | Path | None = None,
    fmt: str = "auto",
    to: str = "same",
    mask_options: dict | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    debug: bool = False,
    resume: bool = False,
    item_timeout: float | None = DEFAULT_ITEM_TIMEOUT,
    splits: str | list[str] | None = None,
    yolo_task: str | None = None,
    keep_invalid: bool = False,
    on_result: Callable[[TaskResult | Finished, Task], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    shard: Shard | None = None,
    imported: Any = None,
    source_label: str | None = None,
    executor: str = "local",
    address: str | None = None,
) -> RunReport:
    """Expand the dataset at ``source`` with ``recipe`` into ``out``; returns the report.

    ``source``, ``images`` and ``out`` may be fsspec URLs (``s3://...``; see
    ``engine.remote_run``), with ``cache_dir`` for their local mirror and staging.

    Raises an ``AugcliError`` subclass for dataset-level problems, before
    anything is written. Item-level problems are skipped and listed in
    ``report.skipped`` (and ``OUT/.augcli/report.jsonl``). ``fmt`` is the input
    format (``auto`` detects it), ``to`` the output format (``same``, or another
    one: what the conversion cannot keep is listed in ``report.warnings``).
    ``resume`` continues an interrupted run in ``out`` (see ``engine.resume``);
    ``item_timeout`` bounds the seconds one image may take in a worker. ``keep_invalid``
    writes invalid and unusable label entries back as read (default: left out, reported raw).
    ``mask_options`` (``masks``, ``mask_pattern``, ``palette``) name a mask
    dataset's mask folder, mask-name suffix and palette file.
    ``on_start(n)`` is told the number of output images this run will make
    (after ``--resume``, only those still to do) and ``on_result(result, task)``
    is told each finished task.
    ``shard`` runs only that shard's tasks (``engine.shards``) and keeps their
    records for ``augcli merge``; ``imported`` (``engine.merge.ShardImport``)
    takes the tasks from finished shards instead of running them (``on_result``
    is then told ``(None, task)``; ``recipe`` may be None: the shards' plan is
    used, or their recipe), and
    ``source_label`` is the source as run.jsonl names it (default: ``source``).
    ``splits`` (a list or a comma list; default: the recipe's ``splits``)
    names the splits that get augmented copies (see ``engine.plan``); the
    others are written unchanged. ``yolo_task`` (default: the recipe's
    ``output.yolo_task``, else auto) is the label kind of a YOLO output.
    ``executor`` is ``local`` (worker processes on this machine) or ``ray`` (Ray tasks on the
    cluster at ``address``, else ``RAY_ADDRESS``, else a local cluster of ``workers`` CPUs;
    needs ``augcli[ray]``, see ``engine.ray_executor``). The output is the same either way.
    """
    started = time.perf_counter()
    copies_override = copies
    # a merge whose shards saved their plan, with the source as they saw it, need not plan again
    plan = imported.restored_plan() if imported is not None else None
    if plan is None:
        recipe = resolve_recipe(imported.recipe() if imported is not None else recipe)
        seed, copies = resolve_copies(recipe, seed, copies)
    else:
        recipe, seed, copies = None, plan.seed, plan.copies
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise UsageError("--workers must be >= 1")
    if resume and (overwrite or dry_run):
        raise UsageError("--resume cannot be combined with --overwrite or --dry-run")
    check_executor(executor, address)
    # first, so a cluster's workers start while the dataset is read (``RaySession.open``),
    # and before OUT is touched: a bad cluster writes nothing
    session = open_session(executor, address, workers)

    if plan is None:
        assert recipe is not None
        plan = plan_run(
            recipe,
            source,
            seed=seed,
            copies=copies,
            copies_override=copies_override,
            images=images,
            fmt=fmt,
            mask_options=mask_options,
            splits=splits,
        )
        input_rows = plan.input_rows
    else:
        emit(plan.caught)  # the shards' library warnings of reading the source are this run's too
        input_rows = current_rows(plan.input_rows)
    saved = snapshot(plan, source) if shard is not None and shard.index == 0 and not dry_run else None
    reader, tasks, report = plan.reader, plan.tasks, plan.report
    out_path = prepare_output(Path(out), reader.root, overwrite, resume)
    report.source, report.out, report.workers, report.dry_run = str(source), str(out_path), workers, dry_run
    own = tasks if shard is None else shard.select(tasks)
    if shard is not None:
        report.shard = {"index": shard.index, "count": shard.count, "tasks": len(own), "of": len(tasks)}

    writer = state = options = None
    if not dry_run:
        options = WriteOptions(
            jpeg_quality=plan.jpeg_quality,
            yolo_task=yolo_task or plan.yolo_task,
            keep_original=plan.keep_original,
            keep_invalid=keep_invalid,
            augmented_splits=frozenset(plan.augmented),
        )
        writer = open_writer(reader, out_path, options, to=to)
        identity = run_identity(source, plan, writer, input_rows)
        identity.update(augmented_splits=list(plan.augmented), yolo_task=getattr(writer, "task", None))
        identity.update(keep_invalid=keep_invalid)
        if shard is not None:
            identity.update(shard.identity())
        if imported is not None:
            imported.check(identity, tasks, input_rows)  # the shards must be of this very run
        OutputLock(out_path)  # every check passed; held until expand returns or raises (releases_locks)
        claim_output(out_path, overwrite=overwrite, resume=resume)  # a remote OUT: lock, clear or download
        state = begin_run(out_path, identity, resume, input_rows, {t.index: t.key for t in own})
        if state.finished is not None:  # --resume of a run that had finished: nothing to do
            _report_finished(report, state.finished)
            report.seconds = time.perf_counter() - started
            return report
        if shard is not None:  # what augcli merge restores instead of reading the source again
            save_plan(
                saved, out_path / MARKER_DIR, {k: v for k, v in identity.items() if k not in shard.identity()}
            )
    done = state.done if state is not None else {}
    pending = [task for task in own if task.index not in done]
    if on_start:
        on_start(sum(len(task.copies) for task in pending))
    context = WorkContext(
        reader=reader,
        recipe=recipe,
        writer=writer,
        seed=seed,
        dry_run=dry_run,
        debug=debug,
        partners=_partners(plan, recipe, writer),
        parts=PartNames(out_path / MARKER_DIR) if state is not None else None,
    )
    remote = None
    if session is not None:
        from augcli.engine.context_spec import context_spec
        from augcli.engine.ray_executor import RayExecutor

        spec = context_spec(
            source=source,
            reader=reader,
            recipe=recipe,
            images=images,
            mask_options=mask_options,
            out=out_path if writer is not None else None,
            write_options=options,
            to=to,
            seed=seed,
            dry_run=dry_run,
            debug=debug,
        )
        remote = RayExecutor(session, spec, context, item_timeout)
    journal = state.journal if state else None
    if imported is not None:  # finished elsewhere: their files are brought in, their records read in place
        fresh = imported.run(context, pending, on_result)
    else:
        from augcli.engine.execute import execute

        start = remote.start if remote is not None else None
        fresh = execute(context, pending, workers, journal, item_timeout, on_result, start=start)
    report.images_this_run = sum(
        len(t.copies) for t in pending if t.index in fresh and not fresh[t.index].failed
    )
    meta = out_path / MARKER_DIR
    results = results_in_order(meta if writer is not None else None, {**done, **fresh})
    label_names = {str(k): v for k, v in reader.categories.names().items()}
    run_info: dict[str, Any] | None = None
    if writer is not None:
        run_info = {
            "source": public_name(source) if source_label is None else source_label,
            "seed": seed,
            "copies": copies,
            "keep_original": plan.keep_original,
            "recipe": plan.recipe_text,
            "identity": identity,
        }
        if shard is not None:  # what augcli merge needs to redo this run's plan
            arguments = run_arguments(source, run_info["source"], fmt, to, images, mask_options, splits)
            arguments.update(
                yolo_task=yolo_task, keep_invalid=keep_invalid, copies=copies_override, seed=seed
            )
            run_info["shard"] = {"index": shard.index, "count": shard.count, "arguments": arguments}
    try:
        assemble(
            results,
            tasks,
            report,
            label_names=label_names,
            min_ops=plan.min_ops,
            writer=writer,
            meta=meta,
            run_info=run_info,
        )
    except OutputError as err:
        from augcli.engine.execute import RESUME_HINT

        err.message = f"{err.message}; {RESUME_HINT}"
        raise
    if state is not None and state.journal is not None:
        if shard is None:
            state.journal.remove()
            remove_parts(out_path / MARKER_DIR)
        else:
            state.journal.close()  # a shard's journal holds the records augcli merge assembles
    report.seconds = time.perf_counter() - started
    return report


def _partners(plan: Any, recipe: Any, writer: Any) -> Any:
    """The workers' partner source (``engine.partners``), None when the recipe draws no partners."""
    if plan.pool is None:
        return None
    from augcli.engine.partners import partner_source
    from augcli.engine.worker import with_writer_capabilities

    prepare = partial(with_writer_capabilities, writer=writer)
    return partner_source(plan.pool, plan.reader, recipe, plan.seed, prepare)


def _report_finished(report: RunReport, finished: dict) -> None:
    """Fill ``report`` from the files of a run that had already finished."""
    from augcli.engine.resume import read_jsonl_rows

    report.images_out = int(finished.get("images_out") or 0)
    report.annotations_out = int(finished.get("annotations_out") or 0)
    report.add_dropped(finished.get("dropped") or {})
    report.raster_path = int(finished.get("raster_path") or 0)
    report.classes = dict(finished.get("classes") or report.classes)
    report.skipped = read_jsonl_rows(Path(report.out) / MARKER_DIR, "report.jsonl")
    report.library_warnings = read_jsonl_rows(Path(report.out) / MARKER_DIR, WARNINGS_FILE)


__all__ = ["expand", "AugcliError"]
