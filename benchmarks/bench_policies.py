"""Policy speed: ms per 640x480 RGB image, augcli on images alone and with labels, and torchvision v2.

Run: python benchmarks/bench_policies.py [--rounds 5] [--calls 20] [--json out.json]
     python benchmarks/bench_policies.py --torchvision-only   (in an environment with torchvision)

augcli times ``transform.sample(rng, ctx)`` plus ``op.apply(sample)`` with a
fresh seed per call, single-threaded (cv2.setNumThreads(1)), on the image
alone and on the image with eight instances (polygons, RLE masks, boxes,
17 keypoints each, a semantic map): the difference is what carrying the
labels costs. torchvision v2 (when importable) times one call on a uint8
CHW tensor with torch.set_num_threads(1); it takes images only. The
detection policies and InsideBoxes have no torchvision twin. torchvision is
not a dependency of any extra: its wheels here are a multi-GB CUDA build.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 640, 480
IMAGE_FILE = Path(__file__).resolve().parents[1] / "sample_data" / "images" / "street_01.jpg"
# (augcli recipe item, torchvision v2 constructor or None)
ROWS = [
    ({"RandAugment": {}}, "v2.RandAugment()"),
    ({"TrivialAugmentWide": {}}, "v2.TrivialAugmentWide()"),
    ({"AutoAugment": {"policy": "imagenet"}}, "v2.AutoAugment(v2.AutoAugmentPolicy.IMAGENET)"),
    ({"AugMix": {}}, "v2.AugMix()"),
    ({"DetectionAutoAugment": {"policy": "v0"}}, None),
    ({"DetectionAutoAugment": {"policy": "v2"}}, None),
    ({"InsideBoxes": {"transform": {"Rotate": {"limit": 20}}, "p_per_box": 0.5}}, None),
]


def load_image() -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(IMAGE_FILE).convert("RGB").resize((WIDTH, HEIGHT)))


def labelled(image: np.ndarray):
    """Eight instances: 4 polygons, 2 RLE masks, 2 boxes; 17 keypoints each; a semantic map."""
    from augcli.core.sample import Instances, Sample
    from augcli.geometry import rle

    rng = np.random.default_rng(0)
    boxes, polygons, masks = [], [], []
    semantic = np.zeros((HEIGHT, WIDTH), np.uint8)
    for k in range(8):
        x0, y0 = rng.uniform(20, WIDTH - 160), rng.uniform(20, HEIGHT - 140)
        w, h = rng.uniform(60, 140), rng.uniform(60, 120)
        boxes.append([x0, y0, x0 + w, y0 + h])
        semantic[int(y0) : int(y0 + h), int(x0) : int(x0 + w)] = k + 1
        ring = np.array([[x0, y0], [x0 + w, y0 + h / 3], [x0 + w / 2, y0 + h], [x0, y0 + h / 2]])
        polygons.append([ring] if k < 4 else None)
        if 4 <= k < 6:
            mask = np.zeros((HEIGHT, WIDTH), bool)
            mask[int(y0) : int(y0 + h), int(x0) : int(x0 + w)] = True
            masks.append(rle.encode(mask))
        else:
            masks.append(None)
    keypoints = np.zeros((8, 17, 3))
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        keypoints[k, :, 0] = rng.uniform(x0, x1, 17)
        keypoints[k, :, 1] = rng.uniform(y0, y1, 17)
        keypoints[k, :, 2] = 2
    instances = Instances(
        labels=np.arange(1, 9), boxes=boxes, polygons=polygons, masks=masks, keypoints=keypoints
    )
    return Sample(image=image, instances=instances, semantic=semantic)


def augcli_runner(item: dict, sample) -> Callable:
    from augcli.recipe import recipe_from_dict
    from augcli.transforms.base import SampleContext

    transform = recipe_from_dict({"version": 1, "pipeline": [item]}).pipeline.steps[0]
    ctx = SampleContext(width=sample.width, height=sample.height, get_sample=lambda: sample)
    seed = iter(range(10**9))

    def run() -> None:
        op = transform.sample(np.random.default_rng(next(seed)), ctx)
        if op is not None:
            op.apply(sample)

    return run


def torchvision_runner(constructor: str, image: np.ndarray) -> Callable:
    import torch
    from torchvision.transforms import v2

    torch.set_num_threads(1)
    torch.manual_seed(0)
    transform = eval(constructor, {"v2": v2})  # the ROWS table above, nothing else
    tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    return lambda: transform(tensor)


def best_ms(run: Callable, rounds: int, calls: int) -> float:
    run()  # warm-up
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        per_round.append((time.perf_counter() - start) * 1000 / calls)
    return statistics.median(per_round)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--torchvision-only", action="store_true")
    args = parser.parse_args(argv)
    image = load_image()
    results = []
    if args.torchvision_only:
        for _, constructor in ROWS:
            if constructor:
                ms = best_ms(torchvision_runner(constructor, image), args.rounds, args.calls)
                results.append({"item": constructor, "torchvision_ms": ms})
                print(f"{constructor:<50} torchvision v2 {ms:7.2f} ms")
    else:
        import cv2

        from augcli.core.sample import Instances, Sample

        cv2.setNumThreads(1)
        try:
            import torchvision  # noqa: F401

            have_tv = True
        except ImportError:
            have_tv = False
            print("torchvision is not importable here: augcli columns only (see --torchvision-only)")
        bare = Sample(image=image, instances=Instances.empty())
        full = labelled(image)
        print(f"{'transform':<70} {'image':>8} {'labels':>8} {'torchvision':>12}")
        for item, constructor in ROWS:
            image_ms = best_ms(augcli_runner(item, bare), args.rounds, args.calls)
            label_ms = best_ms(augcli_runner(item, full), args.rounds, args.calls)
            tv_ms = None
            if have_tv and constructor:
                tv_ms = best_ms(torchvision_runner(constructor, image), args.rounds, args.calls)
            results.append(
                {"item": item, "image_ms": image_ms, "labels_ms": label_ms, "torchvision_ms": tv_ms}
            )
            tv = f"{tv_ms:10.2f}" if tv_ms is not None else "         -"
            print(f"{json.dumps(item):<70} {image_ms:8.2f} {label_ms:8.2f} {tv:>12}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
