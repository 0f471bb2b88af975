"""Pillow decode/encode: modes, palettes, 16 bits, JPEG quality and the EXIF orientation policy."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
import pytest
from conformance import conformance
from format_helpers import noise_image
from PIL import Image

from augcli.core.errors import ImageReadError, OutputError
from augcli.formats.coco import CocoReader, CocoWriter
from augcli.formats.images import EXIF_ORIENTATION, decode_image, encode_image

EXIF_DIR = "exif_orientation"
MMCV_DIR = "mmcv_images"


@functools.cache
def upright(kind: str) -> np.ndarray:
    return np.asarray(Image.open(conformance(EXIF_DIR) / f"{kind}_1.jpg").convert("RGB"))


def mean_difference(a: np.ndarray, b: np.ndarray, step: int = 1) -> float:
    """Mean absolute difference, on every ``step``-th row and column (big photos)."""
    a, b = a[::step, ::step], b[::step, ::step]
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("kind, displayed", [("Landscape", (1800, 1200)), ("Portrait", (1200, 1800))])
@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_transposed_files_are_oriented_when_labels_say_so(kind, displayed, orientation) -> None:
    pixels, info = decode_image(conformance(EXIF_DIR) / f"{kind}_{orientation}.jpg", expected_size=displayed)
    assert info["exif_applied"] and info["exif_orientation"] == orientation
    assert pixels.shape == (displayed[1], displayed[0], 3)
    # the same photo as the untagged upright file, up to JPEG noise (a wrong turn differs by far more)
    assert mean_difference(pixels, upright(kind), step=7) < 8
    assert mean_difference(np.rot90(pixels, 2), upright(kind), step=7) > 25
    assert mean_difference(pixels[:, ::-1], upright(kind), step=7) > 25


@pytest.mark.parametrize("kind, displayed", [("Landscape", (1800, 1200)), ("Portrait", (1200, 1800))])
@pytest.mark.parametrize("orientation", [0, 1, 2, 3, 4])
def test_files_matching_their_labels_are_used_as_stored(kind, displayed, orientation) -> None:
    path = conformance(EXIF_DIR) / f"{kind}_{orientation}.jpg"
    pixels, info = decode_image(path, expected_size=displayed)
    assert not info["exif_applied"]
    assert np.array_equal(pixels, np.asarray(Image.open(path)))


@pytest.mark.parametrize("name", ["Landscape_1.jpg", "Landscape_3.jpg", "Landscape_6.jpg"])
def test_size_disagreeing_with_labels_is_refused(name: str) -> None:
    with pytest.raises(ImageReadError, match="labels say 1000x700"):
        decode_image(conformance(EXIF_DIR) / name, expected_size=(1000, 700))


def test_swapped_size_without_a_transposing_tag_is_refused() -> None:
    with pytest.raises(ImageReadError):
        decode_image(conformance(EXIF_DIR) / "Landscape_3.jpg", expected_size=(1200, 1800))


def test_reader_and_writer_follow_the_exif_policy(make_coco, tmp_path: Path) -> None:
    image = np.asarray(Image.open(conformance(EXIF_DIR) / "Landscape_6.jpg"))
    root = tmp_path / "dataset"
    (root / "images" / "train").mkdir(parents=True)
    (root / "images" / "train" / "photo.jpg").write_bytes(
        (conformance(EXIF_DIR) / "Landscape_6.jpg").read_bytes()
    )
    coco = {
        "categories": [{"id": 1, "name": "x"}],
        "images": [{"id": 1, "file_name": "photo.jpg", "width": 1800, "height": 1200}],
        "annotations": [],
    }
    ann = make_coco(coco, {}, root=root)
    reader = CocoReader(ann)
    sample = reader.load("photo.jpg")
    assert sample.image.shape == (1200, 1800, 3) and image.shape == (1800, 1200, 3)
    assert sample.meta["exif_applied"]

    writer = CocoWriter(reader, tmp_path / "out")
    writer.write_original("photo.jpg")
    writer.write_item("photo.jpg", 1, sample)
    original = writer.out / writer.output_relpath("photo.jpg", 0)
    assert original.read_bytes() == (conformance(EXIF_DIR) / "Landscape_6.jpg").read_bytes()
    with Image.open(writer.out / writer.output_relpath("photo.jpg", 1)) as written:
        assert written.size == (1800, 1200)
        assert written.getexif().get(EXIF_ORIENTATION) is None
        assert mean_difference(np.asarray(written), sample.image, step=5) < 3


LOSSLESS_CASES = {
    "rgb png": (noise_image(17, 11), "PNG"),
    "grey png": (noise_image(17, 11, channels=1), "PNG"),
    "rgba png": (noise_image(17, 11, channels=4), "PNG"),
    "16-bit png": (np.random.default_rng(3).integers(0, 65536, (11, 17), dtype=np.uint16), "PNG"),
    "rgb bmp": (noise_image(17, 11), "BMP"),
    "rgb tiff": (noise_image(17, 11), "TIFF"),
}


@pytest.mark.parametrize("case", sorted(LOSSLESS_CASES))
def test_lossless_formats_round_trip_exactly(case: str, tmp_path: Path) -> None:
    pixels, fmt = LOSSLESS_CASES[case]
    path = tmp_path / f"x.{fmt.lower()}"
    Image.fromarray(pixels).save(path, format=fmt)
    decoded, info = decode_image(path)
    assert decoded.dtype == pixels.dtype and np.array_equal(decoded, pixels)
    encoded = encode_image(decoded, info)
    again, again_info = decode_image(_write(tmp_path / f"y.{fmt.lower()}", encoded))
    assert again_info["format"] == fmt and again_info["mode"] == info["mode"]
    assert np.array_equal(again, pixels)


def test_palette_images_keep_their_palette() -> None:
    decoded, info = decode_image(conformance(MMCV_DIR) / "palette.gif")
    assert info["mode"] == "P" and decoded.ndim == 3
    flipped = np.ascontiguousarray(decoded[:, ::-1])
    with Image.open(io.BytesIO(encode_image(flipped, info))) as written:
        assert written.format == "GIF" and written.mode == "P"
        assert bytes(written.getpalette("RGB"))[: len(info["palette"])] == info["palette"]
        assert np.array_equal(np.asarray(written.convert("RGB")), flipped)


def test_palette_png_with_transparency_comes_back_transparent(tmp_path: Path) -> None:
    indices = np.random.default_rng(0).integers(0, 4, (9, 13), dtype=np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    path = tmp_path / "p.png"
    image.save(path, transparency=0)
    decoded, info = decode_image(path)
    assert decoded.shape == (9, 13, 4)
    assert np.array_equal(decoded[..., 3] == 0, indices == 0)
    with Image.open(io.BytesIO(encode_image(decoded, info))) as written:
        assert written.mode == "P"
        assert np.array_equal(np.asarray(written), indices)


def test_grey_alpha_and_greyscale_sources_keep_their_mode() -> None:
    for name, mode in (("gray_alpha.png", "LA"), ("grayscale.jpg", "L")):
        decoded, info = decode_image(conformance(MMCV_DIR) / name)
        assert info["mode"] == mode
        with Image.open(io.BytesIO(encode_image(decoded, info))) as written:
            assert written.mode == mode and written.format == info["format"]


def test_jpeg_quality_is_honoured() -> None:
    pixels, info = decode_image(conformance(MMCV_DIR) / "color.jpg")
    sizes = [len(encode_image(pixels, info, jpeg_quality=q)) for q in (40, 95)]
    assert sizes[0] < sizes[1] * 0.7
    with Image.open(io.BytesIO(encode_image(pixels, info, jpeg_quality=95))) as written:
        assert mean_difference(np.asarray(written), pixels) < 2


def test_alpha_is_dropped_only_where_the_format_cannot_hold_it() -> None:
    rgba = noise_image(8, 8, channels=4)
    with Image.open(io.BytesIO(encode_image(rgba, {"format": "JPEG"}))) as written:
        assert written.mode == "RGB"
    with Image.open(io.BytesIO(encode_image(rgba, {"format": "PNG"}))) as written:
        assert written.mode == "RGBA"


def test_unreadable_and_unwritable_images_raise_augcli_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError):
        decode_image(conformance(MMCV_DIR) / "uint16-5channel.tif")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(ImageReadError):
        decode_image(broken)
    with pytest.raises(OutputError):
        encode_image(np.zeros((4, 4), np.float32), {"format": "PNG"})


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
