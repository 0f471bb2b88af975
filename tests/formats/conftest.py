"""Fixtures for format tests: tiny COCO datasets built in a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from format_helpers import save_image


@pytest.fixture
def make_coco(tmp_path: Path) -> Callable[..., Path]:
    """Write ``coco`` as ``<root>/annotations/<name>`` and images under ``<root>/images/<split>``.

    ``images`` maps file_name -> pixel array (PNG/JPEG by extension); returns
    the annotation file path.
    """

    def build(
        coco: dict,
        images: dict[str, np.ndarray],
        name: str = "instances_train.json",
        image_dir: str = "images/train",
        root: Path | None = None,
    ) -> Path:
        root = root or tmp_path / "dataset"
        for file_name, pixels in images.items():
            save_image(root / image_dir / file_name, pixels)
        ann_file = root / "annotations" / name
        ann_file.parent.mkdir(parents=True, exist_ok=True)
        ann_file.write_text(json.dumps(coco, indent=1))
        return ann_file

    return build
