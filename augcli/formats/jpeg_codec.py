"""Faster JPEG paths, used only where they give Pillow's exact bytes or pixels.

Encode: ``cv2.imencode``. Pillow and OpenCV both drive libjpeg(-turbo) with
the same defaults (baseline, standard Huffman tables, ISLOW DCT, a JFIF
header), so for uint8 RGB or greyscale pixels at one quality and chroma
subsampling they usually write the same file; OpenCV skips Pillow's
array-to-image copy. "Usually" is not enough for byte-identical outputs, so
each (quality, subsampling, channels) combination is proven once per
process: a small textured probe is encoded both ways and the fast path is
used only if the bytes agree (a different libjpeg in either wheel falls
back to Pillow by itself). ICC profiles, alpha, 16 bits, source
quantization tables and other formats always go through Pillow.

Decode: ``simplejpeg`` (TurboJPEG, about 3x Pillow's decoder here) for plain
RGB and greyscale JPEGs, in strict mode: any warning (truncation, corrupt
data, extraneous bytes) raises, and the file is then decoded by Pillow, so
what Pillow refuses or repairs is refused or repaired as before. Pillow
still reads the header, EXIF and info; each (mode, subsampling) is proven
against Pillow's pixels on a probe first, and without simplejpeg installed
Pillow decodes everything.

``AUGCLI_REFERENCE_CODEC=1`` turns every fast path (and the shared encodes
of ``formats.images``) off: the reference the tests compare against.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

REFERENCE_ENV = "AUGCLI_REFERENCE_CODEC"
# Pillow's subsampling option -> OpenCV's sampling factor (None: Pillow's default, 4:2:0)
_CV_SAMPLING = {0: 0x111111, 1: 0x211111, 2: 0x221111, None: 0x221111}
_proven: dict[tuple, bool] = {}


def reference_codec() -> bool:
    """True when ``AUGCLI_REFERENCE_CODEC`` asks for Pillow only and no shared encodes."""
    return os.environ.get(REFERENCE_ENV, "") not in ("", "0")


def pillow_jpeg(array: np.ndarray, quality: int, subsampling: int | None) -> bytes:
    """The reference: what ``formats.images.encode_image`` asks Pillow for."""
    mode = "L" if array.ndim == 2 else "RGB"
    options: dict = {"quality": int(quality)}
    if subsampling is not None and mode != "L":
        options["subsampling"] = subsampling
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array), mode).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def fast_jpeg(array: np.ndarray, quality: int, subsampling: int | None) -> bytes | None:
    """The JPEG bytes of a uint8 (H, W) or (H, W, 3) RGB array through OpenCV, or None
    when that combination is not proven to match Pillow (the caller then uses Pillow)."""
    if array.dtype != np.uint8 or not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)):
        return None
    if subsampling not in _CV_SAMPLING or not 1 <= int(quality) <= 100:
        return None
    channels = 1 if array.ndim == 2 else 3
    key = (int(quality), None if channels == 1 else subsampling, channels)
    proven = _proven.get(key)
    if proven is None:
        proven = _proven[key] = _agrees(*key)
    if not proven:
        return None
    return _cv2_jpeg(array, *key[:2])


def _cv2_jpeg(array: np.ndarray, quality: int, subsampling: int | None) -> bytes | None:
    import cv2

    pixels = array if array.ndim == 2 else cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, _CV_SAMPLING[subsampling]]
    ok, encoded = cv2.imencode(".jpg", pixels, params)
    return encoded.tobytes() if ok else None


def _agrees(quality: int, subsampling: int | None, channels: int) -> bool:
    """Do both encoders write the same bytes for a probe with edges, gradients and noise?"""
    try:
        probe = _probe(channels)
        return _cv2_jpeg(probe, quality, subsampling) == pillow_jpeg(probe, quality, subsampling)
    except Exception:  # noqa: BLE001 - no OpenCV, an old one without sampling factors: Pillow it is
        return False


def _probe(channels: int) -> np.ndarray:
    # odd sizes exercise the partial MCUs at the right and bottom edges
    height, width = 37, 53
    yy, xx = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(7).integers(0, 256, (height, width, 3))
    planes = [(xx * 5 + yy * 3) % 256, (yy * 7) % 256, np.where((xx // 8 + yy // 8) % 2, 230, 20)]
    image = (0.7 * np.stack(planes, 2) + 0.3 * noise).astype(np.uint8)
    return image[:, :, 0].copy() if channels == 1 else image


# --- decode ------------------------------------------------------------------------------

_decoder_proven: dict[tuple, bool] = {}


def fast_jpeg_decode(
    data: bytes, mode: str, subsampling: int | None, size: tuple[int, int]
) -> np.ndarray | None:
    """Pixels of a plain JPEG file's bytes as Pillow would decode them ((H, W, 3) for
    ``mode`` RGB, (H, W) for L), or None: the caller decodes with Pillow."""
    if mode not in ("RGB", "L") or (mode == "RGB" and subsampling not in (0, 1, 2)) or reference_codec():
        return None
    key = (mode, subsampling if mode == "RGB" else None)
    proven = _decoder_proven.get(key)
    if proven is None:
        proven = _decoder_proven[key] = _decoders_agree(mode, subsampling)
    if not proven:
        return None
    try:
        pixels = _simplejpeg_decode(data, mode)
    except Exception:  # noqa: BLE001 - a warning in strict mode, or anything else: Pillow decides
        return None
    width, height = size
    if pixels.shape[:2] != (height, width):
        return None
    pixels.flags.writeable = False  # as Pillow's arrays are: no op may write into its input
    return pixels


def _simplejpeg_decode(data: bytes, mode: str) -> np.ndarray:
    import simplejpeg

    colorspace = "GRAY" if mode == "L" else "RGB"
    pixels = simplejpeg.decode_jpeg(
        data, colorspace=colorspace, fastdct=False, fastupsample=False, strict=True
    )
    return pixels[:, :, 0] if mode == "L" else pixels


def _decoders_agree(mode: str, subsampling: int | None) -> bool:
    try:
        probe = _probe(1 if mode == "L" else 3)
        buffer = io.BytesIO()
        options = {"quality": 90} if mode == "L" else {"quality": 90, "subsampling": subsampling}
        Image.fromarray(probe).save(buffer, format="JPEG", **options)
        data = buffer.getvalue()
        with Image.open(io.BytesIO(data)) as im:
            reference = np.asarray(im)
        return bool(np.array_equal(_simplejpeg_decode(data, mode), reference))
    except Exception:  # noqa: BLE001 - simplejpeg missing or unusable: Pillow it is
        return False
