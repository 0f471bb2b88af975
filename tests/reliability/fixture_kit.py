"""The bad-input fixture kit: a tiny valid COCO dataset plus one defect per case.

A ``Case`` names its defect, the behaviour it must get, and a ``build`` that
plants the defect into a fresh copy of the base dataset (``Fixture``).
Behaviours:

- ``ok``: handled; nothing skipped, every output written (``check`` may look closer);
- ``skip_image``: the victim image (id 2) is skipped and reported with its file and id;
- ``skip_annotation``: one annotation of the victim is skipped and reported with file,
  image id and annotation id; the image itself is still augmented;
- ``dataset``: the run stops before anything is written (``DatasetError``, exit 4);
- ``recipe``: the recipe is refused (``RecipeError``, exit 3).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from reliability_helpers import RECIPE, make_dataset, pixels

VICTIM_ID = 2  # img_01.png
VICTIM_ANN = 21  # its polygon annotation
WIDTH, HEIGHT = 40, 32


@dataclass
class Fixture:
    root: Path
    ann: Path
    coco: dict
    recipe: Any = field(default_factory=lambda: json.loads(json.dumps(RECIPE)))

    @property
    def images(self) -> Path:
        return self.root / "images"

    def victim(self) -> dict:
        return next(im for im in self.coco["images"] if im["id"] == VICTIM_ID)

    def victim_annotation(self) -> dict:
        return next(a for a in self.coco["annotations"] if a["id"] == VICTIM_ANN)

    def replace_victim(
        self, name: str, data: bytes, width: int | None = WIDTH, height: int | None = HEIGHT
    ) -> None:
        """The victim's file becomes ``name`` holding ``data``; its entry says width x height."""
        (self.images / self.victim()["file_name"]).unlink()
        (self.images / name).write_bytes(data)
        entry = self.victim()
        entry["file_name"] = name
        for key, value in (("width", width), ("height", height)):
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value

    def save(self) -> None:
        self.ann.write_text(json.dumps(self.coco))


@dataclass
class Case:
    name: str
    behaviour: str
    build: Callable[[Fixture], None]
    check: Callable[[Fixture, Path, Any], None] | None = None
    raw_json: Callable[[Fixture], bytes] | None = None  # replaces the JSON text entirely
    expect: dict = field(default_factory=dict)  # report fields other than the victim's ids


def fresh_fixture(root: Path) -> Fixture:
    ann = make_dataset(root)
    return Fixture(root=root, ann=ann, coco=json.loads(ann.read_text()))


RAW = "@@raw@@"  # a placeholder value that ``raw_value`` swaps for JSON text json.dumps cannot write


def realize(case: Case, root: Path) -> Fixture:
    fx = fresh_fixture(root)
    case.build(fx)
    if case.raw_json is not None:
        fx.ann.write_bytes(case.raw_json(fx))
    else:
        fx.save()
    return fx


def raw_value(text: str) -> Callable[[Fixture], bytes]:
    """The document with the (single) ``RAW`` placeholder replaced by ``text``."""

    def raw(fx: Fixture) -> bytes:
        document = json.dumps(fx.coco)
        assert document.count(json.dumps(RAW)) == 1
        return document.replace(json.dumps(RAW), text).encode()

    return raw


# -- bytes of images ---------------------------------------------------------------------


def victim_pixels(channels: int = 3) -> np.ndarray:
    return pixels(WIDTH, HEIGHT, 1, channels)


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width x height`` followed by a little zlib data: a bomb's shape."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )


def png_bomb(width: int, height: int) -> bytes:
    """A real, complete greyscale PNG of zeros: tiny on disk, ``width * height`` bytes decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def bright_square_image(width: int, height: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """Dark noise with a white rectangle ``box`` = (x0, y0, x1, y1)."""
    image = (pixels(width, height, 3) // 4).astype(np.uint8)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = 255
    return image
