"""Per-transform speed: augcli vs its Albumentations 2.0.8 twin, ms per 640x480 RGB image.

Run: python benchmarks/bench_transforms.py [--only NAME ...] [--rounds 7] [--calls 8] [--json out.json] [--wall]

Both sides run single-threaded (cv2.setNumThreads(1)) on the same uint8
image, with p = 1. augcli times ``transform.sample(rng, ctx)`` plus
``op.apply(sample)``, drawing fresh parameters from one generator per row;
Albumentations times one call of the transform (its parameter draw included). Pixel transforms get
the image only. Geometric and dropout transforms get the image plus eight
boxes on both sides (Albumentations through ``A.Compose`` with
``BboxParams``); rows marked ``mask`` also carry a semantic mask. The two
contenders alternate in rounds, so load from other processes hits both, and
the clock is the process's CPU time (``--wall``: wall clock), which a busy
shared machine distorts far less.
The ratio is augcli / Albumentations (below 1: augcli is faster); the
closing list names every transform more than 1.3x slower than its twin.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.transforms.base import SampleContext
from augcli.transforms.catalog import load_all

WIDTH, HEIGHT = 640, 480
SLOWER_LIMIT = 1.3  # issue #15: no transform more than 1.3x slower than its twin
IMAGE_FILE = Path(__file__).resolve().parents[1] / "sample_data" / "images" / "street_01.jpg"

# ===========================================================================================
# TWINS: augcli recipe item -> Albumentations 2.0.8 constructor call (p=1 is added to both).
# Add a row when you add a transform Albumentations also has; keep the settings equivalent.
# Optional third element: {"mask": True} to give both sides a semantic mask as well, and
# {"alb_inputs": {...}} for extra keyword inputs Albumentations needs (e.g. cropping_bbox).
# ===========================================================================================
TWINS: list[tuple] = [
    # --- pixel: foundation ------------------------------------------------------------------
    (
        "RandomBrightnessContrast: {brightness_limit: 0.2, contrast_limit: 0.2}",
        "A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.2)",
    ),
    (
        "ColorJitter: {brightness: 0.2, contrast: 0.2, saturation: 0.3, hue: 0.05}",
        "A.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.3, hue=0.05)",
    ),
    (
        "HueSaturationValue: {hue_shift_limit: 10, sat_shift_limit: 25, val_shift_limit: 15}",
        "A.HueSaturationValue(hue_shift_limit=10, sat_shift_limit=25, val_shift_limit=15)",
    ),
    (
        "RGBShift: {r_shift_limit: 15, g_shift_limit: 15, b_shift_limit: 15}",
        "A.RGBShift(r_shift_limit=15, g_shift_limit=15, b_shift_limit=15)",
    ),
    ("RandomGamma: {gamma_limit: [70, 150]}", "A.RandomGamma(gamma_limit=(70, 150))"),
    ("ToGray: {method: weighted_average}", "A.ToGray(method='weighted_average')"),
    ("CLAHE: {clip_limit: [1, 3]}", "A.CLAHE(clip_limit=(1, 3))"),
    (
        "Sharpen: {alpha: [0.1, 0.3], lightness: [0.9, 1.1]}",
        "A.Sharpen(alpha=(0.1, 0.3), lightness=(0.9, 1.1))",
    ),
    ("Blur: {blur_limit: [3, 7]}", "A.Blur(blur_limit=(3, 7))"),
    ("GaussianBlur: {sigma_limit: [0.2, 1.5]}", "A.GaussianBlur(sigma_limit=(0.2, 1.5))"),
    ("MotionBlur: {blur_limit: [3, 9]}", "A.MotionBlur(blur_limit=(3, 9))"),
    ("GaussNoise: {std_range: [0.02, 0.08]}", "A.GaussNoise(std_range=(0.02, 0.08))"),
    ("ImageCompression: {quality_range: [40, 90]}", "A.ImageCompression(quality_range=(40, 90))"),
    # --- pixel: colour, tone, filters ---------------------------------------------------------
    ("ToSepia: {}", "A.ToSepia()"),
    ("ChannelShuffle: {}", "A.ChannelShuffle()"),
    ("ChannelDropout: {channel_drop_range: [1, 2]}", "A.ChannelDropout(channel_drop_range=(1, 2))"),
    ("FancyPCA: {alpha: 0.1}", "A.FancyPCA(alpha=0.1)"),
    ("PlanckianJitter: {mode: blackbody}", "A.PlanckianJitter(mode='blackbody')"),
    ("Equalize: {mode: cv, by_channels: true}", "A.Equalize(mode='cv', by_channels=True)"),
    ("AutoContrast: {cutoff: 1, method: cdf}", "A.AutoContrast(cutoff=1, method='cdf')"),
    ("Posterize: {num_bits: [3, 5]}", "A.Posterize(num_bits=(3, 5))"),
    ("Solarize: {threshold_range: [0.4, 0.6]}", "A.Solarize(threshold_range=(0.4, 0.6))"),
    ("InvertImg: {}", "A.InvertImg()"),
    (
        "UnsharpMask: {blur_limit: [3, 7], alpha: [0.2, 0.5]}",
        "A.UnsharpMask(blur_limit=(3, 7), alpha=(0.2, 0.5))",
    ),
    ("Emboss: {alpha: [0.2, 0.5], strength: [0.2, 0.7]}", "A.Emboss(alpha=(0.2, 0.5), strength=(0.2, 0.7))"),
    ("RandomToneCurve: {scale: 0.1}", "A.RandomToneCurve(scale=0.1)"),
    ("Illumination: {mode: gaussian}", "A.Illumination(mode='gaussian')"),
    ("Illumination: {mode: linear}", "A.Illumination(mode='linear')"),
    ("PlasmaBrightnessContrast: {}", "A.PlasmaBrightnessContrast()"),
    ("PlasmaShadow: {}", "A.PlasmaShadow()"),
    ("ChromaticAberration: {mode: random}", "A.ChromaticAberration(mode='random')"),
    (
        "Superpixels: {p_replace: [0.1, 0.3], n_segments: [50, 150]}",
        "A.Superpixels(p_replace=(0.1, 0.3), n_segments=(50, 150))",
    ),
    ("Downscale: {scale_range: [0.3, 0.6]}", "A.Downscale(scale_range=(0.3, 0.6))"),
    ("MedianBlur: {blur_limit: [3, 7]}", "A.MedianBlur(blur_limit=(3, 7))"),
    ("AdvancedBlur: {}", "A.AdvancedBlur()"),
    ("Defocus: {radius: [3, 10]}", "A.Defocus(radius=(3, 10))"),
    (
        "GlassBlur: {sigma: 0.7, max_delta: 4, iterations: 2}",
        "A.GlassBlur(sigma=0.7, max_delta=4, iterations=2)",
    ),
    ("ZoomBlur: {}", "A.ZoomBlur()"),
    # --- pixel: noise -------------------------------------------------------------------------
    ("ISONoise: {}", "A.ISONoise()"),
    ("ShotNoise: {}", "A.ShotNoise()"),
    ("SaltAndPepper: {}", "A.SaltAndPepper()"),
    ("MultiplicativeNoise: {}", "A.MultiplicativeNoise()"),
    (
        "MultiplicativeNoise: {per_channel: true, elementwise: true}",
        "A.MultiplicativeNoise(per_channel=True, elementwise=True)",
    ),
    # --- pixel: weather -----------------------------------------------------------------------
    ("RandomFog: {fog_coef_range: [0.3, 1.0]}", "A.RandomFog(fog_coef_range=(0.3, 1.0))"),
    ("RandomRain: {}", "A.RandomRain()"),
    ("RandomSnow: {method: bleach}", "A.RandomSnow(method='bleach')"),
    ("RandomSnow: {method: texture}", "A.RandomSnow(method='texture')"),
    ("RandomSunFlare: {}", "A.RandomSunFlare()"),
    ("RandomSunFlare: {method: physics_based}", "A.RandomSunFlare(method='physics_based')"),
    ("RandomShadow: {}", "A.RandomShadow()"),
    ("RandomGravel: {}", "A.RandomGravel()"),
    ("Spatter: {mode: rain}", "A.Spatter(mode='rain')"),
    ("Spatter: {mode: mud}", "A.Spatter(mode='mud')"),
    # --- geometric (image + boxes) ------------------------------------------------------------
    ("HorizontalFlip: {}", "A.HorizontalFlip()"),
    ("VerticalFlip: {}", "A.VerticalFlip()"),
    ("Transpose: {}", "A.Transpose()"),
    ("RandomRotate90: {}", "A.RandomRotate90()"),
    ("D4: {}", "A.D4()"),
    ("Rotate: {limit: [-30, 30]}", "A.Rotate(limit=(-30, 30))"),
    ("SafeRotate: {limit: [-30, 30]}", "A.SafeRotate(limit=(-30, 30))"),
    (
        "Affine: {rotate: [-15, 15], scale: [0.9, 1.1], translate_percent: [-0.05, 0.05]}",
        "A.Affine(rotate=(-15, 15), scale=(0.9, 1.1), translate_percent=(-0.05, 0.05))",
    ),
    (
        "ShiftScaleRotate: {shift_limit: 0.05, scale_limit: 0.1, rotate_limit: 15}",
        "A.ShiftScaleRotate(shift_limit=0.05, scale_limit=0.1, rotate_limit=15)",
    ),
    ("Perspective: {scale: [0.05, 0.1]}", "A.Perspective(scale=(0.05, 0.1))"),
    ("RandomScale: {scale_limit: [-0.3, 0.3]}", "A.RandomScale(scale_limit=(-0.3, 0.3))"),
    ("ElasticTransform: {alpha: 40, sigma: 6}", "A.ElasticTransform(alpha=40, sigma=6)"),
    (
        "GridDistortion: {num_steps: 5, distort_limit: 0.3}",
        "A.GridDistortion(num_steps=5, distort_limit=0.3)",
    ),
    ("OpticalDistortion: {distort_limit: 0.1}", "A.OpticalDistortion(distort_limit=0.1)"),
    ("ThinPlateSpline: {scale_range: [0.05, 0.1]}", "A.ThinPlateSpline(scale_range=(0.05, 0.1))"),
    (
        "PiecewiseAffine: {scale: [0.02, 0.04], nb_rows: 4, nb_cols: 4}",
        "A.PiecewiseAffine(scale=(0.02, 0.04), nb_rows=4, nb_cols=4)",
    ),
    (
        "GridElasticDeform: {num_grid_xy: [4, 4], magnitude: 10}",
        "A.GridElasticDeform(num_grid_xy=(4, 4), magnitude=10)",
    ),
    ("RandomGridShuffle: {grid: [3, 3]}", "A.RandomGridShuffle(grid=(3, 3))"),
    # --- crops, pads, resizes (image + boxes) --------------------------------------------------
    ("RandomCrop: {height: 384, width: 512}", "A.RandomCrop(height=384, width=512)"),
    ("CenterCrop: {height: 384, width: 512}", "A.CenterCrop(height=384, width=512)"),
    (
        "Crop: {x_min: 40, y_min: 30, x_max: 600, y_max: 450}",
        "A.Crop(x_min=40, y_min=30, x_max=600, y_max=450)",
    ),
    (
        "RandomResizedCrop: {size: [384, 512], scale: [0.5, 1.0]}",
        "A.RandomResizedCrop(size=(384, 512), scale=(0.5, 1.0))",
    ),
    (
        "RandomSizedBBoxSafeCrop: {height: 384, width: 512}",
        "A.RandomSizedBBoxSafeCrop(height=384, width=512)",
    ),
    ("BBoxSafeRandomCrop: {}", "A.BBoxSafeRandomCrop()"),
    (
        "AtLeastOneBBoxRandomCrop: {height: 384, width: 512}",
        "A.AtLeastOneBBoxRandomCrop(height=384, width=512)",
    ),
    ("RandomCropFromBorders: {}", "A.RandomCropFromBorders()"),
    (
        "RandomCropNearBBox: {max_part_shift: [0.3, 0.3]}",
        "A.RandomCropNearBBox(max_part_shift=(0.3, 0.3))",
        {"alb_inputs": {"cropping_bbox": [200, 150, 400, 330]}},
    ),
    (
        "CropNonEmptyMaskIfExists: {height: 384, width: 512}",
        "A.CropNonEmptyMaskIfExists(height=384, width=512)",
        {"mask": True},
    ),
    ("CropAndPad: {px: [-20, 20]}", "A.CropAndPad(px=(-20, 20))"),
    ("Pad: {padding: [16, 8]}", "A.Pad(padding=(16, 8))"),
    # LetterBox has no single twin: LongestMaxSize then PadIfNeeded is the Albumentations way
    (
        "LetterBox: {size: [640, 640]}",
        "A.Compose([A.LongestMaxSize(max_size=640), A.PadIfNeeded(min_height=640, min_width=640, "
        "border_mode=0, fill=114)])",
    ),
    ("PadIfNeeded: {min_height: 512, min_width: 704}", "A.PadIfNeeded(min_height=512, min_width=704)"),
    ("Resize: {height: 384, width: 512}", "A.Resize(height=384, width=512)"),
    ("LongestMaxSize: {max_size: 512}", "A.LongestMaxSize(max_size=512)"),
    ("SmallestMaxSize: {max_size: 384}", "A.SmallestMaxSize(max_size=384)"),
    # --- dropout (image + boxes) ---------------------------------------------------------------
    (
        "CoarseDropout: {num_holes_range: [1, 4], hole_height_range: [0.05, 0.15], hole_width_range: [0.05, 0.15]}",
        "A.CoarseDropout(num_holes_range=(1, 4), hole_height_range=(0.05, 0.15), hole_width_range=(0.05, 0.15))",
    ),
    (
        "GridDropout: {ratio: 0.4, unit_size_range: [40, 80]}",
        "A.GridDropout(ratio=0.4, unit_size_range=(40, 80))",
    ),
    ("PixelDropout: {dropout_prob: 0.02}", "A.PixelDropout(dropout_prob=0.02)"),
    (
        "XYMasking: {num_masks_x: [1, 3], mask_x_length: [10, 40], num_masks_y: [1, 2], mask_y_length: [10, 30]}",
        "A.XYMasking(num_masks_x=(1, 3), mask_x_length=(10, 40), num_masks_y=(1, 2), mask_y_length=(10, 30))",
    ),
    ("Erasing: {scale: [0.02, 0.2]}", "A.Erasing(scale=(0.02, 0.2))"),
    (
        "ConstrainedCoarseDropout: {bbox_labels: [person], num_holes_range: [1, 3], hole_height_range: [0.2, 0.4], hole_width_range: [0.2, 0.4]}",
        "A.ConstrainedCoarseDropout(bbox_labels=['person'], num_holes_range=(1, 3), hole_height_range=(0.2, 0.4), hole_width_range=(0.2, 0.4))",
    ),
    ("MaskDropout: {max_objects: [1, 2]}", "A.MaskDropout(max_objects=(1, 2))", {"mask": True}),
]

BOXES = np.array(
    [
        [40, 60, 160, 200],
        [200, 80, 300, 300],
        [320, 200, 420, 330],
        [450, 40, 600, 180],
        [60, 300, 220, 440],
        [250, 340, 380, 460],
        [420, 260, 620, 420],
        [300, 20, 380, 110],
    ],
    dtype=np.float64,
)
LABELS = np.array([1, 2, 1, 2, 1, 2, 1, 2])
CATEGORIES = Categories([Category(1, "person"), Category(2, "car")])


def test_image() -> np.ndarray:
    if IMAGE_FILE.exists():
        image = cv2.cvtColor(cv2.imread(str(IMAGE_FILE)), cv2.COLOR_BGR2RGB)
        return cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    return np.stack([(xx * 0.3 + yy * 0.1) % 256, (yy * 0.4) % 256, (xx * 0.2 + 60) % 256], 2).astype(
        np.uint8
    )


def semantic_mask() -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    for (x0, y0, x1, y1), label in zip(BOXES.astype(int), LABELS):
        mask[y0 + 10 : y1 - 10, x0 + 10 : x1 - 10] = label
    return mask


def augcli_runner(name: str, config: dict, kind: str, image: np.ndarray, mask: bool) -> Callable:
    registry = load_all()
    transform = registry[name](**{**config, "p": 1.0})
    with_labels = kind != "pixel"
    instances = Instances(labels=LABELS, boxes=BOXES) if with_labels else Instances.empty(None)
    sample = Sample(image=image, instances=instances, semantic=semantic_mask() if mask else None)
    ctx = SampleContext(width=WIDTH, height=HEIGHT, get_sample=lambda: sample, categories=CATEGORIES)
    # One stream for every call, as Albumentations keeps one: fresh parameters each call,
    # and no generator construction timed (a run makes one per output, not per transform).
    rng = np.random.default_rng(0)

    def call():
        op = transform.sample(rng, ctx)
        return op.apply(sample) if op is not None else sample

    return call


def albumentations_runner(constructor: str, kind: str, image: np.ndarray, options: dict) -> Callable:
    import albumentations as A

    # Append p=1.0 as the last keyword of the constructor call.
    call = constructor[:-1] + ("p=1.0)" if constructor.endswith("()") else ", p=1.0)")
    transform = eval(call, {"A": A, "cv2": cv2})  # the TWINS table above, nothing else
    if kind == "pixel":
        return lambda: transform(image=image)
    pipeline = A.Compose(
        [transform],
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], min_visibility=0.0),
        seed=0,
        strict=False,
    )
    names = ["person" if v == 1 else "car" for v in LABELS]
    inputs = {"image": image, "bboxes": BOXES, "labels": names, **options.get("alb_inputs", {})}
    if options.get("mask"):
        inputs["mask"] = semantic_mask()
    return lambda: pipeline(**inputs)


CLOCK = time.process_time  # CPU time: a shared machine's load does not count; --wall for wall time


def time_pair(first: Callable, second: Callable, rounds: int, calls: int) -> tuple[float, float]:
    """ms per call of each: the median over rounds of each round's mean, alternating
    in rounds; two warm-up calls each.

    A round's mean covers the parameters it drew: the cost of a call often
    depends on them (Blur's kernel of 7 costs 4x one of 5), and a median of single
    calls would jump between those costs with the draws. A contender slower than
    a quarter of a second per call (Albumentations' PiecewiseAffine takes
    seconds) gets one round of two calls.
    """
    slowest = 0.0
    for fn in (first, second):
        fn()
        start = CLOCK()
        fn()
        slowest = max(slowest, CLOCK() - start)
    if slowest > 0.25:
        rounds, calls = 1, 2
    times: tuple[list, list] = ([], [])
    for _ in range(rounds):
        for fn, bucket in ((first, times[0]), (second, times[1])):
            start = CLOCK()
            for _ in range(calls):
                fn()
            bucket.append((CLOCK() - start) * 1000 / calls)
    return statistics.median(times[0]), statistics.median(times[1])


def parse_item(item: str) -> tuple[str, dict]:
    ((name, config),) = yaml.safe_load(item).items()
    return name, dict(config or {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="transform names to run (default: all rows)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--wall", action="store_true", help="time wall clock instead of CPU time")
    args = parser.parse_args(argv)
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    try:
        import albumentations as A
    except ImportError:
        print("albumentations is not installed: pip install -e .[bench]")
        return 1
    cv2.setNumThreads(1)
    warnings.filterwarnings("ignore", category=UserWarning, module="albumentations")
    registry = load_all()
    image = test_image()
    rows, failures = [], []
    for entry in TWINS:
        item, constructor, options = entry[0], entry[1], (entry[2] if len(entry) > 2 else {})
        name, config = parse_item(item)
        if name not in registry or (args.only and name not in args.only):
            continue
        kind = registry[name].kind
        try:
            ours = augcli_runner(name, config, kind, image, bool(options.get("mask")))
            theirs = albumentations_runner(constructor, kind, image, options)
            ms_ours, ms_theirs = time_pair(ours, theirs, args.rounds, args.calls)
        except Exception as err:  # a broken row must not hide the others
            failures.append((item, f"{type(err).__name__}: {err}"))
            continue
        rows.append(
            {
                "item": item,
                "name": name,
                "kind": kind,
                "augcli_ms": ms_ours,
                "albumentations_ms": ms_theirs,
                "ratio": ms_ours / ms_theirs,
            }
        )
        print(
            f"{kind:9s} {item[:78]:78s} {ms_ours:8.2f} {ms_theirs:8.2f} {ms_ours / ms_theirs:6.2f}x",
            flush=True,
        )
    report(rows, failures, registry, A)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "failures": failures}, indent=2))
    return 0


def report(rows: list[dict], failures: list, registry: dict, albumentations: Any) -> None:
    print(
        f"\n{len(rows)} rows; ms per {WIDTH}x{HEIGHT} RGB uint8 image, single thread; "
        "ratio = augcli / Albumentations 2.0.8 (< 1 means augcli is faster)"
    )
    if rows:
        ratios = [r["ratio"] for r in rows]
        print(
            f"median ratio {statistics.median(ratios):.2f}x; geometric mean "
            f"{float(np.exp(np.mean(np.log(ratios)))):.2f}x"
        )
    covered = {parse_item(entry[0])[0] for entry in TWINS}
    missing = sorted(n for n in registry if hasattr(albumentations, n) and n not in covered)
    if missing:
        print("registry transforms with an Albumentations twin but no row here: " + ", ".join(missing))
    for item, error in failures:
        print(f"row failed: {item}: {error}")
    slow = sorted((r for r in rows if r["ratio"] > SLOWER_LIMIT), key=lambda r: -r["ratio"])
    print(
        f"\nmore than {SLOWER_LIMIT}x slower than Albumentations: "
        + (", ".join(f"{r['item']} ({r['ratio']:.2f}x)" for r in slow) if slow else "none")
    )


if __name__ == "__main__":
    sys.exit(main())
