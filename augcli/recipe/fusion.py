"""When two consecutive matrix warps may become one resampling.

Fusing ``A`` then ``B`` into ``B @ A`` skips the intermediate canvas. That is
only harmless when the intermediate canvas loses nothing ``B`` would show:

- ``B`` looks only inside ``A``'s output: the preimage of ``B``'s output
  canvas lies within ``A``'s canvas (crops, resizes, flips after anything); or
- ``A`` maps its input canvas exactly onto its output canvas (flips, 90 degree
  turns, transposes, whole-image resizes), so nothing was cut or filled.

Otherwise (a crop followed by a rotation, say) the unfused result shows fill
where the fused one would bring back content from outside the crop, so the
warps are resampled one after the other. Under either condition the fused
labels equal the unfused ones; boxes derived from corners come out tighter,
because a box is re-derived once instead of after every warp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from augcli.geometry.warp import MatrixWarp


def fused_settings(
    first: MatrixWarp,
    first_settings: dict,
    first_input_size: tuple[int, int],
    then: MatrixWarp,
    then_settings: dict,
) -> dict | None:
    """Resampling settings for ``first`` then ``then`` as one warp, or None if they differ.

    A pixel permutation (flip, 90 degree turn, transpose) never interpolates
    nor reads outside the image, so it adopts the other warp's settings.
    """
    if same_resampling(first_settings, then_settings) or is_pixel_permutation(then, first.out_size):
        return first_settings
    if is_pixel_permutation(first, first_input_size):
        return then_settings
    return None


def is_pixel_permutation(warp: MatrixWarp, input_size: tuple[int, int]) -> bool:
    """True when the warp moves whole pixels onto the output canvas, one to one."""
    linear, shift = warp.matrix[:2, :2], warp.matrix[:2, 2]
    if any(_clearly_fractional(float(v)) for v in linear.flat):
        return False  # what the np.allclose below says for such an entry, at a fraction of its cost
    if not np.allclose(warp.matrix[2], [0.0, 0.0, 1.0]):
        return False
    signed_permutation = (
        np.allclose(np.abs(linear), np.round(np.abs(linear)))
        and np.allclose(np.abs(linear).sum(axis=0), 1.0)
        and np.allclose(np.abs(linear).sum(axis=1), 1.0)
    )
    whole_shift = np.allclose(shift, np.round(shift))
    tol = 1e-6 * max(1.0, *warp.out_size)
    return bool(signed_permutation and whole_shift and _maps_canvas_onto_canvas(warp, input_size, tol))


def _clearly_fractional(value: float) -> bool:
    """True when ``np.isclose(abs(value), np.round(abs(value)))`` is False for a finite value."""
    if not math.isfinite(value):
        return False  # left to np.allclose
    magnitude = abs(value)
    whole = float(round(magnitude))
    return not abs(magnitude - whole) <= 1e-8 + 1e-5 * abs(whole)


def same_resampling(a: dict, b: dict) -> bool:
    """Equal interpolation, border mode and fills (fills may be arrays or tuples)."""
    if a.keys() != b.keys():
        return False
    return all(_same_value(a[k], b[k]) for k in a)


def _same_value(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, (list, tuple, np.ndarray)) or isinstance(y, (list, tuple, np.ndarray)):
        xa, ya = np.asarray(x), np.asarray(y)
        return xa.shape == ya.shape and bool(np.array_equal(xa, ya))
    return bool(x == y)


def fuses_exactly(first: MatrixWarp, first_input_size: tuple[int, int], then: MatrixWarp) -> bool:
    """True when ``first.then(then)`` gives what applying them in turn gives."""
    width, height = first.out_size
    tol = 1e-6 * max(1.0, width, height)
    if _maps_canvas_onto_canvas(first, first_input_size, tol):
        return True
    try:
        inverse = np.linalg.inv(then.matrix)
    except np.linalg.LinAlgError:
        return False
    seen = _map(inverse, _corners(*then.out_size))
    if seen is None:
        return False
    inside_x = (seen[:, 0] >= -tol) & (seen[:, 0] <= width + tol)
    inside_y = (seen[:, 1] >= -tol) & (seen[:, 1] <= height + tol)
    return bool(np.all(inside_x & inside_y))


def _maps_canvas_onto_canvas(warp: MatrixWarp, input_size: tuple[int, int], tol: float) -> bool:
    mapped = _map(warp.matrix, _corners(*input_size))
    if mapped is None:
        return False
    target = _corners(*warp.out_size)
    # every mapped corner must land on a distinct output corner
    distance = np.abs(mapped[:, None, :] - target[None, :, :]).max(axis=2)
    nearest = distance.argmin(axis=1)
    return bool(np.all(distance.min(axis=1) <= tol) and len(set(nearest.tolist())) == 4)


def _corners(width: float, height: float) -> np.ndarray:
    return np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])


def _map(matrix: np.ndarray, points: np.ndarray):
    """Points through a homography; None when a point goes to or beyond infinity."""
    homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    w = homogeneous[:, 2]
    if np.any(w <= 1e-12):
        return None
    return homogeneous[:, :2] / w[:, None]
