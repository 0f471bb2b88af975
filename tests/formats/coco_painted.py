"""A painted COCO scene for the label tests: each object's pixels carry its own colour.

After a (hand-made, exact) horizontal flip the written labels can be checked
against the written pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from augcli.core.sample import Sample
from augcli.formats.coco import CocoReader, CocoWriter

W, H = 40, 30
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def rect_mask(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def uncompressed_runs(mask: np.ndarray) -> list[int]:
    flat = mask.flatten(order="F")
    runs, value, count = [], 0, 0
    for pixel in flat:
        if pixel == value:
            count += 1
        else:
            runs.append(count)
            value, count = pixel, 1
    runs.append(count)
    return runs


CROWD_MASK = rect_mask(30, 15, 36, 28)  # compressed RLE, crowd
BLOB_MASK = rect_mask(3, 18, 9, 26)  # uncompressed RLE, not crowd


def painted_dataset(make_coco, **overrides) -> Path:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    image[2:8, 2:10] = RED  # polygon part 1
    image[2:10, 20:28] = RED  # polygon part 2
    image[CROWD_MASK == 1] = GREEN
    image[BLOB_MASK == 1] = BLUE
    crowd_rle = mask_utils.encode(np.asfortranarray(CROWD_MASK))
    coco = {
        "info": {"description": "painted"},
        "licenses": [{"id": 1, "name": "x"}],
        "categories": [
            {"id": 1, "name": "shape", "supercategory": "thing"},
            {"id": 2, "name": "crowd", "supercategory": "thing"},
            {
                "id": 7,
                "name": "person",
                "keypoints": ["nose", "left_eye", "right_eye"],
                "skeleton": [[1, 2], [1, 3]],
            },
        ],
        "images": [{"id": 10, "file_name": "scene.png", "width": W, "height": H, "custom": {"k": 1}}],
        "annotations": [
            {
                "id": 100,
                "image_id": 10,
                "category_id": 1,
                "iscrowd": 0,
                "area": 112.0,
                "bbox": [2, 2, 26, 8],
                "attributes": {"occluded": True},
                "score": 0.5,
                "segmentation": [[2, 2, 10, 2, 10, 8, 2, 8], [20, 2, 28, 2, 28, 10, 20, 10]],
            },
            {
                "id": 101,
                "image_id": 10,
                "category_id": 2,
                "iscrowd": 1,
                "area": 78.0,
                "bbox": [30, 15, 6, 13],
                "segmentation": {"size": [H, W], "counts": crowd_rle["counts"].decode("ascii")},
            },
            {
                "id": 102,
                "image_id": 10,
                "category_id": 1,
                "iscrowd": 0,
                "area": 48.0,
                "bbox": [3, 18, 6, 8],
                "segmentation": {"counts": uncompressed_runs(BLOB_MASK), "size": [H, W]},
            },
            {
                "id": 103,
                "image_id": 10,
                "category_id": 7,
                "iscrowd": 0,
                "area": 40.0,
                "bbox": [12, 12, 8, 5],
                "num_keypoints": 3,
                "keypoints": [15, 14, 2, 13.5, 13, 1, 17.5, 13, 2],
            },
            {"id": 104, "image_id": 10, "category_id": 1, "iscrowd": 0, "area": 12.0, "bbox": [0, 0, 4, 3]},
        ],
        "top_level_extra": [1, 2, 3],
    }
    coco.update(overrides)
    return make_coco(coco, {"scene.png": image})


def hflip(sample: Sample) -> Sample:
    """An exact horizontal flip of every target (x -> W - x), for testing the writer."""
    inst = sample.instances
    boxes = inst.boxes.copy()
    boxes[:, [0, 2]] = W - inst.boxes[:, [2, 0]]
    polygons = [
        None if p is None else [np.column_stack([W - r[:, 0], r[:, 1]]) for r in p] for p in inst.polygons
    ]
    masks = []
    for rle in inst.masks:
        if rle is None:
            masks.append(None)
            continue
        flipped = np.asfortranarray(mask_utils.decode(rle)[:, ::-1])
        masks.append(dict(mask_utils.encode(flipped), size=list(rle["size"])))
    keypoints = inst.keypoints.copy()
    for row, label in enumerate(inst.labels):
        perm = sample.meta["flip_perm"][int(label)]
        keypoints[row] = keypoints[row][perm]
        labeled = keypoints[row, :, 2] > 0
        keypoints[row, labeled, 0] = W - keypoints[row, labeled, 0]
    flipped = inst.replace(boxes=boxes, polygons=polygons, masks=masks, keypoints=keypoints)
    return sample.replace(image=np.ascontiguousarray(sample.image[:, ::-1]), instances=flipped)


def write_run(reader: CocoReader, out: Path, transform=lambda s: s, copies=(1,), originals=True):
    writer = CocoWriter(reader, out)
    records = [writer.write_original(k) for k in reader.keys()] if originals else []
    for key in reader.keys():
        for copy in copies:
            records.append(writer.write_item(key, copy, transform(reader.load(key))))
    writer.finalize(records)
    return writer, json.loads(writer.annotation_path.read_bytes())
