"""End-to-end throughput of ``augcli expand``, side by side with its baselines.

Run: python benchmarks/bench_expand.py [--images 60] [--copies 4] [--rounds 3]

Every contender writes ``--copies`` outputs per source image of the same
generated 640x480 JPEG COCO dataset, with ``--workers 1`` unless said
otherwise. Rounds are interleaved (each round runs every contender once, so a
slow spell of the shared machine hits them all) and the table shows medians,
of outputs per wall-clock second and per CPU second (the process plus its
finished workers; on a busy shared machine the wall clock also counts the
time a process waits for a core, which hurts a parent/worker pair most):

  1. identity recipe vs the decode+encode floor: Pillow decoding each image
     once and encoding it ``--copies`` times                   (goal >= 1.0x)
  2. typical recipe (flip, affine, brightness/contrast, HSV, noise, blur) vs
     the same recipe in Albumentations 2.0.8 doing the same work, on a
     box-only dataset and on a polygon dataset              (goal >= 2.0x; if installed)
  3. typical recipe with 2 workers vs 1, beside the machine's ceiling (a pure
     OpenCV loop in 2 processes vs 1)               (goal >= 0.95x the ceiling)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_dataset  # noqa: E402

import augcli  # noqa: E402

QUALITY = 95  # augcli's default output.jpeg_quality; every contender encodes at it
TYPICAL_PIPELINE = [
    {"HorizontalFlip": {"p": 0.5}},
    {"Affine": {"rotate": [-15, 15], "scale": [0.9, 1.1], "translate_percent": [-0.05, 0.05], "p": 0.7}},
    {"RandomBrightnessContrast": {"brightness_limit": 0.2, "contrast_limit": 0.2, "p": 0.5}},
    {"HueSaturationValue": {"hue_shift_limit": 10, "sat_shift_limit": 25, "val_shift_limit": 15, "p": 0.5}},
    {"GaussNoise": {"std_range": [0.02, 0.08], "p": 0.3}},
    {"GaussianBlur": {"sigma_limit": [0.2, 1.5], "p": 0.3}},
]


def recipe(pipeline: list, copies: int) -> dict:
    return {"version": 1, "seed": 0, "copies": copies, "keep_original": False, "pipeline": pipeline}


def albumentations_pipeline(kind: str):
    import albumentations as A

    transforms = [
        A.HorizontalFlip(p=0.5),
        A.Affine(rotate=(-15, 15), scale=(0.9, 1.1), translate_percent=(-0.05, 0.05), p=0.7),
        A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.2, p=0.5),
        A.HueSaturationValue(hue_shift_limit=10, sat_shift_limit=25, val_shift_limit=15, p=0.5),
        A.GaussNoise(std_range=(0.02, 0.08), p=0.3),
        A.GaussianBlur(sigma_limit=(0.2, 1.5), p=0.3),
    ]
    if kind == "boxes":
        params = {"bbox_params": A.BboxParams(format="coco", label_fields=["labels"], min_visibility=0.0)}
    else:
        # no polygon target: polygons travel as keypoints, the usual workaround
        params = {"keypoint_params": A.KeypointParams(format="xy", remove_invisible=False)}
    return A.Compose(transforms, seed=0, **params)


def floor_loop(json_path: Path, out: Path, copies: int) -> int:
    """The decode+encode floor: decode each image once, encode it ``copies`` times."""
    doc = json.loads(json_path.read_text())
    images_dir = json_path.parent.parent / "images"
    for entry in doc["images"]:
        with Image.open(images_dir / entry["file_name"]) as im:
            pixels = np.asarray(im.convert("RGB"))
        stem = entry["file_name"].rsplit(".", 1)[0]
        for copy in range(1, copies + 1):
            Image.fromarray(pixels).save(out / f"{stem}__aug{copy}.jpg", quality=QUALITY)
    return len(doc["images"]) * copies


def augcli_run(json_path: Path, out: Path, pipeline: list, copies: int, workers: int) -> int:
    report = augcli.expand(json_path, recipe(pipeline, copies), out, workers=workers, overwrite=True)
    return report.images_out


def albumentations_loop(json_path: Path, out: Path, copies: int, kind: str) -> int:
    """The same job hand-written with Albumentations: decode once, ``copies`` pipeline
    calls, boxes (or polygons carried as keypoints) and areas rebuilt into a COCO file."""
    pipeline = albumentations_pipeline(kind)
    doc = json.loads(json_path.read_text())
    by_image: dict[int, list] = {}
    for ann in doc["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    images_dir = json_path.parent.parent / "images"
    images, annotations = [], []
    for entry in doc["images"]:
        anns = by_image.get(entry["id"], [])
        with Image.open(images_dir / entry["file_name"]) as im:
            pixels = np.asarray(im.convert("RGB"))
        for copy in range(1, copies + 1):
            new_id = len(images) + 1
            if kind == "boxes":
                result = pipeline(
                    image=pixels,
                    bboxes=[a["bbox"] for a in anns],
                    labels=[a["category_id"] for a in anns],
                )
                for box, label in zip(result["bboxes"], result["labels"]):
                    x, y, w, h = (float(v) for v in box)
                    annotations.append(
                        {
                            "id": len(annotations) + 1,
                            "image_id": new_id,
                            "category_id": int(label),
                            "iscrowd": 0,
                            "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                            "area": round(w * h, 2),
                        }
                    )
            else:
                result = _polygon_copy(pipeline, pixels, anns, new_id, annotations)
            height, width = result["image"].shape[:2]
            name = entry["file_name"].replace(".jpg", f"__aug{copy}.jpg")
            Image.fromarray(result["image"]).save(out / name, quality=QUALITY)
            images.append({"id": new_id, "file_name": name, "width": width, "height": height})
    (out / "instances.json").write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": doc["categories"]})
    )
    return len(images)


def _polygon_copy(pipeline, pixels: np.ndarray, anns: list, new_id: int, annotations: list) -> dict:
    rings = [np.asarray(a["segmentation"][0], dtype=np.float64).reshape(-1, 2) for a in anns]
    points = np.concatenate(rings) if rings else np.zeros((0, 2))
    result = pipeline(image=pixels, keypoints=points)
    height, width = result["image"].shape[:2]
    moved = (
        np.split(np.asarray(result["keypoints"]).reshape(-1, 2), np.cumsum([len(r) for r in rings])[:-1])
        if rings
        else []
    )
    for ann, ring in zip(anns, moved):
        ring = np.clip(ring, 0, [width, height])  # crude clipping: Albumentations has none
        x0, y0 = ring.min(0)
        x1, y1 = ring.max(0)
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        x, y = ring[:, 0], ring[:, 1]
        area = 0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))
        annotations.append(
            {
                "id": len(annotations) + 1,
                "image_id": new_id,
                "category_id": ann["category_id"],
                "iscrowd": 0,
                "segmentation": [np.round(ring, 2).ravel().tolist()],
                "bbox": [round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)],
                "area": round(area, 2),
            }
        )
    return result


def _spin(count: int) -> int:
    import cv2

    cv2.setNumThreads(1)
    image = np.full((480, 640, 3), 127, np.uint8)
    matrix = cv2.getRotationMatrix2D((320, 240), 10, 1.05)
    for _ in range(count):
        cv2.warpAffine(image, matrix, (640, 480))
    return count


def machine_ceiling(count: int = 300) -> float:
    """How much faster 2 processes run a pure OpenCV loop than 1 on this machine:
    the most any 2-worker speed-up can reach here."""
    import multiprocessing as mp

    start = time.perf_counter()
    _spin(count)
    one = time.perf_counter() - start
    with mp.get_context("fork").Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_spin, [count // 2, count // 2])
        two = time.perf_counter() - start
    return one / two


def timed(run: Callable[[Path], int], out: Path) -> tuple[float, float]:
    """Outputs per wall-clock second and per CPU second (this process and its finished
    workers) of one run into a fresh ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start, cpu = time.perf_counter(), _cpu_seconds()
    count = run(out)
    return count / (time.perf_counter() - start), count / (_cpu_seconds() - cpu)


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    copies = args.copies
    try:
        import albumentations
    except ImportError:
        albumentations = None
        print("albumentations not installed: pip install -e '.[bench]' to compare")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        polygons = make_dataset(tmp / "polygons", count=args.images)
        boxes = make_dataset(tmp / "boxes", count=args.images, polygons=False)
        runs: dict[str, Callable[[Path], int]] = {
            "floor": lambda out: floor_loop(polygons, out, copies),
            "identity": lambda out: augcli_run(polygons, out, [], copies, 1),
            "typical_boxes": lambda out: augcli_run(boxes, out, TYPICAL_PIPELINE, copies, 1),
            "typical_polygons": lambda out: augcli_run(polygons, out, TYPICAL_PIPELINE, copies, 1),
            "typical_2workers": lambda out: augcli_run(polygons, out, TYPICAL_PIPELINE, copies, 2),
        }
        if albumentations is not None:
            runs["albu_boxes"] = lambda out: albumentations_loop(boxes, out, copies, "boxes")
            runs["albu_polygons"] = lambda out: albumentations_loop(polygons, out, copies, "polygons")
        rates: dict[str, list[float]] = {name: [] for name in runs}
        cpu_rates: dict[str, list[float]] = {name: [] for name in runs}
        ceilings = []
        for _ in range(args.rounds):  # interleaved: a slow spell of the machine hits every contender
            for name, run in runs.items():
                wall, cpu = timed(run, tmp / "out")
                rates[name].append(wall)
                cpu_rates[name].append(cpu)
            ceilings.append(machine_ceiling())
    rate = {name: statistics.median(values) for name, values in rates.items()}
    cpu_rate = {name: statistics.median(values) for name, values in cpu_rates.items()}
    ceiling = statistics.median(ceilings)
    rows = [("identity recipe vs decode once + encode N times", "identity", "floor", 1.0)]
    if albumentations is not None:
        version = albumentations.__version__
        rows.append((f"typical, boxes vs Albumentations {version}", "typical_boxes", "albu_boxes", 2.0))
        rows.append(
            (f"typical, polygons vs Albumentations {version}", "typical_polygons", "albu_polygons", 2.0)
        )
    print(
        f"\n{args.images} images of 640x480 JPEG, {copies} outputs each, outputs per second "
        f"(median of {args.rounds} interleaved rounds); wall clock, and per CPU second (the "
        "process and its workers: what a loaded shared machine does not distort)"
    )
    print(f"{'comparison':48s} {'augcli':>8s} {'baseline':>8s} {'ratio':>6s} {'cpu ratio':>9s} {'goal':>6s}")
    for name, ours, base, goal in rows:
        ratio, cpu_ratio = rate[ours] / rate[base], cpu_rate[ours] / cpu_rate[base]
        flag = "ok" if max(ratio, cpu_ratio) >= goal else "BELOW"
        print(
            f"{name:48s} {rate[ours]:8.1f} {rate[base]:8.1f} {ratio:5.2f}x {cpu_ratio:8.2f}x {goal:5.2f}x {flag}"
        )
    two = rate["typical_2workers"] / rate["typical_polygons"]
    flag = "ok" if two >= 0.95 * ceiling else "BELOW"
    print(
        f"{'typical, 2 workers vs 1 (wall clock)':48s} {rate['typical_2workers']:8.1f} "
        f"{rate['typical_polygons']:8.1f} {two:5.2f}x {'':9s} {0.95 * ceiling:5.2f}x {flag}"
    )
    print(f"{'(machine ceiling: pure OpenCV loop, 2 processes vs 1)':58s} {ceiling:5.2f}x")


if __name__ == "__main__":
    main()
