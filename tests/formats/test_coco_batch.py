"""The COCO reader's fast paths give the one-at-a-time answers.

``IndexBuilder.add_batch`` (the plainly valid annotations checked a batch at a
time, ``coco.batch``) must keep exactly what ``add`` keeps, one annotation after
another, on adversarial annotations; the reader with the list indexed by two
processes (``coco.chunks``, forced here on small files) must answer as the
file read whole does, and an expand must write the same bytes either way and
with 1 or 2 workers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from format_helpers import save_image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_coco_index import answers, assert_same_as_whole, whole

import augcli
from augcli.core.errors import DatasetError
from augcli.formats.coco import chunks, scan
from augcli.formats.coco.index import IndexBuilder

# JSON tokens that trouble a number check: signed zeros, exponents, overflow to inf, the range's
# edges, huge ints, NaN, other types, nesting
TOKENS = [
    "0", "-0", "-0.0", "1", "2.5", "1E5", "1e400", "-1e400", "1.5e-3", "9999999.99", "10000000",
    "10000000.5", "-10000001", "123456789012345678901234567890", "NaN", "Infinity", "-Infinity",
    "true", "false", "null", '"7"', '"[1, 2]"', '"a\\"]}b"', "[]", "{}", "[1, 2]", "[[1, 2]]",
]  # fmt: skip
FIELDS = ["id", "image_id", "category_id", "segmentation", "bbox", "area", "iscrowd"]
SIZES = {1: (64, 48), 2: (64, 48), 3: None, 4: (64, 48)}  # image 4's file is missing (unreadable)


def _plain(number: int, image: int) -> dict:
    return {
        "id": number,
        "image_id": image,
        "category_id": 1 + number % 3,
        "segmentation": [[1.5, 2, 10, 2.25, 10, 9, 1, 9]],
        "area": 60.5,
        "bbox": [1, 2, 9, 7.5],
        "iscrowd": 0,
    }


def _mutation():
    token = st.sampled_from(TOKENS)
    field = st.sampled_from(FIELDS)
    ring_values = st.lists(token, max_size=8).map(lambda ts: "[" + ", ".join(ts) + "]")
    return st.one_of(
        st.just(("keep", None, None)),
        st.tuples(st.just("set"), field, token),
        st.tuples(st.just("drop"), field, st.none()),
        st.tuples(st.just("extra"), st.sampled_from(["keypoints", "num_keypoints", "x", "face_box"]), token),
        st.tuples(st.just("ring"), st.sampled_from(["append", "replace", "value"]), ring_values),
        st.tuples(st.just("id"), st.integers(-2, 6), st.none()),
        st.tuples(st.just("image"), st.sampled_from(["1", "2", "3", "4", "9", "1.0", "true"]), st.none()),
        st.tuples(st.just("twice"), field, token),  # a key twice in one object: the last counts
        st.tuples(st.just("crowd"), st.sampled_from(["0", "1", "true", "false", "0.0", "2"]), st.none()),
        st.tuples(st.just("box"), st.sampled_from(["[1, 2, -0.5, 3]", "[1, 2, 3]", "[1, 2, 3, 4, 5]",
                                                    "[0, 0, 0, 0]", "[1, 2, -0, -0.0]"]), st.none()),
    )  # fmt: skip


def _text(number: int, mutation: tuple) -> str:
    """One annotation's JSON text: a plain one, mutated."""
    kind, what, token = mutation
    fields = {key: json.dumps(value) for key, value in _plain(number, 1 + number % 3).items()}
    extra = ""
    if kind == "set":
        fields[what] = token
    elif kind == "drop":
        del fields[what]
    elif kind == "extra":
        fields[what] = token
    elif kind == "ring":
        ring = token
        seg = {
            "append": f"[[1, 2, 3, 4, 5, 6], {ring}]",
            "replace": f"[{ring}]",
            "value": f"[{ring}, [1, 2]]",
        }
        fields["segmentation"] = seg[what]
    elif kind == "id":
        fields["id"] = str(what)
    elif kind == "image":
        fields["image_id"] = what
    elif kind == "twice":
        extra = f', "{what}": {token}'
    elif kind == "crowd":
        fields["iscrowd"] = what
    elif kind == "box":
        fields["bbox"] = what
    return "{" + ", ".join(f'"{key}": {value}' for key, value in fields.items()) + extra + "}"


def _builder(non_finite: bool) -> IndexBuilder:
    ids = {image: image - 1 for image in SIZES}
    readable = [image != 4 for image in SIZES]
    return IndexBuilder("ann.json", ids, readable, list(SIZES.values()), non_finite, {})


def _kept(builder: IndexBuilder) -> dict:
    part = builder.part()
    part["problems"] = {i: json.dumps(e.to_record(), sort_keys=True) for i, e in part["problems"].items()}
    return part


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutation(), min_size=1, max_size=12), st.booleans(), st.integers(1, 5))
def test_a_batch_keeps_what_one_annotation_at_a_time_keeps(mutations, non_finite, cut) -> None:
    """Parsed values in batches, and the batch's bytes parsed with their plain polygons cut out
    (``coco.polygon_text``; a batch it cannot cut is parsed as read)."""
    texts = []
    for number, mutation in enumerate(mutations):
        text = _text(number, mutation)
        try:
            json.loads(text)
        except ValueError:  # a token json refuses inside this text (none do today)
            text = json.dumps(_plain(number, 1))
        texts.append(text)
    raw = ", ".join(texts).encode()
    anns = [json.loads(text) for text in texts]
    offsets = np.arange(len(anns), dtype=np.int64) * 1000
    lengths = np.full(len(anns), 77, dtype=np.int64)
    batches = [scan.Batch(anns, offsets, lengths)]
    from_bytes = scan._batch(raw + b", ", 0, cut=True)  # None when a text holds a brace more
    if from_bytes is not None:
        assert [from_bytes.whole(i) for i in range(len(anns))] == anns
        batches.append(from_bytes)
    for batch in batches:
        one_by_one, batched = _builder(non_finite), _builder(non_finite)
        for i, ann in enumerate(anns):
            one_by_one.add(i, ann, int(batch.offsets[i]), int(batch.lengths[i]))
        for start in range(0, len(anns), cut):  # batches of any size, cut anywhere
            batched.add_batch(start, batch.part(start, start + cut))
        assert _kept(batched) == _kept(one_by_one)


def test_plain_annotations_do_take_the_batch_path(monkeypatch) -> None:
    """The property above would hold trivially if no row were ever plain, or no polygon cut."""
    anns = [_plain(number, 1 + number % 3) for number in range(10)]
    raw = ", ".join(map(json.dumps, anns)).encode()
    calls: list = []
    for batch in (scan.Batch(anns, np.arange(10) * 100, np.full(10, 50)), scan._batch(raw, 0, cut=True)):
        assert batch is not None
        builder = _builder(False)
        monkeypatch.setattr(builder, "add", lambda *args: calls.append(args))
        builder.add_batch(0, batch)
        assert calls == [] and len(builder.part()["_ids_seen"]) == 10
    assert batch.source is not None and {ann["segmentation"] for ann in batch.values} == {0}


CUT = [
    "[[1, 2, 3, 4, 5, 6]]",
    "[[1,2,3,4,5,6],[7, 8, 9, 10, 11, 12.5]]",
    "[[-0, -0.0, 0.25, 1, 9999999.999, 2]]",
]


@pytest.mark.parametrize(
    "segmentation",
    [
        *CUT, "[[1, 2, 3, 4, 5, 6], [1, 2]]", "[[1, 2, 3, 4, 5]]", "[[1, 2, 3, 4, 5, 6, 7]]", "[[01, 2, 3, 4, 5, 6]]",
        "[[1, 2, 3, 4, 5, 1e3]]", "[[1, 2, 3, 4, 5, 10000000]]", "[[1, 2, 3, 4, 5, -]]", "[[1, 2, 3, 4, 5, 6.]]",
        "[[1, 2, 3, 4, 5, .6]]", "[[1, 2, 3, 4, 5, 6],]", "[[1, 2, 3, 4, 5, 6]]]", "[[1, 2, 3, 4, 5, 6] ]",
        "[[1, 2, 3, 4, 5, true]]", '[[1, 2, 3, 4, 5, "6"]]', "[[], [1, 2, 3, 4, 5, 6]]", "[[1  , 2, 3, 4, 5, 6]]",
        "[[1 2, 3, 4, 5, 6]]", "[[1, 2, 3, 4, 5, 6], 7]", "[[1, 2, 3, 4, 5, 6], [[1, 2, 3, 4, 5, 6]]]",
    ],
)  # fmt: skip
def test_only_plain_polygons_are_cut_out(segmentation: str) -> None:
    """A polygon is cut out only where parsing it says it is plain; whatever the bytes, the
    batch's values are the parsed ones (or the batch does not parse, as before)."""
    texts = [
        json.dumps(_plain(1, 1)),
        '{"id": 2, "image_id": 1, "category_id": 1, "segmentation": ' + segmentation,
    ]
    raw = (texts[0] + ", " + texts[1] + ', "bbox": [1, 2, 3, 4]}, ').encode()
    batch, uncut = scan._batch(raw, 0, cut=True), scan._batch(raw, 0)
    assert (batch is None) == (uncut is None)
    if batch is None:
        return
    parsed = json.loads(segmentation)
    plain = IndexBuilder("x", {1: 0}, [True], [None], False, {})
    plain.add_batch(0, scan.Batch([uncut.values[1]], uncut.offsets[1:], uncut.lengths[1:]))
    assert batch.source is None or plain.part()["_ids_seen"] == {2}  # cut: a plain polygon
    assert (batch.source is not None) == (segmentation in CUT)  # the usual ones are cut out
    assert [batch.whole(i) for i in range(2)] == uncut.values and uncut.values[1]["segmentation"] == parsed


# -- the reader with the list read by two processes ------------------------------------------------


def _scale_file(tmp_path: Path, annotations: list[str], images: int = 4) -> Path:
    """A COCO file with ``annotations`` (JSON texts), images 1..images on disk."""
    for image in range(1, images + 1):
        save_image(tmp_path / "images" / f"{image}.png", np.full((48, 64, 3), image * 40, np.uint8))
    entries = [{"id": i, "file_name": f"{i}.png", "width": 64, "height": 48} for i in range(1, images + 1)]
    path = tmp_path / "annotations" / "instances.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = '{"images": ' + json.dumps(entries) + ', "annotations": [' + ", ".join(annotations)
    path.write_text(text + '], "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}')
    return path


@pytest.fixture
def forced_helper(monkeypatch):
    """A helper for every list, however small; the joins it made, as ``base`` values."""
    monkeypatch.setattr(chunks, "MIN_BYTES", 0)
    monkeypatch.setattr(chunks, "_PROBE", 512)
    joined: list[int | None] = []
    real = chunks.Speculation.join

    def join(self, builder, base):
        after = real(self, builder, base)
        joined.append(None if after is None else base)
        return after

    monkeypatch.setattr(chunks.Speculation, "join", join)
    return joined


def _texts(count: int, extra=lambda number: "") -> list[str]:
    out = []
    for number in range(count):
        ann = _plain(number + 1, 1 + number % 4)
        ann["category_id"] = 1 + number % 2
        out.append(json.dumps(ann)[:-1] + extra(number) + "}")
    return out


@pytest.mark.parametrize("batch", [97, 1 << 16])
def test_the_list_read_in_two_processes_answers_as_the_whole_file(
    tmp_path, forced_helper, monkeypatch, batch
):
    monkeypatch.setattr(scan, "BATCH", batch)
    texts = _texts(300)
    texts[7] = '{"id": 8, "image_id": 1, "category_id": 9, "bbox": [1, 2, 3, 4]}'  # unknown category
    texts[250] = '{"image_id": 3, "category_id": 1, "segmentation": [[1, 2, 3]]}'  # no id: named #250
    texts[260] = '{"id": 1000, "image_id": 2, "category_id": 1, "bbox": [1, 1, 2, 2], "pts": [[1, 2]]}'
    texts[10] = '{"id": 1001, "image_id": 2, "category_id": 1, "bbox": [1, 1, 2, 2], "other": [[3, 4]]}'
    reader = assert_same_as_whole(_scale_file(tmp_path, texts))
    assert forced_helper and forced_helper[0] is not None  # the helper's half was joined
    assert {p.annotation for p in reader.problems} >= {8, "#250"}


def test_an_id_of_the_second_half_used_in_the_first_makes_the_walk_go_on_alone(tmp_path, forced_helper):
    texts = _texts(300)
    texts[280] = texts[3]  # annotation 4 again, near the end: the second use is the one refused
    reader = assert_same_as_whole(_scale_file(tmp_path, texts))
    assert forced_helper == [None]
    assert [p.message for p in reader.problems] == [
        "annotation id 4 is used twice; only its first use is augmented"
    ]


def test_a_guess_inside_an_annotation_is_dropped(tmp_path, forced_helper) -> None:
    nested = ', "parts": [{"a": 1}, {"b": [2, 3]}, {"c": 4}, {"d": 5}, {"e": 6}, {"f": 7}]'
    assert_same_as_whole(_scale_file(tmp_path, _texts(300, lambda number: nested)))
    assert all(base is None for base in forced_helper)  # it never landed on an element's start


@pytest.mark.parametrize("token", TOKENS + ["01", "-", "1.", ".5", "1e", "--1", "0x1", "1 2"])
def test_odd_numbers_in_a_polygon_or_a_box_read_as_the_whole_file_reads_them(tmp_path, forced_helper, token):
    texts = _texts(300)
    for at in (5, 200):
        ann = json.loads(texts[at])
        texts[at] = (
            json.dumps(ann).replace('"bbox": [', f'"bbox": [{token}, ').replace("[[1.5,", f"[[{token},")
        )
    path = _scale_file(tmp_path, texts)
    outcomes = []
    for read in (CocoReaderAnswers, whole):
        try:
            outcomes.append(answers(read(path)))
        except DatasetError as err:
            outcomes.append(str(err))
    assert outcomes[0] == outcomes[1]


def CocoReaderAnswers(path: Path):  # noqa: N802  # the streamed reader, named beside ``whole``
    from augcli.formats.coco.reader import CocoReader

    return CocoReader(path)


# -- the output -------------------------------------------------------------------------------------

RECIPE = {
    "version": 1,
    "seed": 3,
    "copies": 2,
    "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"rotate": [-10, 10], "p": 0.7}}],
}


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".augcli" not in p.parts and p.name != "report.jsonl"
    }


def test_the_output_is_the_same_whichever_path_read_the_file(tmp_path, forced_helper, monkeypatch) -> None:
    texts = _texts(200)
    texts[9] = '{"id": 10, "image_id": 2, "category_id": 1, "segmentation": [[1, 2, 3]]}'
    path = _scale_file(tmp_path / "data", texts)
    trees = {}
    for workers in (1, 2):
        out = tmp_path / f"fast{workers}"
        augcli.expand(path, RECIPE, out, workers=workers)
        trees[f"fast{workers}"] = _tree(out)
    assert forced_helper and forced_helper[0] is not None
    from augcli.formats.coco.reader import CocoReader

    def refuse(self, images):
        raise scan.Fallback

    monkeypatch.setattr(CocoReader, "_read_stream", refuse)
    augcli.expand(path, RECIPE, tmp_path / "whole", workers=2)
    trees["whole"] = _tree(tmp_path / "whole")
    assert len(trees["whole"]) > 8
    assert trees["fast1"] == trees["fast2"] == trees["whole"]
