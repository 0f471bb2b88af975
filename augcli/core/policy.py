"""How labels are treated after transforms: the recipe's ``labels:`` section."""

from __future__ import annotations

from dataclasses import dataclass, field

BOX_MODES = ("tight", "corners")
UNKNOWN_FIELD_MODES = ("drop", "keep")
UNKNOWN_FIELDS_META = "unknown_fields"  # sample meta: the policy's unknown_fields, for writers


@dataclass(frozen=True)
class LabelPolicy:
    min_visibility: float = 0.0  # drop an instance when less than this fraction stays visible
    min_area: float = 1.0  # drop an instance whose visible area (px^2) falls below this
    box: str = "tight"  # tight: from polygon/mask after the warp; corners: from box corners
    keypoint_flip_pairs: object = "auto"  # "auto" or a list of 0-based [a, b] pairs
    unknown_fields: str = "drop"  # annotation fields with coordinates no warp moves: drop | keep
    extra: dict = field(default_factory=dict)


DEFAULT_POLICY = LabelPolicy()
