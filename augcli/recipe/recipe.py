"""``Recipe``: a validated YAML recipe, and the checks of a recipe against a dataset."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from augcli.core.errors import RecipeError
from augcli.core.plain_yaml import MAX_BYTES, YamlDocument, load_yaml
from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Categories, Sample
from augcli.recipe.build import WHERE_ATTR
from augcli.recipe.catalog import full_registry
from augcli.recipe.conditions import class_problem, condition_of, unknown_classes, walk
from augcli.recipe.copies import CopiesSpec
from augcli.recipe.partners import PartnerSpec
from augcli.recipe.pipeline import Pipeline, RunResult
from augcli.recipe.problems import Problems
from augcli.recipe.schema import parse_recipe
from augcli.transforms.base import TARGETS, Transform


@dataclass
class Recipe:
    version: int = 1
    seed: int = 0
    copies: int = 1  # the constant copies per image (also used when a copies: block is overridden)
    class_copies: CopiesSpec | None = None  # a copies: block: copies planned per image by class
    keep_original: bool = True
    min_ops: int = 0  # redraw a copy until at least this many ops applied
    policy: LabelPolicy = DEFAULT_POLICY
    jpeg_quality: int | str = 95  # or "source": each JPEG input's quantization tables
    yolo_task: str | None = None  # None: --yolo-task or auto
    splits: tuple[str, ...] | None = None  # None: --splits or the default choice
    pipeline: Pipeline = field(default_factory=Pipeline)
    partners: PartnerSpec = field(default_factory=PartnerSpec)
    partner_pipeline: Pipeline = field(default_factory=Pipeline)  # run on each partner first
    source_text: str = ""
    source: str = "<dict>"  # the file it came from, for messages

    def augment(
        self,
        sample: Sample,
        rng: np.random.Generator,
        categories: Categories | None = None,
        new_draw: Callable[[], Any] | None = None,
    ) -> tuple[RunResult, bool, Any]:
        """One augmented copy, whether it still has fewer than ``min_ops`` ops, and its partner drawer.

        A copy short of ``min_ops`` is drawn again from the same stream, so the
        result depends only on the copy's seed; after ``MAX_DRAWS`` draws the
        last one is kept. ``new_draw`` makes a fresh partner drawer for each
        draw, so the provenance lists only the kept draw's partners.
        """
        for _ in range(MAX_DRAWS):
            draw = new_draw() if new_draw is not None else None
            run = self.pipeline.run(sample, rng, categories=categories, policy=self.policy, draw=draw)
            if len(run.ops) >= self.min_ops:
                break
        return run, len(run.ops) < self.min_ops, draw

    def warnings(self, copies: int | None = None) -> list[str]:
        """What is valid but probably not meant (``copies`` overrides the recipe's)."""
        copies = self.copies if copies is None else copies
        if copies > 0 and not self.pipeline.steps:
            return [
                f"the pipeline is empty, so each of the {copies} copies per image is identical to its "
                "original; add transforms, or use `augcli convert` to only change the format"
            ]
        return []


# How many times one copy is drawn at most to reach ``min_ops``.
MAX_DRAWS = 20


def load_recipe(path: str | Path) -> Recipe:
    """Read, parse and validate a recipe file; RecipeError lists every problem."""
    path = Path(path)
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise RecipeError(f"the recipe is larger than {MAX_BYTES // 1024} KiB", file=name)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecipeError("recipe file not found", file=name) from None
    except IsADirectoryError:
        raise RecipeError("the recipe path is a folder, not a YAML file", file=name) from None
    except OSError as err:
        raise RecipeError(f"cannot read the recipe: {err.strerror or err}", file=name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RecipeError(f"the recipe is not UTF-8 text (byte {err.start})", file=name) from None
    return recipe_from_text(text, source=name)


def recipe_from_text(text: str, source: str = "<text>") -> Recipe:
    """Parse and validate recipe YAML held in a string."""
    doc = load_yaml(text, source=source)
    return _build(doc, text)


def recipe_from_dict(data: Any, source: str = "<dict>") -> Recipe:
    """Validate a recipe given as plain Python data (no line numbers in messages)."""
    try:
        text = yaml.safe_dump(data, sort_keys=False)
    except yaml.YAMLError:
        text = repr(data)
    return _build(YamlDocument(data=data, source=source), text)


def validate_recipe_file(path: str | Path) -> list[str]:
    """Every problem of a recipe file; an empty list when it is valid."""
    try:
        load_recipe(path)
    except RecipeError as err:
        return list(err.problems)
    return []


def example_recipe(item_yaml: str, source: str = "<example>") -> Recipe:
    """A recipe whose pipeline is one documented example item (``- Name: {...}`` or ``Name: {...}``)."""
    doc = load_yaml(item_yaml, source=source)
    items = doc.data if isinstance(doc.data, list) else [doc.data]
    return recipe_from_dict({"version": 1, "pipeline": items}, source=source)


def _build(doc: YamlDocument, text: str) -> Recipe:
    problems = Problems(doc)
    parts = parse_recipe(doc.data, problems, full_registry())
    if problems:
        items = problems.items
        message = items[0] if len(items) == 1 else f"{len(items)} problems, the first: {items[0]}"
        raise RecipeError(message, problems=items, file=doc.source)
    return Recipe(
        version=parts.version,
        seed=parts.seed,
        copies=parts.copies,
        class_copies=parts.class_copies,
        keep_original=parts.keep_original,
        min_ops=parts.min_ops,
        policy=parts.policy,
        jpeg_quality=parts.jpeg_quality,
        yolo_task=parts.yolo_task,
        splits=parts.splits,
        pipeline=Pipeline(parts.steps, policy=parts.policy),
        partners=parts.partners,
        partner_pipeline=Pipeline(parts.partner_steps, policy=parts.policy),
        source_text=text,
        source=doc.source,
    )


def check_dataset(recipe: Recipe, categories: Categories | None, has_targets: Iterable[str]) -> list[str]:
    """Problems applying ``recipe`` to a dataset with these categories and targets.

    Reports every (transform, target) pair the pipeline cannot honour, every
    transform whose ``requires_targets`` the dataset lacks (InsideBoxes needs
    boxes), explicit keypoint flip pairs that do not fit a category's
    keypoints, and class names (``when: has_class``, ``copies: classes``) the
    dataset lacks.
    """
    problems: list[str] = []
    present = [t for t in TARGETS if t in set(has_targets)]
    for node in [*recipe.pipeline.leaves(), *recipe.partner_pipeline.leaves()]:
        missing = [t for t in present if t not in node.targets]
        if missing:
            problems.append(
                f"{_where(node)}: {node.name} cannot transform the dataset's "
                f"{', '.join(missing)} (it supports {', '.join(node.targets)})"
            )
        needed = [t for t in getattr(node, "requires_targets", ()) if t not in present]
        if needed:
            problems.append(
                f"{_where(node)}: {node.name} needs the dataset's {', '.join(needed)}, which it does not have"
            )
        # a transform may check the dataset itself (e.g. that the categories it names exist)
        dataset_problems = getattr(node, "dataset_problems", None)
        if dataset_problems is not None:
            problems.extend(f"{_where(node)}: {text}" for text in dataset_problems(categories))
    if recipe.partners.classes and categories is not None:
        known = set(categories.by_id())
        problems.extend(
            f"partners.classes: category id {c} is not in the dataset"
            for c in recipe.partners.classes
            if c not in known
        )
    for node in walk(recipe.pipeline.steps):
        condition = condition_of(node)
        missing = unknown_classes(list(condition.has_class), categories) if condition else []
        if missing:
            problems.append(class_problem(f"{_where(node)}.when.has_class", missing, categories))
    if recipe.class_copies is not None:
        missing = unknown_classes(recipe.class_copies.class_names(), categories)
        if missing:
            problems.append(class_problem("copies.classes", missing, categories))
    pairs = recipe.policy.keypoint_flip_pairs
    if isinstance(pairs, (list, tuple)) and categories is not None:
        for category in categories.items:
            count = len(category.keypoints)
            if not count:
                continue
            for a, b in pairs:
                if max(a, b) >= count:
                    problems.append(
                        f"labels.keypoint_flip_pairs: [{a}, {b}] is out of range for category "
                        f"{category.name!r}, which has {count} keypoints (0..{count - 1})"
                    )
    return problems


def _where(node: Transform) -> str:
    return getattr(node, WHERE_ATTR, None) or f"pipeline.{node.name}"
