"""``expand``: the whole run, callable from Python without the CLI."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Optional

from augcli.core.errors import AugcliError, RecipeError, UsageError
from augcli.engine.executors import default_workers, run_pool, run_serial
from augcli.engine.plan import plan_tasks
from augcli.engine.report import RunReport, write_jsonl
from augcli.engine.worker import TaskResult, WorkContext
from augcli.formats.base import WriteOptions
from augcli.formats.registry import open_reader, open_writer
from augcli.recipe.recipe import Recipe, check_dataset, load_recipe, recipe_from_dict

MARKER_DIR = ".augcli"   # present in every folder augcli wrote; --overwrite only clears such folders


def resolve_recipe(recipe: Any) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, dict):
        return recipe_from_dict(recipe)
    return load_recipe(Path(recipe))


def prepare_output(out: Path, input_root: Path, overwrite: bool) -> Path:
    """Refuse outputs that overlap the input or hold someone else's files."""
    out = Path(out).expanduser().resolve()
    root = Path(input_root).resolve()
    if out == root or out.is_relative_to(root):
        raise UsageError(f"output folder {out} is inside the input dataset {root}; choose another --out")
    if root.is_relative_to(out):
        raise UsageError(f"output folder {out} contains the input dataset {root}; choose another --out")
    if out.exists() and not out.is_dir():
        raise UsageError(f"output {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise UsageError(f"output folder {out} is not empty; pass --overwrite to replace it")
        if not (out / MARKER_DIR).is_dir():
            raise UsageError(f"output folder {out} is not empty and was not written by augcli; "
                             "refusing to delete it, remove it yourself")
    return out


def clear_output(out: Path) -> None:
    if out.is_dir():
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER_DIR).mkdir(exist_ok=True)


def expand(source: str | Path, recipe: Any, out: str | Path, *, copies: Optional[int] = None,
           seed: Optional[int] = None, workers: Optional[int] = None, images: Optional[str | Path] = None,
           fmt: str = "auto", overwrite: bool = False, dry_run: bool = False, debug: bool = False,
           on_result: Optional[Callable[[TaskResult], None]] = None,
           on_start: Optional[Callable[[int], None]] = None) -> RunReport:
    """Expand the dataset at ``source`` with ``recipe`` into ``out``; returns the report.

    Raises an ``AugcliError`` subclass for dataset-level problems, before
    anything is written. Item-level problems are skipped and listed in
    ``report.skipped`` (and ``OUT/.augcli/report.jsonl``).
    """
    started = time.perf_counter()
    recipe = resolve_recipe(recipe)
    seed = recipe.seed if seed is None else int(seed)
    copies = recipe.copies if copies is None else int(copies)
    if copies < 0:
        raise UsageError("--copies must be >= 0")
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise UsageError("--workers must be >= 1")

    reader = open_reader(Path(source), fmt=fmt, images=Path(images) if images else None)
    problems = check_dataset(recipe, reader.categories, reader.targets())
    if problems:
        raise RecipeError(f"recipe cannot be applied to this dataset: {problems[0]}",
                          problems=problems, file=str(source))
    out_path = prepare_output(Path(out), reader.root, overwrite)

    report = RunReport(source=str(source), out=str(out_path), workers=workers, seed=seed,
                       copies=copies, dry_run=dry_run)
    report.skipped.extend(p.to_record() for p in reader.problems)
    keys = reader.keys()
    report.images_in = len(keys)
    report.annotations_in = reader.annotation_count()
    tasks = plan_tasks(keys, copies, recipe.keep_original)
    if on_start:
        on_start(len(tasks))

    writer = None
    if not dry_run:
        clear_output(out_path)
        writer = open_writer(reader, out_path, WriteOptions(jpeg_quality=recipe.jpeg_quality))
    context = WorkContext(reader=reader, recipe=recipe, writer=writer, seed=seed,
                          dry_run=dry_run, debug=debug)
    if workers == 1 or len(tasks) <= 1:
        results = run_serial(context, tasks)
    else:
        results = run_pool(context, tasks, min(workers, len(tasks)))

    records, provenance = [], []
    for result in results:
        if result.error:
            report.skipped.append(result.error)
        records.extend(result.records)
        provenance.extend(result.provenance)
        report.add_dropped(result.dropped)
        if dry_run:
            report.images_out += len(result.provenance) + (0 if result.error else
                                                            int(recipe.keep_original))
        if on_result:
            on_result(result)

    if writer is not None:
        # Images were renamed into place without one fsync each; one sync here
        # makes them durable before the annotation file that names them.
        os.sync()
        stats = writer.finalize(records)
        report.images_out = stats.get("images", 0)
        report.annotations_out = stats.get("annotations", 0)
        meta = out_path / MARKER_DIR
        write_jsonl(meta / "report.jsonl", report.skipped)
        write_jsonl(meta / "provenance.jsonl", provenance)
        run_info = {"source": str(source), "seed": seed, "copies": copies,
                    "keep_original": recipe.keep_original, "recipe": recipe.source_text}
        write_jsonl(meta / "run.jsonl", [run_info])
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["expand", "AugcliError"]
