"""Containers: Sequential, OneOf and SomeOf compose transforms.

They carry the same class attributes as transforms (name, kind, targets,
params, example, summary) so ``augcli transforms`` lists them, but they never
produce an Op: ``Pipeline`` asks a container which children to run
(``choose``) and runs them itself, because each child must see the canvas as
the previous one left it. Containers draw only from the rng they are given.

Semantics follow Albumentations 2.0: a container first rolls its own ``p``;
``OneOf`` then picks one child with probability proportional to the
children's ``p`` (or to ``weights``) and runs it unconditionally; ``SomeOf``
picks ``n`` children uniformly, keeps them in recipe order, and each runs
with its own ``p``; ``Sequential`` runs every child, each with its own ``p``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from augcli.transforms.base import TARGETS, Transform
from augcli.transforms.params import Param, ParamError

MAX_CHILDREN = 256  # SomeOf draws at most this many children: a bound before any sampling
_TRANSFORMS = Param("transforms", "list", (), "the pipeline items to compose (at least one)")

# (child, forced): a forced child skips its own probability roll.
Choice = list[tuple[Transform, bool]]


class Container(Transform):
    """Base of the composition nodes; not itself a transform that makes Ops."""

    kind: ClassVar[str] = "container"
    targets: ClassVar[tuple[str, ...]] = TARGETS
    transforms: list

    def check(self) -> None:
        children = self.transforms
        if not isinstance(children, (list, tuple)) or not children:
            raise ParamError(f"{self.name} needs at least one transform in `transforms`", "transforms")
        for child in children:
            if not isinstance(child, Transform):
                raise ParamError(f"transforms must hold transforms, got {child!r}", "transforms")
        self.transforms = list(children)

    def choose(self, rng: np.random.Generator) -> Choice:
        """The children to run, in order, once the container's own coin came up."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, ctx: Any) -> None:
        raise TypeError(f"{self.name} is a container; run it through a Pipeline")

    def make_op(self, rng: np.random.Generator, ctx: Any) -> None:
        raise TypeError(f"{self.name} is a container; run it through a Pipeline")

    def __repr__(self) -> str:
        rest = ", ".join(f"{k}={v!r}" for k, v in self.cfg.items() if k != "transforms")
        children = ", ".join(repr(c) for c in self.transforms)
        return f"{self.name}([{children}]{', ' + rest if rest else ''}, p={self.p})"


class Sequential(Container):
    """Run every child in order, each with its own probability."""

    name = "Sequential"
    default_p = 1.0
    params = (_TRANSFORMS,)
    deviations = (
        "p defaults to 1.0 (Albumentations: 0.5), since a sequence written into a "
        "recipe is normally meant to run."
    )
    example = """\
- OneOf:
    transforms:
      - Sequential:
          transforms:
            - HorizontalFlip: {p: 1.0}
            - GaussianBlur: {p: 1.0}
      - VerticalFlip: {p: 1.0}
"""

    def choose(self, rng: np.random.Generator) -> Choice:
        return [(child, False) for child in self.transforms]


class OneOf(Container):
    """Run exactly one child, picked by the children's p (or by `weights`)."""

    name = "OneOf"
    default_p = 0.5
    params = (
        _TRANSFORMS,
        Param(
            "weights",
            "list",
            None,
            "relative chance of each child (one number each); "
            "default: the children's p, as in Albumentations",
            nullable=True,
        ),
    )
    deviations = "`weights` is an addition; without it the children's p act as weights, as in Albumentations."
    example = """\
- OneOf:
    p: 0.5
    transforms:
      - GaussianBlur: {sigma_limit: [0.2, 1.5]}
      - GaussNoise: {std_range: [0.02, 0.08]}
"""
    weights: list | None

    def check(self) -> None:
        super().check()
        if self.weights is None:
            if sum(child.p for child in self.transforms) <= 0:
                raise ParamError(
                    "every child has p = 0, so OneOf can never pick one; "
                    "give the children a p or set weights",
                    "transforms",
                )
            return
        if len(self.weights) != len(self.transforms):
            raise ParamError(
                f"weights has {len(self.weights)} entries for "
                f"{len(self.transforms)} transforms; give one per transform",
                "weights",
            )
        for value in self.weights:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ParamError(f"weights must be numbers >= 0, got {value!r}", "weights")
        if sum(self.weights) <= 0:
            raise ParamError("weights must not all be 0", "weights")
        self.weights = [float(w) for w in self.weights]

    def probabilities(self) -> np.ndarray:
        raw = self.weights if self.weights is not None else [c.p for c in self.transforms]
        weights = np.asarray(raw, dtype=np.float64)
        return weights / weights.sum()

    def choose(self, rng: np.random.Generator) -> Choice:
        index = int(rng.choice(len(self.transforms), p=self.probabilities()))
        return [(self.transforms[index], True)]


class SomeOf(Container):
    """Run n children picked uniformly (recipe order kept), each with its own p."""

    name = "SomeOf"
    default_p = 1.0
    params = (
        _TRANSFORMS,
        Param(
            "n", "int_range", 1, "how many children to pick: a number or [min, max]", low=0, high=MAX_CHILDREN
        ),
        Param("replace", "bool", False, "pick with replacement (a child may run twice)"),
    )
    deviations = (
        "n may be a [min, max] range; n larger than the number of transforms "
        "without replace is an error instead of being capped with a warning."
    )
    example = """\
- SomeOf:
    n: [1, 2]
    transforms:
      - RandomBrightnessContrast: {p: 1.0}
      - GaussianBlur: {p: 1.0}
      - GaussNoise: {p: 1.0}
"""
    n: Any
    replace: bool

    def check(self) -> None:
        super().check()
        low, high = self.n_range
        if not self.replace and high > len(self.transforms):
            raise ParamError(
                f"n asks for up to {high} of {len(self.transforms)} transforms; lower n or set replace: true",
                "n",
            )

    @property
    def n_range(self) -> tuple[int, int]:
        if isinstance(self.n, (tuple, list)):
            return int(self.n[0]), int(self.n[1])
        return int(self.n), int(self.n)

    def choose(self, rng: np.random.Generator) -> Choice:
        low, high = self.n_range
        count = low if low == high else int(rng.integers(low, high + 1))
        if count == 0:
            return []
        picked = rng.choice(len(self.transforms), size=count, replace=self.replace)
        return [(self.transforms[int(i)], False) for i in np.sort(picked)]


CONTAINERS: dict[str, type[Container]] = {c.name: c for c in (Sequential, OneOf, SomeOf)}

__all__ = ["Container", "Sequential", "OneOf", "SomeOf", "CONTAINERS"]
