"""Workers serialise COCO items with holes for the ids (``item_template``); the parent fills
them (``JsonSpool.add_template``). The bytes are those of numbering each dict and
serialising it in the parent (``dict(ann, id=..., image_id=...)`` then ``JsonSpool.add``),
which is what the COCO writers did before."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from augcli.formats.coco.emit import annotation_dicts, image_dict
from augcli.formats.coco.stream import JsonSpool, item_template
from augcli.formats.registry import open_reader
from augcli.recipe.recipe import recipe_from_dict

ROOT = Path(__file__).resolve().parents[2]
DATASETS = [
    ROOT / "sample_data",  # polygons, compressed and uncompressed RLE, crowd, keypoints
    ROOT / "tests/data/datumaro/coco_dataset/coco_instances/annotations/instances_val.json",  # RLE
    ROOT / "tests/data/datumaro/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json",
]
WARPS = {
    "version": 1,
    "pipeline": [
        {"Affine": {"rotate": [-30, 30], "scale": [0.7, 1.3], "translate_percent": [-0.2, 0.2], "p": 1}},
        {"CoarseDropout": {"num_holes_range": [2, 6], "p": 0.5}},  # polygons cut by holes become RLE
    ],
}


def spooled(fill) -> bytes:
    spool = JsonSpool(Path("."))  # an unnamed temporary file
    try:
        fill(spool)
        handle = io.BytesIO()
        spool.copy_to(handle, first=True)
        return handle.getvalue()
    finally:
        spool.close()


def numbered_in_parent(items: list[dict], first: int, image_id: int | None) -> bytes:
    def fill(spool):
        for number, item in enumerate(items, first):
            spool.add(dict(item, id=number) if image_id is None else dict(item, id=number, image_id=image_id))

    return spooled(fill)


def filled_template(items: list[dict], first: int, image_id: int | None) -> bytes:
    template = item_template(items, "id", None if image_id is None else "image_id")
    assert b"\n" not in template  # a part line holds it as it is
    counts = []
    data = spooled(lambda spool: counts.append(spool.add_template(template, first, image_id)))
    assert counts == [len(items)]
    return data


def test_warped_annotations_of_every_kind_fill_to_the_parents_bytes():
    checked = set()
    for dataset in DATASETS:
        reader = open_reader(dataset)
        recipe = recipe_from_dict(WARPS)
        for key in reader.keys():
            sample = reader.load(key)
            for seed in range(4):
                run = recipe.pipeline.run(sample, np.random.default_rng(seed), categories=reader.categories)
                s = run.sample
                for keep in (False, True):
                    annotations = annotation_dicts(s.instances, s.width, s.height, keep)
                    expected = numbered_in_parent(annotations, 41, 7)
                    assert filled_template(annotations, 41, 7) == expected
                    for ann in annotations:
                        seg = ann.get("segmentation")
                        checked.add("rle" if isinstance(seg, dict) else "polygon" if seg else "box")
                        checked.update(["keypoints"] if ann.get("keypoints") else [])
            raw = reader.images_raw[reader.image_index(key)]
            entry = image_dict(raw, "copy.jpg", 10, 20)
            assert filled_template([entry], 5, None) == numbered_in_parent([entry], 5, None)
    assert checked >= {"rle", "polygon", "keypoints"}


ITEMS = [
    [],
    [{"id": None, "image_id": None, "category_id": 1}],
    [{"image_id": None, "id": None, "bbox": [1.5, 2, 3, 4]}],  # image_id first, as read
    [{"category_id": 2}],  # no id fields at all: both go last
    [{"name": "caf\u00e9 \u2603", "odd": "\udcff", "n": math.nan, "big": 10**30, "f": -0.0}],
    [{"looks_like_a_hole": "\x00", "id": None, "image_id": None}],  # forces field-by-field
    [{"id": None, "image_id": None, "text": 'a"\x00"b', "\x01": "\x01"}],
    [{"id": None, "image_id": None, "nested": {"id": None, "x": ["\x02", "\x00"]}}] * 3,
]
ITEM_IDS = ["empty", "plain", "image-id-first", "no-ids", "unicode-nan", "hole-value", "hole-key", "nested"]


@pytest.mark.parametrize("items", ITEMS, ids=ITEM_IDS)
def test_any_values_fill_to_the_parents_bytes(items):
    assert filled_template(items, 1000, 3) == numbered_in_parent(items, 1000, 3)
    assert filled_template(items, 1, None) == numbered_in_parent(items, 1, None)


@pytest.mark.parametrize("items", ITEMS, ids=ITEM_IDS)
def test_items_without_holes_spool_as_the_parent_serialises_them(items):
    template = item_template(items, None)  # what write_original keeps of an original's annotations
    assert b"\n" not in template
    counts = []
    data = spooled(lambda spool: counts.append(spool.add_items(template)))
    assert counts == [len(items)]
    assert data == spooled(lambda spool: [spool.add(item) for item in items])


def test_a_template_fills_with_ids_counting_from_first():
    template = item_template([{"id": None, "image_id": None}] * 3, "id", "image_id")
    data = spooled(lambda spool: spool.add_template(template, 9, 4))
    assert data == b'{"id": 9, "image_id": 4},\n{"id": 10, "image_id": 4},\n{"id": 11, "image_id": 4}'
