"""``output.jpeg_quality: source``: copies reuse their JPEG input's quantization tables."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augcli
from augcli.core.errors import RecipeError
from augcli.formats.images import decode_image, encode_image
from augcli.recipe.recipe import recipe_from_dict

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "sample_data" / "images" / "street_01.jpg"


def web_export(root: Path, quality: int = 75, grey: bool = False) -> Path:
    """One 640x480 photo saved at ``quality`` (a typical web export), as a COCO dataset."""
    with Image.open(PHOTO) as im:
        picture = im.convert("L" if grey else "RGB").resize((640, 480), Image.Resampling.BICUBIC)
    (root / "images").mkdir(parents=True)
    picture.save(root / "images" / "photo.jpg", quality=quality)
    doc = {
        "images": [{"id": 1, "file_name": "photo.jpg", "width": 640, "height": 480}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [100, 80, 200, 150],
                "area": 30000,
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    (root / "annotations").mkdir()
    (root / "annotations" / "instances.json").write_text(json.dumps(doc))
    return root / "annotations" / "instances.json"


def recipe(quality, pipeline=(), copies: int = 4) -> dict:
    return {
        "version": 1,
        "copies": copies,
        "keep_original": False,
        "output": {"jpeg_quality": quality},
        "pipeline": list(pipeline),
    }


def copies_of(out: Path) -> list[Path]:
    return sorted(out.rglob("photo__aug*.jpg"))


def qtables(path: Path) -> dict:
    with Image.open(path) as im:
        return {k: list(v) for k, v in im.quantization.items()}


@pytest.mark.parametrize("quality", [50, 75, 90])
def test_copies_keep_the_source_size_and_tables(quality, tmp_path):
    source = web_export(tmp_path / "data", quality)
    photo = source.parent.parent / "images" / "photo.jpg"
    augcli.expand(source, recipe("source"), tmp_path / "kept", workers=1)
    augcli.expand(source, recipe(95), tmp_path / "q95", workers=1)
    kept, q95 = copies_of(tmp_path / "kept"), copies_of(tmp_path / "q95")
    assert len(kept) == len(q95) == 4
    size = photo.stat().st_size
    for path in kept:  # the same pixels through the same tables: the source's size
        assert qtables(path) == qtables(photo)
        assert abs(path.stat().st_size / size - 1) < 0.05
    if quality <= 75:  # what quality 95 costs instead (the web export grew 9x with 4 copies)
        assert all(path.stat().st_size > 1.4 * size for path in q95)


def test_augmented_copies_stay_near_the_source_size(tmp_path):
    source = web_export(tmp_path / "data", 75)
    size = (source.parent.parent / "images" / "photo.jpg").stat().st_size
    flips = [{"HorizontalFlip": {"p": 1.0}}, {"RandomBrightnessContrast": {"p": 1.0}}]
    augcli.expand(source, recipe("source", flips), tmp_path / "out", workers=1)
    for path in copies_of(tmp_path / "out"):
        assert abs(path.stat().st_size / size - 1) < 0.15
        assert qtables(path) == qtables(source.parent.parent / "images" / "photo.jpg")


def test_greyscale_source_keeps_its_single_table(tmp_path):
    source = web_export(tmp_path / "data", 60, grey=True)
    photo = source.parent.parent / "images" / "photo.jpg"
    augcli.expand(source, recipe("source", copies=1), tmp_path / "out", workers=1)
    (copy,) = copies_of(tmp_path / "out")
    assert len(qtables(photo)) == 1 and qtables(copy) == qtables(photo)
    assert Image.open(copy).mode == "L"


def test_source_quality_is_deterministic_across_workers(tmp_path):
    source = web_export(tmp_path / "data", 75)
    flips = [{"HorizontalFlip": {"p": 0.5}}, {"GaussianBlur": {"p": 0.5}}]
    for workers in (1, 2):
        augcli.expand(source, recipe("source", flips), tmp_path / f"w{workers}", workers=workers)
    digests = [
        {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in copies_of(tmp_path / f"w{w}")}
        for w in (1, 2)
    ]
    assert digests[0] == digests[1] and len(digests[0]) == 4


def test_a_source_that_is_no_jpeg_falls_back_to_quality_95(tmp_path):
    pixels = np.asarray(Image.open(PHOTO).convert("RGB"))
    png = tmp_path / "photo.png"
    Image.fromarray(pixels).save(png)
    _, info = decode_image(png)
    assert info["jpeg_qtables"] is None
    written = encode_image(pixels, info, jpeg_quality="source", fmt="JPEG")
    assert written == encode_image(pixels, info, jpeg_quality=95, fmt="JPEG")
    # a PNG stays a PNG, whatever the JPEG setting says
    assert encode_image(pixels, info, jpeg_quality="source") == encode_image(pixels, info)


def test_recipe_accepts_source_and_refuses_other_words():
    assert recipe_from_dict(recipe("source")).jpeg_quality == "source"
    with pytest.raises(RecipeError) as caught:
        recipe_from_dict(recipe("best"))
    assert "jpeg_quality" in str(caught.value.problems)
