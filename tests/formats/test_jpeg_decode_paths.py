"""The faster JPEG decoder gives Pillow's pixels and info, and leaves every damaged file
to Pillow (so what Pillow refuses is refused, with the same message)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from augcli.core.errors import ImageReadError
from augcli.formats import jpeg_codec
from augcli.formats.images import EXIF_ORIENTATION, decode_image

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "sample_data" / "images" / "street_01.jpg"


def photo(size=(317, 203)) -> Image.Image:
    with Image.open(PHOTO) as im:
        return im.convert("RGB").resize(size)


def variants() -> dict[str, tuple[Image.Image, dict]]:
    rgb = photo()
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return {
        "444": (rgb, {"quality": 90, "subsampling": 0}),
        "422": (rgb, {"quality": 80, "subsampling": 1}),
        "420": (rgb, {"quality": 70, "subsampling": 2}),
        "progressive": (rgb, {"quality": 85, "progressive": True}),
        "optimized": (rgb, {"quality": 85, "optimize": True}),
        "grey": (rgb.convert("L"), {"quality": 88}),
        "grey_progressive": (rgb.convert("L"), {"quality": 60, "progressive": True}),
        "tiny": (photo((1, 1)), {"quality": 95}),
        "exif_rotated": (rgb, {"quality": 90, "exif": exif.tobytes()}),
        "icc": (rgb, {"quality": 90, "icc_profile": profile}),
    }


def reference(path: Path, monkeypatch, expected=None):
    with monkeypatch.context() as patch:
        patch.setenv(jpeg_codec.REFERENCE_ENV, "1")
        return decode_image(path, expected)


@pytest.mark.parametrize("name", sorted(variants()))
def test_fast_decode_gives_pillows_pixels_and_info(name, tmp_path, monkeypatch):
    image, options = variants()[name]
    path = tmp_path / f"{name}.jpg"
    image.save(path, **options)
    pixels, info = decode_image(path, image.size)
    want_pixels, want_info = reference(path, monkeypatch, image.size)
    assert np.array_equal(pixels, want_pixels) and pixels.shape == want_pixels.shape
    assert info == want_info
    assert not pixels.flags.writeable  # as Pillow's arrays
    if name == "exif_rotated":  # turned by EXIF for labels of the other size: Pillow's path
        turned, turned_info = decode_image(path, image.size[::-1])
        assert turned_info["exif_applied"]
        assert np.array_equal(turned, reference(path, monkeypatch, image.size[::-1])[0])


def test_the_fast_decoder_is_used_for_plain_jpegs(tmp_path, monkeypatch):
    pytest.importorskip("simplejpeg")
    used = []
    real = jpeg_codec._simplejpeg_decode
    monkeypatch.setattr(jpeg_codec, "_simplejpeg_decode", lambda *a: used.append(a[1]) or real(*a))
    for name, (image, options) in variants().items():
        image.save(tmp_path / f"{name}.jpg", **options)
        decode_image(tmp_path / f"{name}.jpg", image.size)
    assert used.count("RGB") >= 6 and used.count("L") >= 2


def damaged(tmp_path: Path) -> dict[str, Path]:
    buffer = io.BytesIO()
    photo((320, 240)).save(buffer, format="JPEG", quality=90)
    data = buffer.getvalue()
    scan = data.index(b"\xff\xda") + 40  # inside the entropy-coded data
    files = {
        "truncated": data[: len(data) // 2],
        "no_end_marker": data[:-2],
        "corrupt_scan": data[:scan] + bytes(b ^ 0x5A for b in data[scan : scan + 300]) + data[scan + 300 :],
        "extraneous_bytes": data[:scan] + b"\xff\xd0" + data[scan:],
        "trailing_garbage": data + b"not a jpeg" * 50,
    }
    out = {}
    for name, content in files.items():
        out[name] = tmp_path / f"{name}.jpg"
        out[name].write_bytes(content)
    return out


@pytest.mark.parametrize(
    "name", ["truncated", "no_end_marker", "corrupt_scan", "extraneous_bytes", "trailing_garbage"]
)
def test_damaged_files_get_pillows_verdict(name, tmp_path, monkeypatch):
    path = damaged(tmp_path)[name]

    def outcome(reference_only: bool):
        with monkeypatch.context() as patch:
            if reference_only:
                patch.setenv(jpeg_codec.REFERENCE_ENV, "1")
            try:
                pixels, info = decode_image(path, (320, 240))
            except ImageReadError as err:
                return ("error", err.message)
            return ("pixels", pixels.tobytes(), info)

    assert outcome(False) == outcome(True)


def test_a_disagreeing_decoder_is_never_used(tmp_path, monkeypatch):
    image, options = variants()["420"]
    path = tmp_path / "photo.jpg"
    image.save(path, **options)
    monkeypatch.setattr(jpeg_codec, "_decoder_proven", {})
    monkeypatch.setattr(
        jpeg_codec, "_simplejpeg_decode", lambda data, mode: np.zeros((203, 317, 3), np.uint8)
    )
    pixels, _ = decode_image(path, image.size)
    assert np.array_equal(pixels, reference(path, monkeypatch, image.size)[0])
