"""The annotations of one COCO image that passed validation -> its ``Instances``."""

from __future__ import annotations

import numpy as np

from augcli.core.errors import AnnotationError
from augcli.core.sample import Instances
from augcli.formats.coco import wholebody
from augcli.formats.coco.emit import ENCODING_COLUMN, ID_COLUMN, RAW_COLUMN, UNMOVABLE_COLUMN
from augcli.formats.coco.parse import build_annotation


def build_instances(
    anns: list[dict],
    encodings: list[str],
    joints: int,
    sets: bool,
    image_shape: tuple[int, int],
    **where: object,
) -> Instances:
    """``Instances`` of ``anns`` (as read; their encodings from ``validate_annotation``) on an
    image of ``image_shape`` (height, width): ``joints`` keypoint columns, COCO-WholeBody sets
    with ``sets``. ``where`` (file, image) names the image in an error."""
    height, width = image_shape
    parsed = []
    for ann, encoding in zip(anns, encodings):
        item = build_annotation(ann, encoding)
        if item.mask is not None and list(item.mask["size"]) != [height, width]:
            # only reachable when the image entry had no width/height to check against
            raise AnnotationError(
                f"RLE size {item.mask['size']} differs from the decoded image {height}x{width}",
                annotation=ann.get("id"),
                **where,  # type: ignore[arg-type]
            )
        parsed.append(item)
    count = len(parsed)
    keypoints = kp_count = None
    if joints:
        keypoints = np.zeros((count, joints, 3))
        kp_count = np.zeros(count, dtype=np.int64)
        for row, item in enumerate(parsed):
            if item.keypoints is not None:
                keypoints[row, : len(item.keypoints)] = item.keypoints
                kp_count[row] = len(item.keypoints)
    box_sets, point_sets = _sets(anns) if sets else ({}, {})
    return Instances(
        labels=np.array([p.label for p in parsed], dtype=np.int64),
        boxes=np.array([p.box for p in parsed], dtype=np.float64).reshape(count, 4),
        polygons=[p.polygon for p in parsed],
        masks=[p.mask for p in parsed],
        keypoints=keypoints,
        kp_count=kp_count,
        crowd=np.array([p.crowd for p in parsed], dtype=bool),
        extra={
            RAW_COLUMN: list(anns),
            ID_COLUMN: [a.get("id") for a in anns],
            ENCODING_COLUMN: list(encodings),
            UNMOVABLE_COLUMN: [wholebody.unmovable_fields(a, sets) for a in anns],
        },
        box_sets=box_sets,
        point_sets=point_sets,
    )


def _sets(anns: list[dict]) -> tuple[dict, dict]:
    """COCO-WholeBody boxes and keypoint sets as ``Instances`` columns."""
    read = [wholebody.read_sets(a) for a in anns]
    boxes = {name: [b[name] for b, _ in read] for name in wholebody.BOX_FIELDS}
    points = {name: [p[name] for _, p in read] for name in wholebody.POINT_FIELDS}
    return boxes, points
