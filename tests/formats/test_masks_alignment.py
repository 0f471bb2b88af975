"""Semantic masks still match their pixels after every geometric transform, through the files.

Two mask-folder datasets are painted on disk, each class in its own colour:
one with a palette mask and a 16-bit greyscale mask (``classes.txt``), one
with colour-coded RGB masks (Datumaro ``dataset_meta.json``, whose ignore
value is the background). Each registered geometric transform (p = 1,
nearest) is applied, the writer writes the result, a fresh reader reads it
back, and every pixel's class must be its colour's class; black pixels
(background or new border) may only be background or the ignore index.
The masks must come back stored as they were (mode, palette, bit depth).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from geometric_cases import GEOMETRIC, SEEDS, H, W, transformed
from PIL import Image

from augcli.formats.labelmaps import voc_palette_bytes
from augcli.formats.masks.reader import MaskFolderReader
from augcli.formats.masks.writer import MaskFolderWriter

COLOURS = np.array([(0, 0, 0), (230, 30, 30), (30, 200, 60), (40, 60, 230), (114, 114, 114)], float)
CLASS_COLOURS = [(0, 0, 0), (128, 0, 0), (0, 128, 0), (0, 0, 128)]  # the masks' own colour code
WIDE = {1: 1000, 2: 2000, 3: 3000}  # 16-bit class values


def scene() -> tuple[np.ndarray, np.ndarray]:
    """(image, class map 0..3): a rectangle, an ellipse and a triangle."""
    classes = np.zeros((H, W), np.uint8)
    classes[15:60, 20:75] = 1
    blob = np.zeros((H, W), np.uint8)
    cv2.ellipse(blob, (110, 45), (30, 18), 20, 0, 360, 1, -1)
    classes[blob.astype(bool)] = 2
    cv2.fillPoly(classes, [np.array([[30, 110], [90, 70], [120, 112]], np.int32)], 3)
    return COLOURS[classes].astype(np.uint8), classes


def build_datasets(root: Path) -> dict[str, Path]:
    image, classes = scene()
    plain, coded = root / "plain", root / "coded"
    for folder in (plain, coded):
        (folder / "images").mkdir(parents=True)
        (folder / "masks").mkdir()
        Image.fromarray(image).save(folder / "images" / "a.png")
    palette = Image.fromarray(classes, "P")
    palette.putpalette(voc_palette_bytes())
    palette.save(plain / "masks" / "a.png")
    Image.fromarray(image).save(plain / "images" / "wide.png")
    wide = np.zeros((H, W), np.uint16)
    for value, stored in WIDE.items():
        wide[classes == value] = stored
    Image.fromarray(wide).save(plain / "masks" / "wide.png")
    (plain / "classes.txt").write_text("background\nbox\nblob\ntriangle\n")
    Image.fromarray(np.array(CLASS_COLOURS, np.uint8)[classes]).save(coded / "masks" / "a.png")
    meta = {
        "label_map": {"0": "background", "1": "box", "2": "blob", "3": "triangle"},
        "segmentation_colors": [list(c) for c in CLASS_COLOURS],
        "background_label": "0",
    }
    (coded / "dataset_meta.json").write_text(json.dumps(meta))
    return {"plain": plain, "coded": coded}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, Path]:
    return build_datasets(tmp_path_factory.mktemp("mask_scene"))


def colour_index(image: np.ndarray) -> np.ndarray:
    dist = ((image[:, :, None, :3].astype(np.float64) - COLOURS) ** 2).sum(-1)
    return dist.argmin(-1)


def check(sample, values: dict[int, int], ignore: int) -> None:
    index = colour_index(sample.image)
    semantic = sample.semantic
    for colour, value in values.items():
        assert (semantic[index == colour] == value).all(), f"class {value} disagrees with its colour"
        assert (index[semantic == value] == colour).all(), f"class {value} spills outside its colour"
    assert np.isin(semantic[(index == 0) | (index == 4)], [0, ignore]).all()


def round_trip(source: Path, out: Path, name: str, seed: int) -> dict:
    reader = MaskFolderReader(source)
    writer = MaskFolderWriter(reader, out)
    for key in reader.keys():
        moved, _ = transformed(reader.load(key), name, seed)
        writer.write_item(key, 1, moved)
    writer.finalize([])
    again = MaskFolderReader(out)
    assert again.problems == []
    return {key: again.load(key.replace(".png", "__aug1.png")) for key in reader.keys()}


@pytest.mark.parametrize("name", GEOMETRIC)
def test_masks_follow_pixels_through_the_files(name, datasets, tmp_path):
    for seed in SEEDS:
        plain = round_trip(datasets["plain"], tmp_path / "plain", name, seed)
        check(plain["a.png"], {1: 1, 2: 2, 3: 3}, 255)
        assert plain["a.png"].meta["semantic_info"]["mode"] == "P"
        check(plain["wide.png"], WIDE, 255)
        assert plain["wide.png"].semantic.dtype == np.uint16
        coded = round_trip(datasets["coded"], tmp_path / "coded", name, seed)
        check(coded["a.png"], {1: 1, 2: 2, 3: 3}, 0)
        assert coded["a.png"].meta["semantic_info"]["mode"] == "RGB"
        shutil.rmtree(tmp_path / "plain")
        shutil.rmtree(tmp_path / "coded")


def test_the_check_catches_a_shifted_mask(datasets):
    sample = MaskFolderReader(datasets["plain"]).load("a.png")
    check(sample, {1: 1, 2: 2, 3: 3}, 255)
    with pytest.raises(AssertionError):
        check(sample.replace(semantic=np.roll(sample.semantic, 2, axis=0)), {1: 1, 2: 2, 3: 3}, 255)
