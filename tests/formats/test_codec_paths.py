"""The fast image paths write Pillow's exact bytes: cv2.imencode for JPEG, one encode per task.

``AUGCLI_REFERENCE_CODEC=1`` turns both off; an expand run must write the same
tree with and without it, whatever the worker count.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

import augcli
from augcli.formats import images, jpeg_codec
from augcli.formats.images import encode_image, shared_encodes

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "sample_data" / "images" / "street_01.jpg"
QUALITIES = [1, 10, 35, 50, 70, 75, 85, 90, 95, 99, 100]
SUBSAMPLINGS = [0, 1, 2, None]  # 4:4:4, 4:2:2, 4:2:0, Pillow's default


def photo(channels: int, size: tuple[int, int] | None = None) -> np.ndarray:
    with Image.open(PHOTO) as im:
        rgb = im.convert("RGB")
        if size:
            rgb = rgb.resize(size)
        pixels = np.asarray(rgb)
    return np.ascontiguousarray(pixels[:, :, 1]) if channels == 1 else pixels


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("subsampling", SUBSAMPLINGS)
@pytest.mark.parametrize("quality", QUALITIES)
def test_opencv_jpeg_is_byte_identical_to_pillow(quality, subsampling, channels) -> None:
    # an odd size: partial MCUs at the right and bottom edges
    pixels = photo(channels, (317, 203))
    reference = jpeg_codec.pillow_jpeg(pixels, quality, subsampling)
    fast = jpeg_codec.fast_jpeg(pixels, quality, subsampling)
    assert fast is not None, "this OpenCV and Pillow disagree: the fast path is off here"
    assert fast == reference
    info = {"format": "JPEG", "mode": "L" if channels == 1 else "RGB", "jpeg_subsampling": subsampling}
    assert encode_image(pixels, info, jpeg_quality=quality) == reference


def test_a_combination_the_probe_disproves_falls_back_to_pillow(monkeypatch) -> None:
    pixels = photo(3)
    monkeypatch.setattr(jpeg_codec, "_proven", {})
    monkeypatch.setattr(jpeg_codec, "_cv2_jpeg", lambda *args: b"not what Pillow writes")
    assert jpeg_codec.fast_jpeg(pixels, 90, 2) is None
    data = encode_image(pixels, {"format": "JPEG", "mode": "RGB", "jpeg_subsampling": 2}, jpeg_quality=90)
    assert data == jpeg_codec.pillow_jpeg(pixels, 90, 2)


def test_what_opencv_cannot_write_goes_through_pillow(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(jpeg_codec, "_cv2_jpeg", lambda *args: calls.append(args))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb = photo(3)
    with_icc = encode_image(rgb, {"format": "JPEG", "mode": "RGB", "icc_profile": profile})
    assert Image.open(io.BytesIO(with_icc)).info["icc_profile"] == profile
    encode_image(np.dstack([rgb, rgb[:, :, :1]]), {"format": "JPEG", "mode": "RGBA"})  # alpha dropped
    encode_image(rgb, {"format": "PNG", "mode": "RGB"})
    assert calls == []


def test_reference_switch_turns_the_fast_path_off(monkeypatch) -> None:
    monkeypatch.setenv(jpeg_codec.REFERENCE_ENV, "1")
    monkeypatch.setattr(jpeg_codec, "_cv2_jpeg", lambda *args: pytest.fail("OpenCV used"))
    encode_image(photo(3), {"format": "JPEG", "mode": "RGB"})


def test_one_encode_per_array_within_a_task(monkeypatch) -> None:
    encodes = []
    real = images._encode
    monkeypatch.setattr(images, "_encode", lambda *args: encodes.append(args[2:]) or real(*args))
    rgb, other = photo(3), photo(3).copy()
    info = {"format": "JPEG", "mode": "RGB", "jpeg_subsampling": 2}
    with shared_encodes():
        first = encode_image(rgb, info, jpeg_quality=90)
        assert encode_image(rgb, dict(info), jpeg_quality=90) is first
        assert encode_image(rgb, info, jpeg_quality=80) != first  # another quality: its own encode
        assert encode_image(rgb, {**info, "jpeg_subsampling": 0}, jpeg_quality=90) != first
        assert encode_image(other, info, jpeg_quality=90) == first  # same pixels, another object
    assert len(encodes) == 4
    encode_image(rgb, info, jpeg_quality=90)  # outside a task nothing is remembered
    assert len(encodes) == 5


def test_encode_memo_is_per_task_and_nests() -> None:
    rgb = photo(3)
    info = {"format": "PNG", "mode": "RGB"}
    with shared_encodes():
        with shared_encodes():
            encode_image(rgb, info)
            assert images._shared
        assert not images._shared
    assert images._shared is None


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def mixed_jpeg_dataset(root: Path) -> Path:
    """JPEGs of every subsampling, greyscale and one with an ICC profile, plus a PNG, with polygons."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb = photo(3, (160, 120))
    files = {
        "s444.jpg": (rgb, {"subsampling": 0, "quality": 92}),
        "s422.jpg": (rgb[::-1], {"subsampling": 1, "quality": 80}),
        "s420.jpg": (rgb[:, ::-1], {"subsampling": 2, "quality": 70}),
        "grey.jpg": (np.ascontiguousarray(rgb[:, :, 0]), {"quality": 85}),
        "icc.jpg": (rgb, {"icc_profile": profile, "quality": 90}),
        "plain.png": (rgb, {}),
    }
    (root / "images").mkdir(parents=True)
    entries, annotations = [], []
    for n, (name, (pixels, options)) in enumerate(files.items(), start=1):
        Image.fromarray(pixels).save(root / "images" / name, **options)
        entries.append({"id": n, "file_name": name, "width": 160, "height": 120})
        ring = [20.0, 20.0, 120.5, 30.25, 100.0, 100.0, 30.0, 90.0]
        annotations.append(
            {"id": n, "image_id": n, "category_id": 1, "segmentation": [ring], "bbox": [20, 20, 100.5, 80]}
        )
        annotations[-1].update(area=6000.0, iscrowd=0)
    doc = {"images": entries, "annotations": annotations, "categories": [{"id": 1, "name": "thing"}]}
    (root / "annotations").mkdir()
    (root / "annotations" / "instances.json").write_text(json.dumps(doc))
    return root / "annotations" / "instances.json"


RECIPES = {
    "identity": {"version": 1, "seed": 0, "copies": 3, "keep_original": False, "pipeline": []},
    "sometimes": {
        "version": 1,
        "seed": 5,
        "copies": 4,
        "pipeline": [
            {"HorizontalFlip": {"p": 0.5}},
            {"Affine": {"rotate": [-10, 10], "p": 0.3}},
            {"RandomBrightnessContrast": {"p": 0.3}},
        ],
    },
}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
@pytest.mark.parametrize("dataset", ["sample_data", "mixed_jpegs"])
def test_fast_paths_write_the_reference_tree(recipe, dataset, sample_dataset, tmp_path, monkeypatch) -> None:
    source = sample_dataset if dataset == "sample_data" else mixed_jpeg_dataset(tmp_path / "mixed")
    fast1 = augcli.expand(source, RECIPES[recipe], tmp_path / "fast1", workers=1)
    augcli.expand(source, RECIPES[recipe], tmp_path / "fast2", workers=2)
    monkeypatch.setenv(jpeg_codec.REFERENCE_ENV, "1")  # the workers inherit it
    augcli.expand(source, RECIPES[recipe], tmp_path / "reference", workers=1)
    assert not fast1.skipped
    reference = tree_digest(tmp_path / "reference")
    assert tree_digest(tmp_path / "fast1") == reference
    assert tree_digest(tmp_path / "fast2") == reference
    if recipe == "identity":  # every copy is the same pixels: the same bytes
        copies = {}
        for name, digest in reference.items():
            if "__aug" in name:
                copies.setdefault(name.split("__aug")[0], set()).add(digest)
        assert copies and all(len(digests) == 1 for digests in copies.values())
