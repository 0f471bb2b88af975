"""Small, faithful replicas of public dataset layouts, generated under a test's tmp_path.

Each builder writes the folder names, file-name patterns and annotation
schema of the real dataset (checked against the datasets' own docs and
loaders), with few, small, synthetic images.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from format_helpers import noise_image, save_image
from PIL import Image

COCO_BODY = (
    "nose left_eye right_eye left_ear right_ear left_shoulder right_shoulder left_elbow "
    "right_elbow left_wrist right_wrist left_hip right_hip left_knee right_knee left_ankle right_ankle"
).split()


def _points(rng: np.random.Generator, count: int, box: tuple, v=2) -> list:
    x, y, w, h = box
    out = []
    for _ in range(count):
        out += [round(float(rng.uniform(x, x + w)), 2), round(float(rng.uniform(y, y + h)), 2), v]
    return out


def coco_wholebody(root: Path, width: int = 64, height: int = 48, merged: bool = False) -> Path:
    """COCO-WholeBody v1.0 (``coco_wholebody_train_v1.0.json`` + ``train2017/``).

    The person annotation keeps COCO's 17 ``keypoints`` and adds ``foot_kpts``
    (6), ``face_kpts`` (68), ``lefthand_kpts`` / ``righthand_kpts`` (21),
    ``face_box`` / ``lefthand_box`` / ``righthand_box`` (xywh) and the
    ``*_valid`` flags; a second person has no right hand (zeros, valid false).
    ``merged`` writes the 133-point variant instead (all points in
    ``keypoints`` with confidence-style visibilities, 17 names).
    """
    rng = np.random.default_rng(9)
    save_image(root / "train2017" / "000000000785.jpg", noise_image(width, height, 3), quality=95)
    person = {
        "id": 1,
        "image_id": 785,
        "category_id": 1,
        "iscrowd": 0,
        "bbox": [8.0, 4.0, 40.0, 40.0],
        "area": 1600.0,
        "segmentation": [[8, 4, 48, 4, 48, 44, 8, 44]],
        "num_keypoints": 17,
    }
    body = _points(rng, 17, (8, 4, 40, 40))
    foot = _points(rng, 6, (10, 38, 30, 6))
    face = _points(rng, 68, (20, 5, 12, 10), v=1)
    left, right = _points(rng, 21, (36, 20, 10, 8)), _points(rng, 21, (9, 22, 10, 8))
    if merged:
        points = body + foot + face + left + right
        points[2::3] = [round(float(v), 3) for v in rng.uniform(0.05, 1.0, len(points) // 3)]
        annotations = [dict(person, keypoints=points)]
    else:
        annotations = [
            dict(
                person,
                keypoints=body,
                foot_kpts=foot,
                face_kpts=face,
                lefthand_kpts=left,
                righthand_kpts=right,
                face_box=[20.0, 5.0, 12.0, 10.0],
                lefthand_box=[36.0, 20.0, 10.0, 8.0],
                righthand_box=[9.0, 22.0, 10.0, 8.0],
                face_valid=True,
                lefthand_valid=True,
                righthand_valid=True,
                foot_valid=True,
                head_box=[18.0, 2.0, 16.0, 16.0],  # not WholeBody: coordinates nobody moves
            ),
            dict(
                person,
                id=2,
                bbox=[30.0, 10.0, 20.0, 30.0],
                segmentation=[[30, 10, 50, 10, 50, 40, 30, 40]],
                keypoints=_points(rng, 17, (30, 10, 20, 30)),
                foot_kpts=[0] * 18,
                face_kpts=[0] * 204,
                lefthand_kpts=_points(rng, 21, (31, 25, 6, 6)),
                righthand_kpts=[0] * 63,
                face_box=[0, 0, 0, 0],
                lefthand_box=[31.0, 25.0, 6.0, 6.0],
                righthand_box=[0, 0, 0, 0],
                face_valid=False,
                lefthand_valid=True,
                righthand_valid=False,
                foot_valid=False,
            ),
        ]
    data = {
        "info": {"description": "COCO-WholeBody"},
        "images": [{"id": 785, "file_name": "000000000785.jpg", "width": width, "height": height}],
        "annotations": annotations,
        "categories": [
            {
                "id": 1,
                "name": "person",
                "supercategory": "person",
                "keypoints": COCO_BODY,
                "skeleton": [[16, 14], [14, 12], [17, 15], [15, 13]],
            }
        ],
    }
    path = root / "annotations" / "coco_wholebody_train_v1.0.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _coco_file(path: Path, images: list[dict], annotations: list[dict], categories: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"images": images, "annotations": annotations, "categories": categories}
    path.write_text(json.dumps(data))
    return path


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def facade_coco(root: Path, width: int = 96, height: int = 64) -> Path:
    """A facade-parsing export (CMP Facade / LabelMe style, as COCO): the windows are
    drawn first and the whole building facade last, over them; one balcony is
    mostly covered by a smaller sign."""
    save_image(root / "images" / "cmp_b0001.png", noise_image(width, height, 4))
    annotations, ann_id = [], 0
    for row in range(3):
        for col in range(5):
            ann_id += 1
            x, y = 8 + col * 17, 6 + row * 18
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": 1,
                    "category_id": 2,
                    "iscrowd": 0,
                    "bbox": [x, y, 9, 10],
                    "area": 90,
                    "segmentation": [_rect(x, y, x + 9, y + 10)],
                }
            )
    annotations.append(
        {
            "id": 100,
            "image_id": 1,
            "category_id": 1,
            "iscrowd": 0,
            "bbox": [2, 2, 92, 60],
            "area": 5520,
            "segmentation": [_rect(2, 2, 94, 62)],
        }
    )
    annotations.append(
        {
            "id": 101,
            "image_id": 1,
            "category_id": 3,
            "iscrowd": 0,
            "bbox": [60, 53, 10, 9],
            "area": 90,
            "segmentation": [_rect(60, 53, 70, 62)],
        }
    )
    annotations.append(  # a sign over most of the balcony
        {
            "id": 102,
            "image_id": 1,
            "category_id": 4,
            "iscrowd": 0,
            "bbox": [60, 53, 8, 7],
            "area": 56,
            "segmentation": [_rect(60, 53, 68, 60)],
        }
    )
    categories = [{"id": i, "name": n} for i, n in enumerate(("facade", "window", "balcony", "sign"), 1)]
    images = [{"id": 1, "file_name": "cmp_b0001.png", "width": width, "height": height}]
    return _coco_file(root / "annotations" / "instances_default.json", images, annotations, categories)


def index_masks(root: Path, values: list[int], bits: int = 8, size: tuple[int, int] = (40, 30)) -> Path:
    """``images/`` + ``masks/`` with greyscale class-index masks and no class list
    (how many segmentation repositories ship, e.g. CamVid's ``trainannot/``)."""
    width, height = size
    for n, top in enumerate(values):
        save_image(root / "images" / f"{n:04d}.png", noise_image(width, height, n))
        mask = np.zeros((height, width), dtype=np.uint16 if bits == 16 else np.uint8)
        mask[5:15, 5:20] = top
        mask[18:25, 22:35] = max(top - 1, 1)
        image = mask if bits == 8 else mask.astype(np.uint16)
        save_image(root / "masks" / f"{n:04d}.png", image)
    return root


def roboflow_yolo(root: Path, lines: list[str], size: tuple[int, int] = (64, 48)) -> Path:
    """A Roboflow "YOLOv8" export: ``train/images`` + ``train/labels`` and ``valid/...``
    beside ``data.yaml`` (entries written relative to the YAML's folder, as Ultralytics
    resolves them)."""
    width, height = size
    for n, split in enumerate(("train", "valid")):
        name = f"IMG_000{n}_jpg.rf.3f2a{n}"
        save_image(root / split / "images" / f"{name}.jpg", noise_image(width, height, 5 + n), quality=95)
        labels = root / split / "labels" / f"{name}.txt"
        labels.parent.mkdir(parents=True, exist_ok=True)
        labels.write_text("".join(line + "\n" for line in lines))
    (root / "data.yaml").write_text(
        "train: train/images\nval: valid/images\n\nnc: 2\nnames: ['board', 'piece']\n"
    )
    return root / "data.yaml"


def _label_image(width: int, height: int, values: list[int], seed: int) -> np.ndarray:
    """Blocks of ``values`` (one per vertical band), so every value is present."""
    out = np.zeros((height, width), dtype=np.uint8)
    bands = np.array_split(np.arange(width), len(values))
    for band, value in zip(bands, values):
        out[:, band] = value
    out[: height // 3, : width // 4] = values[seed % len(values)]
    return out


def loveda(root: Path, size: tuple[int, int] = (32, 24)) -> Path:
    """LoveDA: ``Train/{Urban,Rural}/images_png/<n>.png`` + ``masks_png/<n>.png`` (index masks,
    0 no-data, 1..7 classes)."""
    width, height = size
    for n, scene in enumerate(("Urban", "Rural")):
        for k in range(2):
            name = f"{1366 + 2 * n + k}.png"
            save_image(root / "Train" / scene / "images_png" / name, noise_image(width, height, n * 2 + k))
            save_image(
                root / "Train" / scene / "masks_png" / name, _label_image(width, height, [0, 1, 2, 5, 7], k)
            )
    return root


def lip(root: Path, size: tuple[int, int] = (24, 32)) -> Path:
    """LIP (Look Into Person): ``TrainVal_images/train_images/<id>.jpg`` +
    ``TrainVal_parsing_annotations/train_segmentations/<id>.png`` (index masks 0..19)."""
    width, height = size
    for split in ("train", "val"):
        for k in range(2):
            stem = f"{k + 100}_{460 + k}"
            save_image(
                root / "TrainVal_images" / f"{split}_images" / f"{stem}.jpg",
                noise_image(width, height, k),
                quality=95,
            )
            save_image(
                root / "TrainVal_parsing_annotations" / f"{split}_segmentations" / f"{stem}.png",
                _label_image(width, height, [0, 2, 5, 13, 19], k),
            )
        (root / f"{split}_id.txt").write_text("".join(f"{k + 100}_{460 + k}\n" for k in range(2)))
    return root


def labelme_semantic(root: Path, size: tuple[int, int] = (32, 24)) -> Path:
    """labelme2voc.py's semantic export: ``JPEGImages/``, ``SegmentationClass/*.npy``,
    ``SegmentationClassPNG/*.png`` (palette), ``SegmentationClassVisualization/*.jpg`` and
    ``class_names.txt`` (``_background_`` first)."""
    width, height = size
    (root / "class_names.txt").parent.mkdir(parents=True, exist_ok=True)
    (root / "class_names.txt").write_text("_background_\ncat\ndog\n")
    from augcli.formats.labelmaps import voc_palette_bytes

    for k in range(2):
        stem = f"2011_00000{k + 3}"
        save_image(root / "JPEGImages" / f"{stem}.jpg", noise_image(width, height, k), quality=95)
        labels = _label_image(width, height, [0, 1, 2], k)
        (root / "SegmentationClass").mkdir(parents=True, exist_ok=True)
        np.save(root / "SegmentationClass" / f"{stem}.npy", labels.astype(np.int32))
        mask = Image.fromarray(labels, "P")
        mask.putpalette(voc_palette_bytes())
        (root / "SegmentationClassPNG").mkdir(parents=True, exist_ok=True)
        mask.save(root / "SegmentationClassPNG" / f"{stem}.png")
        save_image(
            root / "SegmentationClassVisualization" / f"{stem}.jpg", noise_image(width, height, 9), quality=90
        )
    return root


def kaggle_camvid(root: Path, size: tuple[int, int] = (30, 20)) -> Path:
    """Kaggle's CamVid: ``train/<name>.png`` + ``train_labels/<name>_L.png`` colour masks and
    ``class_dict.csv`` (``name,r,g,b``)."""
    width, height = size
    rows = [
        ("Animal", (64, 128, 64)),
        ("Road", (128, 64, 128)),
        ("Sky", (128, 128, 128)),
        ("Void", (0, 0, 0)),
    ]
    (root / "class_dict.csv").parent.mkdir(parents=True, exist_ok=True)
    (root / "class_dict.csv").write_text(
        "name,r,g,b\n" + "".join(f"{n},{c[0]},{c[1]},{c[2]}\n" for n, c in rows)
    )
    colours = np.array([c for _, c in rows], dtype=np.uint8)
    for split in ("train", "val"):
        for k in range(2):
            stem = f"0001TP_00{6690 + 30 * k}"
            save_image(root / split / f"{stem}.png", noise_image(width, height, k))
            save_image(
                root / f"{split}_labels" / f"{stem}_L.png",
                colours[_label_image(width, height, [0, 1, 2, 3], k)],
            )
    return root


ISPRS_COLOURS = {
    "impervious_surfaces": (255, 255, 255),
    "building": (0, 0, 255),
    "low_vegetation": (0, 255, 255),
    "tree": (0, 255, 0),
    "car": (255, 255, 0),
    "clutter": (255, 0, 0),
}


def isprs_rgb(root: Path, size: tuple[int, int] = (32, 32)) -> Path:
    """ISPRS Potsdam / Vaihingen tiles as commonly re-shipped: ``images_png/`` +
    ``masks_png/`` with RGB-coded labels and no class list (the palette is in the paper)."""
    width, height = size
    colours = np.array(list(ISPRS_COLOURS.values()), dtype=np.uint8)
    for k in range(2):
        name = f"top_potsdam_2_1{k}.png"
        save_image(root / "images_png" / name, noise_image(width, height, k))
        save_image(root / "masks_png" / name, colours[_label_image(width, height, [0, 1, 2, 3, 4, 5], k)])
    return root


def labelme_instances(root: Path, size: tuple[int, int] = (40, 30)) -> Path:
    """labelme2voc.py's instance export: ``JPEGImages/``, ``SegmentationClass/`` and
    ``SegmentationObject/`` palette PNGs (object values 1..N, 255 ignore), their
    ``*Visualization/`` JPEGs and ``class_names.txt``; no ``Annotations/``."""
    from augcli.formats.labelmaps import voc_palette_bytes

    width, height = size
    (root).mkdir(parents=True, exist_ok=True)
    (root / "class_names.txt").write_text("_background_\ncat\ndog\n")
    for k in range(2):
        stem = f"2011_00000{k + 3}"
        save_image(root / "JPEGImages" / f"{stem}.jpg", noise_image(width, height, k), quality=95)
        objects = np.zeros((height, width), np.uint8)
        objects[3:12, 4 + k : 15] = 1
        objects[15:27, 20:36] = 2
        objects[2:8, 30:38] = 3
        objects[0, :] = 255
        classes = np.choose(objects.clip(0, 4) % 4, [0, 1, 2, 1]).astype(np.uint8)
        classes[objects == 255] = 255
        for folder, values in (("SegmentationClass", classes), ("SegmentationObject", objects)):
            image = Image.fromarray(values, "P")
            image.putpalette(voc_palette_bytes())
            (root / folder).mkdir(parents=True, exist_ok=True)
            image.save(root / folder / f"{stem}.png")
            save_image(
                root / f"{folder}Visualization" / f"{stem}.jpg", noise_image(width, height, 7), quality=90
            )
    return root


def voc_repository(root: Path, size: tuple[int, int] = (48, 36)) -> Path:
    """A VOC-XML repository as many GitHub datasets ship it: ``annotations/<name>.xml``
    beside ``images/<name>.jpg`` (no ``Annotations/``, no ``ImageSets/``)."""
    width, height = size
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(("maksssksksss0", "maksssksksss1")):
        save_image(root / "images" / f"{name}.png", noise_image(width, height, k))
        (root / "annotations" / f"{name}.xml").write_text(
            f"<annotation><folder>images</folder><filename>{name}.png</filename>"
            f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"
            "<segmented>0</segmented>"
            "<object><name>with_mask</name><pose>Unspecified</pose><truncated>0</truncated>"
            "<occluded>0</occluded><difficult>0</difficult>"
            f"<bndbox><xmin>{5 + k}</xmin><ymin>4</ymin><xmax>20</xmax><ymax>18</ymax></bndbox></object>"
            "</annotation>"
        )
    return root
