"""Declarative parameter specs: one place validates, documents and defaults.

The recipe validator turns ``ParamError`` into messages with YAML paths and
lines; ``augcli transforms`` renders the same specs as documentation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

# Upper bounds of the parameters that decide how much memory or time one image costs (output sizes,
# kernels, grids, counts). ``register`` gives every transform parameter of these names its bound
# unless it declares one; ``augcli transforms`` shows them. Far above any useful value, they turn
# a typo like ``height: 1e9`` into a recipe error (exit 3) instead of an out-of-memory kill.
MAX_SIDE = 16384  # pixels of one output side
MAX_KERNEL = 255  # kernel sizes and radii (OpenCV's median blur stops at 255)
MAX_GRID = 256  # cells of a grid along one side
MAX_COUNT = 1000  # holes, masks, patches, circles... drawn per image
COST_BOUNDS = {
    **dict.fromkeys(
        ("height", "width", "min_height", "min_width", "size", "max_size", "max_size_hw", "x_max", "y_max",
         "x_min", "y_min", "padding", "px", "pad_height_divisor", "pad_width_divisor", "src_radius",
         "plasma_size", "reference_size", "drop_length", "mask_x_length", "mask_y_length", "stride"),
        MAX_SIDE,
    ),
    **dict.fromkeys(("blur_limit", "kernel_size", "radius", "blur_value", "max_delta", "drop_width"), MAX_KERNEL),
    **dict.fromkeys(
        ("grid", "tile_grid_size", "nb_rows", "nb_cols", "num_steps", "num_control_points", "num_grid_xy",
         "holes_number_xy", "shadow_dimension"),
        MAX_GRID,
    ),
    **dict.fromkeys(
        ("num_holes_range", "num_masks_x", "num_masks_y", "num_flare_circles_range", "num_shadows_limit",
         "number_of_patches", "iterations", "trials", "max_objects", "n_segments"),
        MAX_COUNT,
    ),
    "side_range": 16.0,  # RandomZoomOut: output side = input side x this
    "scale_limit": 15.0,  # RandomScale / ShiftScaleRotate: 1 + this
}  # fmt: skip


def with_cost_bounds(params: Iterable[Param]) -> tuple[Param, ...]:
    """``params`` with the ``COST_BOUNDS`` of their names where they declare no upper bound."""
    return tuple(
        replace(p, high=COST_BOUNDS[p.name]) if p.high is None and p.name in COST_BOUNDS else p
        for p in params
    )


PARAM_KINDS = ("float", "int", "bool", "str", "choice", "range", "int_range", "color", "list", "any")
# How a single number given for a range parameter is widened, as in Albumentations.
SCALAR_RULES = ("point", "symmetric", "around_one", "upto")
# OpenCV flags by name, so a recipe may say ``border_mode: reflect`` as well as ``2``.
INTERPOLATION_NAMES = (("nearest", 0), ("linear", 1), ("cubic", 2), ("area", 3), ("lanczos4", 4))
BORDER_MODE_NAMES = (("constant", 0), ("replicate", 1), ("reflect", 2), ("wrap", 3), ("reflect_101", 4))


class ParamError(ValueError):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: Any
    doc: str
    low: float | None = None  # inclusive lower bound (each element for ranges)
    high: float | None = None  # inclusive upper bound
    choices: tuple = ()
    scalar: str = "point"  # range kinds: what a single number means
    nullable: bool = False
    ordered: bool = True  # range kinds: require min <= max
    names: tuple[tuple[str, Any], ...] = ()  # choice kinds: names accepted for values
    shape: str = ""  # kind "any": the values it takes, as the catalogue shows them

    def __post_init__(self) -> None:
        assert self.kind in PARAM_KINDS, self.kind
        assert self.scalar in SCALAR_RULES, self.scalar

    def describe_type(self) -> str:
        if self.kind == "choice" and self.names:
            text = " | ".join(f"{name!r} ({value})" for name, value in self.names)
        elif self.kind == "choice":
            text = " | ".join(repr(c) for c in self.choices)
        elif self.kind == "any":
            text = self.shape or "value"  # tests/cli require a shape for every catalogue param
        elif self.kind in ("range", "int_range"):
            elem = "int" if self.kind == "int_range" else "float"
            text = f"[{elem}, {elem}] or {elem}"
        elif self.kind == "color":
            text = "number or [numbers per channel]"
        else:
            text = self.kind
        bounds = []
        if self.low is not None:
            bounds.append(f">= {self.low:g}")
        if self.high is not None:
            bounds.append(f"<= {self.high:g}")
        if bounds:
            text += f" ({', '.join(bounds)})"
        if self.nullable:
            text += " or null"
        return text

    def validate(self, value: Any) -> Any:
        """Return the normalised value or raise ParamError."""
        if value is None:
            if self.nullable:
                return None
            raise ParamError(f"{self.name} may not be null", self.name)
        kind = self.kind
        if kind == "any":
            self._numbers_within_high(value)
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"{self.name} must be true or false, got {value!r}", self.name)
            return value
        if kind == "str":
            if not isinstance(value, str):
                raise ParamError(f"{self.name} must be a string, got {value!r}", self.name)
            return value
        if kind == "choice":
            if isinstance(value, str) and self.names:
                value = dict(self.names).get(value.lower(), value)
            if value not in self.choices:
                opts = ", ".join(repr(c) for c in self.choices)
                named = f" (or a name: {', '.join(n for n, _ in self.names)})" if self.names else ""
                raise ParamError(f"{self.name} must be one of {opts}{named}, got {value!r}", self.name)
            return value
        if kind in ("float", "int"):
            return self._number(value, integer=kind == "int")
        if kind in ("range", "int_range"):
            return self._range(value, integer=kind == "int_range")
        if kind == "color":
            if isinstance(value, (list, tuple)):
                return tuple(self._number(v) for v in value)
            return self._number(value)
        if kind == "list":
            if not isinstance(value, (list, tuple)):
                raise ParamError(f"{self.name} must be a list, got {value!r}", self.name)
            return list(value)
        raise AssertionError(kind)

    def _numbers_within_high(self, value: Any) -> None:
        """Free-form values (sizes as a number, a pair or a mapping): every number <= ``high``."""
        if self.high is None or isinstance(value, bool):
            return
        if isinstance(value, int | float) and value > self.high:
            raise ParamError(f"{self.name} must be <= {self.high:g}, got {value!r}", self.name)
        items = (
            value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else ()
        )
        for item in items:
            self._numbers_within_high(item)

    def _number(self, value: Any, integer: bool = False) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            want = "an integer" if integer else "a number"
            raise ParamError(f"{self.name} must be {want}, got {value!r}", self.name)
        if integer and not float(value).is_integer():
            raise ParamError(f"{self.name} must be an integer, got {value!r}", self.name)
        if not math.isfinite(value):
            raise ParamError(f"{self.name} must be finite, got {value!r}", self.name)
        below = self.low is not None and value < self.low
        above = self.high is not None and value > self.high
        if (below or above) and self.low is not None and self.high is not None:
            raise ParamError(
                f"{self.name} must be between {self.low:g} and {self.high:g}, got {value!r}", self.name
            )
        if below:
            raise ParamError(f"{self.name} must be >= {self.low:g}, got {value!r}", self.name)
        if above:
            raise ParamError(f"{self.name} must be <= {self.high:g}, got {value!r}", self.name)
        return int(value) if integer else float(value)

    def _range(self, value: Any, integer: bool) -> tuple:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ParamError(f"{self.name} must be [min, max], got {list(value)!r}", self.name)
            lo, hi = value
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"{self.name} must be a number or [min, max], got {value!r}", self.name)
            x = value
            if self.scalar == "symmetric":
                lo, hi = -abs(x), abs(x)
            elif self.scalar == "around_one":
                lo, hi = max(0.0, 1 - x), 1 + x
            elif self.scalar == "upto":
                lo, hi = (self.low if self.low is not None else 0), x
            else:
                lo, hi = x, x
        lo = self._number(lo, integer)
        hi = self._number(hi, integer)
        if self.ordered and lo > hi:
            raise ParamError(f"{self.name} must have min <= max, got [{lo}, {hi}]", self.name)
        return (lo, hi)


def validate_params(params: Iterable[Param], config: dict[str, Any]) -> dict[str, Any]:
    """Validate a transform's config; raise ParamError for the first problem.

    Use ``collect_param_errors`` to gather every problem at once.
    """
    errors = collect_param_errors(params, config)
    if errors:
        raise errors[0]
    specs = {p.name: p for p in params}
    return {
        name: spec.validate(config.get(name, spec.default)) if name in config else spec.default
        for name, spec in specs.items()
    }


def collect_param_errors(params: Iterable[Param], config: dict[str, Any]) -> list[ParamError]:
    specs = {p.name: p for p in params}
    errors: list[ParamError] = []
    for key in config:
        if key not in specs:
            known = ", ".join(sorted(specs))
            errors.append(ParamError(f"unknown parameter {key!r} (known: {known})", key))
    for name, spec in specs.items():
        if name in config:
            try:
                spec.validate(config[name])
            except ParamError as err:
                errors.append(err)
    return errors
