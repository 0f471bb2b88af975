"""What a run decides before any pixel work: the dataset read and checked, every task planned.

``plan_run`` opens the reader (recording every input file it reads or checks,
for ``--resume``), checks the recipe against the dataset, plans the splits,
the class plan of a ``copies:`` block and the tasks of the whole run (a
shard's too), and fills the report as far as planning goes. ``expand`` runs
the plan; a shard keeps it for ``augcli merge`` (``engine.saved_plan``), so
the merge need not read and check the source again.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from augcli.core.errors import RecipeError, UsageError
from augcli.core.limits import MAX_COPIES
from augcli.engine.inputs import fingerprint_rows
from augcli.engine.plan import Task
from augcli.engine.report import RunReport
from augcli.formats import contained
from augcli.formats.registry import open_reader

if TYPE_CHECKING:  # planning imports the recipe's modules; a restored plan (a merge) needs none
    from augcli.recipe.recipe import Recipe

# a library warning raised while planning: (its class's module and name, message, file, line),
# what its report row needs (``engine.library_warnings.summarize``)
Caught = tuple[str, str, str, str, int]


@dataclass
class RunPlan:
    reader: Any
    tasks: list[Task]  # the whole run's, in plan order
    augmented: tuple[str, ...]  # the splits that get copies
    report: RunReport  # filled as far as planning goes (the run sets out, workers, dry_run)
    input_rows: list[dict]  # engine.inputs.fingerprint_rows of what the reader read or checked
    seed: int
    copies: int
    recipe_text: str
    keep_original: bool
    min_ops: int
    jpeg_quality: int | str
    yolo_task: str | None  # the recipe's
    caught: list[Caught]  # emitted again by whoever runs the plan (see ``emit``)
    pool: Any = None  # the partner pool (engine.partners); for workers, never saved


def resolve_copies(recipe: Recipe, seed: int | None, copies: int | None) -> tuple[int, int]:
    """(seed, copies) of the run: the options' values, else the recipe's; bad copies are refused."""
    seed = recipe.seed if seed is None else int(seed)
    copies = recipe.copies if copies is None else int(copies)
    if copies < 0:
        raise UsageError("--copies must be >= 0")
    if copies > MAX_COPIES:
        raise RecipeError(f"copies {copies} is above the limit of {MAX_COPIES} per image")
    return seed, copies


def recording_warnings(plan_run: Callable[..., RunPlan]) -> Callable[..., RunPlan]:
    """``plan_run`` with the library warnings raised while planning kept in the plan and emitted
    again once it is done, so the caller's recording of them sees them as before."""

    @functools.wraps(plan_run)
    def wrapper(*args: Any, **kwargs: Any) -> RunPlan:
        with warnings.catch_warnings(record=True) as raised:
            plan = plan_run(*args, **kwargs)
        plan.caught = [
            (w.category.__module__, w.category.__qualname__, str(w.message), w.filename, w.lineno)
            for w in raised
        ]
        emit(plan.caught)
        return plan

    return wrapper


def emit(caught: list[Caught]) -> None:
    """Raise the warnings of a plan again, as they were raised while planning."""
    for module, name, message, filename, lineno in caught:
        category = _warning_class(module, name)
        try:
            instance = category(message)
        except Exception:  # a warning class that wants other arguments: the same text all the same
            instance = Warning.__new__(category)
            instance.args = (message,)
        warnings.warn_explicit(instance, category, filename, lineno)


def _warning_class(module: str, name: str) -> type[Warning]:
    """The class a warning was raised with when this process has it, else one of the same name
    (the report names a warning by its class's name only). No module is imported for it."""
    found = getattr(sys.modules.get(module), name, None)
    if isinstance(found, type) and issubclass(found, Warning):
        return found
    return type(name, (Warning,), {"__module__": module})


@recording_warnings
def plan_run(
    recipe: Recipe,
    source: str | Path,
    *,
    seed: int,
    copies: int,
    copies_override: int | None,
    images: str | Path | None,
    fmt: str,
    mask_options: dict | None,
    splits: str | list[str] | None,
) -> RunPlan:
    """Read and check the dataset at ``source`` and plan the run (see the module docstring); the
    plan keeps the library warnings raised meanwhile, for a run elsewhere (``recording_warnings``)."""
    from augcli.engine.class_plan import image_classes, plan_dataset
    from augcli.engine.partners import check_partners
    from augcli.engine.plan import plan_splits, plan_tasks
    from augcli.recipe.recipe import check_dataset

    with contained.recording() as seen:  # every input file, for --resume to notice changes
        reader = open_reader(
            Path(source), fmt=fmt, images=Path(images) if images else None, **(mask_options or {})
        )
    problems = check_dataset(recipe, reader.categories, reader.targets())
    if problems:
        raise RecipeError(
            f"recipe cannot be applied to this dataset: {problems[0]}", problems=problems, file=str(source)
        )
    pool, partner_notes = check_partners(recipe, reader)
    report = RunReport(source=str(source), out="", seed=seed, copies=copies)
    report.skipped.extend(p.to_record() for p in reader.problems)
    report.warnings.extend(recipe.warnings(copies))
    report.warnings.extend(getattr(reader, "notes", []))
    report.warnings.extend(partner_notes)
    keys = reader.keys()
    report.images_in = len(keys)
    report.annotations_in = reader.annotation_count()
    splits_plan = plan_splits(reader, keys, splits if splits is not None else recipe.splits)
    report.warnings.extend(splits_plan.warnings)
    report.splits = splits_plan.table()
    classes_of_image, instances = image_classes(reader, keys)
    report.count_classes_in(instances.values())
    per_image: int | dict[str, int] = copies
    if copies_override is None and recipe.class_copies is not None:
        augmented = {k: classes_of_image[k] for k in splits_plan.augmented_keys()}  # the others get no copies
        class_plan = plan_dataset(
            reader, augmented, recipe.class_copies, seed, recipe.keep_original, instances
        )
        per_image, report.class_plan, report.copies = class_plan.copies, class_plan.table, None
        report.warnings.extend(class_plan.warnings)
    tasks = plan_tasks(splits_plan.items, per_image, recipe.keep_original, splits_plan.augmented)
    return RunPlan(
        reader=reader,
        tasks=tasks,
        augmented=tuple(splits_plan.augmented),
        report=report,
        input_rows=fingerprint_rows(seen),
        seed=seed,
        copies=copies,
        recipe_text=recipe.source_text,
        keep_original=recipe.keep_original,
        min_ops=recipe.min_ops,
        jpeg_quality=recipe.jpeg_quality,
        yolo_task=recipe.yolo_task,
        caught=[],
        pool=pool,
    )
