"""Semantic-mask datasets -> canonical ``Sample``s (see ``masks.layout`` for the layouts).

Each sample has no instances and a ``semantic`` label map: the mask's values
(palette indices, 8- or 16-bit grey levels, colour-coded RGB mapped through
the dataset's palette, or ADE20K's R / 10 * 256 + G). ``meta['semantic_info']``
remembers how the mask was stored so the writer stores it the same way;
``meta['ignore_index']`` is the value new pixels get when a warp leaves the
image (255 unless the class list says otherwise).

Colour-coded (RGB) masks without a palette are refused when the dataset is
opened (``DatasetError``), before any work: guessing classes from colours
would silently corrupt every label.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from augcli.core.errors import DatasetError, ImageReadError, ItemError
from augcli.core.sample import Instances, Sample
from augcli.formats.base import ImageLabels
from augcli.formats.coco.layout import image_problem
from augcli.formats.contained import contain
from augcli.formats.images import decode_image
from augcli.formats.labelmaps import read_ade20k_map, read_label_map
from augcli.formats.masks import layout as layouts
from augcli.formats.masks.palettes import DEFAULT_IGNORE, Palette, dataset_palette
from augcli.formats.splits import normalize_split

_PROBES = 4  # masks whose mode is looked at (header only) to refuse RGB without a palette


class MaskFolderReader:
    """Reads a semantic-mask dataset; see ``DatasetReader`` in ``formats.base``."""

    format_name = "masks"

    def __init__(
        self,
        source: Path,
        images: Path | None = None,
        masks: Path | None = None,
        mask_pattern: str | None = None,
        palette: Path | None = None,
    ):
        self.source = Path(source).expanduser().absolute()
        self.layout = layouts.find_layout(self.source, images, masks, mask_pattern)
        self.image_dir, self.mask_dir = self.layout.key_dir, self.layout.mask_dir
        self.root = _dataset_root(self.source, self.image_dir, self.mask_dir)
        self.problems: list[ItemError] = []
        self.notes: list[str] = list(self.layout.notes)
        self._masks: dict[str, str] = {}
        self._index()
        self.problems.extend(self.layout.problems)
        self.classes = self._palette(palette)
        self.categories = self.classes.categories()
        if not self.categories.items and self._masks:
            self.notes.append(
                "no class list (dataset_meta.json, class_dict.csv, classes.txt...): "
                "mask values are kept as numbers without names"
            )

    def _index(self) -> None:
        real_root = os.path.realpath(self.layout.root)
        key_prefix = _prefix(self.image_dir, self.layout.root)
        mask_prefix = _prefix(self.mask_dir, self.layout.root)
        for group in self.layout.groups:
            pairs, lonely_images, lonely_masks = layouts.group_pairs(self.layout, group)
            for image in lonely_images:
                self.problems.append(
                    ImageReadError(
                        f"no mask for this image in {self.layout.root / group.masks}",
                        file=str(self.layout.root / image),
                        image=image.removeprefix(key_prefix),
                    )
                )
            for image, mask in pairs.items():
                key = image.removeprefix(key_prefix)
                problem = image_problem(real_root, image, self.root) or image_problem(
                    real_root, mask, self.root
                )
                if problem is not None:
                    self.problems.append(
                        ImageReadError(problem, file=str(self.layout.root / image), image=key)
                    )
                    continue
                self._masks[key] = mask.removeprefix(mask_prefix)
            for mask in lonely_masks:
                self.problems.append(
                    ImageReadError("mask without an image", file=str(self.layout.root / mask))
                )

    def _palette(self, palette_file: Path | None) -> Palette:
        palette = dataset_palette(self.source, self.layout, palette_file)
        if self.layout.encoding != "index":
            return palette
        coloured = next((k for k in list(self._masks)[:_PROBES] if self._mode(k) in ("RGB", "RGBA")), None)
        if coloured is None and self.layout.name == "camvid" and not palette.files:
            return Palette()  # index masks (SegNet's): CamVid's colour names do not apply
        if coloured is not None and not palette.colours:
            raise DatasetError(
                f"colour-coded (RGB) masks ({self.mask_path(coloured)}) but no palette to read them "
                "through: add dataset_meta.json, class_dict.csv, label_colors.txt or config.json, "
                "or pass --palette FILE",
                file=str(self.mask_path(coloured)),
            )
        return palette

    def _mode(self, key: str) -> str | None:
        try:
            with Image.open(self.mask_path(key)) as image:  # the header only
                return image.mode
        except (OSError, ValueError, Image.DecompressionBombError):
            return None  # reported when the item is loaded

    # -- the DatasetReader contract ----------------------------------------------------------

    def keys(self) -> list[str]:
        return list(self._masks)

    def source_path(self, key: str) -> Path:
        self._check(key)
        return self.image_dir / key

    def mask_path(self, key: str) -> Path:
        self._check(key)
        return self.mask_dir / self._masks[key]

    def mask_relpath(self, key: str) -> str:
        self._check(key)
        return self._masks[key]

    def load(self, key: str) -> Sample:
        path = self.source_path(key)
        if self.layout.encoding == "ade20k":
            semantic, mask_info = read_ade20k_map(contain(self.mask_path(key), self.root))
        else:
            semantic, mask_info = read_label_map(
                contain(self.mask_path(key), self.root), self.classes.colours
            )
        # the mask's size decides, as a COCO entry's does (an EXIF-rotated photo is turned to match)
        pixels, info = decode_image(path, (semantic.shape[1], semantic.shape[0]))
        if semantic.shape != pixels.shape[:2]:
            raise ImageReadError(
                f"mask is {semantic.shape[1]}x{semantic.shape[0]} but the image is "
                f"{pixels.shape[1]}x{pixels.shape[0]}",
                file=str(self.mask_path(key)),
            )
        height, width = pixels.shape[:2]
        meta = dict(info)
        meta.update(
            {
                "key": key,
                "path": str(path),
                "width": width,
                "height": height,
                "source_format": "masks",
                "semantic_info": mask_info,
                "ignore_index": self.ignore_index,
                "flip_perm": {},
            }
        )
        return Sample(image=pixels, instances=Instances.empty(), semantic=semantic, meta=meta)

    def labels(self, key: str) -> ImageLabels:
        """No instances: a mask folder labels pixels, which statistics do not decode."""
        self._check(key)
        return ImageLabels.from_lists([], [])

    @property
    def ignore_index(self) -> int:
        return DEFAULT_IGNORE if self.classes.ignore is None else int(self.classes.ignore)

    def targets(self) -> tuple[str, ...]:
        return ("image", "semantic")

    def annotation_count(self) -> int:
        """One mask per readable image."""
        return len(self._masks)

    def split_of(self, key: str) -> str | None:
        """The first sub-folder (``images/<split>/``; ``valid`` -> ``val``); None without one."""
        return normalize_split(key.split("/", 1)[0]) if "/" in key else None

    def item_name(self, key: str) -> str:
        self._check(key)
        return key

    def indexed_files(self) -> set[Path]:
        """Every image and mask of the readable items (absolute paths)."""
        return {self.image_dir / k for k in self._masks} | {self.mask_dir / m for m in self._masks.values()}

    def _check(self, key: str) -> None:
        if key not in self._masks:
            raise ImageReadError(f"no image {key!r} with a mask in this dataset", file=str(self.image_dir))


def _prefix(folder: Path, root: Path) -> str:
    rel = Path(os.path.relpath(folder, root)).as_posix()
    return "" if rel == "." else rel + "/"


def _dataset_root(source: Path, image_dir: Path, mask_dir: Path) -> Path:
    root = Path(os.path.commonpath([source.resolve(), image_dir.resolve(), mask_dir.resolve()]))
    if root.parent == root:
        raise DatasetError("the images and masks folders share no folder below the filesystem root")
    return root
