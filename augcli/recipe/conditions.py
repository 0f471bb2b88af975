"""``when:`` on a pipeline step: run the step only on images whose labels match.

```yaml
- AtLeastOneBBoxRandomCrop:
    p: 1.0
    when: {has_class: [scooter, bicycle], min_instances: 1}
```

The condition is evaluated on the sample as the earlier steps left it, before
the step's own probability is rolled; a step whose condition fails is skipped
and draws nothing. ``has_class`` (optional) names classes; ``min_instances``
(default 1) is how many instances of those classes (of any class without
``has_class``) the image must hold. Class names are checked against the
dataset by ``recipe.check_dataset``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from augcli.core.plain_yaml import YamlPath
from augcli.core.sample import Categories, Sample
from augcli.recipe.problems import Problems, type_name

WHEN_KEY = "when"
WHEN_ATTR = "recipe_when"  # the Condition set on a built node that has `when:`
_KEYS = ("has_class", "min_instances")


@dataclass(frozen=True)
class Condition:
    has_class: tuple[str, ...] = ()
    min_instances: int = 1

    def holds(self, sample: Sample, categories: Categories | None) -> bool:
        labels = sample.instances.labels
        if self.has_class:
            ids = {c.id for c in (categories.items if categories else ()) if c.name in self.has_class}
            ids |= {int(name) for name in self.has_class if name.lstrip("-").isdigit()}  # unnamed classes
            labels = labels[np.isin(labels, list(ids))]
        return len(labels) >= self.min_instances


def parse_condition(value: Any, path: YamlPath, problems: Problems) -> Condition | None:
    """A ``when:`` mapping as a ``Condition``; None after reporting a problem."""
    path = path + (WHEN_KEY,)
    if not isinstance(value, dict):
        problems.add(
            path, f"must be a mapping like `{{has_class: [name], min_instances: 1}}`, got {type_name(value)}"
        )
        return None
    unknown = [k for k in value if k not in _KEYS]
    for key in unknown:
        problems.add(path + (key,), f"unknown key {key!r} (known: {', '.join(_KEYS)})")
    classes = value.get("has_class", [])
    if isinstance(classes, str):
        classes = [classes]
    if not isinstance(classes, list) or not all(isinstance(c, (str, int)) for c in classes):
        problems.add(path + ("has_class",), f"must be a list of class names, got {type_name(classes)}")
        return None
    count = value.get("min_instances", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        problems.add(path + ("min_instances",), f"must be an integer >= 0, got {count!r}")
        return None
    if unknown:
        return None
    return Condition(tuple(str(c) for c in classes), count)


def condition_of(node: Any) -> Condition | None:
    return getattr(node, WHEN_ATTR, None)


def unknown_classes(names: list[str], categories: Categories | None) -> list[str]:
    """The names the dataset has no category for (none when it lists no categories)."""
    if categories is None or not categories.items:
        return []
    known = {c.name for c in categories.items} | {str(c.id) for c in categories.items}
    return [n for n in names if n not in known]


def class_problem(where: str, names: list[str], categories: Categories | None) -> str:
    have = ", ".join(sorted(c.name for c in categories.items)) if categories else "(none)"
    listed = ", ".join(repr(n) for n in names)
    return f"{where}: the dataset has no class {listed}; its classes are: {have}"


def walk(steps: list) -> Iterator[Any]:
    """Every node of a pipeline tree, containers included, in recipe order."""
    for node in steps:
        yield node
        yield from walk(getattr(node, "transforms", None) or [])
