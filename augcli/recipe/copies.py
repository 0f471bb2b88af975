"""The recipe's ``copies:`` block: how many augmented copies each image gets, by its classes.

```yaml
copies: 3                     # every image: 3 copies (as before)
copies:
  mode: repeat_factor         # LVIS repeat factors (Gupta et al. 2019)
  threshold: 0.01             # t: classes in at least this fraction of images are not boosted
  exponent: 0.5               # r(c) = max(1, (t / f(c)) ** exponent)
  base: 1                     # copies of an image whose r(I) = 1
  aggregate: max              # r(I) over the image's classes: max | mean | sum
  max_copies: 20              # cap per image (optional)
  max_total: 5000             # cap on the copies of a split (optional)
copies: {mode: per_class, classes: {scooter: 10, person: 0}, default: 1}
copies: {mode: target_instances, target: 500}    # or target: max
```

The planning itself lives in ``engine.class_plan``; class names are checked
against the dataset by ``recipe.check_dataset``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augcli.core.limits import MAX_COPIES
from augcli.core.plain_yaml import YamlPath
from augcli.recipe.problems import Problems, strip_param_name, suggestion, type_name
from augcli.transforms.params import Param, ParamError

MODES = ("repeat_factor", "per_class", "target_instances")
AGGREGATES = ("max", "mean", "sum")

_CAPS = (
    Param(
        "max_copies",
        "int",
        None,
        f"most copies one image gets (at most {MAX_COPIES})",
        low=0,
        high=MAX_COPIES,
        nullable=True,
    ),
    Param("max_total", "int", None, "most copies of one split", low=0, nullable=True),
)
MODE_PARAMS: dict[str, tuple[Param, ...]] = {
    "repeat_factor": (
        Param(
            "threshold", "float", 0.01, "t: classes in at least this fraction of images get r = 1", low=0.0
        ),
        Param("exponent", "float", 0.5, "r(c) = max(1, (t / f(c)) ** exponent); 0.5 is LVIS", low=0.0),
        Param("base", "float", 1.0, "copies of an image whose repeat factor is 1", low=0.0),
        Param("aggregate", "choice", "max", "an image's factor over its classes", choices=AGGREGATES),
        *_CAPS,
    ),
    "per_class": (
        Param("default", "float", 1.0, "copies of an image with none of the listed classes", low=0.0),
        *_CAPS,
    ),
    "target_instances": (*_CAPS,),
}


@dataclass(frozen=True)
class CopiesSpec:
    """A validated ``copies:`` block (every field has its default filled in)."""

    mode: str
    threshold: float = 0.01
    exponent: float = 0.5
    base: float = 1.0
    aggregate: str = "max"
    default: float = 1.0
    classes: dict[str, float] = field(default_factory=dict)  # per_class: name -> copies
    target: int | str | None = None  # target_instances: a count, or "max"
    max_copies: int | None = None
    max_total: int | None = None

    def class_names(self) -> list[str]:
        """The class names the block refers to (checked against the dataset)."""
        return list(self.classes)


def parse_copies(value: Any, problems: Problems) -> int | CopiesSpec | None:
    """``copies:`` as an int (constant) or a ``CopiesSpec``; None after reporting a problem."""
    path: YamlPath = ("copies",)
    if not isinstance(value, dict):
        try:
            copies = Param("copies", "int", 1, "", low=0).validate(value)
            if copies > MAX_COPIES:  # a bound before any work (a separate message keeps ">= 0" as it was)
                raise ParamError(f"copies must be <= {MAX_COPIES}, got {copies}", "copies")
            return copies
        except ParamError as err:
            problems.add(path, strip_param_name(str(err), "copies"))
            return None
    mode = value.get("mode")
    if mode not in MODES:
        problems.add(
            path + ("mode",),
            f"mode must be one of {', '.join(MODES)}, got {mode!r}{suggestion(mode, MODES)}",
        )
        return None
    params = MODE_PARAMS[mode]
    known = ("mode", *(p.name for p in params), *_extra_keys(mode))
    ok = True
    for key in value:
        if key not in known:
            problems.add(
                path + (key,),
                f"unknown key {key!r} for mode {mode}{suggestion(key, known)} (known: {', '.join(known)})",
            )
            ok = False
    values: dict[str, Any] = {}
    for spec in params:
        if spec.name not in value:
            continue
        try:
            values[spec.name] = spec.validate(value[spec.name])
        except ParamError as err:
            problems.add(path + (spec.name,), str(err))
            ok = False
    if mode == "per_class":
        ok = _classes(value.get("classes"), path + ("classes",), problems, values) and ok
    if mode == "target_instances":
        ok = _target(value.get("target"), path + ("target",), problems, values) and ok
    return CopiesSpec(mode=mode, **values) if ok else None


def _extra_keys(mode: str) -> tuple[str, ...]:
    return {"per_class": ("classes",), "target_instances": ("target",)}.get(mode, ())


def _classes(raw: Any, path: YamlPath, problems: Problems, values: dict) -> bool:
    if not isinstance(raw, dict) or not raw:
        problems.add(path, f"per_class needs `classes:` mapping class names to copies, got {type_name(raw)}")
        return False
    out = {}
    for name, copies in raw.items():
        try:
            out[str(name)] = Param(str(name), "float", 1.0, "", low=0.0).validate(copies)
        except ParamError as err:
            problems.add(path + (name,), f"copies of class {err}")
            return False
    values["classes"] = out
    return True


def _target(raw: Any, path: YamlPath, problems: Problems, values: dict) -> bool:
    if raw == "max":
        values["target"] = "max"
        return True
    try:
        values["target"] = Param("target", "int", None, "", low=1).validate(raw)
    except ParamError:
        problems.add(path, f"target must be a number of instances >= 1 or `max`, got {raw!r}")
        return False
    return True
