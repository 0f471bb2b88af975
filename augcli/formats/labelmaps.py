"""Label-map PNGs <-> (H, W) integer arrays, for semantic and instance-id maps.

A label map is read as class (or object) indices, never as colours, and
written back the way it was stored:

- palette (mode P): the indices, with the file's palette kept in ``info``;
- greyscale 8-bit (L) or 16-bit (I;16 / I): the values themselves;
- bilevel (1): 0/1;
- colour-coded RGB: each colour is mapped to its index through a colour
  table (Datumaro's ``segmentation_colors``); a colour missing from the table
  is an error, because guessing a class would silently corrupt labels.

ADE20K's ``*_seg.png`` is RGB with the class in R and G (``R / 10 * 256 +
G``) and the object instance in B; ``read_ade20k_map`` decodes the class,
and writing mode ``ADE20K`` encodes it back (B = 0: warped copies do not
carry ADE20K's instance channel).

``voc_colormap`` is the PASCAL VOC palette (index bits spread over the
channels' high bits), used wherever a palette must be invented.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from augcli.core.errors import ImageReadError, OutputError
from augcli.formats.images import check_pixel_limit

LABEL_MODES = ("P", "L", "1", "I;16", "I;16B", "I;16L", "I", "RGB")
# lossless formats only: a lossy or exotic file (JPEG, PCX...) would hold values no one labelled
LABEL_FORMATS = ("PNG", "TIFF", "BMP", "DIB")


def voc_colormap(count: int = 256) -> np.ndarray:
    """(count, 3) uint8 VOC colours: bit k of the index goes to bit 7 - k // 3 of one channel."""
    index = np.arange(count)
    colours = np.zeros((count, 3), dtype=np.int64)
    for shift in range(8):
        for channel in range(3):
            bit = (index >> (shift * 3 + channel)) & 1
            colours[:, channel] |= bit << (7 - shift)
    return colours.astype(np.uint8)


def voc_palette_bytes() -> bytes:
    return voc_colormap(256).tobytes()


def read_label_map(
    path: Path, colours: Sequence[Sequence[int]] | np.ndarray | None = None
) -> tuple[np.ndarray, dict]:
    """Decode a label map; returns the index array and how it was stored.

    ``info``: ``mode`` (as stored), ``palette`` (bytes or None), ``colours``
    (the table used for RGB maps, else None). 8-bit maps come back as uint8,
    16-bit ones as uint16.
    """
    path = Path(path)
    try:
        with Image.open(path, formats=LABEL_FORMATS) as image:
            check_pixel_limit(image.size, path, "label map")  # before any pixel is decoded
            image.load()
            mode = image.mode
            palette = bytes(image.getpalette("RGB") or b"") if mode == "P" else None
            array = _indices(image, path, colours)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(
            f"not a label map augcli can read (only lossless {', '.join(LABEL_FORMATS)} files)",
            file=str(path),
        ) from None
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise ImageReadError(f"cannot decode label map: {err}", file=str(path)) from err
    info = {
        "mode": mode,
        "palette": palette or None,
        "colours": [tuple(int(v) for v in c) for c in colours]
        if mode in ("RGB", "RGBA") and colours is not None
        else None,
    }
    return array, info


ADE20K = "ADE20K"


def read_ade20k_map(path: Path) -> tuple[np.ndarray, dict]:
    """ADE20K class map (uint16) of a ``*_seg.png``, and its storage info."""
    path = Path(path)
    try:
        with Image.open(path, formats=("PNG",)) as image:
            check_pixel_limit(image.size, path, "label map")  # before any pixel is decoded
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint16)
    except UnidentifiedImageError:
        raise ImageReadError("not a PNG label map (ADE20K *_seg.png)", file=str(path)) from None
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise ImageReadError(f"cannot decode label map: {err}", file=str(path)) from err
    return (rgb[..., 0] // 10) * 256 + rgb[..., 1], {"mode": ADE20K, "palette": None, "colours": None}


def _indices(image: Image.Image, path: Path, colours) -> np.ndarray:
    mode = image.mode
    if mode in ("P", "L"):
        return np.asarray(image, dtype=np.uint8)
    if mode == "1":
        return np.asarray(image.convert("L"), dtype=np.uint8) // 255
    if mode.startswith("I"):
        values = np.asarray(image)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise ImageReadError("label map values outside 0..65535", file=str(path))
        return values.astype(np.uint16)
    if mode in ("RGB", "RGBA"):
        if colours is None or len(colours) == 0:
            raise ImageReadError(
                "colour-coded (RGB) label map but no colour table (dataset_meta.json 'segmentation_colors')",
                file=str(path),
            )
        return colours_to_indices(np.asarray(image.convert("RGB")), colours, path)
    raise ImageReadError(f"unsupported label map mode {mode!r}", file=str(path))


def colours_to_indices(
    rgb: np.ndarray, colours: Sequence[Sequence[int]], path: Path | None = None
) -> np.ndarray:
    """(H, W, 3) colours -> (H, W) indices into ``colours``; unknown colours raise."""
    table = np.asarray(colours, dtype=np.int64).reshape(-1, 3)
    keys = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    table_keys = (table[:, 0] << 16) | (table[:, 1] << 8) | table[:, 2]
    order = np.argsort(table_keys, kind="stable")
    sorted_keys = table_keys[order]
    position = np.clip(np.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
    found = sorted_keys[position] == keys
    if not found.all():
        bad = int(keys[~found].ravel()[0])
        colour = ((bad >> 16) & 255, (bad >> 8) & 255, bad & 255)
        raise ImageReadError(
            f"label map colour {colour} is not in the colour table", file=str(path) if path else None
        )
    dtype = np.uint8 if len(table) <= 256 else np.uint16
    return order[position].astype(dtype)


def encode_label_map(array: np.ndarray, info: dict) -> bytes:
    """PNG bytes of ``array`` stored like ``info`` describes (see ``read_label_map``)."""
    array = np.asarray(array)
    mode = info.get("mode") or ("I;16" if array.dtype == np.uint16 else "L")
    values = array.astype(np.int64)
    if values.size and (values.min() < 0 or values.max() > (255 if _eight_bit(mode) else 65535)):
        raise OutputError(
            f"label values {int(values.min())}..{int(values.max())} do not fit a {mode} label map"
        )
    if mode == ADE20K:
        rgb = np.zeros(values.shape + (3,), dtype=np.uint8)
        rgb[..., 0], rgb[..., 1] = (values // 256) * 10, values % 256
        image = Image.fromarray(rgb, "RGB")
    elif mode == "P":
        image = Image.fromarray(values.astype(np.uint8), "P")
        palette = bytes(info.get("palette") or b"")
        # PNG clamps indices beyond a short palette: complete it so every index survives
        image.putpalette(palette + voc_palette_bytes()[len(palette) :])
    elif mode == "1":
        image = Image.fromarray(values.astype(bool))
    elif mode == "RGB":
        table = np.asarray(info.get("colours") or [], dtype=np.uint8).reshape(-1, 3)
        if values.size and values.max() >= len(table):
            raise OutputError(f"label value {int(values.max())} has no colour in the colour table")
        image = Image.fromarray(table[values], "RGB")
    elif _eight_bit(mode):
        image = Image.fromarray(values.astype(np.uint8), "L")
    else:
        image = Image.fromarray(values.astype(np.uint16))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _eight_bit(mode: str) -> bool:
    return mode in ("P", "L", "1", "RGB")
