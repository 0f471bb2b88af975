"""VOC labels still match their pixels after every geometric transform, through the files.

A small VOC dataset is painted on disk: item ``det`` has two box objects
(a cat, and a person with a head part painted in its own colour); item
``seg`` has a cat rectangle and a dog ellipse with SegmentationClass and
SegmentationObject PNGs, a void (255) ring around the dog painted grey.
Each registered geometric transform (p = 1, nearest) is applied to the
loaded sample; the VOC writer writes it and a fresh VOC reader reads the
output back. Then, on the read-back item:

- every object's box holds its colour's pixels, a part's box holds the
  part's pixels, and an object cut by the border is ``truncated``;
- the class map equals the class of each pixel's colour, void where grey,
  and only 0 or 255 where the image is black;
- object map value ``i + 1`` covers exactly the pixels of XML object ``i``'s
  colour, and masked objects' boxes hug their mask.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from geometric_cases import (
    GEOMETRIC,
    SEEDS,
    H,
    W,
    assert_box_holds,
    is_grid,
    max_zoom,
    pixel_bounds,
    transformed,
)
from PIL import Image

from augcli.formats.labelmaps import voc_palette_bytes
from augcli.formats.voc.reader import VocReader
from augcli.formats.voc.writer import VocWriter
from augcli.geometry import rle
from augcli.geometry.warp import MatrixWarp

RED, GREEN, BLUE, YELLOW, GREY = (230, 30, 30), (30, 200, 60), (40, 60, 230), (240, 220, 30), (128, 128, 128)
COLOURS = np.array([(0, 0, 0), RED, GREEN, BLUE, YELLOW, GREY], dtype=np.float64)
CAT, DOG, PERSON = 8, 12, 15  # VOC class indices
CLASS_OF_COLOUR = {1: CAT, 2: PERSON, 4: DOG}
CAT_BOX, PERSON_BOX, HEAD_BOX = (20, 15, 70, 55), (90, 30, 140, 100), (105, 35, 125, 55)


def _object(name: str, box, part=None) -> str:
    x0, y0, x1, y1 = box
    bndbox = f"<bndbox><xmin>{x0 + 1}</xmin><ymin>{y0 + 1}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox>"
    part_xml = ""
    if part is not None:
        px0, py0, px1, py1 = part
        part_xml = (
            f"<part><name>head</name><bndbox><xmin>{px0 + 1}</xmin><ymin>{py0 + 1}</ymin>"
            f"<xmax>{px1}</xmax><ymax>{py1}</ymax></bndbox></part>"
        )
    return (
        f"<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated>"
        f"<difficult>0</difficult>{bndbox}{part_xml}</object>"
    )


def _xml(name: str, objects: list[str], segmented: int) -> str:
    return (
        f"<annotation><folder>VOC</folder><filename>{name}.png</filename><size><width>{W}</width>"
        f"<height>{H}</height><depth>3</depth></size><segmented>{segmented}</segmented>"
        + "".join(objects)
        + "</annotation>"
    )


def _palette_png(path: Path, values: np.ndarray) -> None:
    image = Image.fromarray(values.astype(np.uint8), "P")
    image.putpalette(voc_palette_bytes())
    image.save(path)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("voc_scene"))


def build_dataset(root: Path) -> Path:
    for folder in ("Annotations", "JPEGImages", "SegmentationClass", "SegmentationObject"):
        (root / folder).mkdir(parents=True)
    det = np.zeros((H, W, 3), np.uint8)
    det[CAT_BOX[1] : CAT_BOX[3], CAT_BOX[0] : CAT_BOX[2]] = RED
    det[PERSON_BOX[1] : PERSON_BOX[3], PERSON_BOX[0] : PERSON_BOX[2]] = GREEN
    det[HEAD_BOX[1] : HEAD_BOX[3], HEAD_BOX[0] : HEAD_BOX[2]] = BLUE
    Image.fromarray(det).save(root / "JPEGImages" / "det.png")
    (root / "Annotations" / "det.xml").write_text(
        _xml("det", [_object("cat", CAT_BOX), _object("person", PERSON_BOX, HEAD_BOX)], 0)
    )

    seg = np.zeros((H, W, 3), np.uint8)
    classes = np.zeros((H, W), np.uint8)
    objects = np.zeros((H, W), np.uint8)
    seg[CAT_BOX[1] : CAT_BOX[3], CAT_BOX[0] : CAT_BOX[2]] = RED
    classes[CAT_BOX[1] : CAT_BOX[3], CAT_BOX[0] : CAT_BOX[2]] = CAT
    objects[CAT_BOX[1] : CAT_BOX[3], CAT_BOX[0] : CAT_BOX[2]] = 1
    ring = np.zeros((H, W), np.uint8)
    cv2.ellipse(ring, (112, 72), (32, 24), 25, 0, 360, 1, -1)
    dog = np.zeros((H, W), np.uint8)
    cv2.ellipse(dog, (112, 72), (29, 21), 25, 0, 360, 1, -1)
    ring, dog = ring.astype(bool) & ~dog.astype(bool), dog.astype(bool)
    seg[dog], classes[dog], objects[dog] = YELLOW, DOG, 2
    seg[ring], classes[ring], objects[ring] = GREY, 255, 255
    Image.fromarray(seg).save(root / "JPEGImages" / "seg.png")
    _palette_png(root / "SegmentationClass" / "seg.png", classes)
    _palette_png(root / "SegmentationObject" / "seg.png", objects)
    dog_box = pixel_bounds(dog).astype(int)
    (root / "Annotations" / "seg.xml").write_text(
        _xml("seg", [_object("cat", CAT_BOX), _object("dog", tuple(dog_box))], 1)
    )
    return root


def colour_index(image: np.ndarray) -> np.ndarray:
    dist = ((image[:, :, None, :3].astype(np.float64) - COLOURS) ** 2).sum(-1)
    return dist.argmin(-1)


def round_trip(dataset: Path, out: Path, name: str, seed: int):
    """Transform each item, write it as copy 1, read the output back: [(read-back, warp)]."""
    reader = VocReader(dataset)
    writer = VocWriter(reader, out)
    warps = {}
    for key in reader.keys():
        moved, warps[key] = transformed(reader.load(key), name, seed)
        writer.write_item(key, 1, moved)
    again = VocReader(out)
    assert again.problems == []
    return {key: (again.load(f"{key}__aug1"), warps[key]) for key in reader.keys()}


def check_detection(sample, warp) -> None:
    index = colour_index(sample.image)
    slack = 1.0 + 0.75 * max_zoom(warp)
    names = {CAT: "cat", PERSON: "person"}
    inst = sample.instances
    present = {int(label): row for row, label in enumerate(inst.labels)}
    assert set(present) <= set(names)
    for label, pixels in ((CAT, index == 1), (PERSON, (index == 2) | (index == 3))):
        if label not in present:
            assert pixels.sum() <= 0.02 * 2000, f"{names[label]} dropped but still visible"
            continue
        row = present[label]
        assert_box_holds(inst.boxes[row], pixels, slack, names[label])
        truncated = "<truncated>1</truncated>" in inst.extra["voc_object"][row]
        touches = pixels[0].any() or pixels[-1].any() or pixels[:, 0].any() or pixels[:, -1].any()
        if touches and pixels.sum() < _full_area(label, warp):
            assert truncated, f"{names[label]} is cut by the border but not truncated"
    if PERSON in present:
        parts = inst.part_boxes[present[PERSON]]
        head = index == 3
        if head.sum() > 4:
            assert parts is not None and len(parts) == 1, "the head part was lost"
            assert_box_holds(parts[0], head, slack, "head part")
        elif parts is not None:
            assert len(parts) <= 1


def _full_area(label: int, warp) -> float:
    """A generous lower bound of the object's area had it not been cut (scaled by the warp)."""
    box = CAT_BOX if label == CAT else PERSON_BOX
    area = (box[2] - box[0]) * (box[3] - box[1])
    if is_grid(warp):
        return 0.8 * area
    return 0.95 * area * abs(np.linalg.det(warp.matrix[:2, :2]))


def check_segmentation(sample, warp) -> None:
    index = colour_index(sample.image)
    classes = sample.semantic
    for colour, label in CLASS_OF_COLOUR.items():
        assert (classes[index == colour] == label).all(), f"class {label} pixels disagree with colour"
        assert (index[classes == label] == colour).all()
    assert (classes[index == 5] == 255).all(), "the void ring lost its 255"
    assert np.isin(classes[index == 0], [0, 255]).all()
    inst = sample.instances
    colour_of = {CAT: 1, DOG: 4}
    for row, label in enumerate(inst.labels):
        mask = inst.masks[row]
        pixels = index == colour_of[int(label)]
        if mask is None:
            assert pixels.sum() == 0
            continue
        decoded = rle.decode(mask)
        assert np.array_equal(decoded, pixels), f"object {row + 1}'s ids are not its colour's pixels"
        np.testing.assert_allclose(inst.boxes[row], pixel_bounds(decoded), atol=1.0)


@pytest.mark.parametrize("name", GEOMETRIC)
def test_voc_labels_follow_pixels_through_the_files(name, dataset, tmp_path):
    for seed in SEEDS:
        out = tmp_path / f"out{seed}"
        results = round_trip(dataset, out, name, seed)
        check_detection(*results["det"])
        check_segmentation(*results["seg"])
        shutil.rmtree(out)


def test_the_checks_pass_untouched_and_catch_a_shifted_box(dataset, tmp_path):
    identity = MatrixWarp(np.eye(3), (W, H))
    reader = VocReader(dataset)
    det, seg = reader.load("det"), reader.load("seg")
    check_detection(det, identity)
    check_segmentation(seg, identity)
    shifted = det.instances.replace(boxes=det.instances.boxes + [4.0, 0.0, 4.0, 0.0])
    with pytest.raises(AssertionError):
        check_detection(det.replace(instances=shifted), identity)
    moved_ids = seg.replace(semantic=np.roll(seg.semantic, 3, axis=1))
    with pytest.raises(AssertionError):
        check_segmentation(moved_ids, identity)
