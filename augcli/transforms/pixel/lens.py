"""Things on or in the lens: RandomSunFlare and Spatter (rain drops or mud).

``spatter`` follows the ImageNet-C construction (a thresholded, smoothed
noise "liquid" layer; rain drops shaded from its edge distance, mud
blended in as an opaque colour) and is shared with ``Corrupt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import draw_seed, num_channels
from augcli.transforms.pixel.lighting import ROI_DOC, check_roi
from augcli.transforms.pixel.rings import blend_rings, ring_index
from augcli.transforms.pixel.support import (
    ColourOp,
    add_field,
    blend_field,
    grey_view,
    per_channel,
    seeded,
    to_float,
    to_image,
)
from augcli.transforms.pixel.weather import check_rgb, colour_for

# --- RandomSunFlare --------------------------------------------------------------------


def disc_weight(height: int, width: int, cx: float, cy: float, radius: float):
    """(window slices, float32 mask of the disc inside the window) or None if off-canvas."""
    x0, y0 = max(int(np.floor(cx - radius)), 0), max(int(np.floor(cy - radius)), 0)
    x1, y1 = min(int(np.ceil(cx + radius)) + 1, width), min(int(np.ceil(cy + radius)) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    dx = (np.arange(x0, x1, dtype=np.float32) - np.float32(cx)) ** 2
    dy = (np.arange(y0, y1, dtype=np.float32) - np.float32(cy)) ** 2
    dist = np.sqrt(dy[:, None] + dx[None, :])
    return (slice(y0, y1), slice(x0, x1)), dist


@dataclass(frozen=True)
class SunFlareOp(ColourOp):
    name: ClassVar[str] = "RandomSunFlare"
    center: tuple[float, float]  # fractions of (width, height)
    angle: float  # radians
    num_circles: int
    src_radius: int
    src_color: tuple[int, ...]
    method: str
    seed: int

    def ghosts(self, height: int, width: int):
        """(alpha, x, y, radius, rgb) of the flare's ghost circles along the flare line."""
        rng = seeded(self.seed)
        cx, cy = self.center[0] * width, self.center[1] * height
        step = max(1, int(np.hypot(height, width) * 0.01))
        t = rng.choice(np.arange(-cx, width - cx, step), self.num_circles)
        top = max(2, int(height * 0.01))
        radii = rng.integers(1, top + 1, self.num_circles) ** 3
        alphas = rng.uniform(0.05, 0.2, self.num_circles)
        spread = int(max(self.src_color) * 0.2)
        colours = [
            tuple(int(rng.integers(max(c - spread, 0), c + 1)) for c in self.src_color)
            for _ in range(self.num_circles)
        ]
        return [
            (float(a), cx + ti * np.cos(self.angle), cy + ti * np.sin(self.angle), float(r), col)
            for a, ti, r, col in zip(alphas, t, radii, colours)
        ]

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        ghosts = self.ghosts(height, width)
        if self.method == "physics_based":
            return self._physics(colour, maxv, ghosts)
        out = grey_view(colour).copy() if num_channels(colour) == 1 else colour.copy()
        for alpha, x, y, radius, rgb in ghosts:
            self._blend_disc(
                out,
                x,
                y,
                radius,
                lambda d, a=alpha, r=radius: (d <= r) * np.float32(a),
                colour_for(colour, rgb, maxv),
            )
        self._blend_sun(out, ghosts, maxv)
        return out

    def _blend_disc(self, out: np.ndarray, x: float, y: float, radius: float, weight_of, target) -> None:
        found = disc_weight(out.shape[0], out.shape[1], x, y, radius)
        if found is None:
            return
        window, dist = found
        out[window] = blend_field(
            np.ascontiguousarray(out[window]), target, weight_of(dist).astype(np.float32, copy=False)
        )

    def _blend_sun(self, out: np.ndarray, ghosts, maxv: int) -> None:
        """Concentric discs of growing radius and fading opacity, in closed form."""
        count = max(1, self.src_radius // 10)
        brightness = sum(a * r for a, _, _, r, _ in ghosts) / max(sum(r for _, _, _, r, _ in ghosts), 1e-6)
        ramp = np.linspace(0.0, min(brightness * 5, 1.0), count)
        radii = np.linspace(1.0, self.src_radius, count)
        opacity = ramp[::-1] ** 3  # the smallest disc is the most opaque
        # A pixel at distance d sits under every disc with radius >= d.
        keep = np.concatenate([np.cumprod((1.0 - opacity)[::-1])[::-1], [1.0]])

        cover = (1.0 - keep).astype(np.float32)  # the blend's float32 weight per ring

        cx, cy = self.center[0] * out.shape[1], self.center[1] * out.shape[0]
        found = disc_weight(out.shape[0], out.shape[1], cx, cy, self.src_radius)
        if found is None:
            return
        window, dist = found
        target = colour_for(out, self.src_color, maxv)
        out[window] = blend_rings(np.ascontiguousarray(out[window]), target, ring_index(radii, dist), cover)

    def _physics(self, colour: np.ndarray, maxv: int, ghosts) -> np.ndarray:
        """Screen-blend a blurred glow, diffraction spikes and ghosts, with colour fringes."""
        height, width = colour.shape[:2]
        cx, cy = self.center[0] * width, self.center[1] * height
        rgb = np.asarray(self.src_color, np.float32) / 255.0
        extras = np.zeros((height, width, 3), np.float32)  # spikes and ghosts, added to the glow
        for k in range(6):  # six-blade aperture: three spikes through the centre
            ang = self.angle + k * np.pi / 3
            dx, dy = np.cos(ang) * self.src_radius * 1.5, np.sin(ang) * self.src_radius * 1.5
            cv2.line(extras, (int(cx), int(cy)), (int(cx + dx), int(cy + dy)), (rgb * 0.4).tolist(), 2)
        for alpha, x, y, radius, col in ghosts:
            cv2.circle(extras, (int(x), int(y)), int(radius), (np.float32(col) / 255.0 * alpha).tolist(), -1)
        flare = _glow(height, width, cx, cy, self.src_radius)[..., None] * rgb + extras
        sigma = max(1.0, self.src_radius / 40.0)
        planes = [cv2.GaussianBlur(flare[..., c], (0, 0), sigma * s) for c, s in enumerate((1.0, 1.15, 1.3))]
        flare = np.clip(cv2.merge(planes), 0.0, 1.0)
        if num_channels(colour) != 3:
            flare = per_channel(cv2.cvtColor(flare, cv2.COLOR_RGB2GRAY), colour)
        image = to_float(grey_view(colour) if num_channels(colour) == 1 else colour, maxv)
        screen = 1.0 - (1.0 - image) * (1.0 - flare.reshape(image.shape))
        return to_image(screen, colour.dtype, maxv, scale=maxv)


def _glow(height: int, width: int, cx: float, cy: float, radius: float) -> np.ndarray:
    dx = (np.arange(width, dtype=np.float32) - np.float32(cx)) ** 2
    dy = (np.arange(height, dtype=np.float32) - np.float32(cy)) ** 2
    return np.exp(-(dy[:, None] + dx[None, :]) / np.float32(2.0 * (radius / 2.5) ** 2))


@register
class RandomSunFlare(Transform):
    """Sun flare: a bright sun with ghost circles along a line through it."""

    kind = "pixel"
    params = (
        Param("flare_roi", "list", [0.0, 0.0, 1.0, 0.5], f"region where the sun appears, {ROI_DOC}"),
        Param("src_radius", "int", 400, "sun radius in pixels", low=1),
        Param("src_color", "list", [255, 255, 255], "sun colour, RGB in uint8 units"),
        Param(
            "angle_range",
            "range",
            (0.0, 1.0),
            "flare line angle range as a fraction of 2 pi",
            low=0.0,
            high=1.0,
        ),
        Param("num_flare_circles_range", "int_range", (6, 10), "range of the number of ghost circles", low=0),
        Param(
            "method",
            "choice",
            "overlay",
            "overlay: alpha-blended discs; physics_based: screen-"
            "blended glow, diffraction spikes and colour fringes",
            choices=("overlay", "physics_based"),
        ),
    )
    default_p = 0.5
    example = "- RandomSunFlare: {flare_roi: [0, 0, 1, 0.5], src_radius: 150, p: 0.2}"
    deviations = (
        "The sun's concentric discs are blended in closed form and only inside their "
        "bounding box; physics_based is augcli's own approximation (glow, six spikes, "
        "ghosts, per-channel blur, screen blend). Grey images get a grey flare; alpha is "
        "untouched."
    )

    def check(self) -> None:
        check_roi(self.flare_roi, "flare_roi")
        check_rgb(self.src_color, "src_color")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> SunFlareOp | None:
        x_min, y_min, x_max, y_max = self.flare_roi
        low, high = self.num_flare_circles_range
        return SunFlareOp(
            center=(float(rng.uniform(x_min, x_max)), float(rng.uniform(y_min, y_max))),
            angle=float(2 * np.pi * rng.uniform(*self.angle_range)),
            num_circles=int(rng.integers(low, high + 1)),
            src_radius=self.src_radius,
            src_color=tuple(int(v) for v in self.src_color),
            method=self.method,
            seed=draw_seed(rng),
        )


# --- Spatter ---------------------------------------------------------------------------

RAIN_RGB = (175, 238, 238)  # pale turquoise water
MUD_RGB = (63, 42, 20)  # brown mud
EDGE_SHADE = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32)  # lights drops from one side


def liquid_layer(
    height: int, width: int, mean: float, std: float, sigma: float, threshold: float, seed: int
) -> np.ndarray:
    """Smoothed normal noise with everything below the threshold cut to 0 (float32)."""
    layer = np.empty((height, width), np.float32)
    cv2.setRNGSeed(seed)
    cv2.randn(layer, mean, std)
    if sigma > 0:
        layer = cv2.GaussianBlur(layer, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    layer[layer < threshold] = 0.0
    return layer


def rain_drops(liquid: np.ndarray) -> np.ndarray:
    """Drop shading in [0, 1]: bright rims from the distance to the liquid's edges."""
    eight = np.clip(liquid * 255.0, 0, 255).astype(np.uint8)
    dist = cv2.distanceTransform(255 - cv2.Canny(eight, 50, 150), cv2.DIST_L2, 5)
    dist = cv2.blur(np.minimum(dist, 20.0), (3, 3)).astype(np.uint8)
    dist = cv2.equalizeHist(dist)
    dist = cv2.blur(cv2.filter2D(dist, cv2.CV_8U, EDGE_SHADE), (3, 3)).astype(np.float32)
    drops = liquid * dist
    top = float(drops.max())
    return drops / top if top > 0 else drops


def mud_weight(liquid: np.ndarray, sigma: float, floor: float = 0.0) -> np.ndarray:
    """Opacity of mud: the wet area, smoothed; cut below ``floor`` or normalised to peak 1."""
    mask = (liquid > 0).astype(np.float32)
    if sigma > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    if floor > 0:
        mask[mask < floor] = 0.0
        return mask
    top = float(mask.max())
    return mask / top if top > 0 else mask


def add_colour(colour: np.ndarray, weight: np.ndarray, target: tuple) -> np.ndarray:
    """colour + weight * target (per channel), saturated."""
    values = np.asarray(target, np.float32)
    image = grey_view(colour) if num_channels(colour) == 1 else colour
    layer = weight[..., None] * values if image.ndim == 3 else weight * values[0]
    return add_field(image, layer)


def spatter(
    colour: np.ndarray, maxv: int, liquid: np.ndarray, mode: str, rgb, intensity: float, mud_sigma: float
) -> np.ndarray:
    """Rain: add the shaded drops in the water colour. Mud: blend towards the mud colour."""
    target = colour_for(colour, rgb, maxv)
    if mode == "rain":
        return add_colour(colour, rain_drops(liquid) * np.float32(intensity), target)
    weight = np.clip(mud_weight(liquid, mud_sigma) * np.float32(intensity), 0.0, 1.0)
    image = grey_view(colour) if num_channels(colour) == 1 else colour
    return blend_field(image, target, weight)


@dataclass(frozen=True)
class SpatterOp(ColourOp):
    name: ClassVar[str] = "Spatter"
    mean: float
    std: float
    gauss_sigma: float
    cutout_threshold: float
    intensity: float
    mode: str
    color: tuple[int, ...]  # (r, g, b)
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        liquid = liquid_layer(
            height, width, self.mean, self.std, self.gauss_sigma, self.cutout_threshold, self.seed
        )
        return spatter(colour, maxv, liquid, self.mode, self.color, self.intensity, self.gauss_sigma)


@register
class Spatter(Transform):
    """Rain drops or mud spattered on the lens (ImageNet-C's spatter corruption)."""

    kind = "pixel"
    params = (
        Param(
            "mean",
            "range",
            (0.65, 0.65),
            "mean range of the liquid noise; a single x means [0, x]",
            scalar="upto",
        ),
        Param(
            "std",
            "range",
            (0.3, 0.3),
            "std range of the liquid noise; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "gauss_sigma",
            "range",
            (2.0, 2.0),
            "smoothing sigma range of the liquid (pixels); a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "cutout_threshold",
            "range",
            (0.68, 0.68),
            "liquid below this is dry (fewer drops when higher); a single x means [0, x]",
            scalar="upto",
        ),
        Param(
            "intensity",
            "range",
            (0.6, 0.6),
            "strength range; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "mode",
            "choice",
            "rain",
            "rain: bright water drops; mud: opaque brown patches",
            choices=("rain", "mud"),
        ),
        Param(
            "color",
            "list",
            None,
            "RGB colour in uint8 units; null: pale turquoise (rain) or brown (mud)",
            nullable=True,
        ),
    )
    default_p = 0.5
    example = "- Spatter: {mode: rain, intensity: [0.4, 0.6], p: 0.2}"
    deviations = (
        "Default colours are ImageNet-C's in RGB order, rain (175, 238, 238) and mud "
        "(63, 42, 20); Albumentations documents the same colours in BGR order. Mud is "
        "blended towards its colour with the smoothed, normalised mask times intensity. "
        "Grey images get grey spatter; alpha is untouched."
    )

    def check(self) -> None:
        if self.color is not None:
            check_rgb(self.color, "color")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> SpatterOp | None:
        colour = self.color if self.color is not None else (RAIN_RGB if self.mode == "rain" else MUD_RGB)
        return SpatterOp(
            mean=float(rng.uniform(*self.mean)),
            std=float(rng.uniform(*self.std)),
            gauss_sigma=float(rng.uniform(*self.gauss_sigma)),
            cutout_threshold=float(rng.uniform(*self.cutout_threshold)),
            intensity=float(rng.uniform(*self.intensity)),
            mode=self.mode,
            color=tuple(int(v) for v in colour),
            seed=draw_seed(rng),
        )
