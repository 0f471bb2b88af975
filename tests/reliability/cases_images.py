"""Bad, odd and hostile image files (see ``fixture_kit`` for what each behaviour means)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from fixture_kit import (
    HEIGHT,
    WIDTH,
    Case,
    Fixture,
    bright_square_image,
    png_bomb,
    png_header_only,
    saved,
    victim_pixels,
)
from PIL import Image
from reliability_helpers import encode

ORIENTATION = 0x0112
# what Pillow's exif_transpose does per tag, and the transpose that undoes it
_APPLY = {
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_UNDO = {
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _victim_bytes(fmt: str, transform=lambda im: im, **options) -> bytes:
    return saved(transform(Image.fromarray(victim_pixels())), fmt, **options)


def _replace(name: str, data_fn, width=WIDTH, height=HEIGHT):
    def build(fx: Fixture) -> None:
        fx.replace_victim(name, data_fn(fx), width, height)

    return build


def _replace_bare(name: str, data_fn, width=WIDTH, height=HEIGHT):
    """``_replace`` for a victim whose labels would not fit its claimed size: they are removed."""

    def build(fx: Fixture) -> None:
        fx.replace_victim(name, data_fn(fx), width, height)
        fx.coco["annotations"] = [a for a in fx.coco["annotations"] if a["image_id"] != 2]

    return build


def _cut(fmt: str, ext: str, fraction: float) -> Case:
    def data(fx):
        whole = _victim_bytes(fmt)
        return whole[: max(1, int(len(whole) * fraction))]

    return Case(f"truncated {fmt} ({fraction:.0%})", "skip_image", _replace(f"cut{ext}", data))


def _corrupt(fmt: str, ext: str, **options) -> Case:
    def data(fx):
        whole = bytearray(_victim_bytes(fmt, **options))
        rng = np.random.default_rng(4)
        for position in range(len(whole) // 2, len(whole) - 4, 7):
            whole[position] = int(rng.integers(0, 256))
        return bytes(whole)

    return Case(f"corrupt {fmt} data", "skip_image", _replace(f"corrupt{ext}", data))


def _exif_case(tag: int, labels_on: str) -> Case:
    """The victim is a JPEG with EXIF orientation ``tag`` whose labels match ``labels_on`` pixels."""

    def build(fx: Fixture) -> None:
        if labels_on == "raw":
            width, height, box = WIDTH, HEIGHT, (22, 4, 34, 14)
            raw = Image.fromarray(bright_square_image(width, height, box))
        else:  # labels drawn on the picture as a viewer shows it (rotated by the tag)
            width, height, box = HEIGHT, WIDTH, (4, 22, 14, 34)
            shown = Image.fromarray(bright_square_image(width, height, box))
            raw = shown.transpose(_UNDO[tag])
            assert np.array_equal(np.asarray(raw.transpose(_APPLY[tag])), np.asarray(shown))
        exif = Image.Exif()
        exif[ORIENTATION] = tag
        fx.replace_victim("photo.jpg", saved(raw, "JPEG", quality=95, exif=exif), width, height)
        x0, y0, x1, y1 = box
        fx.coco["annotations"] = [a for a in fx.coco["annotations"] if a["image_id"] != 2]
        fx.coco["annotations"].append(
            {
                "id": 500,
                "image_id": 2,
                "category_id": 7,
                "iscrowd": 0,
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "area": 1,
            }
        )
        fx.recipe = {"version": 1, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}

    def check(fx: Fixture, out: Path, report) -> None:
        coco = json.loads((out / "annotations" / "instances_train.json").read_text())
        entry = next(im for im in coco["images"] if im["file_name"] == "photo__aug1.jpg")
        ann = next(a for a in coco["annotations"] if a["image_id"] == entry["id"])
        with Image.open(out / "images" / "photo__aug1.jpg") as written:
            assert written.getexif().get(ORIENTATION) is None  # the tag is stripped
            assert written.size == (entry["width"], entry["height"])
            values = np.asarray(written.convert("L"), dtype=float)
        x, y, w, h = (int(round(v)) for v in ann["bbox"])
        inside = values[y + 1 : y + h - 1, x + 1 : x + w - 1].mean()
        assert inside > 200 and values.mean() < 120, (inside, values.mean())

    return Case(f"EXIF orientation {tag}, labels on the {labels_on} pixels", "ok", build, check)


def _mode_case(name: str, make) -> Case:
    def check(fx: Fixture, out: Path, report) -> None:
        assert report.images_out == 12

    return Case(name, "ok", _replace(*make), check)


def _png16_rgb(fx) -> bytes:
    ok, data = cv2.imencode(".png", (victim_pixels().astype(np.uint16) * 257))
    assert ok
    return data.tobytes()


def _tiff_float(fx) -> bytes:
    return saved(Image.fromarray(victim_pixels(1).astype(np.float32)), "TIFF")


def _gif_animated(fx) -> bytes:
    frames = [
        Image.fromarray(victim_pixels()).quantize(64),
        Image.fromarray(255 - victim_pixels()).quantize(64),
    ]
    return saved(frames[0], "GIF", save_all=True, append_images=frames[1:])


CASES = (
    [
        _cut("JPEG", ".jpg", 0.5),
        _cut("JPEG", ".jpg", 0.05),
        _cut("PNG", ".png", 0.5),
        _cut("PNG", ".png", 0.1),
        _cut("GIF", ".gif", 0.5),
        _cut("WEBP", ".webp", 0.5),
        _corrupt("JPEG", ".jpg"),
        _corrupt("PNG", ".png"),
        _corrupt("TIFF", ".tif", compression="tiff_deflate"),
        Case("zero-byte file", "skip_image", _replace("empty.png", lambda fx: b"")),
        Case("text file named .jpg", "skip_image", _replace("notes.jpg", lambda fx: b"just some text\n")),
        Case(
            "HTML error page named .png",
            "skip_image",
            _replace("page.png", lambda fx: b"<!DOCTYPE html><html><body>404</body></html>"),
        ),
        Case(
            "PostScript named .jpg (format not allowed)",
            "skip_image",
            _replace("doc.jpg", lambda fx: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 40 32\nshowpage\n"),
        ),
        Case("missing file", "skip_image", lambda fx: (fx.images / fx.victim()["file_name"]).unlink()),
        Case(
            "file name is a folder",
            "skip_image",
            lambda fx: ((fx.images / "folder.png").mkdir(), fx.victim().update(file_name="folder.png")),
        ),
        Case("PNG named .jpg", "ok", _replace("really_png.jpg", lambda fx: _victim_bytes("PNG"))),
        Case("JPEG named .png", "ok", _replace("really_jpeg.png", lambda fx: _victim_bytes("JPEG"))),
        _mode_case(
            "CMYK JPEG", ("cmyk.jpg", lambda fx: _victim_bytes("JPEG", lambda im: im.convert("CMYK")))
        ),
        _mode_case(
            "palette PNG", ("palette.png", lambda fx: _victim_bytes("PNG", lambda im: im.quantize(16)))
        ),
        _mode_case(
            "palette PNG with transparency",
            ("palette_t.png", lambda fx: _victim_bytes("PNG", lambda im: im.quantize(16), transparency=0)),
        ),
        _mode_case("LA PNG", ("la.png", lambda fx: _victim_bytes("PNG", lambda im: im.convert("LA")))),
        _mode_case("RGBA PNG", ("rgba.png", lambda fx: _victim_bytes("PNG", lambda im: im.convert("RGBA")))),
        _mode_case(
            "16-bit greyscale PNG",
            (
                "grey16.png",
                lambda fx: saved(Image.fromarray(victim_pixels(1).astype(np.uint16) * 257), "PNG"),
            ),
        ),
        _mode_case("16-bit RGB PNG", ("rgb16.png", _png16_rgb)),
        _mode_case(
            "greyscale JPEG", ("grey.jpg", lambda fx: _victim_bytes("JPEG", lambda im: im.convert("L")))
        ),
        _mode_case("bilevel PNG", ("bits.png", lambda fx: _victim_bytes("PNG", lambda im: im.convert("1")))),
        _mode_case("BMP", ("plain.bmp", lambda fx: _victim_bytes("BMP"))),
        _mode_case("WebP", ("web.webp", lambda fx: _victim_bytes("WEBP", lossless=True))),
        _mode_case("TIFF", ("scan.tif", lambda fx: _victim_bytes("TIFF"))),
        _mode_case("animated GIF (first frame)", ("anim.gif", _gif_animated)),
        Case("32-bit float TIFF", "skip_image", _replace("float.tif", _tiff_float)),
        Case(
            "size disagrees with the annotation",
            "skip_image",
            _replace("small.png", lambda fx: encode(victim_pixels()[:20, :30], "PNG")),
        ),
        Case(
            "swapped size without an EXIF tag",
            "skip_image",
            _replace(
                "swapped.png",
                lambda fx: encode(np.ascontiguousarray(victim_pixels().transpose(1, 0, 2)), "PNG"),
            ),
        ),
        Case(
            "decompression bomb header (refused before decoding)",
            "skip_image",
            _replace_bare("bomb.png", lambda fx: png_header_only(60000, 60000), 60000, 60000),
        ),
        Case(
            "real decompression bomb under Pillow's own limit",
            "skip_image",
            _replace_bare("bomb2.png", lambda fx: png_bomb(12000, 12000), 12000, 12000),
        ),
        Case(
            "bomb whose labels say it is small",
            "skip_image",
            _replace("bomb3.png", lambda fx: png_header_only(50000, 40000)),
        ),
        Case(
            "entry without width/height (size read from the file)",
            "ok",
            _replace("nosize.png", lambda fx: _victim_bytes("PNG"), None, None),
        ),
    ]
    + [_exif_case(tag, "raw") for tag in range(1, 9)]
    + [_exif_case(tag, "shown") for tag in (5, 6, 7, 8)]
)
