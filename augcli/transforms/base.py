"""Transform (random policy) -> Op (frozen, deterministic), and the registry.

``Transform.sample(rng, ctx)`` is the only place randomness lives; it returns
an ``Op`` (or None when the transform does not fire). ``Op.apply(sample,
policy)`` is pure and picklable and ``Op.record()`` describes its exact
parameters for the provenance log. Transforms hold no RNG state.

A geometric op writes no per-target code: it declares one warp and
``geometry.apply.apply_warp`` moves every target with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Categories, Sample
from augcli.transforms.params import Param, ParamError, validate_params, with_cost_bounds

KINDS = ("pixel", "geometric", "dropout", "mixing", "container")
TARGETS = ("image", "boxes", "polygons", "masks", "keypoints", "semantic")


@dataclass
class SampleContext:
    """What a transform may look at while it draws its parameters.

    ``width``/``height`` are the current canvas size (after pending warps).
    ``sample()`` returns the current sample with every earlier op applied; only
    transforms with ``needs_labels = True`` should call it (it forces pending
    warps to be resampled instead of fused).
    """

    width: int
    height: int
    get_sample: Callable[[], Sample]
    categories: Categories | None = None
    # draw(rng, count) -> count partner samples (multi-image transforms; see engine.partners)
    draw: Callable[[np.random.Generator, int], list[Sample]] | None = None

    def sample(self) -> Sample:
        return self.get_sample()


class Op:
    """A frozen, deterministic operation. Subclasses are frozen dataclasses."""

    kind: ClassVar[str] = "pixel"
    name: ClassVar[str] = ""

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        raise NotImplementedError

    def record(self) -> dict:
        out: dict[str, Any] = {"op": self.name or type(self).__name__}
        for name in _field_names(type(self)):
            out[name] = _plain(getattr(self, name))
        return out


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """An op class's dataclass fields, in order (``dataclasses.fields`` costs more than
    the record it serves, and ops are recorded once per output)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields)
    return names


class PixelOp(Op):
    """Touches only the image; can never change a label."""

    kind: ClassVar[str] = "pixel"

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        return sample.replace(image=self.apply_image(sample.image))


class GeometricOp(Op):
    """Declares one warp; every target follows it through ``apply_warp``.

    Subclasses define ``warp(width, height)`` and may override the resampling
    settings below (cv2 flags, as Albumentations names them).
    """

    kind: ClassVar[str] = "geometric"

    def warp(self, width: int, height: int):
        raise NotImplementedError

    def resampling(self) -> dict:
        return {
            "interpolation": getattr(self, "interpolation", 1),
            "border_mode": getattr(self, "border_mode", 0),
            "fill": getattr(self, "fill", 0),
            "fill_mask": getattr(self, "fill_mask", None),
        }

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        from augcli.geometry.apply import apply_warp

        return apply_warp(sample, self.warp(sample.width, sample.height), policy=policy, **self.resampling())


class Transform:
    """A random policy. Subclasses declare their parameters and draw an Op.

    Class attributes:
    - ``name``: the recipe name (Albumentations 2.0 name where the idea is the same)
    - ``kind``: pixel / geometric / dropout / container
    - ``targets``: which of TARGETS it honours
    - ``params``: Param declarations (``p`` is added automatically)
    - ``default_p``: probability when the recipe gives none
    - ``example``: one YAML pipeline item that the tests validate and run
    - ``needs_labels``: True if ``make_op`` looks at the current labels
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "pixel"
    targets: ClassVar[tuple[str, ...]] = TARGETS
    params: ClassVar[tuple[Param, ...]] = ()
    default_p: ClassVar[float] = 0.5
    example: ClassVar[str] = ""
    needs_labels: ClassVar[bool] = False
    deviations: ClassVar[str] = ""  # how it differs from its Albumentations twin, if at all

    def __init__(self, **config: Any):
        values = validate_params(self.all_params(), config)
        self.p: float = values.pop("p")
        self.cfg: dict[str, Any] = values
        for key, value in values.items():
            setattr(self, key, value)
        self.check()

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        p = Param("p", "float", cls.default_p, "probability of applying the transform", low=0.0, high=1.0)
        return (*cls.params, p)

    def check(self) -> None:
        """Cross-parameter checks; raise ParamError(message, param=name)."""

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def sample(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        # Always draw the coin first so the stream does not depend on p.
        if rng.random() >= self.p:
            return None
        return self.make_op(rng, ctx)

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        raise NotImplementedError

    if TYPE_CHECKING:
        # Declared params become attributes in __init__; mypy cannot see them.
        def __getattr__(self, name: str) -> Any: ...

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.cfg.items())
        return f"{self.name}({args}, p={self.p})"


REGISTRY: dict[str, type[Transform]] = {}


def register(cls: type[Transform]) -> type[Transform]:
    if not cls.name:
        cls.name = cls.__name__
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise RuntimeError(f"transform {cls.name} registered twice")
    if cls.kind not in KINDS:
        raise RuntimeError(f"{cls.name}: unknown kind {cls.kind}")
    cls.params = with_cost_bounds(cls.params)
    REGISTRY[cls.name] = cls
    return cls


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if callable(value):
        return getattr(value, "__name__", repr(value))
    return value


__all__ = [
    "Transform",
    "Op",
    "PixelOp",
    "GeometricOp",
    "SampleContext",
    "REGISTRY",
    "register",
    "Param",
    "ParamError",
    "KINDS",
    "TARGETS",
]
