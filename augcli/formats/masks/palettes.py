"""Class names and colour palettes of semantic-mask datasets.

A palette maps label values to colours (colour-coded RGB masks are read
through it); class names map values to names. Sources, first found wins:

- ``dataset_meta.json`` (Datumaro: ``label_map``, ``segmentation_colors``,
  ``background_label``, ``ignore_index``);
- ``class_dict.csv`` (Kaggle CamVid and many Roboflow/Kaggle exports:
  ``name,r,g,b`` with a header; the row number is the value);
- ``label_colors.txt`` (CamVid: ``r g b<tab>name`` per line);
- ``config.json`` / ``config_v*.json`` (Mapillary Vistas: ``labels`` with
  ``name``/``readable`` and ``color``; the position is the value);
- ``classes.txt`` / ``class_names.txt`` (labelme's export; one name per
  line, the line number is the value) or ``classes.yaml``;
- a file given with ``--palette`` (any of the formats above, or a JSON/YAML
  mapping ``name: [r, g, b]`` in value order);
- the benchmark's own table when the layout is recognised (Cityscapes
  label ids and train ids, CamVid's 32 colours).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from augcli.core.errors import DatasetError
from augcli.core.plain_yaml import load_yaml
from augcli.core.sample import Categories, Category
from augcli.formats import contained

CITYSCAPES_LABEL_IDS = (
    "unlabeled, ego vehicle, rectification border, out of roi, static, dynamic, ground, road, "
    "sidewalk, parking, rail track, building, wall, fence, guard rail, bridge, tunnel, pole, "
    "polegroup, traffic light, traffic sign, vegetation, terrain, sky, person, rider, car, truck, "
    "bus, caravan, trailer, train, motorcycle, bicycle"
).split(", ")
CITYSCAPES_TRAIN_IDS = (
    "road, sidewalk, building, wall, fence, pole, traffic light, traffic sign, vegetation, "
    "terrain, sky, person, rider, car, truck, bus, train, motorcycle, bicycle"
).split(", ")
CAMVID_COLOURS = (
    ("Void", (0, 0, 0)),
    ("Animal", (64, 128, 64)),
    ("Archway", (192, 0, 128)),
    ("Bicyclist", (0, 128, 192)),
    ("Bridge", (0, 128, 64)),
    ("Building", (128, 0, 0)),
    ("Car", (64, 0, 128)),
    ("CartLuggagePram", (64, 0, 192)),
    ("Child", (192, 128, 64)),
    ("Column_Pole", (192, 192, 128)),
    ("Fence", (64, 64, 128)),
    ("LaneMkgsDriv", (128, 0, 192)),
    ("LaneMkgsNonDriv", (192, 0, 64)),
    ("Misc_Text", (128, 128, 64)),
    ("MotorcycleScooter", (192, 0, 192)),
    ("OtherMoving", (128, 64, 64)),
    ("ParkingBlock", (64, 192, 128)),
    ("Pedestrian", (64, 64, 0)),
    ("Road", (128, 64, 128)),
    ("RoadShoulder", (128, 128, 192)),
    ("Sidewalk", (0, 0, 192)),
    ("SignSymbol", (192, 128, 128)),
    ("Sky", (128, 128, 128)),
    ("SUVPickupTruck", (64, 128, 192)),
    ("TrafficCone", (0, 0, 64)),
    ("TrafficLight", (0, 64, 64)),
    ("Train", (192, 64, 128)),
    ("Tree", (128, 128, 0)),
    ("Truck_Bus", (192, 128, 192)),
    ("Tunnel", (64, 0, 64)),
    ("VegetationMisc", (192, 192, 0)),
    ("Wall", (64, 192, 0)),
)
DEFAULT_IGNORE = 255


class Palette:
    """What a class list says: names by value, colours by value (or None), and files read."""

    def __init__(
        self,
        names: dict[int, str] | None = None,
        colours: list[tuple[int, ...]] | None = None,  # (r, g, b) per class
        files: list[str] | None = None,
        background: int | None = None,
        ignore: int | None = None,
    ):
        self.names = dict(names or {})
        self.colours = colours
        self.files = list(files or [])
        self.background = background
        self.ignore = ignore

    def categories(self) -> Categories:
        return Categories([Category(id=v, name=n) for v, n in sorted(self.names.items())])


def _text(path: Path) -> str:
    """The file's text, read without blocking on a FIFO and recorded for --resume (whether a
    dataset's own class list stays inside the dataset is checked in ``dataset_palette``)."""
    real_folder = Path(os.path.realpath(path)).parent
    return contained.dataset_file(contained.read_text, path, real_folder, limit=contained.MAX_YAML_BYTES)


def read_palette_file(path: Path) -> Palette:
    """Any supported class-list file, by name (then by content for ``--palette``)."""
    path = Path(path)
    name = path.name.lower()
    try:
        if name == "dataset_meta.json":
            return _datumaro(path)
        if name.endswith(".csv"):
            return _class_dict(path)
        if name == "label_colors.txt":
            return _label_colors(path)
        if name.startswith("config") and name.endswith(".json"):
            return _mapillary(path)
        if name.endswith((".txt",)):
            return _name_lines(path)
        if name.endswith((".json", ".yaml", ".yml")):
            return _mapping(path)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as err:
        raise DatasetError(f"not a usable class list: {err}", file=str(path)) from None
    raise DatasetError("unknown class-list file (expected .json, .csv, .txt or .yaml)", file=str(path))


def _datumaro(path: Path) -> Palette:
    data = json.loads(_text(path))
    names = {int(k): str(v) for k, v in (data.get("label_map") or {}).items()}
    colours = data.get("segmentation_colors")
    colours = [tuple(int(v) for v in c) for c in colours] if colours else None
    background = data.get("background_label")
    ignore = data.get("ignore_index")
    return Palette(
        names,
        colours,
        [path.name],
        int(background) if background is not None else None,
        int(ignore) if ignore is not None else None,
    )


def _class_dict(path: Path) -> Palette:
    rows = [r for r in csv.reader(io.StringIO(_text(path))) if r and any(c.strip() for c in r)]
    if rows and not all(c.strip().lstrip("-").isdigit() for c in rows[0][1:4]):
        rows = rows[1:]  # the header (name,r,g,b)
    names = {i: row[0].strip() for i, row in enumerate(rows)}
    colours = [tuple(int(c) for c in row[1:4]) for row in rows]
    return Palette(names, colours, [path.name])


def _label_colors(path: Path) -> Palette:
    names: dict[int, str] = {}
    colours: list[tuple[int, ...]] = []
    for line in _text(path).splitlines():
        parts = line.split()
        if not parts or line.lstrip().startswith("#"):
            continue
        if len(parts) >= 4 and all(p.isdigit() for p in parts[:3]):
            colours.append(tuple(int(p) for p in parts[:3]))
            names[len(names)] = " ".join(parts[3:])
        else:
            names[len(names)] = line.strip()
    return Palette(names, colours if len(colours) == len(names) else None, [path.name])


def _mapillary(path: Path) -> Palette:
    labels = json.loads(_text(path))["labels"]
    names = {i: str(label.get("readable") or label["name"]) for i, label in enumerate(labels)}
    colours = [tuple(int(c) for c in label["color"]) for label in labels]
    return Palette(names, colours, [path.name])


def _name_lines(path: Path) -> Palette:
    names = {i: n.strip() for i, n in enumerate(_text(path).splitlines()) if n.strip()}
    return Palette(names, None, [path.name])


def _mapping(path: Path) -> Palette:
    data = load_yaml(_text(path), str(path), error=DatasetError, what="dataset YAML file").data
    if isinstance(data, dict) and "names" in data:
        data = data["names"]
    if isinstance(data, list):
        return Palette(dict(enumerate(str(n) for n in data)), None, [path.name])
    if not isinstance(data, dict):
        raise ValueError("neither a list of names nor a mapping")
    items = list(data.items())
    if all(isinstance(v, list) and len(v) == 3 for _, v in items):  # name: [r, g, b], value order
        names = {i: str(k) for i, (k, _) in enumerate(items)}
        return Palette(names, [tuple(int(c) for c in v) for _, v in items], [path.name])
    return Palette({int(k): str(v) for k, v in items}, None, [path.name])


def camvid_palette() -> Palette:
    return Palette(
        {i: n for i, (n, _) in enumerate(CAMVID_COLOURS)},
        [c for _, c in CAMVID_COLOURS],
        background=0,
        ignore=0,
    )


_CLASS_FILES = (
    "dataset_meta.json",
    "class_dict.csv",
    "label_colors.txt",
    "classes.txt",
    "class_names.txt",
    "classes.yaml",
    "classes.yml",
)


def dataset_palette(source: Path, layout, palette_file: Path | None = None) -> Palette:
    """The class list of a mask dataset (see the module docstring for the order)."""
    source = Path(source)
    if palette_file is not None:
        palette = read_palette_file(Path(palette_file).expanduser())
        palette.files = []  # not part of the dataset: not copied into OUT
        return _with_ignore(palette, layout)
    candidates = list(_CLASS_FILES)
    if layout.name == "mapillary":
        candidates.insert(0, f"config_{layout.version}.json" if layout.version else "config.json")
        candidates.insert(1, "config.json")
    for name in candidates:
        if contained.dataset_file(contained.find_file, source / name, source) is not None:
            return _with_ignore(read_palette_file(source / name), layout)
    if layout.name == "cityscapes":
        train = layout.mask_suffix.endswith("TrainIds")
        names = CITYSCAPES_TRAIN_IDS if train else CITYSCAPES_LABEL_IDS
        return Palette(dict(enumerate(names)), ignore=DEFAULT_IGNORE if train else 0)
    if layout.name == "camvid":
        return camvid_palette()
    return Palette()


def _with_ignore(palette: Palette, layout) -> Palette:
    if palette.ignore is None and palette.colours is not None:
        # a colour-coded mask has no spare value to mark "ignore": new pixels get the background
        palette.ignore = palette.background if palette.background is not None else 0
    return palette
