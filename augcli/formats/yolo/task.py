"""Which Ultralytics task a YOLO output is written for, and what that task cannot hold.

A YOLO label file holds one kind of line: boxes (detect), polygons
(segment) or boxes with keypoints (pose). ``choose_task`` decides:
``auto`` is pose only when every category in use has keypoints (declared
keypoint names, or instances that carry keypoints), else segment when any
instance has a polygon or a mask (or the source is semantic maps only), else
detect; a YOLO source written back as YOLO keeps its own task. The
writer counts, per item, what the chosen task drops (``Losses`` keys below)
and the run ends with those counts as warnings.
"""

from __future__ import annotations

from typing import Any

from augcli.core.errors import UsageError

TASKS = ("detect", "segment", "pose")
AUTO = "auto"


def choose_task(reader: Any, requested: str | None) -> tuple[str, str]:
    """(task, why) for writing ``reader``'s samples as YOLO."""
    requested = requested or AUTO
    if requested != AUTO and requested not in TASKS:
        raise UsageError(f"unknown YOLO task {requested!r}; choose {', '.join(TASKS)} or {AUTO}")
    if requested != AUTO:
        return requested, "chosen with --yolo-task"
    if getattr(reader, "format_name", None) == "yolo":
        return reader.task, "the YOLO source's own task"
    targets = set(reader.targets())
    if "keypoints" in targets and _every_category_has_keypoints(reader):
        return "pose", "auto: every category has keypoints"
    semantic_only = "semantic" in targets and "boxes" not in targets
    if targets & {"polygons", "masks"} or semantic_only:
        return "segment", "auto: instances have polygons or masks"
    return "detect", "auto: instances have boxes only"


def _every_category_has_keypoints(reader: Any) -> bool:
    usage = getattr(reader, "keypoint_categories", None)
    if usage is not None:
        used, with_points = usage()
        return bool(used) and used <= with_points
    categories = reader.categories.items
    return bool(categories) and all(c.keypoints for c in categories)


def task_warnings(reader: Any, task: str, why: str) -> list[str]:
    """What the task will drop, said before the run (the counts come at its end)."""
    targets = set(reader.targets())
    lost = []
    if task != "segment" and targets & {"polygons", "masks"}:
        lost.append("polygons and masks")
    if task != "pose" and "keypoints" in targets:
        lost.append("keypoints")
    if not lost:
        return []
    return [f"writing YOLO {task} labels ({why}): {' and '.join(lost)} are dropped"]
