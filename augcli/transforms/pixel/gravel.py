"""RandomGravel: patches of small stones inside a region of the image.

Stone positions are drawn inside the op from its seed and the image size,
and only the window the stones touch is converted to HLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import draw_seed
from augcli.transforms.pixel.lighting import ROI_DOC, check_roi
from augcli.transforms.pixel.support import ColourOp, rgb_only, seeded, to_float, to_image


@dataclass(frozen=True)
class RandomGravelOp(ColourOp):
    name: ClassVar[str] = "RandomGravel"
    roi: tuple[float, ...]  # (x0, y0, x1, y1)
    number_of_patches: int
    seed: int

    def stones(self, height: int, width: int) -> np.ndarray:
        """(N, 5) rows of y0, y1, x0, x1, lightness (uint8 units) of square stones."""
        rng = seeded(self.seed)
        x_min, y_min, x_max, y_max = (int(v * s) for v, s in zip(self.roi, (width, height, width, height)))
        roi_w, roi_h = x_max - x_min, y_max - y_min
        rows = []
        for _ in range(self.number_of_patches):
            patch_w = int(rng.integers(roi_w // 10, max(roi_w // 5, roi_w // 10 + 1)))
            patch_h = int(rng.integers(roi_h // 10, max(roi_h // 5, roi_h // 10 + 1)))
            px = int(rng.integers(x_min, max(x_max - patch_w, x_min + 1)))
            py = int(rng.integers(y_min, max(y_max - patch_h, y_min + 1)))
            count = max(1, patch_w * patch_h // 100)
            x = rng.integers(px, px + patch_w + 1, count)
            y = rng.integers(py, py + patch_h + 1, count)
            r = rng.integers(1, 4, count)
            light = rng.integers(0, 256, count)
            rows.append(
                np.stack(
                    [
                        np.maximum(y - r, 0),
                        np.minimum(y + r, height - 1),
                        np.maximum(x - r, 0),
                        np.minimum(x + r, width - 1),
                        light,
                    ],
                    axis=1,
                )
            )
        return np.concatenate(rows) if rows else np.zeros((0, 5), int)

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        stones = self.stones(height, width)
        if len(stones) == 0:
            return colour
        y0, x0 = stones[:, 0].min(), stones[:, 2].min()
        y1, x1 = stones[:, 1].max() + 1, stones[:, 3].max() + 1
        out = colour.copy()
        window = out[y0:y1, x0:x1]
        rgb = rgb_only(colour)
        light = (
            cv2.cvtColor(to_float(window, maxv), cv2.COLOR_RGB2HLS)
            if rgb
            else window.astype(np.float32) / maxv
        )
        plane = light[..., 1] if rgb else light
        for top, bottom, left, right, value in stones.tolist():
            plane[top - y0 : bottom - y0, left - x0 : right - x0] = value / 255.0
        if rgb:
            light = cv2.cvtColor(light, cv2.COLOR_HLS2RGB)
        window[...] = to_image(light, colour.dtype, maxv, scale=maxv).reshape(window.shape)
        return out


@register
class RandomGravel(Transform):
    """Gravel: patches of small stones of random lightness inside a region."""

    kind = "pixel"
    params = (
        Param("gravel_roi", "list", [0.1, 0.4, 0.9, 0.9], f"region where gravel appears, {ROI_DOC}"),
        Param("number_of_patches", "int", 2, "number of gravel patches", low=1),
    )
    default_p = 0.5
    example = "- RandomGravel: {gravel_roi: [0.1, 0.5, 0.9, 0.9], number_of_patches: 2, p: 0.2}"
    deviations = (
        "Stones set the HLS lightness as in Albumentations; every patch holds at least one "
        "stone (one per 100 pixels otherwise); grey images get the value set directly; alpha "
        "is untouched."
    )

    def check(self) -> None:
        check_roi(self.gravel_roi, "gravel_roi")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> RandomGravelOp | None:
        return RandomGravelOp(
            roi=tuple(float(v) for v in self.gravel_roi),
            number_of_patches=self.number_of_patches,
            seed=draw_seed(rng),
        )
