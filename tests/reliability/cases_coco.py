"""Broken COCO documents: dataset-level problems and item-level ones (see ``fixture_kit``)."""

from __future__ import annotations

import json

from fixture_kit import RAW, VICTIM_ANN, VICTIM_ID, Case, Fixture, raw_value


def _ann(**changes):
    """Change the victim annotation (``None`` deletes a key)."""

    def build(fx: Fixture) -> None:
        ann = fx.victim_annotation()
        for key, value in changes.items():
            if value is None:
                ann.pop(key, None)
            else:
                ann[key] = value

    return build


def _with_text(replace_from: str, replace_to: str):
    """Edit the JSON text itself (for what ``json.dumps`` cannot write, like a bare NaN)."""

    def raw(fx: Fixture) -> bytes:
        text = json.dumps(fx.coco)
        assert replace_from in text, replace_from
        return text.replace(replace_from, replace_to, 1).encode()

    return raw


def _top(**changes):
    def build(fx: Fixture) -> None:
        for key, value in changes.items():
            if value is None:
                fx.coco.pop(key, None)
            else:
                fx.coco[key] = value

    return build


def _nothing(fx: Fixture) -> None:
    return None


def _duplicate_image_id(fx: Fixture) -> None:
    fx.coco["images"][2]["id"] = fx.coco["images"][0]["id"]


def _duplicate_category(fx: Fixture) -> None:
    fx.coco["categories"].append({"id": 7, "name": "again"})


def _duplicate_annotation_id(fx: Fixture) -> None:
    fx.coco["annotations"].append(dict(fx.victim_annotation()))


def _rle(counts, size=None):
    def build(fx: Fixture) -> None:
        ann = fx.victim_annotation()
        ann["segmentation"] = {"size": size or [32, 40], "counts": counts}
        ann["iscrowd"] = 1

    return build


def _keypoints(values):
    def build(fx: Fixture) -> None:
        ann = fx.victim_annotation()
        ann.update(category_id=1, keypoints=values, num_keypoints=1)
        ann.pop("segmentation", None)

    return build


CASES = [
    # dataset level: nothing is written
    Case(
        "invalid JSON (cut short)",
        "dataset",
        _nothing,
        raw_json=lambda fx: json.dumps(fx.coco)[:200].encode(),
    ),
    Case("empty annotation file", "dataset", _nothing, raw_json=lambda fx: b""),
    Case("not UTF-8", "dataset", _nothing, raw_json=lambda fx: b'{"images": ["\xff\xfe"]}'),
    Case("a JSON list (detection results)", "dataset", _nothing, raw_json=lambda fx: b'[{"image_id": 1}]'),
    Case("a JSON string", "dataset", _nothing, raw_json=lambda fx: b'"images"'),
    Case("no images list", "dataset", _top(images=None)),
    Case("images is not a list", "dataset", _top(images={"1": "a.png"})),
    Case("annotations is not a list", "dataset", _top(annotations={"id": 1})),
    Case("categories is not a list", "dataset", _top(categories="person")),
    Case("duplicate image ids", "dataset", _duplicate_image_id),
    Case("image id is a string", "dataset", lambda fx: fx.victim().update(id="2")),
    Case("image id is a boolean", "dataset", lambda fx: fx.victim().update(id=True)),
    Case("duplicate category ids", "dataset", _duplicate_category),
    Case("category without an id", "dataset", lambda fx: fx.coco["categories"].append({"name": "x"})),
    Case(
        "NaN in info", "dataset", _nothing, raw_json=_with_text('"description"', '"nan": NaN, "description"')
    ),
    Case(
        "Infinity in categories",
        "dataset",
        _nothing,
        raw_json=_with_text('"name": "box"', '"name": "box", "weight": -Infinity'),
    ),
    Case(
        "integer with 5000 digits",
        "dataset",
        _nothing,
        raw_json=_with_text('"description"', '"n": ' + "9" * 5000 + ', "description"'),
    ),
    Case(
        "JSON nested 100000 deep",
        "dataset",
        _nothing,
        raw_json=_with_text('"description"', '"deep": ' + "[" * 100000 + "]" * 100000 + ', "description"'),
    ),
    Case(
        "an annotation's custom field nested 100000 deep (costs that annotation)",
        "skip_annotation",
        lambda fx: fx.victim_annotation().update(deep=RAW),
        raw_json=raw_value("[" * 100000 + "]" * 100000),
    ),
    Case("a COCO panoptic file", "dataset", lambda fx: fx.coco["annotations"][0].update(segments_info=[])),
    # handled without a skip
    Case(
        "UTF-8 byte order mark",
        "ok",
        _nothing,
        raw_json=lambda fx: b"\xef\xbb\xbf" + json.dumps(fx.coco).encode(),
    ),
    Case("no categories list (any id accepted)", "ok", _top(categories=None)),
    Case("no annotations list", "ok", _top(annotations=None)),
    Case("bbox sticking out of the image", "ok", _ann(segmentation=None, bbox=[30, 20, 25, 25])),
    Case("empty segmentation list (box only)", "ok", _ann(segmentation=[])),
    Case(
        "keypoint visibility written as 2.0",
        "ok",
        _keypoints([10, 10, 2.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ),
    # real files: whole-body point counts, confidence-style visibilities (issue 9)
    Case("fewer keypoints than the category names", "ok", _keypoints([10, 10, 2])),
    Case("more keypoints than the category names", "ok", _keypoints([10, 10, 2] * 6)),
    Case("keypoint visibility 0.5 (a confidence)", "ok", _keypoints([10, 10, 0.5] + [0, 0, 0] * 4)),
    Case("keypoint visibility 3", "ok", _keypoints([10, 10, 3] + [0, 0, 0] * 4)),
    Case(
        "image entry without width/height", "ok", lambda fx: [fx.victim().pop(k) for k in ("width", "height")]
    ),
    Case(
        "unknown top-level and annotation fields",
        "ok",
        lambda fx: (fx.coco.update(extra={"a": [1, 2]}), fx.victim_annotation().update(note="keep me")),
    ),
    # item level: the image entry is skipped
    Case("file_name missing", "skip_image", lambda fx: fx.victim().pop("file_name")),
    Case("file_name is a number", "skip_image", lambda fx: fx.victim().update(file_name=12)),
    Case("width is zero", "skip_image", lambda fx: fx.victim().update(width=0)),
    Case("height is negative", "skip_image", lambda fx: fx.victim().update(height=-32)),
    Case("width is a string", "skip_image", lambda fx: fx.victim().update(width="40")),
    Case("width is a float", "skip_image", lambda fx: fx.victim().update(width=40.5)),
    Case(
        "NaN in an image entry",
        "skip_image",
        lambda fx: fx.victim().update(score=RAW),
        raw_json=raw_value("NaN"),
    ),
    # item level: one annotation is skipped
    Case("NaN in a bbox", "skip_annotation", _ann(bbox=RAW), raw_json=raw_value("[5, NaN, 32, 25]")),
    Case(
        "Infinity in a polygon",
        "skip_annotation",
        _ann(segmentation=RAW),
        raw_json=raw_value("[[5, 5, Infinity, 5, 15, 12]]"),
    ),
    Case(
        "1e999 in a polygon",
        "skip_annotation",
        _ann(segmentation=RAW),
        raw_json=raw_value("[[5, 5, 1e999, 5, 15, 12]]"),
    ),
    Case(
        "-Infinity in keypoints",
        "skip_annotation",
        _keypoints(RAW),
        raw_json=raw_value("[10, -Infinity, 2" + ", 0" * 12 + "]"),
    ),
    Case("NaN in a custom annotation field", "skip_annotation", _ann(score=RAW), raw_json=raw_value("NaN")),
    Case("coordinates of 1e12", "skip_annotation", _ann(segmentation=[[5, 5, 1e12, 5, 15, 12]])),
    Case("duplicate annotation id", "skip_annotation", _duplicate_annotation_id),
    Case("unknown category", "skip_annotation", _ann(category_id=999)),
    Case("category_id missing", "skip_annotation", _ann(category_id=None)),
    Case("category_id is a string", "skip_annotation", _ann(category_id="7")),
    Case("iscrowd is 2", "skip_annotation", _ann(iscrowd=2)),
    Case("bbox with three numbers", "skip_annotation", _ann(bbox=[1, 2, 3])),
    Case("bbox of strings", "skip_annotation", _ann(bbox=["1", "2", "3", "4"])),
    Case("bbox with negative height", "skip_annotation", _ann(bbox=[1, 2, 3, -4])),
    Case("box-only bbox of zero width", "skip_annotation", _ann(segmentation=None, bbox=[5, 5, 0, 10])),
    Case(
        "box-only bbox entirely outside the image",
        "skip_annotation",
        _ann(segmentation=None, bbox=[50, 40, 10, 10]),
    ),
    Case(
        "box-only bbox left of the image", "skip_annotation", _ann(segmentation=None, bbox=[-20, 5, 10, 10])
    ),
    Case("no bbox, segmentation or keypoints", "skip_annotation", _ann(segmentation=None, bbox=None)),
    Case("polygon with two points", "skip_annotation", _ann(segmentation=[[1, 1, 5, 5]])),
    Case("polygon of odd length", "skip_annotation", _ann(segmentation=[[1, 1, 5, 5, 9]])),
    Case("polygon as a flat list", "skip_annotation", _ann(segmentation=[1, 1, 5, 5, 9, 1])),
    Case("segmentation [[]]", "skip_annotation", _ann(segmentation=[[]])),
    Case("segmentation is a string", "skip_annotation", _ann(segmentation="mask.png")),
    Case("polygon with strings", "skip_annotation", _ann(segmentation=[["1", "1", "5", "5", "9", "1"]])),
    Case("uncompressed RLE not summing to h*w", "skip_annotation", _rle([10, 20, 30])),
    Case("compressed RLE not summing to h*w", "skip_annotation", _rle("0?1")),
    Case("compressed RLE with bad characters", "skip_annotation", _rle("\x01\x02~~")),
    Case("compressed RLE cut in the middle of a number", "skip_annotation", _rle("PP")),
    Case("RLE with a negative run", "skip_annotation", _rle([1300, -10, 10])),
    Case("RLE with float runs", "skip_annotation", _rle([640.0, 640.0])),
    Case("RLE size differs from the image", "skip_annotation", _rle([100, 20, 80], size=[10, 20])),
    Case(
        "RLE without size",
        "skip_annotation",
        lambda fx: _rle([1280])(fx) or fx.victim_annotation()["segmentation"].pop("size"),
    ),
    Case("RLE counts of the wrong type", "skip_annotation", _rle({"a": 1})),
    Case("keypoints not triples", "skip_annotation", _keypoints([1, 2, 2, 3])),
    Case("keypoints as a string", "skip_annotation", _keypoints("10 10 2")),
    Case(
        "annotation that is a list",
        "skip_annotation",
        lambda fx: fx.coco["annotations"].append([VICTIM_ID, VICTIM_ANN]),
        expect={"image": None, "annotation": "#16"},
    ),
    Case(
        "annotation for an unknown image",
        "skip_annotation",
        lambda fx: fx.victim_annotation().update(image_id=404),
        expect={"image": 404},
    ),
]
