"""A polygon cut by a dropout hole reaches a COCO file as the right RLE mask.

The engine tells the label code what the writer can store
(``meta['polygon_holes']``); the COCO writer stores RLE, so a polygon that a
hole cuts into is written as an RLE of its pixels minus the hole, with the
area and bbox of what is left.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from contract_samples import labelled_sample
from pycocotools import mask as mask_utils

import augcli
from augcli.core.sample import Instances
from augcli.engine.worker import with_writer_capabilities
from augcli.formats.coco.emit import ENCODING_COLUMN, annotation_dict
from augcli.geometry import rle
from augcli.geometry.occlusion import POLYGON_HOLES


def converted_instance(crowd: bool) -> tuple[Instances, np.ndarray]:
    mask = np.zeros((30, 40), dtype=bool)
    mask[5:20, 8:30] = True
    mask[10:14, 12:20] = False  # the hole
    inst = Instances(
        labels=[3],
        boxes=[[8, 5, 30, 20]],
        polygons=[None],
        masks=[rle.encode(mask)],
        crowd=np.array([crowd]),
        extra={ENCODING_COLUMN: ["polygon"]},
    )
    return inst, mask


@pytest.mark.parametrize("crowd", [False, True])
def test_emit_writes_a_converted_polygon_as_rle(crowd):
    inst, mask = converted_instance(crowd)
    ann = annotation_dict(inst, 0, 40, 30)
    seg = ann["segmentation"]
    assert seg["size"] == [30, 40]
    # COCO: compressed counts for ordinary instances, uncompressed runs for crowd regions
    assert isinstance(seg["counts"], list if crowd else str)
    compressed = mask_utils.frPyObjects(seg, 30, 40) if crowd else seg
    assert np.array_equal(mask_utils.decode(compressed).astype(bool), mask)
    assert ann["area"] == mask.sum() == 22 * 15 - 32
    assert ann["bbox"] == [8, 5, 22, 15]
    assert ann["iscrowd"] == int(crowd)


def test_engine_passes_the_writers_capability_to_the_labels():
    sample = labelled_sample(40, 50)

    class RleWriter:
        polygon_holes = "rle"

    assert with_writer_capabilities(sample, RleWriter()).meta[POLYGON_HOLES] == "rle"
    assert with_writer_capabilities(sample, object()).meta[POLYGON_HOLES] == "keep"
    assert with_writer_capabilities(sample, None).meta[POLYGON_HOLES] == "keep"
    assert POLYGON_HOLES not in sample.meta


def test_expand_writes_cut_polygons_as_rle_of_what_the_holes_left(sample_dataset, tmp_path):
    recipe = {
        "version": 1,
        "seed": 3,
        "copies": 1,
        "keep_original": False,
        "pipeline": [
            {
                "CoarseDropout": {
                    "num_holes_range": [3, 3],
                    "hole_height_range": [0.15, 0.3],
                    "hole_width_range": [0.15, 0.3],
                    "p": 1.0,
                }
            }
        ],
    }
    out = tmp_path / "out"
    # in this process (debug): what is tested is the labels' way to the file, not the executor
    augcli.expand(sample_dataset, recipe, out, workers=1, fmt="coco", debug=True)
    source = json.loads(next((sample_dataset / "annotations").glob("*.json")).read_text())
    written = json.loads(next((out / "annotations").glob("*.json")).read_text())
    holes_of = {}
    for line in (out / ".augcli" / "provenance.jsonl").read_text().splitlines():
        record = json.loads(line)
        holes_of[record["key"]] = record["ops"][0]["holes"]
    images_in = {img["id"]: img for img in source["images"]}
    images_out = {img["id"]: img for img in written["images"]}
    by_image_out: dict = {}
    for ann in written["annotations"]:
        by_image_out.setdefault(ann["image_id"], []).append(ann)
    converted = 0
    for image_out_id, image_out in images_out.items():
        stem = Path(image_out["file_name"]).stem.replace("__aug1", "")
        image_in = next(img for img in images_in.values() if Path(img["file_name"]).stem == stem)
        h, w = image_in["height"], image_in["width"]
        covered = np.zeros((h, w), dtype=bool)
        for x1, y1, x2, y2 in holes_of[image_in["file_name"]]:
            covered[y1:y2, x1:x2] = True
        inputs = [a for a in source["annotations"] if a["image_id"] == image_in["id"]]
        outputs = iter(by_image_out.get(image_out_id, []))
        for ann in inputs:
            seg = ann.get("segmentation")
            if not (isinstance(seg, list) and seg):
                next(outputs)
                continue
            shape = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w))).astype(bool)
            left = shape & ~covered
            if not left.any():
                continue  # fully covered: dropped
            result = next(outputs)
            if left.sum() == shape.sum():
                assert result["segmentation"] == seg  # untouched polygons stay polygons
                continue
            converted += 1
            rle_seg = result["segmentation"]
            assert isinstance(rle_seg, dict) and isinstance(rle_seg["counts"], str)
            assert np.array_equal(mask_utils.decode(rle_seg).astype(bool), left)
            assert result["area"] == left.sum()
            ys, xs = np.nonzero(left)
            assert result["bbox"] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
        assert next(outputs, None) is None
    assert converted >= 3
