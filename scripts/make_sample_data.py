"""Generate ``sample_data/``: a tiny, deterministic COCO dataset of synthetic scenes.

Every labelled object is painted from the rasterisation of the very label that
is written (pycocotools decodes the polygon or RLE; only those pixels are
painted), and no two instances share a pixel, so labels and pixels agree exactly.

Run from the repository root:  ``python scripts/make_sample_data.py [--out sample_data]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image
from sample_objects import (
    add_bush,
    add_car,
    add_crowd,
    add_fence,
    add_person,
    add_pine,
    add_stop_sign,
    add_tree,
)
from sample_scene import CATEGORIES, SEED, Scene, paint_background

# ---------------------------------------------------------------- scenes


def scene_street(s: Scene):
    paint_background(s, horizon=105, street=(150, 168))
    add_tree(s, 60, 88, 30, 10, 150)
    add_stop_sign(s, 272, 108, 12, 4, 158)
    add_person(s, 160, 162, 84, "standing", shirt=(190, 60, 50), trousers=(50, 60, 90))
    add_car(s, 18, 226, 112, 44, (185, 30, 35), facing=1)
    add_car(s, 190, 203, 104, 40, (40, 80, 170), facing=-1)


def scene_park(s: Scene):
    paint_background(s, horizon=100)
    left, right = add_tree(s, 170, 78, 38, 14, 186)
    add_fence(s, 96, 304, 148, 180, gaps=[(left, right)])  # the trunk splits the fence in two
    add_person(s, 58, 232, 112, "waving", shirt=(240, 200, 60), trousers=(70, 70, 80))
    add_bush(s, 262, 214, 34)


def scene_plaza(s: Scene):
    paint_background(s, horizon=118)
    add_crowd(s, 150, 300, 132, 16)
    add_pine(s, 32, 52, 42, 100, 6)
    add_person(
        s, 82, 228, 100, "walking", shirt=(60, 140, 190), trousers=(40, 40, 50), occluded=("right_ear",)
    )
    add_car(s, 176, 230, 118, 46, (230, 230, 225), facing=-1)


def scene_edge(s: Scene):
    """Objects cut by the image border: a clipped car and a person whose feet are out of frame."""
    paint_background(s, horizon=110, street=(160, 175))
    add_tree(s, 282, 82, 28, 9, 158)
    add_stop_sign(s, 118, 120, 11, 4, 170)
    add_person(s, 198, 274, 124, "standing", shirt=(120, 70, 150), trousers=(30, 50, 70))
    add_car(s, -48, 224, 118, 46, (70, 150, 70), facing=1)


def scene_two_people(s: Scene):
    paint_background(s, horizon=104)
    add_bush(s, 36, 212, 26)
    add_pine(s, 302, 36, 46, 126, 7)
    add_person(s, 104, 214, 94, "standing", shirt=(230, 120, 40), trousers=(60, 60, 120))
    add_person(
        s,
        214,
        226,
        104,
        "walking",
        shirt=(70, 170, 110),
        trousers=(90, 70, 50),
        occluded=("right_ear", "right_wrist"),
    )


def scene_traffic(s: Scene):
    paint_background(s, horizon=112, street=(150, 166))
    add_stop_sign(s, 160, 114, 13, 4, 160)
    add_car(s, 8, 204, 100, 40, (40, 130, 80), facing=1)
    add_car(s, 232, 196, 86, 34, (225, 190, 40), facing=1)
    add_car(s, 116, 236, 114, 44, (235, 235, 235), facing=-1)


def scene_portrait(s: Scene):
    paint_background(s, horizon=150)
    add_pine(s, 42, 56, 56, 150, 8)
    add_fence(s, 168, 240, 226, 258, gaps=[])
    add_person(s, 118, 304, 160, "waving", shirt=(200, 50, 110), trousers=(50, 50, 60))


def scene_empty(s: Scene):
    paint_background(s, horizon=130)  # an image with no annotations at all


SCENES = [  # file name, width, height, builder, grain (the PNG is kept smooth so it stays small)
    ("street_01.jpg", 320, 240, scene_street, 5.0),
    ("park_02.jpg", 320, 240, scene_park, 5.0),
    ("plaza_03.jpg", 320, 240, scene_plaza, 5.0),
    ("street_04.jpg", 320, 240, scene_edge, 5.0),
    ("park_05.jpg", 320, 240, scene_two_people, 5.0),
    ("road_06.jpg", 320, 240, scene_traffic, 5.0),
    ("portrait_07.png", 240, 320, scene_portrait, 0.0),
    ("empty_08.jpg", 320, 240, scene_empty, 5.0),
]


def build(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    images_dir, ann_dir = out / "images", out / "annotations"
    images_dir.mkdir(parents=True, exist_ok=True)
    ann_dir.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for image_id, (name, w, h, builder, grain) in enumerate(SCENES, start=1):
        scene = Scene(rng, w, h, grain)
        builder(scene)
        pixels = Image.fromarray(np.clip(np.round(scene.img), 0, 255).astype(np.uint8))
        if name.endswith(".png"):
            pixels.quantize(64, dither=Image.Dither.NONE).convert("RGB").save(
                images_dir / name, optimize=True
            )
        else:
            pixels.save(images_dir / name, quality=88, optimize=True)
        images.append(
            {
                "id": image_id,
                "width": w,
                "height": h,
                "file_name": name,
                "license": 1,
                "flickr_url": "",
                "coco_url": "",
                "date_captured": 0,
            }
        )
        for ann in scene.annotations:
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, **ann})
    dataset = {
        "info": {
            "description": "augcli sample data: synthetic street and park scenes",
            "url": "",
            "version": "1.0",
            "year": 2024,
            "contributor": "augcli",
            "date_created": "2024-06-01",
        },
        "licenses": [
            {"id": 1, "name": "CC0 1.0", "url": "https://creativecommons.org/publicdomain/zero/1.0/"}
        ],
        "categories": CATEGORIES,
        "images": images,
        "annotations": annotations,
    }
    text = json.dumps(dataset, separators=(",", ":"))
    (ann_dir / "instances_default.json").write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(images)} images and {len(annotations)} annotations to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "sample_data")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
