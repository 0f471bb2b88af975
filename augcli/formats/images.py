"""Image files <-> numpy arrays, with Pillow as the only I/O layer.

Decoding gives ``(H, W)`` or ``(H, W, C)`` uint8 (uint16 for 16-bit
greyscale) plus an ``info`` dict that remembers what the file was (format,
extension, mode, palette...) so encoding can write the same kind of file.

Array shapes transforms see: greyscale and bilevel -> (H, W); RGB, CMYK,
YCbCr -> (H, W, 3); anything with alpha (RGBA, LA, PA, P with a transparent
colour) -> (H, W, 4); palette images are expanded to colours because
interpolating palette indices would be meaningless, and are re-quantised to
their own palette when written.

EXIF orientation policy (the annotation decides, never a guess):
- the stored pixels already have the annotation's width x height: use them
  as stored, whatever the EXIF tag says (the labels were drawn on them);
- they match only after swapping width and height and the EXIF tag is a
  transposing one (5-8): apply the EXIF orientation;
- otherwise the file disagrees with its labels: ``ImageReadError``.
Re-encoded output never carries an EXIF orientation (no EXIF block is
written), so viewers show exactly the pixels the labels describe.

Hostile or broken files: only the formats in ``DECODABLE_FORMATS`` are
opened (identified by content, whatever the extension says); the header's
dimensions are checked against the labels and against ``max_pixels()``
before any pixel is decoded, so a decompression bomb costs a header read;
anything a decoder raises becomes an ``ImageReadError`` for that item.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from augcli.core.errors import ImageReadError, OutputError, TransformError
from augcli.formats.jpeg_codec import fast_jpeg, fast_jpeg_decode, reference_codec

EXIF_ORIENTATION = 0x0112
_TRANSPOSING = (5, 6, 7, 8)  # orientations that swap width and height
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_PALETTE_FORMATS = ("PNG", "GIF", "BMP", "TIFF")
_NO_ALPHA_FORMATS = ("JPEG", "BMP")
# Pillow plugins augcli lets near its inputs (JPEG covers MPO phone photos); the rest (PostScript through
# Ghostscript, icons, exotic raw formats) is refused, whatever the file is called.
DECODABLE_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "DIB", "TIFF", "WEBP", "PPM")
MAX_PIXELS_ENV = "AUGCLI_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 1 << 27  # 134 megapixels: ~400 MB as RGB before any transform
# augcli checks max_pixels() itself from the header, for images and label maps alike, so Pillow's own
# (lower, unconfigurable) bomb limit must not refuse what AUGCLI_MAX_PIXELS allows
Image.MAX_IMAGE_PIXELS = None


def max_pixels() -> int:
    """Largest image (width x height) decoded; ``AUGCLI_MAX_PIXELS`` overrides the default."""
    try:
        value = int(os.environ.get(MAX_PIXELS_ENV, DEFAULT_MAX_PIXELS))
    except ValueError:
        return DEFAULT_MAX_PIXELS
    return value if value > 0 else DEFAULT_MAX_PIXELS


def format_for_suffix(suffix: str) -> str | None:
    """Pillow format name for a file extension ('.jpg' -> 'JPEG')."""
    return Image.registered_extensions().get(suffix.lower())


def decode_image(path: Path, expected_size: tuple[int, int] | None = None) -> tuple[np.ndarray, dict]:
    """Decode ``path``; ``expected_size`` is the labels' (width, height) if known.

    Returns the pixel array and an ``info`` dict: format, ext, mode (as
    stored), palette (bytes or None), transparency, exif_orientation,
    exif_applied, raw_size, icc_profile and encoder hints.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # our own pixel limit applies, and a decoder's complaints about a damaged
            # file (skipped tags, corrupt EXIF) end as an error or as usable pixels
            warnings.simplefilter("ignore")
            with Image.open(path, formats=DECODABLE_FORMATS) as opened:
                _check_dimensions(opened.size, path, expected_size)
                check_pixel_limit(opened.size, path)
                array, info = _decode_plain_jpeg(opened, path, expected_size)
                if array is None:
                    opened.load()  # before EXIF: reading it may decode, and must not hide errors
                    image, info = _orient(opened, path, expected_size)
                    array = _to_array(image, path)
    except ImageReadError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageReadError(f"image refused before decoding: {err}", file=str(path)) from None
    except UnidentifiedImageError:
        raise ImageReadError(
            "not an image augcli can read (truncated, corrupt, or not one of "
            f"{', '.join(DECODABLE_FORMATS)})",
            file=str(path),
        ) from None
    except FileNotFoundError:
        raise ImageReadError("image file not found", file=str(path)) from None
    except Exception as err:  # noqa: BLE001 - decoders raise anything (SyntaxError, struct.error, ...)
        detail = str(err) or type(err).__name__
        raise ImageReadError(f"cannot decode image: {detail}", file=str(path)) from err
    return array, info


def _decode_plain_jpeg(opened: Image.Image, path: Path, expected: tuple[int, int] | None):
    """(pixels, info) of an RGB or greyscale JPEG used as stored, through the faster
    decoder (``jpeg_codec``), or (None, None): Pillow decodes it."""
    if opened.format != "JPEG" or opened.mode not in ("RGB", "L"):
        return None, None
    if expected is not None and tuple(opened.size) != tuple(expected):
        return None, None  # EXIF may turn it: Pillow's path
    pixels = fast_jpeg_decode(path.read_bytes(), opened.mode, _jpeg_subsampling(opened), opened.size)
    if pixels is None:
        return None, None
    _, info = _orient(opened, path, expected)
    return pixels, info


def _check_dimensions(size: tuple[int, int], path: Path, expected: tuple[int, int] | None) -> None:
    """Refuse from the header alone: sizes no orientation can reconcile with the labels, bombs."""
    width, height = size
    if expected is not None and tuple(expected) not in ((width, height), (height, width)):
        raise ImageReadError(
            f"image is {width}x{height} but its labels say {expected[0]}x{expected[1]}", file=str(path)
        )


def check_pixel_limit(size: tuple[int, int], path: Path, what: str = "image") -> None:
    """Refuse, from the header, a file of more than ``max_pixels()`` pixels (or none)."""
    width, height = size
    limit = max_pixels()
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{what} header says {width}x{height} pixels", file=str(path))
    if width * height > limit:
        raise ImageReadError(
            f"{what} is {width}x{height} = {width * height} pixels, above the limit of {limit} "
            f"(a possible decompression bomb; set {MAX_PIXELS_ENV} to allow larger images); "
            "refused before decoding",
            file=str(path),
        )


def check_output_size(array: np.ndarray) -> None:
    """An augmented image larger than augcli reads back is an item error, never written."""
    height, width = array.shape[:2]
    if width * height > max_pixels():
        raise TransformError(
            f"the augmented image is {width}x{height} = {width * height} pixels, above the limit of "
            f"{max_pixels()} that augcli reads back ({MAX_PIXELS_ENV}); not written"
        )


def _orient(image: Image.Image, path: Path, expected: tuple[int, int] | None):
    raw_size = tuple(image.size)
    orientation = _exif_orientation(image)
    info = {
        "format": image.format or format_for_suffix(path.suffix),
        "ext": path.suffix,
        "mode": image.mode,
        "palette": _palette_bytes(image),
        "transparency": image.info.get("transparency") if image.mode in ("P", "L", "RGB") else None,
        "exif_orientation": orientation,
        "exif_applied": False,
        "raw_size": raw_size,
        "icc_profile": image.info.get("icc_profile"),
        "jpeg_subsampling": _jpeg_subsampling(image),
        "jpeg_qtables": _jpeg_qtables(image),
        "tiff_compression": image.info.get("compression") if image.format == "TIFF" else None,
    }
    if expected is None or raw_size == tuple(expected):
        return image, info
    swapped = (raw_size[1], raw_size[0])
    if swapped == tuple(expected) and orientation in _TRANSPOSING:
        info["exif_applied"] = True
        return ImageOps.exif_transpose(image), info
    hint = f" (EXIF orientation {orientation})" if orientation not in (None, 1) else ""
    raise ImageReadError(
        f"image is {raw_size[0]}x{raw_size[1]}{hint} but its labels say {expected[0]}x{expected[1]}",
        file=str(path),
    )


def _exif_orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(EXIF_ORIENTATION)
    except Exception:  # a corrupt EXIF block must not make the pixels unreadable
        return None
    return int(value) if isinstance(value, int) else None


def _palette_bytes(image: Image.Image) -> bytes | None:
    if image.mode not in ("P", "PA"):
        return None
    palette = image.getpalette("RGB")
    return bytes(palette) if palette else None


def _jpeg_subsampling(image: Image.Image) -> int | None:
    if image.format != "JPEG":
        return None
    value = JpegImagePlugin.get_sampling(image)
    return value if value in (0, 1, 2) else None


def _jpeg_qtables(image: Image.Image) -> tuple | None:
    """The quantization tables, for ``jpeg_quality: source`` (a tuple: info is compared)."""
    tables = getattr(image, "quantization", None) if image.format == "JPEG" else None
    if not tables:
        return None
    return tuple(tuple(int(v) for v in tables[k]) for k in sorted(tables))


def _to_array(image: Image.Image, path: Path) -> np.ndarray:
    mode = image.mode
    if mode in ("L", "RGB", "RGBA"):
        return np.asarray(image)
    if mode == "1":
        return np.asarray(image.convert("L"))
    if mode.startswith("I;16"):
        return np.asarray(image).astype(np.uint16)
    if mode == "I":
        values = np.asarray(image)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise ImageReadError(
                "32-bit integer image with values outside 0..65535 is not supported", file=str(path)
            )
        return values.astype(np.uint16)
    if mode in _ALPHA_MODES or (mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"))
    if mode in ("P", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return np.asarray(image.convert("RGB"))
    raise ImageReadError(f"unsupported image mode {mode!r}", file=str(path))


def encode_image(
    array: np.ndarray, info: dict, *, jpeg_quality: int | str = 95, fmt: str | None = None
) -> bytes:
    """Encode ``array`` as the same kind of file ``info`` describes.

    ``fmt`` overrides the format (else ``info['format']``, else the
    extension). Palette sources are re-quantised to their own palette; alpha
    is dropped only where the format cannot hold it (JPEG, BMP).
    ``jpeg_quality="source"`` writes a JPEG with the quantization tables the
    source JPEG had (``info['jpeg_qtables']``), so it comes out about the
    source's size; a source that was no JPEG (and WebP) gets quality 95.
    """
    fmt = fmt or info.get("format") or format_for_suffix(info.get("ext", "")) or "PNG"
    memo = _shared if _shared is not None and not reference_codec() else None
    settings = (fmt, jpeg_quality, *(info.get(k) for k in _ENCODER_KEYS))
    if memo is not None:
        for seen, seen_settings, data in memo.get(id(array), ()):
            if seen is array and seen_settings == settings:
                return data
    data = _encode(array, info, jpeg_quality, fmt)
    if memo is not None:
        memo.setdefault(id(array), []).append((array, settings, data))
    return data


def _encode(array: np.ndarray, info: dict, jpeg_quality: int | str, fmt: str) -> bytes:
    if (
        fmt == "JPEG"
        and isinstance(jpeg_quality, int)
        and not info.get("icc_profile")
        and not reference_codec()
    ):
        data = fast_jpeg(np.asarray(array), jpeg_quality, info.get("jpeg_subsampling"))
        if data is not None:
            return data
    image = _from_array(array)
    image = _match_source_mode(image, info, fmt)
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt, **_save_options(image, info, fmt, jpeg_quality))
    except (OSError, ValueError, KeyError) as err:
        raise OutputError(f"cannot encode a {image.mode} image as {fmt}: {err}") from err
    return buffer.getvalue()


# What an encode depends on besides the pixels, the format and the quality.
_ENCODER_KEYS = (
    "mode",
    "palette",
    "transparency",
    "icc_profile",
    "jpeg_subsampling",
    "jpeg_qtables",
    "tiff_compression",
)
SOURCE_QUALITY = "source"
_DEFAULT_QUALITY = 95
_shared: dict[int, list] | None = None


@contextmanager
def shared_encodes() -> Iterator[None]:
    """Within this block, encoding the same array object again with the same settings
    returns the first encode's bytes: the copies of one task whose pixels no op changed
    (ops never modify their input, so the same object holds the same pixels)."""
    global _shared
    previous, _shared = _shared, {}
    try:
        yield
    finally:
        _shared = previous


def _from_array(array: np.ndarray) -> Image.Image:
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype == np.uint16:
        if array.ndim != 2:
            raise OutputError(f"cannot encode a 16-bit image of shape {array.shape}")
        return Image.fromarray(np.ascontiguousarray(array))  # mode I;16
    if array.dtype != np.uint8:
        raise OutputError(f"images must be uint8 or uint16 to be written, not {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(array), "L")
    modes = {2: "LA", 3: "RGB", 4: "RGBA"}
    if array.ndim != 3 or array.shape[2] not in modes:
        raise OutputError(f"cannot encode an image of shape {array.shape}")
    return Image.fromarray(np.ascontiguousarray(array), modes[array.shape[2]])


def _match_source_mode(image: Image.Image, info: dict, fmt: str) -> Image.Image:
    source = info.get("mode")
    if source in ("P", "PA") and info.get("palette") and fmt in _PALETTE_FORMATS:
        return _quantize_to_palette(image, info)
    if source in ("LA", "La") and image.mode == "RGBA" and fmt not in _NO_ALPHA_FORMATS:
        return image.convert("LA")
    if source == "1" and image.mode == "L" and fmt in ("PNG", "BMP", "TIFF", "GIF"):
        return image.convert("1", dither=Image.Dither.NONE)  # threshold at 128, no dithering
    if fmt in _NO_ALPHA_FORMATS and image.mode in ("RGBA", "LA"):
        return image.convert("RGB" if image.mode == "RGBA" else "L")
    if fmt == "GIF" and image.mode not in ("P", "L"):
        return image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    return image


def _quantize_to_palette(image: Image.Image, info: dict) -> Image.Image:
    palette_image = Image.new("P", (1, 1))
    palette_image.putpalette(info["palette"])
    alpha = np.asarray(image.getchannel("A")) if image.mode in ("RGBA", "LA") else None
    quantized = image.convert("RGB").quantize(palette=palette_image, dither=Image.Dither.NONE)
    transparent = info.get("transparency")
    if alpha is not None and isinstance(transparent, int):
        # pixels that became transparent again take the palette's transparent index
        indices = np.asarray(quantized).copy()
        indices[alpha < 128] = transparent
        quantized = Image.fromarray(indices, "P")
        quantized.putpalette(info["palette"])
    if isinstance(transparent, int):
        quantized.info["transparency"] = transparent
    return quantized


def _save_options(image: Image.Image, info: dict, fmt: str, jpeg_quality: int | str) -> dict:
    options: dict = {}
    if info.get("icc_profile") and fmt in ("JPEG", "PNG", "TIFF", "WEBP"):
        options["icc_profile"] = info["icc_profile"]
    tables = info.get("jpeg_qtables") if jpeg_quality == SOURCE_QUALITY else None
    quality = _DEFAULT_QUALITY if jpeg_quality == SOURCE_QUALITY else int(jpeg_quality)
    if fmt == "JPEG":
        if tables:
            options["qtables"] = [list(table) for table in tables]  # no quality: the tables as they are
        else:
            options["quality"] = quality
        if info.get("jpeg_subsampling") is not None and image.mode != "L":
            options["subsampling"] = info["jpeg_subsampling"]
    elif fmt == "WEBP":
        options["quality"] = quality
    elif fmt == "TIFF" and info.get("tiff_compression") not in (None, "raw"):
        options["compression"] = info["tiff_compression"]
    if image.mode == "P" and isinstance(image.info.get("transparency"), int):
        options["transparency"] = image.info["transparency"]
    elif (
        image.mode in ("L", "RGB")
        and info.get("mode") == image.mode
        and info.get("transparency") is not None
        and fmt == "PNG"
    ):
        options["transparency"] = info["transparency"]
    return options
