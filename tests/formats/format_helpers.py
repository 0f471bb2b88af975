"""Shared helpers for the format tests (imported by name; conftest only holds fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from augcli.formats.coco.stream import fill_template


def save_image(path: Path, pixels: np.ndarray, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **options)
    return path


def noise_image(width: int, height: int, seed: int = 0, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def image_entry(record) -> dict:
    """The image entry a COCO writer's record carries (serialised, its id a hole), as JSON."""
    data, count = fill_template(record.payload["image"], 1)
    assert count == 1
    return json.loads(data[len(b",\n") :])
