"""Shared helpers for the reliability tests: tiny datasets built in code, tree hashes,
and runs that are killed at chosen points.

Kill points are made by patching functions in a forked child (or in a wrapper
around the CLI) so the product carries no test hooks: the patched call counts
how often it ran in this process and SIGKILLs the whole process group (the run
and its workers, like ``kill -9`` of a batch job) on the n-th call.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

KEYPOINTS = ["nose", "left_eye", "right_eye", "left_hand", "right_hand"]
CATEGORIES = [
    {"id": 1, "name": "person", "keypoints": KEYPOINTS, "skeleton": [[1, 2], [1, 3]]},
    {"id": 7, "name": "box"},
]

RECIPE = {
    "version": 1,
    "seed": 11,
    "copies": 2,
    "keep_original": True,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-25, 25], "scale": [0.8, 1.2], "p": 0.9}},
        {"GaussianBlur": {"sigma_limit": [0.3, 1.2], "p": 0.5}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}


def pixels(width: int, height: int, seed: int, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    base = rng.integers(0, 256, size=shape, dtype=np.uint8)
    return (base // 4 + 96).astype(np.uint8)  # mid-grey noise: every op changes it visibly


def encode(array: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def good_annotations(image_id: int, width: int, height: int, first_id: int) -> list[dict]:
    """A box, a two-part polygon, an uncompressed crowd RLE and a person with keypoints."""
    w, h = width, height
    runs = [h * 2, h * 3, w * h - h * 5]  # columns 2-4 set
    return [
        {
            "id": first_id,
            "image_id": image_id,
            "category_id": 7,
            "bbox": [2, 3, w / 3, h / 4],
            "area": w / 3 * h / 4,
            "iscrowd": 0,
        },
        {
            "id": first_id + 1,
            "image_id": image_id,
            "category_id": 7,
            "iscrowd": 0,
            "segmentation": [[5, 5, 15, 5, 15, 12, 5, 12], [w - 12, h - 10, w - 3, h - 10, w - 6, h - 2]],
            "bbox": [5, 5, w - 8, h - 7],
            "area": 100,
        },
        {
            "id": first_id + 2,
            "image_id": image_id,
            "category_id": 7,
            "iscrowd": 1,
            "segmentation": {"size": [h, w], "counts": runs},
            "bbox": [2, 0, 3, h],
            "area": 3 * h,
        },
        {
            "id": first_id + 3,
            "image_id": image_id,
            "category_id": 1,
            "iscrowd": 0,
            "bbox": [w / 2 - 6, 4, 12, h - 8],
            "area": 12 * (h - 8),
            "num_keypoints": 4,
            "keypoints": [w / 2, 6, 2, w / 2 - 2, 5, 2, w / 2 + 2, 5, 1, w / 2 - 5, h / 2, 2, 0, 0, 0],
        },
    ]


def make_dataset(root: Path, count: int = 4, width: int = 40, height: int = 32) -> Path:
    """``root/annotations/instances_train.json`` + ``root/images/``; returns the JSON path."""
    images, annotations = [], []
    kinds = [("JPEG", ".jpg", 3), ("PNG", ".png", 3), ("PNG", ".png", 4), ("PNG", ".png", 1)]
    (root / "images").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        fmt, ext, channels = kinds[i % len(kinds)]
        name = f"img_{i:02d}{ext}"
        options = {"quality": 90} if fmt == "JPEG" else {}
        (root / "images" / name).write_bytes(encode(pixels(width, height, i, channels), fmt, **options))
        images.append({"id": i + 1, "file_name": name, "width": width, "height": height})
        annotations += good_annotations(i + 1, width, height, first_id=10 * (i + 1))
    coco = {
        "info": {"description": "reliability fixture"},
        "categories": CATEGORIES,
        "images": images,
        "annotations": annotations,
    }
    path = root / "annotations" / "instances_train.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(coco))
    return path


def tree_digest(root: Path, skip: Callable[[Path], bool] = lambda p: False) -> dict[str, str]:
    """Relative path -> sha256 of every file below ``root`` (symlinks listed, not followed)."""
    digest = {}
    for path in sorted(Path(root).rglob("*")):
        if skip(path):
            continue
        rel = str(path.relative_to(root))
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def is_temp(path: Path) -> bool:
    from augcli.formats.atomic import temp_file_target

    return temp_file_target(path.name) is not None


# -- killing a run at a named point ----------------------------------------------------------

CRASH_POINTS = (
    "before-image-rename",
    "after-image-rename",
    "before-parent-rename",
    "after-parent-rename",
    "after-journal-flush",
    "after-sync",
    "before-journal-remove",
)


def _kill_group() -> None:
    os.killpg(os.getpgrp(), signal.SIGKILL)


def install_crash_point(point: str, nth: int) -> None:
    """Patch this process (and the workers it will fork) to die at the ``nth`` ``point``."""
    import augcli.engine.journal as journal_module
    from augcli.engine.journal import Journal

    main_pid = os.getpid()
    counts = {"n": 0}

    def hit() -> None:
        counts["n"] += 1
        if counts["n"] == nth:
            _kill_group()

    in_parent = point.endswith("parent-rename") or point in (
        "after-journal-flush",
        "after-sync",
        "before-journal-remove",
    )
    if point.endswith("rename"):
        real_replace = os.replace

        def replace(src, dst, *args, **kwargs):
            mine = (os.getpid() == main_pid) == in_parent
            if mine and point.startswith("before"):
                hit()
            real_replace(src, dst, *args, **kwargs)
            if mine and point.startswith("after"):
                hit()

        os.replace = replace
    elif point == "after-journal-flush":
        real_flush = Journal.flush

        def flush(self):
            pending = bool(self._pending)
            real_flush(self)
            if pending:
                hit()

        Journal.flush = flush
    elif point == "after-sync":
        real_sync = os.sync

        def sync():
            real_sync()
            if os.getpid() == main_pid:
                hit()

        os.sync = sync
    elif point == "before-journal-remove":
        real_remove = Journal.remove

        def remove(self):
            hit()
            real_remove(self)

        Journal.remove = remove
    else:
        raise ValueError(point)
    journal_module.FLUSH_SECONDS = 0.0  # journal every task: more distinct states to resume from


def run_forked(body: Callable[[], None]) -> int:
    """Run ``body`` in a forked child that leads its own process group; its wait status.

    Returns the signal number that killed it (negative) or its exit code.
    """
    from augcli.engine.pool import quiet_kernels

    quiet_kernels()  # OpenCV's thread pool must be idle before a fork (see engine.pool)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 0
        try:
            os.setsid()
            body()
        except BaseException:  # noqa: BLE001 - report any failure as an exit code
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)  # workers that outlived a dead parent, if any
    except ProcessLookupError:
        pass
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
