"""ImageCompression: a JPEG or WebP encode/decode round trip in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.core.errors import TransformError
from augcli.transforms.base import PixelOp, SampleContext, Transform, register
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import is_rgb, join_alpha, max_value, split_alpha

CODECS = {
    "jpeg": (".jpg", cv2.IMWRITE_JPEG_QUALITY),
    "webp": (".webp", cv2.IMWRITE_WEBP_QUALITY),
}
# OpenCV >= 4.10 decodes straight to RGB, saving a channel-swap pass.
RGB_DECODE = getattr(cv2, "IMREAD_COLOR_RGB", None)


def _decoded(encoded: np.ndarray, flag: int, compression_type: str) -> np.ndarray:
    decoded = cv2.imdecode(encoded, flag)
    if decoded is None:
        raise TransformError(f"OpenCV could not decode its own {compression_type}")
    return decoded


def round_trip_uint8(colour: np.ndarray, compression_type: str, quality: int) -> np.ndarray:
    """Encode and decode a 1- or 3-channel uint8 image (RGB order kept)."""
    ext, flag = CODECS[compression_type]
    grey = not is_rgb(colour)
    if grey and colour.ndim == 3 and colour.shape[2] != 1:
        raise TransformError(f"ImageCompression needs 1 or 3 colour channels, got {colour.shape[2]}")
    # The codecs assume BGR order for their colour transform and chroma subsampling.
    src = colour.reshape(colour.shape[:2]) if grey else cv2.cvtColor(colour, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(ext, src, [int(flag), int(quality)])
    if not ok:
        raise TransformError(f"OpenCV could not encode {compression_type}")
    if grey:
        return _decoded(encoded, cv2.IMREAD_GRAYSCALE, compression_type).reshape(colour.shape)
    if RGB_DECODE is not None:
        return _decoded(encoded, RGB_DECODE, compression_type)
    return cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class ImageCompressionOp(PixelOp):
    name: ClassVar[str] = "ImageCompression"
    compression_type: str
    quality: int

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        max_value(image)
        colour, alpha = split_alpha(image)
        colour = np.ascontiguousarray(colour)
        if colour.dtype == np.uint8:
            out = round_trip_uint8(colour, self.compression_type, self.quality)
        else:
            out = _round_trip_uint16(colour, self.compression_type, self.quality)
        return join_alpha(out, alpha)


def _round_trip_uint16(colour: np.ndarray, compression_type: str, quality: int) -> np.ndarray:
    """Codecs are 8-bit: compress the 8-bit view and add its artefacts back at 16 bits."""
    eight = ((colour.astype(np.uint32) + 128) // 257).astype(np.uint8)
    artefacts = round_trip_uint8(eight, compression_type, quality).astype(np.int32) - eight
    out = colour.astype(np.int32) + artefacts * 257
    return np.clip(out, 0, 65535).astype(np.uint16)


@register
class ImageCompression(Transform):
    """Degrade the image with a lossy JPEG or WebP round trip at a random quality."""

    kind = "pixel"
    params = (
        Param("compression_type", "choice", "jpeg", "codec whose artefacts to add", choices=tuple(CODECS)),
        Param(
            "quality_range",
            "int_range",
            (99, 100),
            "encoder quality range, 1 (worst) to 100 (best)",
            low=1,
            high=100,
        ),
    )
    default_p = 0.5
    example = "- ImageCompression: {quality_range: [40, 90], p: 0.5}"
    deviations = (
        "Alpha channels are kept exactly (not compressed); uint16 images get the "
        "artefacts of their 8-bit view added at full precision."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        low, high = self.quality_range
        return ImageCompressionOp(
            compression_type=self.compression_type, quality=int(rng.integers(low, high + 1))
        )
