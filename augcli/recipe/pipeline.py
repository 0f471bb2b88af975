"""Run a tree of transforms and containers on one sample.

Each transform draws its Op from the task's rng with a ``SampleContext`` that
shows the canvas as the earlier ops left it. Consecutive matrix warps with the
same resampling settings are fused into one resampling (sharper, faster) when
that cannot change the result; see ``fusion.py``. Pending warps are flushed
before any other op, when a transform looks at the labels (``ctx.sample()``)
and at the end, after which the label policy filters the instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from augcli.core.errors import RecipeError
from augcli.core.policy import DEFAULT_POLICY, UNKNOWN_FIELDS_META, LabelPolicy
from augcli.core.sample import Categories, Sample, flip_permutation, pairs_to_permutation
from augcli.geometry.warp import MatrixWarp
from augcli.recipe.compose import Container
from augcli.recipe.conditions import condition_of
from augcli.recipe.fusion import fused_settings, fuses_exactly
from augcli.transforms.base import GeometricOp, Op, SampleContext, Transform

Draw = Callable[[np.random.Generator, int], list[Sample]]  # partner samples for multi-image ops


@dataclass
class RunResult:
    sample: Sample
    ops: list[dict] = field(default_factory=list)  # Op.record() of every op, in order
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> instances dropped
    dropped_by_class: dict[str, dict[int, int]] = field(default_factory=dict)  # reason -> id -> count


class Pipeline:
    """The recipe's ``pipeline:``: top-level steps plus the label policy."""

    def __init__(
        self, steps: list[Transform] | None = None, policy: LabelPolicy = DEFAULT_POLICY, fuse: bool = True
    ):
        self.steps: list[Transform] = list(steps or [])
        self.policy = policy
        self.fuse = fuse  # False applies every op on its own (the reference behaviour)

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Transform]:
        return iter(self.steps)

    def __repr__(self) -> str:
        return f"Pipeline({self.steps!r})"

    def leaves(self) -> Iterator[Transform]:
        """Every transform in the tree (containers opened), in recipe order."""
        stack = list(reversed(self.steps))
        while stack:
            node = stack.pop()
            if isinstance(node, Container):
                stack.extend(reversed(node.transforms))
            else:
                yield node

    def run(
        self,
        sample: Sample,
        rng: np.random.Generator,
        categories: Categories | None = None,
        draw: Draw | None = None,
        policy: LabelPolicy | None = None,
    ) -> RunResult:
        """Augment ``sample`` (left untouched) with ops drawn from ``rng``."""
        from augcli.geometry import apply as geometry

        policy = policy or self.policy
        runner = _Runner(_prepare(sample, policy, categories), rng, policy, categories, draw, self.fuse)
        for step in self.steps:
            runner.run_node(step, forced=False)
        runner.flush()
        out = geometry.filter_instances(runner.sample, policy)
        dropped = {str(k): int(v) for k, v in (out.meta.get("dropped") or {}).items() if v}
        by_class = {str(k): dict(v) for k, v in (out.meta.get("dropped_by_class") or {}).items() if v}
        return RunResult(out, runner.records, dropped, by_class)


def _prepare(sample: Sample, policy: LabelPolicy, categories: Categories | None) -> Sample:
    """A shallow copy with fresh drop counters and the keypoint flip permutations."""
    meta = dict(sample.meta)
    meta["dropped"] = {}
    meta[UNKNOWN_FIELDS_META] = policy.unknown_fields
    meta["dropped_by_class"] = {}
    pairs = policy.keypoint_flip_pairs
    explicit = isinstance(pairs, (list, tuple))
    if categories is not None:
        with_kps = [c for c in categories.items if c.keypoints]
        if explicit:
            meta["flip_perm"] = {c.id: _explicit_perm(pairs, c.name, len(c.keypoints)) for c in with_kps}
        elif "flip_perm" not in meta and with_kps:
            meta["flip_perm"] = {c.id: flip_permutation(c.keypoints) for c in with_kps}
    elif explicit and sample.instances.keypoints is not None:
        # no category list: the pairs apply to every label's keypoint columns
        count = sample.instances.keypoints.shape[1]
        meta["flip_perm"] = {
            int(label): _explicit_perm(pairs, str(label), count)
            for label in np.unique(sample.instances.labels)
        }
    return sample.replace(meta=meta)


def _explicit_perm(pairs: Any, category: str, count: int) -> np.ndarray:
    bad = [i for pair in pairs for i in pair if not 0 <= int(i) < count]
    if bad:
        raise RecipeError(
            f"labels.keypoint_flip_pairs: index {bad[0]} is out of range for "
            f"category {category!r} ({count} keypoints)"
        )
    return pairs_to_permutation(pairs, count)


class _Runner:
    """State of one run: the sample so far plus a pending (fused) matrix warp."""

    def __init__(
        self,
        sample: Sample,
        rng: np.random.Generator,
        policy: LabelPolicy,
        categories: Categories | None,
        draw: Draw | None,
        fuse: bool,
    ):
        self.sample = sample
        self.rng = rng
        self.policy = policy
        self.categories = categories
        self.draw = draw
        self.fuse = fuse
        self.records: list[dict] = []
        self.pending: MatrixWarp | None = None
        self.pending_settings: dict = {}
        self.width, self.height = sample.width, sample.height

    def run_node(self, node: Transform, forced: bool) -> None:
        condition = condition_of(node)
        if condition is not None and not condition.holds(self.current(), self.categories):
            return  # `when:` is checked before the step's own p, on the labels as they are now
        if isinstance(node, Container):
            # Same as Transform.sample: always draw the coin unless the parent forced us.
            if not forced and self.rng.random() >= node.p:
                return
            for child, child_forced in node.choose(self.rng):
                self.run_node(child, child_forced)
            return
        ctx = SampleContext(
            width=self.width,
            height=self.height,
            get_sample=self.current,
            categories=self.categories,
            draw=self.draw,
        )
        op = node.make_op(self.rng, ctx) if forced else node.sample(self.rng, ctx)
        if op is not None:
            self.records.append(op.record())
            self.apply(op)

    def current(self) -> Sample:
        """The sample with every op so far applied (resamples pending warps)."""
        self.flush()
        return self.sample

    def apply(self, op: Op) -> None:
        from augcli.geometry import apply as geometry

        if isinstance(op, GeometricOp) and type(op).apply is GeometricOp.apply:
            warp = op.warp(self.width, self.height)
            settings = op.resampling()
            if self.fuse and isinstance(warp, MatrixWarp):
                self._defer(warp, settings)
                return
            self.flush()
            self.sample = geometry.apply_warp(self.sample, warp, policy=self.policy, **settings)
        else:
            self.flush()
            self.sample = op.apply(self.sample, self.policy)
        self.width, self.height = self.sample.width, self.sample.height

    def _defer(self, warp: MatrixWarp, settings: dict) -> None:
        pending = self.pending
        if pending is not None:
            in_size = (self.sample.width, self.sample.height)
            merged = fused_settings(pending, self.pending_settings, in_size, warp, settings)
            if merged is not None and fuses_exactly(pending, in_size, warp):
                self.pending, self.pending_settings = pending.then(warp), merged
                self.width, self.height = warp.out_size
                return
            self.flush()
        self.pending, self.pending_settings = warp, settings
        self.width, self.height = warp.out_size

    def flush(self) -> None:
        if self.pending is None:
            return
        from augcli.geometry import apply as geometry

        warp, settings = self.pending, self.pending_settings
        self.pending, self.pending_settings = None, {}
        self.sample = geometry.apply_warp(self.sample, warp, policy=self.policy, **settings)
        self.width, self.height = self.sample.width, self.sample.height
