"""Semantic-mask folders -> canonical ``Sample``s (see ``masks.layout`` for the rules).

Each sample has no instances and a ``semantic`` label map: the mask's values
(palette indices, 8- or 16-bit grey levels, or colour-coded RGB mapped
through ``segmentation_colors``). ``meta['semantic_info']`` remembers how the
mask was stored so the writer stores it the same way; ``meta['ignore_index']``
is the value new pixels get when a warp leaves the image (255 unless the
class list says otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

from augcli.core.errors import DatasetError, ImageReadError, ItemError
from augcli.core.sample import Instances, Sample
from augcli.formats.base import ImageLabels
from augcli.formats.coco.layout import image_problem
from augcli.formats.images import decode_image
from augcli.formats.labelmaps import read_label_map
from augcli.formats.masks import layout


class MaskFolderReader:
    """Reads an images + masks folder pair; see ``DatasetReader`` in ``formats.base``."""

    format_name = "masks"

    def __init__(self, source: Path, images: Path | None = None, masks: Path | None = None):
        self.source = Path(source).expanduser().absolute()
        self.image_dir, self.mask_dir = layout.find_dirs(self.source, images, masks)
        self.root = _dataset_root(self.source, self.image_dir, self.mask_dir)
        self.classes = layout.read_classes(self.source)
        self.categories = self.classes.categories
        self.problems: list[ItemError] = []
        self.notes: list[str] = []
        image_files = layout.list_files(self.image_dir, layout.IMAGE_EXTENSIONS)
        mask_files = layout.list_files(self.mask_dir, layout.MASK_EXTENSIONS)
        pairs = layout.pair(image_files, mask_files)
        self._masks: dict[str, str] = {}
        real_images, real_masks = os.path.realpath(self.image_dir), os.path.realpath(self.mask_dir)
        for image in image_files.values():
            mask = pairs.get(image)
            problem = image_problem(real_images, image, self.root)
            if mask is None:
                problem = problem or f"no mask for this image in {self.mask_dir}"
            else:
                problem = problem or image_problem(real_masks, mask, self.root)
            if problem is not None:
                self.problems.append(ImageReadError(problem, file=str(self.image_dir / image), image=image))
                continue
            self._masks[image] = mask
        for mask in sorted(set(mask_files.values()) - set(pairs.values())):
            self.problems.append(ImageReadError("mask without an image", file=str(self.mask_dir / mask)))
        if not self.categories.items:
            self.notes.append(
                "no class list (dataset_meta.json, classes.txt or classes.yaml): "
                "mask values are kept as numbers without names"
            )

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
        semantic, mask_info = read_label_map(self.mask_path(key), self.classes.colours)
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
                "ignore_index": self.classes.ignore_index,
                "flip_perm": {},
            }
        )
        return Sample(image=pixels, instances=Instances.empty(), semantic=semantic, meta=meta)

    def labels(self, key: str) -> ImageLabels:
        """No instances: a mask folder labels pixels, which statistics do not decode."""
        self._check(key)
        return ImageLabels.from_lists([], [])

    def targets(self) -> tuple[str, ...]:
        return ("image", "semantic")

    def annotation_count(self) -> int:
        """One mask per readable image."""
        return len(self._masks)

    def split_of(self, key: str) -> str | None:
        return key.split("/", 1)[0] if "/" in key else None

    def item_name(self, key: str) -> str:
        self._check(key)
        return key

    def _check(self, key: str) -> None:
        if key not in self._masks:
            raise ImageReadError(f"no image {key!r} with a mask in this dataset", file=str(self.image_dir))


def _dataset_root(source: Path, image_dir: Path, mask_dir: Path) -> Path:
    root = Path(os.path.commonpath([source.resolve(), image_dir.resolve(), mask_dir.resolve()]))
    if root.parent == root:
        raise DatasetError("the images and masks folders share no folder below the filesystem root")
    return root
