"""The canonical, format-free sample every reader produces and every writer consumes.

Coordinates are continuous pixels: the image spans ``[0, W] x [0, H]`` and
pixel ``(row i, col j)`` covers ``[j, j+1) x [i, i+1)``. Boxes are xyxy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

Ring = np.ndarray  # (K, 2) float64 x, y
Polygon = list[Ring]  # one instance may have several parts
Rle = dict  # COCO RLE {"size": [h, w], "counts": bytes}


@dataclass
class Instances:
    """Struct of arrays: row ``i`` of every column is instance ``i``.

    ``instances[keep]`` slices every column together, so a dropped box drops
    its polygon, mask, keypoints and extra fields with it.

    - ``labels`` (N,) int64 category ids as the dataset numbers them.
    - ``boxes`` (N, 4) float64 xyxy.
    - ``polygons`` per instance a list of rings, or None.
    - ``masks`` per instance a compressed COCO RLE, or None (an instance
      has a polygon, a mask, or neither).
    - ``keypoints`` (N, J, 3) float64 x, y, v (COCO visibility), or None when
      the dataset has no keypoints; ``kp_count`` (N,) how many of the J
      columns instance i really has (0 = no keypoints field).
    - ``crowd`` (N,) bool.
    - ``visibility`` (N,) float64: fraction of the instance as read that is
      still visible after the transforms so far (clipping, dropout).
    - ``extra`` name -> list of per-instance values carried untouched.
    - ``part_boxes`` per instance None or a (K, 4) float64 xyxy array of
      boxes attached to it (VOC part boxes). Every warp moves them like
      box-only instances, clipped to the canvas (a part that leaves it
      collapses to zero size); they never decide whether their instance
      survives, and their row count never changes, so per-part data can
      live in ``extra`` by index.
    - ``box_sets`` name -> per-instance None or a (4,) xyxy box attached to
      the instance (COCO-WholeBody ``face_box``...): moved like part boxes.
    - ``point_sets`` name -> per-instance None or a (K, 3) x, y, v array of
      extra keypoints (COCO-WholeBody ``face_kpts``...): moved like
      ``keypoints``. Mirroring warps swap and permute both as
      ``meta['set_mirror']`` says (see ``geometry.extras``).
    """

    labels: np.ndarray
    boxes: np.ndarray
    polygons: list = field(default_factory=list)
    masks: list = field(default_factory=list)
    keypoints: np.ndarray | None = None
    kp_count: np.ndarray | None = None
    # None only until __post_init__ fills them in; an ndarray everywhere else.
    crowd: np.ndarray = None  # type: ignore[assignment]
    visibility: np.ndarray = None  # type: ignore[assignment]
    extra: dict[str, list] = field(default_factory=dict)
    part_boxes: list = field(default_factory=list)
    box_sets: dict[str, list] = field(default_factory=dict)
    point_sets: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.labels)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(n)
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(n, 4)
        if not self.polygons:
            self.polygons = [None] * n
        if not self.masks:
            self.masks = [None] * n
        if not self.part_boxes:
            self.part_boxes = [None] * n
        if self.crowd is None:
            self.crowd = np.zeros(n, dtype=bool)
        if self.visibility is None:
            self.visibility = np.ones(n, dtype=np.float64)
        if self.keypoints is not None:
            kps = np.asarray(self.keypoints, dtype=np.float64)
            # keep J explicit: reshape(0, -1, 3) is ambiguous and fails for zero instances
            joints = kps.shape[1] if kps.ndim == 3 else (kps.size // (3 * n) if n else 0)
            self.keypoints = kps.reshape(n, joints, 3)
            if self.kp_count is None:
                self.kp_count = np.full(n, self.keypoints.shape[1], dtype=np.int64)
        self.check()

    @classmethod
    def empty(cls, num_keypoints: int | None = None) -> Instances:
        kps = None if num_keypoints is None else np.zeros((0, num_keypoints, 3))
        return cls(labels=np.zeros(0, np.int64), boxes=np.zeros((0, 4)), keypoints=kps)

    def __len__(self) -> int:
        return len(self.labels)

    def check(self) -> None:
        """Raise ValueError if the columns do not have one row per instance."""
        n = len(self.labels)
        sizes = {
            "boxes": len(self.boxes),
            "polygons": len(self.polygons),
            "masks": len(self.masks),
            "crowd": len(self.crowd),
            "visibility": len(self.visibility),
            "part_boxes": len(self.part_boxes),
        }
        if self.keypoints is not None:
            sizes["keypoints"] = len(self.keypoints)
            sizes["kp_count"] = -1 if self.kp_count is None else len(self.kp_count)
        sizes.update({f"extra.{k}": len(v) for k, v in self.extra.items()})
        sizes.update({f"box_sets.{k}": len(v) for k, v in self.box_sets.items()})
        sizes.update({f"point_sets.{k}": len(v) for k, v in self.point_sets.items()})
        bad = {k: v for k, v in sizes.items() if v != n}
        if bad:
            raise ValueError(f"instance columns out of step with {n} labels: {bad}")

    def __getitem__(self, keep: Any) -> Instances:
        idx = _as_index(keep, len(self))
        return Instances(
            labels=self.labels[idx],
            boxes=self.boxes[idx],
            polygons=[self.polygons[i] for i in idx] or [],
            masks=[self.masks[i] for i in idx] or [],
            keypoints=None if self.keypoints is None else self.keypoints[idx],
            kp_count=None if self.kp_count is None else self.kp_count[idx],
            crowd=self.crowd[idx],
            visibility=self.visibility[idx],
            extra={k: [v[i] for i in idx] for k, v in self.extra.items()},
            part_boxes=[self.part_boxes[i] for i in idx] or [],
            box_sets={k: [v[i] for i in idx] for k, v in self.box_sets.items()},
            point_sets={k: [v[i] for i in idx] for k, v in self.point_sets.items()},
        )

    def replace(self, **changes: Any) -> Instances:
        """A copy with some columns replaced (columns are shared, not copied)."""
        out = replace(self, **changes)
        return out


def _as_index(keep: Any, n: int) -> np.ndarray:
    arr = np.asarray(keep)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ValueError(f"boolean index of shape {arr.shape} for {n} instances")
        return np.flatnonzero(arr)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    return arr.astype(np.int64)


@dataclass
class Sample:
    """One image with everything that labels it.

    ``meta`` holds the source key, path, original size, image mode/palette
    and ``flip_perm`` (category id -> keypoint permutation used by mirroring
    warps). ``semantic`` is an optional (H, W) label map whose ``ignore_index``
    lives in meta (default 255).
    """

    image: np.ndarray
    instances: Instances
    semantic: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def ignore_index(self) -> int:
        return int(self.meta.get("ignore_index", 255))

    def replace(self, **changes: Any) -> Sample:
        return replace(self, **changes)


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()  # 1-based pairs, as COCO stores them


@dataclass
class Categories:
    """The dataset's category list, format-free (raw dicts live in the reader)."""

    items: list[Category] = field(default_factory=list)

    def by_id(self) -> dict[int, Category]:
        return {c.id: c for c in self.items}

    def names(self) -> dict[int, str]:
        return {c.id: c.name for c in self.items}

    def max_keypoints(self) -> int:
        return max((len(c.keypoints) for c in self.items), default=0)


def flip_permutation(names: Sequence[str]) -> np.ndarray:
    """Keypoint permutation that swaps left/right names (left_eye <-> right_eye).

    Understands ``left_x``/``right_x``, ``x_left``/``x_right``, ``l_x``/``r_x``,
    ``leftX``/``rightX`` and ``L_x``/``R_x``. Unpaired names map to themselves.
    """
    lookup = {n: i for i, n in enumerate(names)}
    perm = np.arange(len(names))
    for i, name in enumerate(names):
        partner = _mirror_name(name)
        if partner is not None and partner in lookup:
            perm[i] = lookup[partner]
    return perm


_SWAPS = [("left", "right"), ("Left", "Right"), ("LEFT", "RIGHT"), ("l", "r"), ("L", "R")]


def _mirror_name(name: str) -> str | None:
    import re

    for a, b in _SWAPS:
        for x, y in ((a, b), (b, a)):
            # whole token at a word boundary: start/end or separated by _ - . or space
            pattern = rf"(^|[_\-. ]){x}([_\-. ]|$)"
            if re.search(pattern, name):
                return re.sub(pattern, rf"\g<1>{y}\g<2>", name, count=1)
            if len(x) > 1 and name.startswith(x) and len(name) > len(x) and name[len(x)].isupper():
                return y + name[len(x) :]  # leftEye -> rightEye
    return None


def pairs_to_permutation(pairs: Sequence[Sequence[int]], num_keypoints: int) -> np.ndarray:
    """0-based index pairs ``[[1, 2], [3, 4]]`` -> a permutation of J keypoints."""
    perm = np.arange(num_keypoints)
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm
