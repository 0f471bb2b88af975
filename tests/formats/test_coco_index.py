"""The COCO reader's streaming index answers exactly as reading the file whole does.

Each file is read twice: as a stream (``coco.scan`` + ``coco.index``, the usual
path) and parsed whole (the path for files the stream does not handle, forced
here). Every answer of the reader contract and everything the writer and the
report read must agree, on the vendored real datasets and on synthetic files
shaped to trouble a windowed reader (non-ASCII text cut by window ends, pretty
printing, annotations out of image order, categories or images after the
annotations, unknown keys, invalid annotations of every kind).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from format_helpers import save_image

from augcli.core.errors import DatasetError
from augcli.formats.coco import scan
from augcli.formats.coco.counts import first_seen_counts
from augcli.formats.coco.emit import RAW_COLUMN
from augcli.formats.coco.reader import CocoReader
from augcli.formats.coco.spans import AnnotationSpans

DATA = Path(__file__).resolve().parents[1] / "data"
VENDORED = sorted(p for p in DATA.rglob("*.json") if p.parent.name == "annotations")


def whole(path: Path, **kwargs) -> CocoReader:
    """The reader as it reads a file the stream does not handle."""

    def refuse(self, images):
        raise scan.Fallback

    original = CocoReader._read_stream
    CocoReader._read_stream = refuse  # type: ignore[method-assign]
    try:
        return CocoReader(path, **kwargs)
    finally:
        CocoReader._read_stream = original  # type: ignore[method-assign]


def answers(reader: CocoReader) -> dict:
    """Everything a caller can learn from the reader, as plain values."""
    keys = reader.keys()
    labels = {}
    for key in keys:
        found = reader.labels(key)
        labels[key] = (
            found.labels.tolist(),
            found.boxes.tolist(),
            found.crowd.tolist(),
            None if found.visibility is None else np.asarray(found.visibility, dtype=float).tolist(),
            found.width,
            found.height,
        )
    images = range(len(reader.images_raw))
    return {
        "keys": keys,
        "labels": labels,
        "problems": [json.dumps(p.to_record(), sort_keys=True, default=str) for p in reader.problems],
        "valid": [reader.valid_annotation_indices(i) for i in images],
        "attached": [reader.annotation_indices(i) for i in images],
        "count": reader.annotation_count(),
        "max_ids": (reader.max_image_id, reader.max_annotation_id),
        "targets": reader.targets(),
        "notes": reader.notes,
        "keypoint_categories": reader.keypoint_categories(),
        "num_keypoints": reader.num_keypoints,
        "wholebody": reader.wholebody,
        "non_finite": reader.may_hold_non_finite,
        "annotations": list(reader.annotations_raw),
        "document": {k: v for k, v in reader.data.items() if k != "annotations"},
        "document_keys": list(reader.data),
        "flip": {k: v.tolist() for k, v in reader.flip_perm.items()},
        "samples": [_sample(reader, key) for key in keys],
    }


def _sample(reader: CocoReader, key: str) -> tuple:
    inst = reader.load(key).instances
    return (
        inst.labels.tolist(),
        inst.boxes.tolist(),
        [None if p is None else [r.tolist() for r in p] for p in inst.polygons],
        [None if m is None else m["counts"] for m in inst.masks],
        None if inst.keypoints is None else inst.keypoints.tolist(),
        inst.crowd.tolist(),
        inst.extra,
    )


def assert_same_as_whole(path: Path) -> CocoReader:
    streamed = CocoReader(path)
    assert isinstance(streamed.annotations_raw, AnnotationSpans)  # the stream did read it
    read_whole = whole(path)
    assert isinstance(read_whole.annotations_raw, list)
    assert answers(streamed) == answers(read_whole)
    assert list(streamed.annotations_raw) == (json.loads(path.read_bytes()).get("annotations") or [])
    assert_counts_as_labels(streamed)
    return streamed


def assert_counts_as_labels(reader: CocoReader) -> None:
    """``category_counts`` holds what counting each image's ``labels`` does, in the same order."""
    keys = reader.keys()
    for key, (every, non_crowd) in zip(keys, reader.category_counts(keys)):
        labels = reader.labels(key)
        assert every == list(Counter(labels.labels.tolist()).items())
        assert non_crowd == list(Counter(labels.labels[~labels.crowd].tolist()).items())


@pytest.mark.parametrize("path", VENDORED, ids=lambda p: str(p.relative_to(DATA)))
def test_vendored_datasets_index_the_same_streamed_or_whole(path: Path, monkeypatch) -> None:
    assert_same_as_whole(path)
    monkeypatch.setattr(scan, "WINDOW", 97)  # every value crosses window ends
    assert_same_as_whole(path)


def test_the_vendored_datasets_are_there() -> None:
    assert len(VENDORED) >= 5


# -- synthetic files ------------------------------------------------------------------------------


def _dataset(root: Path, seed: int) -> dict:
    """Images on disk and a COCO document with valid and invalid annotations of every kind."""
    rng = np.random.default_rng(seed)
    names = ["ça/été.png", "日本.png", "plain.png", "emoji😀.png"]
    images = []
    for number, name in enumerate(names, start=1):
        save_image(root / "images" / name, rng.integers(0, 256, (20, 24, 3), dtype=np.uint8))
        images.append({"id": number, "file_name": name, "width": 24, "height": 20, "note": "ñ" * number})
    images.append({"id": 9, "file_name": "missing.png", "width": 24, "height": 20})
    annotations = []
    for number in range(1, 41):
        image_id = int(rng.integers(1, 5))  # images in random order
        x, y = float(rng.integers(0, 12)), float(rng.integers(0, 10))
        ann = {
            "id": number,
            "image_id": image_id,
            "category_id": int(rng.integers(1, 3)),
            "segmentation": [[x, y, x + 6, y, x + 6, y + 5, x, y + 5]],
            "area": 30.0,
            "bbox": [x, y, 6.0, 5.0],
            "iscrowd": 0,
            "caption_ü": "äöü€𝄞" * int(rng.integers(0, 4)),
        }
        if number % 3 == 0:
            ann["keypoints"] = [x + 1, y + 1, 2, x + 2, y + 2, 1.5]
            ann["num_keypoints"] = 2
        if number % 9 == 0:  # more points than category 1 names
            ann["keypoints"] += [x + 3, y + 3, 2]
            ann["category_id"] = 1
        if number % 7 == 0:
            ann["extra_points"] = [[1.0, 2.0], [3.0, 4.0]]  # unmovable
        if number % 11 == 0:
            del ann["bbox"]  # the box comes from the polygon
        annotations.append(ann)
    annotations += [
        {"id": 100, "image_id": 1, "category_id": 7, "bbox": [1, 1, 2, 2]},  # unknown category
        {"id": 101, "image_id": 1, "category_id": 7, "segmentation": [[1, 2, 3]]},  # and a bad polygon
        {"id": 102, "image_id": 2, "category_id": 1, "segmentation": [[1, 2, 3]]},  # bad polygon
        {"id": 103, "image_id": 77, "category_id": 1, "bbox": [1, 1, 2, 2]},  # unknown image
        {"id": 5, "image_id": 3, "category_id": 1, "bbox": [1, 1, 2, 2]},  # id used twice
        {"id": 104, "image_id": 9, "category_id": 1, "bbox": [1, 1, 2, 2]},  # image file missing
        {"id": 105, "image_id": 2, "category_id": "one", "bbox": [1, 1, 2, 2]},
        {"id": 106, "image_id": 4, "category_id": 2, "segmentation": {"size": [20, 24], "counts": [480]}},
        {"image_id": 4, "category_id": 1, "bbox": [2, 2, 5, 5], "iscrowd": 1},  # no id
        [1, 2, 3],  # not an object
        {"id": -3, "image_id": 3, "category_id": 2, "bbox": [0, 0, 30, 30]},
    ]
    categories = [
        {"id": 1, "name": "ünïcode", "keypoints": ["left_eye", "right_eye"], "skeleton": [[1, 2]]},
        {"id": 2, "name": "猫"},
    ]
    return {"images": images, "annotations": annotations, "categories": categories}


def _write(path: Path, doc: dict, order: list[str], indent: int | None, ensure_ascii: bool) -> None:
    ordered = {key: doc[key] for key in order}
    text = json.dumps(ordered, indent=indent, ensure_ascii=ensure_ascii)
    if indent is None:
        text = text.replace(", ", " ,\t").replace(": ", " :\r\n ")  # odd but legal whitespace
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n  " + text + "\n\n", encoding="utf-8")


ORDERS = [
    ["info", "images", "annotations", "categories", "licenses"],  # official COCO: categories last
    ["licenses", "categories", "images", "annotations", "x_after"],
    ["x_before", "annotations", "categories", "images"],  # images after the annotations
    ["categories", "x_before", "images", "info", "annotations"],
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(o))
@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("window", [97, 1 << 20])
def test_synthetic_files_index_the_same_streamed_or_whole(
    tmp_path: Path, monkeypatch, order: list[str], indent: int | None, window: int
) -> None:
    doc = _dataset(tmp_path, seed=len(order) + (indent or 0))
    doc.update(info={"description": "ŝýñţĥéţïç"}, licenses=[], x_before={"k": [1, 2]}, x_after="z")
    path = tmp_path / "annotations" / "instances_train.json"
    for ensure_ascii in (False, True):
        _write(path, doc, order, indent, ensure_ascii)
        monkeypatch.setattr(scan, "WINDOW", window)
        reader = assert_same_as_whole(path)
        assert_what_the_reader_always_said(reader)


def test_a_file_that_may_hold_nan_is_read_knowing_it(tmp_path: Path) -> None:
    """The walk assumes no NaN while a helper scans the file (``coco.facts``): "NaN" in a string
    (a may, not a NaN) and a NaN in an annotation are read as a reader that scanned first reads them."""
    doc = _dataset(tmp_path, seed=3)
    doc["info"] = {"description": "NaN or Infinity in words"}
    path = tmp_path / "annotations" / "instances_train.json"
    _write(path, doc, ["info", "images", "annotations", "categories"], None, False)
    reader = assert_same_as_whole(path)
    assert reader.may_hold_non_finite
    assert_what_the_reader_always_said(reader)
    doc["annotations"][0]["area"] = float("nan")  # json writes NaN
    _write(path, doc, ["info", "images", "annotations", "categories"], None, False)
    said = {p.annotation: p.message for p in assert_same_as_whole(path).problems}
    assert said[1] == "the annotation holds NaN or Infinity"


def test_the_reader_s_digest_is_the_file_s_while_it_is_unchanged(tmp_path: Path) -> None:
    doc, path = _written(tmp_path, seed=2)
    reader = CocoReader(path)
    assert reader.annotation_digest() == hashlib.sha256(path.read_bytes()).hexdigest()
    os.utime(path, ns=(0, 0))
    assert reader.annotation_digest() is None  # changed (or touched): run_identity hashes it anew


def assert_what_the_reader_always_said(reader: CocoReader) -> None:
    """The synthetic dataset's problems and summary, as the reader reported them before the index."""
    said = {p.annotation: p.message for p in reader.problems}
    assert said == {
        100: "category_id 7 is not in the categories list",
        101: "category_id 7 is not in the categories list",  # its bad polygon comes second
        102: "polygon ring has an odd number of coordinates (3)",
        103: "refers to image id 77, which is not in images",
        5: "annotation id 5 is used twice; only its first use is augmented",
        105: "category_id 'one' is not an integer",
        "#49": "refers to image id None, which is not in images",
        None: f"image not found (file_name 'missing.png' resolved against {reader.image_dir})",
    }
    assert [p.annotation for p in reader.problems][1:] == [100, 101, 102, 103, 5, 105, "#49"]  # input order
    assert reader.targets() == ("image", "boxes", "polygons", "masks", "keypoints")
    assert reader.keypoint_categories() == ({1, 2}, {1, 2})
    assert reader.max_annotation_id == 106 and reader.annotation_count() == 51 - 3
    assert len(reader.notes) == 3  # keypoint count, fractional visibility, unmovable extra_points


def test_an_annotation_s_span_is_its_bytes_in_the_file(tmp_path: Path) -> None:
    doc, path = _written(tmp_path, seed=1)
    spans = CocoReader(path).annotations_raw
    raw = path.read_bytes()
    assert isinstance(spans, AnnotationSpans)
    for index, ann in enumerate(doc["annotations"]):
        offset, length = int(spans._offsets[index]), int(spans._lengths[index])
        assert json.loads(raw[offset : offset + length]) == ann
        assert raw[offset : offset + 1] in (b"{", b"[")


@pytest.mark.parametrize(
    "text",
    [
        b'{"images": [], "annotations": [1,]}',  # invalid JSON: the whole path's message
        b'{"images": [], "images": []}',  # a key used twice
        b'\xef\xbb\xbf{"images": [], "annotations": []}',  # UTF-8 BOM: still streamed
        b'{"images": [], "annotations": []} x',  # something after the document
        '{"images": [], "annotations": []}'.encode("utf-16"),
        b'{"annotations": [{"segments_info": []}], "images": []}',  # panoptic
    ],
)
def test_files_the_stream_does_not_take_read_as_whole_files_do(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / "annotations.json"
    path.write_bytes(text)
    outcomes = []
    for read in (CocoReader, whole):
        try:
            reader = read(path)
            outcomes.append(("read", reader.keys(), len(reader.annotations_raw)))
        except DatasetError as err:
            outcomes.append(("refused", str(err)))
    assert outcomes[0] == outcomes[1]


# -- workers and the file -------------------------------------------------------------------------


def _written(tmp_path: Path, seed: int) -> tuple[dict, Path]:
    doc = _dataset(tmp_path, seed=seed)
    path = tmp_path / "annotations" / "instances_train.json"
    _write(path, doc, ["images", "annotations", "categories"], None, False)
    return doc, path


def _load_in_child(reader: CocoReader, key: str, queue) -> None:
    import augcli.formats.coco.spans as spans_module

    parsed = []
    real = spans_module.parse_span
    spans_module.parse_span = lambda text: parsed.append(text) or real(text)  # type: ignore[func-returns-value]
    sample = reader.load(key)
    spans = reader.annotations_raw
    queue.put((sample.instances.extra[RAW_COLUMN], len(parsed), spans._pid == os.getpid(), spans._fd))


def test_load_in_a_forked_worker_parses_only_its_image_s_spans(tmp_path: Path) -> None:
    _, path = _written(tmp_path, seed=2)
    reader = CocoReader(path)
    assert isinstance(reader.annotations_raw, AnnotationSpans)  # no parsed list to inherit
    assert reader.data["annotations"] is reader.annotations_raw
    key = reader.keys()[1]
    expected = [reader.annotations_raw[i] for i in reader.valid_annotation_indices(reader.image_index(key))]
    assert expected and reader.annotations_raw._fd is not None  # the parent has a descriptor already
    queue = mp.get_context("fork").SimpleQueue()
    child = mp.get_context("fork").Process(target=_load_in_child, args=(reader, key, queue))
    child.start()
    raws, parsed, own, child_fd = queue.get()
    child.join()
    assert child.exitcode == 0
    assert raws == expected
    assert parsed == len(expected)  # that image's annotations, nothing else
    assert own and child_fd is not None  # it opened the file for itself (no shared position)


def test_a_file_changed_after_reading_is_refused_not_misread(tmp_path: Path) -> None:
    doc, path = _written(tmp_path, seed=3)
    reader = CocoReader(path)
    key = reader.keys()[0]
    doc["annotations"].insert(0, {"id": 999, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]})
    _write(path, doc, ["images", "annotations", "categories"], None, False)
    with pytest.raises(DatasetError, match="changed after it was read"):
        reader.load(key)


# -- memory ---------------------------------------------------------------------------------------

PEAK = r"""
import json, sys
from pathlib import Path

def status_kb(field):  # VmHWM, unlike getrusage's ru_maxrss, starts afresh at exec
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

how, path = sys.argv[1], Path(sys.argv[2])
from augcli.formats.coco.reader import CocoReader
before = status_kb("VmRSS")
if how == "whole":
    json.loads(path.read_bytes())
else:
    reader = CocoReader(path)
    assert reader.annotation_count() == int(sys.argv[3])
print((status_kb("VmHWM") - before) * 1024)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc")
def test_reading_costs_a_fraction_of_the_parsed_document(tmp_path: Path) -> None:
    """Issue #14: the reader's peak is its columns (~100 bytes an annotation) and one window,
    not the parsed annotations (~1.5 KB each for these 8-point polygons)."""
    import subprocess
    import sys

    images, per_image = 400, 250
    save_image(tmp_path / "images" / "0.png", np.zeros((64, 64, 3), np.uint8))
    raw = (tmp_path / "images" / "0.png").read_bytes()
    for i in range(1, images):
        (tmp_path / "images" / f"{i}.png").write_bytes(raw)
    rng = np.random.default_rng(0)
    rings = np.round(rng.uniform(0, 60, (images * per_image, 16)), 2).tolist()
    path = tmp_path / "annotations" / "instances.json"
    path.parent.mkdir()
    with open(path, "w") as handle:
        entries = [{"id": i, "file_name": f"{i}.png", "width": 64, "height": 64} for i in range(images)]
        handle.write('{"images": ' + json.dumps(entries) + ', "annotations": [')
        for number, ring in enumerate(rings):
            ann = {"id": number, "image_id": number % images, "category_id": 1, "segmentation": [ring]}
            handle.write(("," if number else "") + json.dumps(ann | {"area": 9.5, "bbox": [1, 2, 3, 4]}))
        handle.write('], "categories": [{"id": 1, "name": "thing"}]}')

    def peak(how: str) -> int:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        args = [sys.executable, "-c", PEAK, how, str(path), str(len(rings))]
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
        return int(done.stdout.split()[-1])

    whole_document, reader = peak("whole"), peak("reader")
    assert whole_document > 1000 * len(rings)  # what the old reader held, at least
    assert reader < 0.3 * whole_document, (reader, whole_document)
    assert reader < 250 * len(rings) + 16 * 2**20  # columns, one window, the id set


@pytest.mark.parametrize("spread", [1, 1 << 40])  # ids in a small range, and far apart
def test_first_seen_counts_are_a_counter_of_each_image_s_categories(spread: int) -> None:
    rng = np.random.default_rng(spread % 97)
    image = np.sort(rng.integers(0, 30, 500))
    category = rng.integers(-3, 6, 500) * spread
    found = first_seen_counts(image, category)
    for index in range(30):
        assert found.get(index, []) == list(Counter(category[image == index].tolist()).items())
