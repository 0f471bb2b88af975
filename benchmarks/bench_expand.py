"""End-to-end throughput of ``augcli expand``, side by side with its baselines.

Run: python benchmarks/bench_expand.py [--images 120] [--repeat 2]

Prints, measured in one run on the same generated JPEG dataset:
  1. identity recipe vs a plain Pillow decode+encode loop      (target >= 0.85x)
  2. typical recipe vs the same recipe in Albumentations 2.0.8 (target >= 1.3x; if installed)
  3. typical recipe with 2 workers vs 1                         (target >= 1.85x)
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_dataset  # noqa: E402

import augcli  # noqa: E402

TYPICAL = {
    "version": 1, "seed": 0, "copies": 1, "keep_original": False,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-15, 15], "scale": [0.9, 1.1], "translate_percent": [-0.05, 0.05], "p": 0.7}},
        {"OneOf": {"p": 0.5, "transforms": [
            {"GaussianBlur": {"sigma_limit": [0.2, 1.5]}},
            {"GaussNoise": {"std_range": [0.02, 0.08]}},
        ]}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}
IDENTITY = {"version": 1, "seed": 0, "copies": 1, "keep_original": False, "pipeline": []}


def best_of(repeat: int, fn) -> float:
    """Outputs per second, best of ``repeat`` runs (least disturbed by the machine)."""
    best = 0.0
    for _ in range(repeat):
        count, seconds = fn()
        best = max(best, count / seconds)
    return best


def pillow_loop(json_path: Path, out: Path):
    doc = json.loads(json_path.read_text())
    images_dir = json_path.parent.parent / "images"
    fresh(out)
    start = time.perf_counter()
    for entry in doc["images"]:
        with Image.open(images_dir / entry["file_name"]) as im:
            pixels = np.asarray(im.convert("RGB"))
        Image.fromarray(pixels).save(out / entry["file_name"], quality=95)
    return len(doc["images"]), time.perf_counter() - start


def augcli_run(json_path: Path, out: Path, recipe: dict, workers: int):
    fresh(out)
    start = time.perf_counter()
    report = augcli.expand(json_path, recipe, out, workers=workers, overwrite=True)
    return report.images_out, time.perf_counter() - start


def albumentations_loop(json_path: Path, out: Path):
    import albumentations as A

    pipeline = A.Compose([
        A.HorizontalFlip(p=0.5),
        A.Affine(rotate=(-15, 15), scale=(0.9, 1.1), translate_percent=(-0.05, 0.05), p=0.7),
        A.OneOf([A.GaussianBlur(sigma_limit=(0.2, 1.5)), A.GaussNoise(std_range=(0.02, 0.08))], p=0.5),
        A.RandomBrightnessContrast(p=0.5),
    ], bbox_params=A.BboxParams(format="coco", label_fields=["labels"]), seed=0)
    doc = json.loads(json_path.read_text())
    by_image: dict[int, list] = {}
    for ann in doc["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    images_dir = json_path.parent.parent / "images"
    fresh(out)
    start = time.perf_counter()
    written = []
    for entry in doc["images"]:
        anns = by_image.get(entry["id"], [])
        with Image.open(images_dir / entry["file_name"]) as im:
            pixels = np.asarray(im.convert("RGB"))
        result = pipeline(image=pixels, bboxes=[a["bbox"] for a in anns],
                          labels=[a["category_id"] for a in anns])
        name = entry["file_name"].replace(".jpg", "__aug1.jpg")
        Image.fromarray(result["image"]).save(out / name, quality=95)
        written.append({"file_name": name, "bboxes": np.asarray(result["bboxes"]).tolist()})
    (out / "annotations.json").write_text(json.dumps(written))
    return len(doc["images"]), time.perf_counter() - start


def fresh(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        json_path = make_dataset(tmp / "data", count=args.images)
        out = tmp / "out"
        rows = []
        pil = best_of(args.repeat, lambda: pillow_loop(json_path, out))
        ident = best_of(args.repeat, lambda: augcli_run(json_path, out, IDENTITY, 1))
        rows.append(("identity recipe vs Pillow decode+encode", ident, pil, 0.85))
        typical1 = best_of(args.repeat, lambda: augcli_run(json_path, out, TYPICAL, 1))
        try:
            import albumentations  # noqa: F401

            albu = best_of(args.repeat, lambda: albumentations_loop(json_path, out))
            rows.append(("typical recipe vs Albumentations " + albumentations.__version__, typical1, albu, 1.3))
        except ImportError:
            print("albumentations not installed: pip install -e '.[bench]' to compare")
        typical2 = best_of(args.repeat, lambda: augcli_run(json_path, out, TYPICAL, 2))
        rows.append(("typical recipe, 2 workers vs 1", typical2, typical1, 1.85))
    print(f"\n{args.images} images of 640x480 JPEG, outputs/s (best of {args.repeat})")
    print(f"{'comparison':48s} {'augcli':>9s} {'baseline':>9s} {'ratio':>7s} {'target':>7s}")
    for name, ours, base, target in rows:
        ratio = ours / base
        flag = "ok" if ratio >= target else "BELOW"
        print(f"{name:48s} {ours:9.1f} {base:9.1f} {ratio:6.2f}x {target:6.2f}x {flag}")


if __name__ == "__main__":
    main()
