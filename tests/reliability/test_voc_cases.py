"""Broken and hostile Pascal VOC annotations: each costs only its own item or object."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from reliability_helpers import encode, pixels, tree_digest

import augcli

RECIPE = {"version": 1, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}
W, H = 40, 32


def _object(name: str, box: tuple) -> str:
    xmin, ymin, xmax, ymax = box
    return (
        f"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{xmin}</xmin>"
        f"<ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>"
    )


def _xml(name: str, objects: str, size: str | None = None, head: str = "") -> str:
    size = f"<size><width>{W}</width><height>{H}</height><depth>3</depth></size>" if size is None else size
    return f"{head}<annotation><filename>{name}.jpg</filename>{size}{objects}</annotation>"


def make_voc(root: Path, victim_xml: str | None = None) -> Path:
    """Three items a, b, c; the victim ``b`` gets ``victim_xml`` when given."""
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    for i, item in enumerate("abc"):
        (root / "JPEGImages" / f"{item}.jpg").write_bytes(encode(pixels(W, H, i), "JPEG"))
        text = _xml(item, _object("cat", (3, 4, 20, 18)) + _object("dog", (22, 10, 38, 30)))
        (root / "Annotations" / f"{item}.xml").write_text(
            victim_xml if item == "b" and victim_xml is not None else text
        )
    return root


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY a "lollollollollol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
    + "]><annotation><filename>b.jpg</filename><name>&i;</name></annotation>"
)


def _external(target: Path) -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY x SYSTEM "file://{target}">]>'
        f"<annotation><filename>b.jpg</filename>{_object('&x;', (3, 4, 20, 18))}</annotation>"
    )


ITEM_CASES = {
    "malformed XML": "<annotation><filename>b.jpg</filename><object>",
    "not XML at all": "\x00\x01 binary junk",
    "empty file": "",
    "wrong root element": "<labels><box/></labels>",
    "billion laughs": BILLION_LAUGHS,
    "parameter entity": (
        '<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY % p "x">]>'
        "<annotation><filename>b.jpg</filename></annotation>"
    ),
}

OBJECT_CASES = {
    "xmin > xmax": _object("cat", (20, 4, 3, 18)),
    "ymin > ymax": _object("cat", (3, 18, 20, 4)),
    "zero-width box": _object("cat", (5, 4, 4, 18)),
    "box coordinate not a number": _object("cat", ("ten", 4, 20, 18)),
    "box coordinate missing": "<object><name>cat</name><bndbox><xmin>1</xmin><ymin>2</ymin></bndbox></object>",
    "object without a name": "<object><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>",
    "object without a bndbox": "<object><name>cat</name></object>",
    "NaN coordinate": _object("cat", ("nan", 4, 20, 18)),
}


def _run(root: Path, tmp_path: Path):
    before = tree_digest(root)
    report = augcli.expand(root, RECIPE, tmp_path / "out", workers=1, debug=True)
    assert tree_digest(root) == before
    return report


@pytest.mark.parametrize("name", sorted(ITEM_CASES))
def test_an_unreadable_annotation_file_costs_only_its_item(name, tmp_path):
    root = make_voc(tmp_path / "voc", ITEM_CASES[name])
    started = time.monotonic()
    report = _run(root, tmp_path)
    assert time.monotonic() - started < 20
    rows = [s for s in report.skipped if s["image"] == "b"]
    assert len(rows) == 1 and rows[0]["file"].endswith("b.xml"), report.skipped
    assert len(report.skipped) == 1
    assert report.images_out == 2 * 2  # a and c, original + 1 copy
    assert not (tmp_path / "out" / "JPEGImages" / "b__aug1.jpg").exists()


@pytest.mark.parametrize("name", sorted(OBJECT_CASES))
def test_a_broken_object_costs_only_that_object(name, tmp_path):
    objects = _object("dog", (22, 10, 38, 30)) + OBJECT_CASES[name]
    root = make_voc(tmp_path / "voc", _xml("b", objects))
    report = _run(root, tmp_path)
    assert len(report.skipped) == 1, report.skipped
    row = report.skipped[0]
    assert row["image"] == "b" and row["annotation"] == "object 2" and row["file"].endswith("b.xml")
    assert report.images_out == 3 * 2  # b itself is still augmented
    written = (tmp_path / "out" / "Annotations" / "b__aug1.xml").read_text()
    assert written.count("<object>") == 1 and "dog" in written


def test_an_external_entity_is_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    root = make_voc(tmp_path / "voc", _external(secret))
    report = _run(root, tmp_path)
    assert [s["image"] for s in report.skipped] == ["b"]
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert b"TOP-SECRET" not in path.read_bytes(), path


@pytest.mark.parametrize(
    "size",
    [
        "",
        "<size><width>0</width><height>x</height></size>",
        "<size><width>40.5</width><height>32</height></size>",
    ],
)
def test_a_missing_or_unusable_size_is_taken_from_the_image(size, tmp_path):
    root = make_voc(tmp_path / "voc", _xml("b", _object("cat", (3, 4, 20, 18)), size=size))
    report = _run(root, tmp_path)
    assert report.skipped == [] and report.images_out == 6
    written = (tmp_path / "out" / "Annotations" / "b__aug1.xml").read_text()
    assert f"<width>{W}</width>" in written and f"<height>{H}</height>" in written


def test_a_size_disagreeing_with_the_image_skips_the_item(tmp_path):
    size = f"<size><width>{W * 2}</width><height>{H * 3}</height><depth>3</depth></size>"
    root = make_voc(tmp_path / "voc", _xml("b", _object("cat", (3, 4, 20, 18)), size=size))
    report = _run(root, tmp_path)
    assert [s["image"] for s in report.skipped] == ["b"]
    assert report.images_out == 4
