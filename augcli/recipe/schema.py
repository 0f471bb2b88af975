"""The recipe schema: every top-level setting checked, every problem reported.

```yaml
version: 1              # required format version (only 1 exists)
seed: 0                 # int >= 0
copies: 1               # augmented outputs per input image, int >= 0, or a block (copies.py)
keep_original: true     # also write each input image unchanged
min_ops: 0              # redraw a copy until at least this many ops applied (bounded)
splits: [train]         # splits that get augmented copies (default: train, else all)
labels:
  min_visibility: 0.0   # 0..1
  min_area: 1           # >= 0 (px^2)
  box: tight            # tight | corners
  keypoint_flip_pairs: auto   # auto | [[a, b], ...] 0-based
  unknown_fields: drop  # drop | keep: annotation fields with coordinates no warp moves
output:
  jpeg_quality: 95      # 1..100, or source: the input's quantization tables (an augcli addition)
  yolo_task: auto       # auto | detect | segment | pose (YOLO outputs only)
partners: {}            # how multi-image transforms draw partners (see partners.py)
partner_pipeline: []    # run on every partner first (see partners.py)
pipeline: []            # see build.py
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from augcli.core.plain_yaml import YamlPath
from augcli.core.policy import BOX_MODES, DEFAULT_POLICY, UNKNOWN_FIELD_MODES, LabelPolicy
from augcli.recipe.build import build_steps
from augcli.recipe.copies import CopiesSpec, parse_copies
from augcli.recipe.partners import PartnerSpec, parse_partner_pipeline, parse_partners
from augcli.recipe.problems import Problems, strip_param_name, suggestion, type_name
from augcli.transforms.base import Transform
from augcli.transforms.params import Param, ParamError

SUPPORTED_VERSIONS = (1,)
SOURCE = "source"  # output.jpeg_quality: reuse each JPEG input's quantization tables

TOP_PARAMS = (
    Param("version", "int", 1, "recipe format version"),
    Param("seed", "int", 0, "random seed of the whole run", low=0),
    Param("keep_original", "bool", True, "also write each input image unchanged"),
    Param("min_ops", "int", 0, "redraw a copy until at least this many ops applied (bounded)", low=0),
)
LABEL_PARAMS = (
    Param(
        "min_visibility",
        "float",
        DEFAULT_POLICY.min_visibility,
        "drop an instance when less than this fraction of it stays visible",
        low=0.0,
        high=1.0,
    ),
    Param(
        "min_area",
        "float",
        DEFAULT_POLICY.min_area,
        "drop an instance whose visible area (px^2) falls below this",
        low=0.0,
    ),
    Param(
        "box",
        "choice",
        DEFAULT_POLICY.box,
        "tight: from the transformed polygon/mask; corners: from the box corners",
        choices=BOX_MODES,
    ),
    Param(
        "unknown_fields",
        "choice",
        DEFAULT_POLICY.unknown_fields,
        "drop | keep annotation fields holding coordinates no warp moves (in augmented copies)",
        choices=UNKNOWN_FIELD_MODES,
    ),
)
YOLO_TASKS = ("auto", "detect", "segment", "pose")
OUTPUT_PARAMS = (
    Param(
        "jpeg_quality",
        "int",
        95,
        "quality of JPEG outputs, or source: each JPEG input's own quantization tables",
        low=1,
        high=100,
    ),
    Param("yolo_task", "choice", None, "YOLO label kind (auto: from the labels)", choices=YOLO_TASKS),
)
TOP_KEYS = tuple(p.name for p in TOP_PARAMS) + (
    "copies",
    "splits",
    "labels",
    "output",
    "partners",
    "partner_pipeline",
    "pipeline",
)
LABEL_KEYS = tuple(p.name for p in LABEL_PARAMS) + ("keypoint_flip_pairs",)


@dataclass
class RecipeParts:
    """What a valid recipe says, before it becomes a ``Recipe``."""

    version: int = 1
    seed: int = 0
    copies: int = 1
    class_copies: CopiesSpec | None = None  # a copies: block, planned per image by its classes
    keep_original: bool = True
    min_ops: int = 0
    policy: LabelPolicy = DEFAULT_POLICY
    jpeg_quality: int | str = 95  # or SOURCE
    yolo_task: str | None = None
    splits: tuple[str, ...] | None = None
    steps: list[Transform] = field(default_factory=list)
    partners: PartnerSpec = field(default_factory=PartnerSpec)
    partner_steps: list[Transform] = field(default_factory=list)


def parse_recipe(data: Any, problems: Problems, registry: Mapping[str, type[Transform]]) -> RecipeParts:
    """Validate the whole recipe; problems are added, never raised."""
    parts = RecipeParts()
    if not isinstance(data, dict):
        problems.add(
            (), f"a recipe is a mapping of settings (version, seed, pipeline...), got {type_name(data)}"
        )
        return parts
    if "version" not in data and {"images", "annotations"} <= set(data):
        problems.add(
            (),
            "this looks like a COCO annotation file (it has images and annotations), not a recipe; "
            "give it as SOURCE and a recipe YAML with --recipe (`augcli transforms` lists what a recipe holds)",
        )
        return parts
    _unknown_keys(data, (), TOP_KEYS, problems)
    if "version" not in data:
        problems.add((), "version is missing; start the recipe with `version: 1`")
    values = _scalars(TOP_PARAMS, data, (), problems)
    if "version" in values and values["version"] not in SUPPORTED_VERSIONS:
        problems.add(
            ("version",),
            f"unsupported recipe version {values['version']}; "
            f"this augcli reads version {', '.join(map(str, SUPPORTED_VERSIONS))}",
        )
    parts.version = values.get("version", parts.version)
    parts.seed = values.get("seed", parts.seed)
    copies = parse_copies(data["copies"], problems) if "copies" in data else None
    if isinstance(copies, CopiesSpec):
        parts.class_copies = copies
    elif copies is not None:
        parts.copies = copies
    parts.keep_original = values.get("keep_original", parts.keep_original)
    parts.min_ops = values.get("min_ops", parts.min_ops)
    parts.policy = _labels(data.get("labels"), problems)
    source_quality = isinstance(data.get("output"), dict) and data["output"].get("jpeg_quality") == SOURCE
    if source_quality:  # the one value that is not a number
        data = {**data, "output": {k: v for k, v in data["output"].items() if k != "jpeg_quality"}}
    output = _section(data, "output", OUTPUT_PARAMS, problems)
    parts.jpeg_quality = SOURCE if source_quality else output.get("jpeg_quality", parts.jpeg_quality)
    parts.yolo_task = output.get("yolo_task", parts.yolo_task)
    parts.splits = _splits(data.get("splits"), problems)
    parts.steps = build_steps(data.get("pipeline"), ("pipeline",), problems, registry)
    parts.partners = parse_partners(data.get("partners"), problems)
    parts.partner_steps = parse_partner_pipeline(data.get("partner_pipeline"), problems, registry)
    return parts


def _splits(value: Any, problems: Problems) -> tuple[str, ...] | None:
    """``splits: [train, extra]`` or ``splits: train,extra``: the splits to augment."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names) or not names:
        problems.add(("splits",), f"must be a list of split names (e.g. [train]), got {value!r}")
        return None
    return tuple(n.strip() for n in names)


def _unknown_keys(data: dict, path: YamlPath, known: tuple[str, ...], problems: Problems) -> None:
    for key in data:
        if key not in known:
            section = f" in {path[-1]}" if path else ""
            problems.add(
                path + (key,),
                f"unknown key {key!r}{section}{suggestion(key, known)} (known: {', '.join(known)})",
            )


def _scalars(params: tuple[Param, ...], data: dict, path: YamlPath, problems: Problems) -> dict[str, Any]:
    values = {}
    for spec in params:
        if spec.name not in data:
            continue
        try:
            values[spec.name] = spec.validate(data[spec.name])
        except ParamError as err:
            problems.add(path + (spec.name,), strip_param_name(str(err), spec.name))
    return values


def _section(data: dict, key: str, params: tuple[Param, ...], problems: Problems) -> dict[str, Any]:
    section = data.get(key)
    if section is None:
        return {}
    if not isinstance(section, dict):
        problems.add((key,), f"must be a mapping, got {type_name(section)}")
        return {}
    _unknown_keys(section, (key,), tuple(p.name for p in params), problems)
    return _scalars(params, section, (key,), problems)


def _labels(section: Any, problems: Problems) -> LabelPolicy:
    if section is None:
        return DEFAULT_POLICY
    if not isinstance(section, dict):
        problems.add(("labels",), f"must be a mapping, got {type_name(section)}")
        return DEFAULT_POLICY
    _unknown_keys(section, ("labels",), LABEL_KEYS, problems)
    values = _scalars(LABEL_PARAMS, section, ("labels",), problems)
    pairs = _flip_pairs(section.get("keypoint_flip_pairs", "auto"), problems)
    return LabelPolicy(
        min_visibility=values.get("min_visibility", DEFAULT_POLICY.min_visibility),
        min_area=values.get("min_area", DEFAULT_POLICY.min_area),
        box=values.get("box", DEFAULT_POLICY.box),
        unknown_fields=values.get("unknown_fields", DEFAULT_POLICY.unknown_fields),
        keypoint_flip_pairs=pairs if pairs is not None else "auto",
    )


def _flip_pairs(value: Any, problems: Problems) -> object | None:
    """``auto`` or a list of distinct 0-based ``[a, b]`` index pairs."""
    path: YamlPath = ("labels", "keypoint_flip_pairs")
    if value == "auto":
        return "auto"
    if not isinstance(value, list):
        problems.add(path, f"must be auto or a list of [a, b] index pairs, got {type_name(value)}")
        return None
    pairs: list = []
    seen: dict = {}
    for i, pair in enumerate(value):
        at = path + (i,)
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        ):
            problems.add(at, f"must be a pair of keypoint indices like [1, 2], got {pair!r}")
            continue
        a, b = pair
        if a < 0 or b < 0:
            problems.add(at, f"keypoint indices are 0-based and >= 0, got {pair!r}")
            continue
        if a == b:
            problems.add(at, f"a keypoint cannot pair with itself, got {pair!r}")
            continue
        repeated = [v for v in pair if v in seen]
        if repeated:
            problems.add(
                at, f"keypoint {repeated[0]} is already paired in keypoint_flip_pairs[{seen[repeated[0]]}]"
            )
            continue
        seen[a] = seen[b] = i
        pairs.append((a, b))
    return pairs
