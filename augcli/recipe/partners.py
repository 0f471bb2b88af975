"""The recipe's ``partners:`` block and ``partner_pipeline:``, for the multi-image transforms.

```yaml
partners:
  weighting: uniform    # uniform | class (inverse frequency of an image's rarest class)
  classes: [3, 7]       # only images holding one of these category ids partner (optional)
partner_pipeline:       # run on every partner before it is combined (optional)
  - HorizontalFlip: {p: 0.5}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from augcli.recipe.build import build_steps
from augcli.recipe.problems import Problems, type_name
from augcli.transforms.base import Transform

WEIGHTINGS = ("uniform", "class")
PARTNER_KEYS = ("weighting", "classes")


@dataclass(frozen=True)
class PartnerSpec:
    weighting: str = "uniform"
    classes: tuple[int, ...] | None = None


def parse_partners(section: Any, problems: Problems) -> PartnerSpec:
    if section is None:
        return PartnerSpec()
    if not isinstance(section, dict):
        problems.add(
            ("partners",), f"must be a mapping like `{{weighting: uniform}}`, got {type_name(section)}"
        )
        return PartnerSpec()
    for key in section:
        if key not in PARTNER_KEYS:
            problems.add(
                ("partners", key), f"unknown key {key!r} in partners (known: {', '.join(PARTNER_KEYS)})"
            )
    weighting = section.get("weighting", "uniform")
    if weighting not in WEIGHTINGS:
        problems.add(("partners", "weighting"), f"must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
        weighting = "uniform"
    classes = section.get("classes")
    if classes is not None:
        if not (
            isinstance(classes, list)
            and classes
            and all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
        ):
            problems.add(
                ("partners", "classes"), f"must be a non-empty list of category ids, got {classes!r}"
            )
            classes = None
        else:
            classes = tuple(classes)
    return PartnerSpec(weighting=weighting, classes=classes)


def parse_partner_pipeline(
    items: Any, problems: Problems, registry: Mapping[str, type[Transform]]
) -> list[Transform]:
    """The partners' own pre-pipeline; it may not itself draw partners."""
    steps = build_steps(items, ("partner_pipeline",), problems, registry)
    stack = list(steps)
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "transforms", None) or [])
        if getattr(node, "kind", "") == "mixing":
            problems.add(
                ("partner_pipeline",),
                f"{node.name} combines images and cannot run on a partner; move it to pipeline:",
            )
    return steps
