"""Copies per image from its classes: the three ``copies:`` modes, as pure functions of one split.

A split is given as ``{image key: Counter(class name -> instances)}`` holding
its non-crowd instances (crowd regions do not make an image rare, as in
LVIS). Every function here is deterministic and independent of the order of
the images: fractions are rounded with a uniform number drawn from
``(seed, split, key)`` alone, and ties are broken by key.

- ``repeat_factor`` (LVIS, Gupta et al. 2019): f(c) is the fraction of the
  split's images holding class c, ``r(c) = max(1, (t / f(c)) ** exponent)``,
  an image's factor ``r(I)`` is the max (or mean, sum) over its classes (1
  for an image without labels), and it gets ``base * r(I)`` copies.
- ``per_class``: the max over the image's classes of their listed copies,
  ``default`` for classes not listed and for images without labels.
- ``target_instances``: greedy; each step adds a copy of the image that
  brings the most instances to classes still below the target, counting
  every class the image holds (co-occurrence), until no copy helps.

Caps: ``max_copies`` bounds one image (before rounding); ``max_total``
bounds the split. A fractional plan over ``max_total`` is scaled down to it
and rounded to exactly ``max_total`` by sequential Poisson sampling (the
images with the smallest ``u / fraction`` get the extra copy); a greedy plan
stops there. Either way a warning says so.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from augcli.core.errors import ItemError
from augcli.core.limits import MAX_COPIES
from augcli.engine.seeds import stable_hash
from augcli.engine.stats import class_name, split_of
from augcli.recipe.copies import CopiesSpec

ImageClasses = Mapping[str, Counter]  # image key -> class name -> non-crowd instances
_PLAN_STREAM = stable_hash("copies")  # keeps these draws apart from every task's stream


@dataclass
class SplitPlan:
    copies: dict[str, int]  # image key -> augmented copies
    warnings: list[str] = field(default_factory=list)


def plan_uniform(seed: int, split: str, key: str) -> float:
    """The image's uniform number in [0, 1) for rounding its copies."""
    sequence = np.random.SeedSequence(seed, spawn_key=(_PLAN_STREAM, stable_hash(split), stable_hash(key)))
    return float(np.random.default_rng(sequence).random())


def image_frequencies(images: ImageClasses) -> dict[str, float]:
    """f(c): the fraction of images holding class c."""
    holding: Counter = Counter()
    for classes in images.values():
        holding.update(c for c, n in classes.items() if n > 0)
    total = len(images)
    return {c: n / total for c, n in sorted(holding.items())} if total else {}


def repeat_factors(frequencies: Mapping[str, float], threshold: float, exponent: float) -> dict[str, float]:
    """r(c) = max(1, (t / f(c)) ** exponent) for every class that occurs."""
    return {c: max(1.0, (threshold / f) ** exponent) for c, f in frequencies.items()}


def _combine(aggregate: str, factors: list[float]) -> float:
    """An image's repeat factor from its classes' factors (``max``, ``sum`` or ``mean``)."""
    if aggregate == "max":
        return max(factors)
    if aggregate == "sum":
        return float(sum(factors))
    return sum(factors) / len(factors)


def expected_copies(images: ImageClasses, spec: CopiesSpec) -> dict[str, float]:
    """Copies per image before rounding (``repeat_factor`` and ``per_class``), capped by max_copies."""
    if spec.mode == "repeat_factor":
        factors = repeat_factors(image_frequencies(images), spec.threshold, spec.exponent)

        def value(classes: Counter) -> float:
            present = [factors[c] for c, n in classes.items() if n > 0]
            return spec.base * (_combine(spec.aggregate, present) if present else 1.0)

    elif spec.mode == "per_class":

        def value(classes: Counter) -> float:
            present = [spec.classes.get(c, spec.default) for c, n in classes.items() if n > 0]
            return max(present) if present else spec.default

    else:
        raise ValueError(f"{spec.mode} is planned greedily, not per image")
    cap = MAX_COPIES if spec.max_copies is None else spec.max_copies
    return {key: min(cap, value(classes)) for key, classes in images.items()}


def round_copies(expected: Mapping[str, float], seed: int, split: str) -> dict[str, int]:
    """Stochastic rounding: floor(e) + (u < frac(e)), u from (seed, split, key)."""
    out = {}
    for key, value in expected.items():
        whole = math.floor(value)
        fraction = value - whole
        out[key] = whole + int(fraction > 0 and plan_uniform(seed, split, key) < fraction)
    return out


def round_to_total(expected: Mapping[str, float], total: int, seed: int, split: str) -> dict[str, int]:
    """Round so the copies sum to exactly ``total`` (<= sum of ``expected``, rounded down): each image
    keeps floor(e); the rest go to the images with the smallest u / frac(e) (sequential Poisson
    sampling: the chance of the extra copy grows with the fraction), ties broken by key."""
    out = {key: math.floor(value) for key, value in expected.items()}
    extra = total - sum(out.values())
    candidates = [
        (plan_uniform(seed, split, key) / (value - out[key]), key)
        for key, value in expected.items()
        if value > out[key]
    ]
    for _, key in sorted(candidates)[: max(extra, 0)]:
        out[key] += 1
    return out


def plan_split(images: ImageClasses, spec: CopiesSpec, seed: int, split: str) -> SplitPlan:
    """Copies per image of one split under ``spec``."""
    if spec.mode == "target_instances":
        return _greedy(images, spec, split)
    expected = expected_copies(images, spec)
    planned = sum(expected.values())
    if spec.max_total is not None and planned > spec.max_total:
        scale = spec.max_total / planned
        copies = round_to_total({k: v * scale for k, v in expected.items()}, spec.max_total, seed, split)
        warning = (
            f"copies ({spec.mode}): split {split} would get {planned:.0f} copies, more than "
            f"max_total {spec.max_total}; every image's copies were scaled by {scale:.3f}"
        )
        return SplitPlan(copies, [warning])
    return SplitPlan(round_copies(expected, seed, split))


def _greedy(images: ImageClasses, spec: CopiesSpec, split: str) -> SplitPlan:
    counts: Counter = Counter()
    for classes in images.values():
        counts.update(classes)
    target = max(counts.values(), default=0) if spec.target == "max" else int(spec.target or 0)
    deficit = {c: max(0, target - n) for c, n in counts.items()}

    def gain(key: str) -> int:
        return sum(min(n, deficit[c]) for c, n in images[key].items() if n > 0)

    cap = MAX_COPIES if spec.max_copies is None else spec.max_copies
    limit = math.inf if spec.max_total is None else spec.max_total
    copies = dict.fromkeys(images, 0)
    # lazy greedy: gains only shrink as classes fill up, so a stored gain is an upper bound
    heap = [(-g, key) for key in sorted(images) if cap > 0 and (g := gain(key)) > 0]
    heapq.heapify(heap)
    total = 0
    while heap and total < limit:
        _, key = heapq.heappop(heap)
        current = gain(key)
        if current <= 0:
            continue
        if heap and (-current, key) > heap[0]:
            heapq.heappush(heap, (-current, key))  # another image may now gain more
            continue
        copies[key] += 1
        total += 1
        for c, n in images[key].items():
            deficit[c] = max(0, deficit[c] - n)
        if copies[key] < cap:
            heapq.heappush(heap, (-current, key))
    warnings = []
    short = {c: counts[c] + _added(images, copies, c) for c, d in deficit.items() if d > 0}
    if total >= limit and heap and any(gain(key) > 0 for _, key in heap):
        below = ", ".join(f"{c} {n}/{target}" for c, n in sorted(short.items()))
        warnings.append(
            f"copies (target_instances): split {split} needs more than max_total {spec.max_total} "
            f"copies to bring every class to {target} instances; capped at {spec.max_total} "
            f"(still below target: {below})"
        )
    return SplitPlan(copies, warnings)


def _added(images: ImageClasses, copies: Mapping[str, int], cls: str) -> int:
    return sum(images[key][cls] * n for key, n in copies.items() if n)


def class_table(images: ImageClasses, copies: Mapping[str, int], keep_original: bool) -> dict[str, dict]:
    """Per class: instances now, planned copies of images holding it, expected instances after."""
    table: dict[str, dict] = {}
    for key, classes in images.items():
        for cls, n in classes.items():
            if n <= 0:
                continue
            row = table.setdefault(cls, {"instances": 0, "copies": 0, "expected": 0})
            row["instances"] += n
            row["copies"] += copies.get(key, 0)
            row["expected"] += n * (copies.get(key, 0) + int(keep_original))
    return dict(sorted(table.items()))


@dataclass
class DatasetPlan:
    copies: dict[str, int]  # image key -> augmented copies, over every split
    warnings: list[str]
    table: dict[str, dict]  # split -> ``class_table``


def image_classes(reader: Any, keys: list[str]) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Per image, by class name: its non-crowd instances (what planning counts) and all its
    instances (what the run reads and writes); from ``reader.labels``, no pixels."""
    names = reader.categories.names()
    planned: dict[str, Counter] = {}
    everything: dict[str, Counter] = {}
    counted = getattr(reader, "category_counts", None)  # every image's at once (a COCO reader)
    if counted is not None:
        found = counted(keys)
        ids = {value for every, _ in found for value, _n in every}
        named = {value: class_name(names, value) for value in ids}
        if len(set(named.values())) == len(named):  # one name per id: a Counter of the pairs
            for key, (every, non_crowd) in zip(keys, found):
                everything[key] = Counter({named[value]: n for value, n in every})
                planned[key] = Counter({named[value]: n for value, n in non_crowd})
        else:
            for key, (every, non_crowd) in zip(keys, found):
                everything[key], planned[key] = _named(names, every), _named(names, non_crowd)
        return planned, everything
    for key in keys:
        try:
            labels = reader.labels(key)
        except ItemError:  # load() will report it; it plans as an image without labels
            planned[key] = everything[key] = Counter()
            continue
        everything[key] = _by_name(names, labels.labels.tolist())
        planned[key] = _by_name(names, labels.labels[~labels.crowd].tolist())
    return planned, everything


def _by_name(names: dict[int, str], ids: list[int]) -> Counter:
    """Instances by class name: counted by id first (in C), named once per class; the same
    counts and first-seen order as naming every instance."""
    return _named(names, Counter(ids).items())


def _named(names: dict[int, str], counted: Iterable[tuple[int, int]]) -> Counter:
    """(class id, instances) in first-seen order -> instances by class name, in that order."""
    counts: Counter = Counter()
    for value, n in counted:
        counts[class_name(names, value)] += n
    return counts


def plan_dataset(
    reader: Any,
    images: Mapping[str, Counter],
    spec: CopiesSpec,
    seed: int,
    keep_original: bool,
    instances: Mapping[str, Counter] | None = None,
) -> DatasetPlan:
    """Plan every split of the dataset on its own (frequencies and targets are per split);
    ``instances`` (every instance per image, crowd included) feeds the per-class table."""
    splits: dict[str, list[str]] = {}
    for key in images:
        splits.setdefault(split_of(reader, key), []).append(key)
    plan = DatasetPlan({}, [], {})
    for name in sorted(splits):
        part = plan_split({k: images[k] for k in splits[name]}, spec, seed, name)
        plan.copies.update(part.copies)
        plan.warnings.extend(part.warnings)
        counted = instances if instances is not None else images
        plan.table[name] = class_table({k: counted[k] for k in splits[name]}, part.copies, keep_original)
    return plan
