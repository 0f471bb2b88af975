"""Pipeline items -> transform and container objects, collecting every problem.

A pipeline item is a single-key mapping ``{TransformName: {params}}`` (params
may be empty or null). Names are looked up in the registry only, so a recipe
can never reach arbitrary Python code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from augcli.core.plain_yaml import YamlPath
from augcli.recipe.compose import Container
from augcli.recipe.conditions import WHEN_ATTR, WHEN_KEY, parse_condition
from augcli.recipe.problems import Problems, strip_param_name, suggestion, type_name
from augcli.transforms.base import Transform
from augcli.transforms.params import ParamError, collect_param_errors

WHERE_ATTR = "recipe_where"  # set on every built node: "pipeline[1].Affine (line 12)"


def build_steps(
    items: Any, path: YamlPath, problems: Problems, registry: Mapping[str, type[Transform]]
) -> list[Transform]:
    """Build a list of pipeline items; invalid items are reported and left out."""
    return [n for n in _build_list(items, path, problems, registry) if n is not None]


def _build_list(
    items: Any, path: YamlPath, problems: Problems, registry: Mapping[str, type[Transform]]
) -> list[Transform | None]:
    """Like build_steps, with None where an item is invalid."""
    if items is None:
        return []
    if not isinstance(items, list):
        problems.add(path, f"must be a list of transforms, got {type_name(items)}")
        return []
    return [build_item(item, path + (i,), problems, registry) for i, item in enumerate(items)]


def build_item(
    item: Any, path: YamlPath, problems: Problems, registry: Mapping[str, type[Transform]]
) -> Transform | None:
    if isinstance(item, str):
        if item in registry:
            problems.add(path, f"write a transform as a one-key mapping: `- {item}: {{}}`")
        else:
            problems.add(
                path,
                f"unknown transform {item!r}{suggestion(item, registry)} "
                "(a pipeline item looks like `- HorizontalFlip: {p: 0.5}`)",
            )
        return None
    if not isinstance(item, dict) or len(item) != 1:
        got = (
            f"a mapping with keys {', '.join(repr(k) for k in item)}"
            if isinstance(item, dict)
            else type_name(item)
        )
        problems.add(
            path,
            "must be a one-key mapping `{TransformName: {parameters}}`, got "
            f"{got}; parameters go inside the transform's mapping",
        )
        return None
    name, config = next(iter(item.items()))
    node_path = path + (name,)
    if not isinstance(name, str) or name not in registry:
        problems.add(
            node_path,
            f"unknown transform {name!r}{suggestion(name, registry)} (`augcli transforms` lists them)",
        )
        return None
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problems.add(
            node_path, f"parameters of {name} must be a mapping like `{{p: 0.5}}`, got {type_name(config)}"
        )
        return None
    cls = registry[name]
    condition = None
    if WHEN_KEY in config:  # any step may carry a condition on the sample's labels
        config = dict(config)
        condition = parse_condition(config.pop(WHEN_KEY), node_path, problems)
    if issubclass(cls, Container):
        node = _build_container(cls, config, node_path, problems, registry)
    else:
        node = _construct(cls, dict(config), node_path, problems, check_params=True)
    if node is not None:
        setattr(node, WHERE_ATTR, problems.where(node_path))
        if condition is not None:
            setattr(node, WHEN_ATTR, condition)
    return node


class _Unbuilt(Transform):
    """Stands in for an invalid child so its container's own checks still run."""

    name = "<invalid>"

    def __init__(self) -> None:  # no parameters to validate
        self.p, self.cfg = 1.0, {}


def _build_container(
    cls: type[Container],
    config: dict,
    path: YamlPath,
    problems: Problems,
    registry: Mapping[str, type[Transform]],
) -> Transform | None:
    if "transforms" not in config:
        problems.add(path, f"{cls.name} needs `transforms:` with a list of pipeline items")
        return None
    if _report_param_errors(cls, config, path, problems):
        return None
    children = _build_list(config["transforms"], path + ("transforms",), problems, registry)
    stand_ins = [c if c is not None else _Unbuilt() for c in children]
    node = _construct(cls, {**config, "transforms": stand_ins}, path, problems, check_params=False)
    return node if None not in children else None


def _construct(
    cls: type[Transform], config: dict, path: YamlPath, problems: Problems, check_params: bool
) -> Transform | None:
    if check_params and _report_param_errors(cls, config, path, problems):
        return None
    try:
        return cls(**config)
    except ParamError as err:
        param = err.param if err.param in config else None
        at = path + (param,) if param else path
        problems.add(at, strip_param_name(str(err), param))
    except (ValueError, TypeError) as err:
        problems.add(path, str(err))
    return None


def _report_param_errors(cls: type[Transform], config: dict, path: YamlPath, problems: Problems) -> bool:
    known = [p.name for p in cls.all_params()]
    errors = collect_param_errors(cls.all_params(), config)
    for err in errors:
        if err.param in known:
            problems.add(path + (err.param,), strip_param_name(str(err), err.param))
        else:
            problems.add(
                path + (err.param,),
                f"unknown parameter of {cls.name}{suggestion(err.param, known)} "
                f"({cls.name} takes: {', '.join(known)})",
            )
    return bool(errors)
