"""Partner images for the multi-image transforms (Mosaic, MixUp, CutMix, CopyPaste).

A transform asks its context's ``draw(rng, count)`` for partner samples. The
draw is a pure function of the task: the pool is the primary's own split
(never another one, so nothing leaks between train and val), its keys sorted
so file order, sharding and ``--resume`` change nothing, the primary left
out, and no key drawn twice for one output. The choice uses the rng the
transform passes, which is the task's own stream, so the partners of an
output depend only on (seed, split, key, copy) and the recipe.

Weighting is ``uniform`` or ``class``: an image weighs the copies the
recipe's class-aware ``copies:`` block plans for it (repeat factors or
per-class copies), else the inverse frequency of its rarest class (the
fraction of images of its split holding it), so rare classes come up more
often. ``partners: {classes: [...]}`` keeps only
images that hold one of the given classes. A split with fewer candidates than
an output needs draws with replacement (``check_partners`` warns); a split of
one image uses the image itself; a dataset of one image is refused.

Workers load partners through the reader, keeping the last few in a small
per-process cache; a recipe's ``partner_pipeline`` runs on each partner with
its own stream. A partner that cannot be loaded fails only the output that
asked for it, with an error naming the partner.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from augcli.core.errors import AugcliError, ItemError, RecipeError
from augcli.core.sample import Sample
from augcli.engine.class_plan import expected_copies, image_classes
from augcli.engine.seeds import stable_hash
from augcli.formats.splits import split_of

CACHE_SIZE = 12  # decoded partners kept per worker (a 3x3 Mosaic needs 8 at once)
_PARTNER_STREAM = 0x706172  # spawn-key tag of the partner pre-pipeline streams ("par")


def partners_needed(recipe: Any) -> int:
    """The most partners one output of ``recipe`` can ask for (0: no multi-image transform)."""
    return max((int(getattr(node, "partners_needed", 0)) for node in recipe.pipeline.leaves()), default=0)


@dataclass
class PartnerPool:
    """Which images may partner which: sorted keys per split, with optional weights."""

    by_split: dict[Any, list[str]]
    split: dict[str, Any]
    weights: dict[str, float] | None = None  # None = uniform
    eligible: frozenset[str] | None = None  # None = every image

    @classmethod
    def from_reader(cls, reader: Any, spec: Any = None, class_copies: Any = None) -> PartnerPool:
        """``class_copies`` is the recipe's ``copies:`` block: with ``weighting: class`` its
        per-image copies (repeat factors, per-class counts) weigh the partners too."""
        keys = sorted(reader.keys())
        split = {key: split_of(reader, key) for key in keys}
        by_split: dict[Any, list[str]] = {}
        for key in keys:
            by_split.setdefault(split[key], []).append(key)
        weighting = getattr(spec, "weighting", "uniform")
        classes = getattr(spec, "classes", None)
        if weighting == "uniform" and not classes:
            return cls(by_split, split)
        labels = {key: _image_classes(reader, key) for key in keys}
        eligible = None
        if classes:
            wanted = {int(c) for c in classes}
            eligible = frozenset(k for k in keys if labels[k] & wanted)
        weights = None
        if weighting == "class":
            planned = _planned_weights(reader, by_split, class_copies)
            weights = planned if planned is not None else _inverse_frequency(by_split, labels)
        return cls(by_split, split, weights, eligible)

    def candidates(self, key: str) -> list[str]:
        """The images that may partner ``key``, in sorted order (the key itself left out)."""
        pool = self.by_split.get(self.split.get(key), [])
        return [k for k in pool if k != key and (self.eligible is None or k in self.eligible)]

    def choose(self, key: str, rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
        """``count`` partner keys for ``key``: without replacement while enough are left."""
        every = self.candidates(key)
        fresh = [k for k in every if k not in taken]
        if len(fresh) >= count:
            return self._pick(fresh, rng, count, replace=False)
        pool = every or [key]  # a split of one image partners itself
        return self._pick(pool, rng, count, replace=True)

    def _pick(self, pool: list[str], rng: np.random.Generator, count: int, replace: bool) -> list[str]:
        if count <= 0:
            return []
        p = None
        if self.weights is not None:
            w = np.array([self.weights[k] for k in pool], dtype=np.float64)
            p = w / w.sum()
        picked = rng.choice(len(pool), size=count, replace=replace, p=p)
        return [pool[int(i)] for i in picked]


def _image_classes(reader: Any, key: str) -> set[int]:
    """The classes an image holds, from the reader's label-only path (no pixels decoded)."""
    labels_of = getattr(reader, "labels", None)
    try:
        labels = labels_of(key).labels if labels_of is not None else reader.load(key).instances.labels
    except AugcliError:
        return set()  # an unreadable image is reported by the run itself
    return {int(v) for v in labels}


def _planned_weights(reader: Any, by_split: dict, class_copies: Any) -> dict[str, float] | None:
    """Per image, the copies the class-aware plan gives it before rounding, when the recipe
    plans copies per image (repeat_factor, per_class); None otherwise."""
    if class_copies is None or class_copies.mode not in ("repeat_factor", "per_class"):
        return None
    weights: dict[str, float] = {}
    for keys in by_split.values():
        planned, _ = image_classes(reader, keys)
        weights.update(expected_copies(planned, class_copies))
    positive = [w for w in weights.values() if w > 0]
    floor = min(positive) / 1000 if positive else 1.0  # an image planned no copies stays drawable
    return {k: max(w, floor) for k, w in weights.items()}


def _inverse_frequency(by_split: dict, labels: dict[str, set[int]]) -> dict[str, float]:
    """Per image: 1 / (fraction of its split's images holding its rarest class)."""
    weights: dict[str, float] = {}
    for keys in by_split.values():
        counts: dict[int, int] = {}
        for key in keys:
            for c in labels[key]:
                counts[c] = counts.get(c, 0) + 1
        for key in keys:
            weights[key] = max((len(keys) / counts[c] for c in labels[key]), default=1.0)
    return weights


def check_partners(recipe: Any, reader: Any) -> tuple[PartnerPool | None, list[str]]:
    """The pool for a run of ``recipe`` and warnings about it; RecipeError when it cannot work.

    Returns (None, []) when the recipe has no multi-image transform.
    """
    needed = partners_needed(recipe)
    if needed == 0:
        return None, []
    keys = reader.keys()
    if len(keys) < 2:
        raise RecipeError(
            f"the recipe's multi-image transforms need partner images, but the dataset has "
            f"{len(keys)} image{'s' if len(keys) != 1 else ''}; remove them or add images"
        )
    pool = PartnerPool.from_reader(
        reader, getattr(recipe, "partners", None), getattr(recipe, "class_copies", None)
    )
    notes = []
    for split, members in sorted(pool.by_split.items(), key=lambda item: str(item[0])):
        name = f"split {split!r}"
        usable = max((len(pool.candidates(k)) for k in members), default=0)
        if usable == 0:
            notes.append(f"partners: {name} has no partner image for its images; each partners itself")
        elif usable < needed:
            notes.append(
                f"partners: {name} offers {usable} partner image{'s' if usable != 1 else ''} where an "
                f"output needs up to {needed}; partners are drawn with replacement there"
            )
    return pool, notes


@dataclass
class PartnerSource:
    """Loads partners for the worker: the pool, the reader and a small per-process cache."""

    pool: PartnerPool
    reader: Any
    seed: int
    prepare: Any = None  # Sample -> Sample (the writer's capabilities), applied once per load
    partner_pipeline: Any = None  # recipe.partner_pipeline or None
    policy: Any = None
    cache: OrderedDict = field(default_factory=OrderedDict, repr=False)

    def drawer(self, key: str, copy: int) -> PartnerDrawer:
        return PartnerDrawer(self, key, copy)

    def load(self, key: str) -> Sample:
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        sample = self.reader.load(key)
        if self.prepare is not None:
            sample = self.prepare(sample)
        self.cache[key] = sample
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        return sample


class PartnerError(ItemError):
    """A partner image could not be loaded: only the output that drew it is lost."""


class PartnerDrawer:
    """The ``draw`` callable of one output: partners without repeats, keys kept for provenance."""

    def __init__(self, source: PartnerSource, key: str, copy: int):
        self.source = source
        self.key = key
        self.copy = copy
        self.keys: list[str] = []

    def __call__(self, rng: np.random.Generator, count: int = 1) -> list[Sample]:
        chosen = self.source.pool.choose(self.key, rng, count, set(self.keys) | {self.key})
        return [self._prepared(k) for k in chosen]

    def _prepared(self, partner: str) -> Sample:
        nth = len(self.keys)
        self.keys.append(partner)
        try:
            sample = self.source.load(partner)
        except AugcliError as err:
            raise PartnerError(
                f"partner image {partner} could not be loaded ({err})", image=self.key
            ) from err
        sample = sample.replace(meta={**sample.meta, "key": sample.meta.get("key", partner)})
        pipeline = self.source.partner_pipeline
        if pipeline is None or not len(pipeline):
            return sample
        rng = _partner_rng(self.source.seed, self.key, self.copy, nth)
        run = pipeline.run(sample, rng, categories=self.source.reader.categories, policy=self.source.policy)
        return run.sample


def _partner_rng(seed: int, key: str, copy: int, nth: int) -> np.random.Generator:
    spawn_key = (stable_hash(key), copy, _PARTNER_STREAM, nth)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key))


def partner_source(pool: PartnerPool | None, reader: Any, recipe: Any, seed: int, prepare: Any = None):
    """The workers' partner loader for a run, or None when the recipe draws no partners.

    ``prepare`` is applied to every loaded partner (the writer's capabilities)."""
    if pool is None:
        return None
    return PartnerSource(
        pool=pool,
        reader=reader,
        seed=seed,
        prepare=prepare,
        partner_pipeline=recipe.partner_pipeline,
        policy=recipe.policy,
    )
