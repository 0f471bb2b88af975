"""Hypothesis feeds generated COCO documents and recipes through the readers and the
validator: whatever comes in, the only exceptions are augcli's own errors."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import encode, pixels

from augcli.core.errors import AugcliError
from augcli.formats.coco.reader import CocoReader
from augcli.recipe.recipe import recipe_from_dict, recipe_from_text

SETTINGS = settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 60),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from([0, 1, 2, 1.5, -1, 1e308, 32, 40]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
numbers = st.one_of(
    st.integers(-50, 90),
    st.floats(-50, 90, allow_nan=False),
    st.sampled_from([float("nan"), float("inf"), 1e12, True, "3", None]),
)


ABSENT = "<absent>"


def maybe(strategy):
    """Mostly the strategy's value; now and then any JSON value, or the key left out."""
    # hypothesis favours small integers: the good branch gets them
    return st.integers(0, 19).flatmap(
        lambda n: strategy if n < 18 else (json_values if n == 18 else st.just(ABSENT))
    )


def present(d: dict) -> dict:
    return {k: v for k, v in d.items() if v != ABSENT}


def mostly(good, bad):
    """``good`` about five times in six, else ``bad`` (small integers are hypothesis' favourites)."""
    return st.integers(0, 5).flatmap(lambda n: good if n < 5 else bad)


clean = st.one_of(st.integers(0, 40), st.floats(-2, 42, allow_nan=False))
coordinates = mostly(clean, numbers)


def polygon():
    def ring(values):
        return st.integers(3, 6).flatmap(lambda n: st.lists(values, min_size=2 * n, max_size=2 * n))

    rings = mostly(ring(clean), ring(coordinates) | st.lists(coordinates, max_size=5))
    return st.lists(rings, min_size=1, max_size=3) | st.just([[]])


def rle():
    size = st.sampled_from([[32, 40], [32, 40], [32, 40], [40, 32], [0, 0], [-1, 5], [32]])
    counts = st.one_of(
        st.sampled_from(
            [[1280], [0, 640, 640], [100, 20, 1160], "0PT1", "PPYo1", [640.0, 640], [-1, 1281], "\x01", ""]
        ),
        st.lists(st.integers(-5, 1400), max_size=6),
        st.text(max_size=8),
    )
    return st.fixed_dictionaries({"size": size, "counts": counts})


def keypoints():
    triple = st.tuples(clean, clean, mostly(st.sampled_from([0, 1, 2, 2.0]), st.sampled_from([1.5, 3, -1])))
    return mostly(
        st.lists(triple, max_size=4).map(lambda ts: [v for t in ts for v in t]), st.lists(numbers, max_size=7)
    )


annotation = st.fixed_dictionaries(
    {
        "id": maybe(st.integers(1, 8)),
        "image_id": maybe(st.sampled_from([1, 1, 2, 2, 99])),
        "category_id": maybe(st.sampled_from([1, 7, 7, 8])),
        "bbox": maybe(
            mostly(st.lists(clean, min_size=4, max_size=4), st.lists(numbers, min_size=3, max_size=5))
        ),
        "segmentation": maybe(st.one_of(polygon(), rle(), st.just([]))),
        "keypoints": maybe(keypoints()),
        "iscrowd": maybe(st.sampled_from([0, 0, 0, 1, 2, True])),
        "area": maybe(numbers),
    }
).map(present)

HOSTILE_NAMES = ["../a.png", "/etc/hosts", "a.png\x00", "missing.png", "", "sub/../a.png", "C:\\a.png"]


def image_entry(name: str):
    return st.fixed_dictionaries(
        {
            "file_name": maybe(st.one_of(*[st.just(name)] * 5, st.sampled_from(HOSTILE_NAMES))),
            "width": maybe(st.sampled_from([40, 40, 40, 40, 32, 0, -1, 40.0])),
            "height": maybe(st.sampled_from([32, 32, 32, 32, 40, 0, "32"])),
        }
    ).map(present)


category = st.fixed_dictionaries(
    {
        "name": maybe(st.text(max_size=5)),
        "keypoints": maybe(st.lists(st.sampled_from(["left_eye", "right_eye", "nose"]), max_size=3)),
        "skeleton": maybe(st.lists(st.lists(st.integers(0, 4), max_size=3), max_size=2)),
    }
).map(present)


def _numbered(entries: list, ids: list) -> list:
    return [dict(e, id=i) if i is not None else e for e, i in zip(entries, ids)]


images = st.tuples(image_entry("a.png"), image_entry("b.jpg")).flatmap(
    lambda es: mostly(
        st.just(_numbered(list(es), [1, 2])),
        st.lists(st.sampled_from([1, 2, 2, None, "x"]), min_size=2, max_size=2).map(
            lambda ids: _numbered(list(es), ids)
        ),
    )
)
categories = st.lists(category, min_size=2, max_size=3).flatmap(
    lambda cs: mostly(
        st.just(_numbered(cs, [1, 7, 8][: len(cs)])),
        st.lists(st.sampled_from([1, 7, 7, None]), min_size=len(cs), max_size=len(cs)).map(
            lambda ids: _numbered(cs, ids)
        ),
    )
)

document = st.fixed_dictionaries(
    {
        "images": maybe(images),
        "annotations": maybe(st.lists(annotation, min_size=1, max_size=6)),
        "categories": maybe(categories),
        "info": maybe(json_values),
    }
).map(present)


def _dataset(root: Path) -> Path:
    images = root / "images"
    if not images.exists():
        images.mkdir(parents=True)
        (images / "a.png").write_bytes(encode(pixels(40, 32, 1), "PNG"))
        (images / "b.jpg").write_bytes(encode(pixels(40, 32, 2), "JPEG"))
    return root / "instances.json"


def _read_everything(path: Path) -> None:
    try:
        reader = CocoReader(path)
    except AugcliError:
        return
    for key in reader.keys():
        try:
            reader.load(key)
        except AugcliError:
            pass


@SETTINGS
@given(doc=document)
def test_generated_coco_documents_raise_only_augcli_errors(tmp_path_factory, doc):
    path = _dataset(tmp_path_factory.getbasetemp() / "fuzz-coco")
    path.write_text(json.dumps(doc))
    _read_everything(path)


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_as_the_annotation_file_raise_only_augcli_errors(tmp_path_factory, data):
    path = _dataset(tmp_path_factory.getbasetemp() / "fuzz-bytes")
    path.write_bytes(data)
    _read_everything(path)


transform_names = st.sampled_from(
    [
        "HorizontalFlip",
        "Affine",
        "OneOf",
        "SomeOf",
        "Sequential",
        "GaussianBlur",
        "RandomCrop",
        "CoarseDropout",
        "Nope",
        "eval",
    ]
)
recipe_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(transform_names, st.text(max_size=6)), inner, max_size=3)
    ),
    max_leaves=10,
)
recipes = st.fixed_dictionaries(
    {
        "version": maybe(st.sampled_from([1, 2, "1"])),
        "copies": maybe(st.integers(-1, 3)),
        "seed": maybe(st.integers(-1, 2**70)),
        "labels": maybe(
            st.dictionaries(
                st.sampled_from(["min_area", "box", "keypoint_flip_pairs", "x"]), recipe_values, max_size=3
            )
        ),
        "pipeline": maybe(st.lists(st.dictionaries(transform_names, recipe_values, max_size=2), max_size=4)),
    }
).map(lambda d: {k: v for k, v in d.items() if v != "<absent>"})


@SETTINGS
@given(recipe=recipes)
def test_generated_recipes_raise_only_recipe_errors(recipe):
    try:
        recipe_from_dict(recipe)
    except AugcliError:
        pass


yaml_pieces = st.sampled_from(
    list("ab:-[]{}&*!|>'\"#\n ,?%@`")
    + [
        "!!python/name:os.system ",
        "!!python/object/apply:os.getpid []",
        "pipeline:",
        "version: 1\n",
        "&x ",
        "*x",
        "- HorizontalFlip: {p: 1}\n",
        "  ",
        "<<: *x\n",
    ]
)


@SETTINGS
@given(text=st.lists(yaml_pieces, max_size=30).map("".join))
def test_generated_yaml_text_raises_only_recipe_errors(text):
    try:
        recipe_from_text(text)
    except AugcliError:
        pass


def _voc_box():
    value = mostly(st.integers(1, 40).map(str), st.sampled_from(["", "x", "nan", "-5", "1e9", "3.5", "inf"]))
    tags = st.sampled_from(["xmin", "ymin", "xmax", "ymax", "xmin", "ymax", "bogus"])
    return st.lists(st.tuples(tags, value), max_size=5).map(
        lambda pairs: "<bndbox>" + "".join(f"<{t}>{v}</{t}>" for t, v in pairs) + "</bndbox>"
    )


voc_object = st.tuples(
    mostly(st.sampled_from(["cat", "dog"]), st.sampled_from(["", "<b>x</b>", "&amp;"])),
    _voc_box(),
    st.sampled_from(["", "<difficult>1</difficult>", "<part><name>h</name></part>"]),
)
voc_size = mostly(
    st.just("<size><width>40</width><height>32</height><depth>3</depth></size>"),
    st.sampled_from(
        [
            "",
            "<size/>",
            "<size><width>-1</width><height>a</height></size>",
            "<size><width>32</width><height>40</height></size>",
        ]
    ),
)
voc_document = st.tuples(
    voc_size,
    st.lists(voc_object, max_size=4),
    st.sampled_from(["", "", '<?xml version="1.0"?>', "<!DOCTYPE a>"]),
    st.sampled_from(["annotation", "annotation", "annotation", "other"]),
    st.booleans(),
).map(
    lambda d: (
        f"{d[2]}<{d[3]}><filename>a.jpg</filename>{d[0]}"
        + "".join(f"<object><name>{n}</name>{box}{extra}</object>" for n, box, extra in d[1])
        + (f"</{d[3]}>" if d[4] else "")
    )
)


@SETTINGS
@given(xml=voc_document)
def test_generated_voc_documents_raise_only_augcli_errors(tmp_path_factory, xml):
    from augcli.formats.voc.reader import VocReader

    root = tmp_path_factory.getbasetemp() / "fuzz-voc"
    if not root.exists():
        (root / "Annotations").mkdir(parents=True)
        (root / "JPEGImages").mkdir()
        (root / "JPEGImages" / "a.jpg").write_bytes(encode(pixels(40, 32, 1), "JPEG"))
    (root / "Annotations" / "a.xml").write_text(xml)
    try:
        reader = VocReader(root)
    except AugcliError:
        return
    for key in reader.keys():
        try:
            reader.load(key)
        except AugcliError:
            pass
