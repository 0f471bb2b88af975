"""Mosaic throughput, side by side with Albumentations 2.0.8's Mosaic (MIT).

Run: python benchmarks/bench_mosaic.py [--images 16] [--rounds 200]

Both compose a 2x2 mosaic of 640x480 images with 8 boxes each into a 640x480
output (cells of the output's size, images fitted with `contain`), from the
same decoded images; partners are handed over already loaded on both sides
(Albumentations takes them as `mosaic_metadata`, augcli through the context's
`draw`), so only the composition and the label work are timed. The two run
interleaved, round by round. Prints milliseconds per mosaic and the ratio
(goal >= 1.3x).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from augcli.core.sample import Instances, Sample
from augcli.recipe import Pipeline
from augcli.transforms.catalog import load_all

WIDTH, HEIGHT, BOXES = 640, 480, 8


def make_images(count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        image = rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        x0 = rng.uniform(0, WIDTH - 60, BOXES)
        y0 = rng.uniform(0, HEIGHT - 60, BOXES)
        boxes = np.stack([x0, y0, x0 + rng.uniform(10, 60, BOXES), y0 + rng.uniform(10, 60, BOXES)], 1)
        out.append((image, boxes, rng.integers(1, 5, BOXES)))
    return out


def augcli_runner(images):
    mosaic = load_all()["Mosaic"](grid=[2, 2], output_size=[HEIGHT, WIDTH], fit="contain", fill=0, p=1.0)
    pipeline = Pipeline([mosaic])
    samples = [
        Sample(image=im, instances=Instances(labels=lab, boxes=box), meta={"key": str(i)})
        for i, (im, box, lab) in enumerate(images)
    ]

    def run(index: int, rng: np.random.Generator) -> int:
        def draw(_rng, count=1):
            return [samples[(index + k + 1) % len(samples)] for k in range(count)]

        return len(pipeline.run(samples[index], rng, draw=draw).sample.instances)

    return run


def albumentations_runner(images):
    import albumentations as A

    compose = A.Compose(
        [
            A.Mosaic(
                grid_yx=(2, 2),
                target_size=(HEIGHT, WIDTH),
                cell_shape=(HEIGHT, WIDTH),
                fit_mode="contain",
                p=1.0,
            )
        ],
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]),
        seed=0,
    )
    items = [{"image": im, "bboxes": box, "labels": lab} for im, box, lab in images]

    def run(index: int, rng: np.random.Generator) -> int:
        partners = [items[(index + k + 1) % len(items)] for k in range(3)]
        item = items[index]
        out = compose(
            image=item["image"], bboxes=item["bboxes"], labels=item["labels"], mosaic_metadata=partners
        )
        return len(out["bboxes"])

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    images = make_images(args.images)
    contenders = {"augcli": augcli_runner(images)}
    try:
        contenders["albumentations"] = albumentations_runner(images)
    except ImportError:
        print("albumentations 2.0.8 is not installed (pip install 'augcli[bench]'); timing augcli alone")
    spent = dict.fromkeys(contenders, 0.0)
    rng = np.random.default_rng(1)
    for run in contenders.values():  # warm up
        run(0, rng)
    for r in range(args.rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run(r % len(images), np.random.default_rng(r))
            spent[name] += time.perf_counter() - start
    for name, seconds in spent.items():
        print(f"{name:15s} {1000 * seconds / args.rounds:7.2f} ms per 2x2 mosaic of {WIDTH}x{HEIGHT}")
    if "albumentations" in spent:
        print(
            f"ratio (albumentations / augcli): {spent['albumentations'] / spent['augcli']:.2f}x (goal >= 1.3x)"
        )


if __name__ == "__main__":
    main()
