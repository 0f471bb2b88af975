"""The byte scan that cuts too-deep annotation fields keeps everything else as it was."""

from __future__ import annotations

import json

from augcli.formats.coco.depth import MAX_ANNOTATION_DEPTH, cut_deep_annotations


def test_only_the_too_deep_subtree_of_that_annotation_becomes_null():
    deep = "[" * 3000 + "]" * 3000
    doc = (
        '{"info": {"note": "annotations [ { \\" ["}, "annotations": ['
        '{"id": 1, "attributes": {"x": ' + deep + ', "s": "]}, ["}},'
        ' 7, {"id": 3, "ok": [[["]"]]]}], "images": [{"id": 1}]}'
    )
    raw, found = cut_deep_annotations(doc.encode())
    assert found == {0: 3002}  # the annotation is level 1: its index, brackets in strings not counted
    data = json.loads(raw)
    first = data["annotations"][0]
    assert first["id"] == 1 and first["attributes"]["s"] == "]}, ["
    level, depth = first["attributes"]["x"], 3  # the annotation is level 1, attributes 2, x 3
    while isinstance(level, list):
        level, depth = level[0], depth + 1
    assert level is None and depth == MAX_ANNOTATION_DEPTH + 1  # cut where it went too deep
    assert data["annotations"][1:] == [7, {"id": 3, "ok": [[["]"]]]}]
    assert data["info"] == {"note": 'annotations [ { " ['} and data["images"] == [{"id": 1}]


def test_a_document_without_deep_annotations_is_returned_as_is():
    doc = b'{"info": {"deep": ' + b"[" * 500 + b"]" * 500 + b'}, "annotations": [{"id": 1}]}'
    assert cut_deep_annotations(doc) == (doc, {})
