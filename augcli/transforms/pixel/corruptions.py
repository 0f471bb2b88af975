"""The ImageNet-C photometric corruptions (Hendrycks & Dietterich, ICLR 2019).

Severity tables hold the published parameters; distances in them are
pixels of a 224-pixel image and are multiplied by ``scale`` (the image's
shorter side over the recipe's reference size), so a corruption looks the
same at any resolution. Each function maps (colour, maxv, severity, scale,
seed) to a corrupted colour image of the same dtype; the shared kernels
come from the catalogue's own transforms. ``elastic_transform`` moves
pixels, so it lives in ``corrupt.py`` as a geometric op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from augcli.transforms.pixel.color import shift_hsv
from augcli.transforms.pixel.compression import ImageCompressionOp
from augcli.transforms.pixel.frost import frost_texture
from augcli.transforms.pixel.imageops import apply_luts, identity_lut, num_channels
from augcli.transforms.pixel.lens import (
    MUD_RGB,
    RAIN_RGB,
    add_colour,
    liquid_layer,
    mud_weight,
    rain_drops,
)
from augcli.transforms.pixel.noise import GaussNoiseOp
from augcli.transforms.pixel.optics import convolve, disk_kernel, glass_blur, zoom_blur
from augcli.transforms.pixel.resolution import resize
from augcli.transforms.pixel.sensor_noise import poisson_counts
from augcli.transforms.pixel.support import (
    blend_field,
    grey_view,
    multiply_field,
    plasma,
    rgb_only,
    seeded,
    to_float,
    to_image,
)
from augcli.transforms.pixel.weather import colour_for

BORDER = cv2.BORDER_REFLECT_101

SEVERITY: dict[str, Any] = {
    "gaussian_noise": [0.08, 0.12, 0.18, 0.26, 0.38],  # std, fraction of max
    "shot_noise": [60, 25, 12, 5, 3],  # photons at full scale
    "impulse_noise": [0.03, 0.06, 0.09, 0.17, 0.27],  # fraction of values hit
    "speckle_noise": [0.15, 0.2, 0.35, 0.45, 0.6],  # std of the multiplier
    "gaussian_blur": [1, 2, 3, 4, 6],  # sigma (px)
    "glass_blur": [(0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)],  # sigma, delta, iterations
    "defocus_blur": [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)],  # radius, alias blur
    "motion_blur": [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)],  # radius, sigma (px)
    "zoom_blur": [(1.11, 0.01), (1.16, 0.01), (1.21, 0.02), (1.26, 0.02), (1.31, 0.03)],  # end, step
    # loc, scale, zoom, threshold, motion radius, motion sigma, image weight
    "snow": [
        (0.1, 0.3, 3, 0.5, 10, 4, 0.8),
        (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
        (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
        (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
        (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55),
    ],
    "frost": [(1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)],  # image, frost weights
    "fog": [(1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)],  # strength, decay
    # loc, scale, sigma, threshold, intensity (rain) or mud sigma, mud?
    "spatter": [
        (0.65, 0.3, 4, 0.69, 0.6, 0),
        (0.65, 0.3, 3, 0.68, 0.6, 0),
        (0.65, 0.3, 2, 0.68, 0.5, 0),
        (0.65, 0.3, 1, 0.65, 1.5, 1),
        (0.67, 0.4, 1, 0.65, 1.5, 1),
    ],
    "brightness": [0.1, 0.2, 0.3, 0.4, 0.5],  # added to HSV value
    "contrast": [0.4, 0.3, 0.2, 0.1, 0.05],  # factor around the mean
    "saturate": [(0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2)],  # HSV saturation * a + b
    "jpeg_compression": [25, 18, 15, 10, 7],  # quality
    "pixelate": [0.6, 0.5, 0.4, 0.3, 0.25],  # resize factor
    # alpha, sigma, affine jitter (px of a 224 image; the paper's code writes 244 * k)
    "elastic_transform": [
        (244 * 2, 244 * 0.7, 244 * 0.1),
        (244 * 2, 244 * 0.08, 244 * 0.2),
        (244 * 0.05, 244 * 0.01, 244 * 0.02),
        (244 * 0.07, 244 * 0.01, 244 * 0.02),
        (244 * 0.12, 244 * 0.01, 244 * 0.02),
    ],
}
NAMES = tuple(SEVERITY)

Corruption = Callable[[np.ndarray, int, int, float, int], np.ndarray]


def level(name: str, severity: int):
    return SEVERITY[name][severity - 1]


def _gaussian_noise(colour, maxv, severity, scale, seed):
    op = GaussNoiseOp(
        std=level("gaussian_noise", severity), mean=0.0, per_channel=True, noise_scale_factor=1.0, seed=seed
    )
    return op.apply_image(colour)


def _shot_noise(colour, maxv, severity, scale, seed):
    photons = level("shot_noise", severity)
    expected = np.arange(maxv + 1, dtype=np.float64) / maxv * photons
    back = np.arange(int(photons * 3 + 30), dtype=np.float64) / photons * maxv
    return poisson_counts(colour, expected, np.minimum(back, maxv), seed)


def _impulse_noise(colour, maxv, severity, scale, seed):
    # Salt and pepper on every value independently (scikit-image's s&p, half and half).
    amount = level("impulse_noise", severity)
    draw = np.empty(colour.shape, np.float32)
    cv2.setRNGSeed(seed)
    cv2.randu(draw.reshape(colour.shape[0], -1), 0.0, 1.0)
    out = colour.copy()
    out[draw < amount / 2] = 0
    out[(draw >= amount / 2) & (draw < amount)] = maxv
    return out


def _speckle_noise(colour, maxv, severity, scale, seed):
    factor = np.empty(colour.shape, np.float32)
    cv2.setRNGSeed(seed)
    cv2.randn(factor.reshape(colour.shape[0], -1), 1.0, level("speckle_noise", severity))
    return multiply_field(colour, factor)


def _gaussian_blur(colour, maxv, severity, scale, seed):
    image = grey_view(colour) if num_channels(colour) == 1 else colour
    return cv2.GaussianBlur(image, (0, 0), level("gaussian_blur", severity) * scale, borderType=BORDER)


def _glass_blur(colour, maxv, severity, scale, seed):
    sigma, delta, iterations = level("glass_blur", severity)
    return glass_blur(colour, sigma * scale, max(1, int(round(delta * scale))), iterations, seed)


def _defocus_blur(colour, maxv, severity, scale, seed):
    radius, alias = level("defocus_blur", severity)
    return convolve(colour, disk_kernel(radius * scale, alias * scale))


def streak_kernel(radius: float, sigma: float, angle: float) -> np.ndarray:
    """One-sided motion kernel: Gaussian weights (sigma) along ``radius`` pixels at ``angle`` degrees.

    The shape of ImageMagick's motion blur, which ImageNet-C uses.
    """
    reach = max(1, int(np.ceil(radius)))
    size = 2 * reach + 1
    kernel = np.zeros((size, size), np.float32)
    steps = np.arange(reach + 1, dtype=np.float64)
    weights = np.exp(-(steps**2) / (2.0 * max(sigma, 1e-3) ** 2))
    rad = np.deg2rad(angle)
    cols = np.rint(reach + steps * np.cos(rad)).astype(int)
    rows = np.rint(reach + steps * np.sin(rad)).astype(int)
    np.add.at(kernel, (rows, cols), weights.astype(np.float32))
    return kernel / kernel.sum()


def _motion_blur(colour, maxv, severity, scale, seed):
    radius, sigma = level("motion_blur", severity)
    angle = float(seeded(seed).uniform(-45, 45))
    return convolve(colour, streak_kernel(radius * scale, sigma * scale, angle))


def _zoom_blur(colour, maxv, severity, scale, seed):
    end, step = level("zoom_blur", severity)
    return zoom_blur(colour, np.arange(1.0, end, step))


def _snow(colour, maxv, severity, scale, seed):
    loc, spread, zoom, threshold, radius, sigma, keep = level("snow", severity)
    height, width = colour.shape[:2]
    rng = seeded(seed)
    # i.i.d. noise zoomed by ``zoom``: draw it smaller and enlarge (flakes of zoom pixels).
    factor = zoom * scale
    small = rng.normal(
        loc, spread, (max(1, int(np.ceil(height / factor))), max(1, int(np.ceil(width / factor))))
    ).astype(np.float32)
    flakes = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    flakes[flakes < threshold] = 0.0
    np.clip(flakes, 0.0, 1.0, out=flakes)
    streak = streak_kernel(radius * scale, sigma * scale, float(rng.uniform(-135, -45)))
    flakes = cv2.filter2D(flakes, -1, streak, borderType=BORDER)
    image = to_float(grey_view(colour) if num_channels(colour) == 1 else colour, maxv)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if rgb_only(colour) else image
    # Whiten the scene a little, then add the falling flakes and their mirror image.
    lifted = np.maximum(image, _match(grey * 1.5 + 0.5, image))
    out = keep * image + (1 - keep) * lifted + _match(flakes + flakes[::-1, ::-1], image)
    return to_image(out, colour.dtype, maxv, scale=maxv)


def _match(field: np.ndarray, like: np.ndarray) -> np.ndarray:
    return field[..., None] if like.ndim == 3 and field.ndim == 2 else field


def _frost(colour, maxv, severity, scale, seed):
    keep, frost_weight = level("frost", severity)
    height, width = colour.shape[:2]
    texture = frost_texture(height, width, scale, seed)  # (H, W, 3) float32 in [0, 1]
    if not rgb_only(colour):
        texture = cv2.cvtColor(texture, cv2.COLOR_RGB2GRAY)
    image = to_float(grey_view(colour) if num_channels(colour) == 1 else colour, maxv)
    return to_image(keep * image + frost_weight * _match(texture, image), colour.dtype, maxv, scale=maxv)


def _fog(colour, maxv, severity, scale, seed):
    strength, decay = level("fog", severity)
    height, width = colour.shape[:2]
    haze = plasma(height, width, 1.0 / (decay - 1.0), seeded(seed))
    image = to_float(grey_view(colour) if num_channels(colour) == 1 else colour, maxv)
    top = float(image.max())
    out = (image + strength * _match(haze, image)) * np.float32(top / (top + strength))
    return to_image(out, colour.dtype, maxv, scale=maxv)


def _spatter(colour, maxv, severity, scale, seed):
    # The liquid and the drop shading are built at the reference resolution (their
    # constants are pixels of a 224-pixel image) and the weights resized to the image.
    loc, spread, sigma, threshold, strength, mud = level("spatter", severity)
    height, width = colour.shape[:2]
    small = (max(8, int(round(height / scale))), max(8, int(round(width / scale))))
    liquid = liquid_layer(small[0], small[1], loc, spread, sigma, threshold, seed)
    if mud:
        weight = mud_weight(liquid, strength, floor=0.8)
        return blend_field(colour, colour_for(colour, MUD_RGB, maxv), _resized(weight, width, height))
    weight = rain_drops(liquid) * np.float32(strength)
    return add_colour(colour, _resized(weight, width, height), colour_for(colour, RAIN_RGB, maxv))


def _resized(field: np.ndarray, width: int, height: int) -> np.ndarray:
    if field.shape == (height, width):
        return field
    return cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)


def _brightness(colour, maxv, severity, scale, seed):
    lift = level("brightness", severity) * 255.0  # shift_hsv works in uint8 units
    if rgb_only(colour):
        return shift_hsv(colour, 0.0, 0.0, lift)
    return apply_luts(colour, identity_lut(colour) + lift * maxv / 255.0)


def _contrast(colour, maxv, severity, scale, seed):
    factor = level("contrast", severity)
    channels = num_channels(colour)
    means = (
        np.asarray(cv2.mean(colour)[:channels])
        if channels <= 4
        else colour.reshape(-1, channels).mean(axis=0)
    )
    values = identity_lut(colour)
    return apply_luts(colour, np.stack([(values - m) * factor + m for m in means]))


def _saturate(colour, maxv, severity, scale, seed):
    gain, lift = level("saturate", severity)
    if not rgb_only(colour):
        return colour
    if colour.dtype == np.uint8:
        hsv = cv2.cvtColor(colour, cv2.COLOR_RGB2HSV)
        sat = apply_luts(cv2.extractChannel(hsv, 1), np.arange(256.0) * gain + lift * 255)
        cv2.insertChannel(sat, hsv, 1)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    hsv = cv2.cvtColor(to_float(colour, maxv), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = np.clip(hsv[..., 1] * gain + lift, 0.0, 1.0)
    return to_image(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), colour.dtype, maxv, scale=maxv)


def _jpeg_compression(colour, maxv, severity, scale, seed):
    codec = ImageCompressionOp(compression_type="jpeg", quality=level("jpeg_compression", severity))
    if num_channels(colour) in (1, 3):
        return codec.apply_image(colour)
    # JPEG holds grey or RGB only: other channel counts are compressed channel by channel.
    return np.dstack(
        [codec.apply_image(np.ascontiguousarray(colour[..., c])) for c in range(colour.shape[2])]
    )


def _pixelate(colour, maxv, severity, scale, seed):
    # Box down to int(size * factor), box (nearest) up, as Pillow's BOX filter in the paper's code.
    factor = level("pixelate", severity)
    height, width = colour.shape[:2]
    small = resize(colour, max(1, int(width * factor)), max(1, int(height * factor)), cv2.INTER_AREA)
    return resize(small, width, height, cv2.INTER_NEAREST)


PHOTOMETRIC: dict[str, Corruption] = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "impulse_noise": _impulse_noise,
    "speckle_noise": _speckle_noise,
    "defocus_blur": _defocus_blur,
    "glass_blur": _glass_blur,
    "motion_blur": _motion_blur,
    "zoom_blur": _zoom_blur,
    "gaussian_blur": _gaussian_blur,
    "snow": _snow,
    "frost": _frost,
    "fog": _fog,
    "spatter": _spatter,
    "brightness": _brightness,
    "contrast": _contrast,
    "saturate": _saturate,
    "jpeg_compression": _jpeg_compression,
    "pixelate": _pixelate,
}
assert set(PHOTOMETRIC) | {"elastic_transform"} == set(NAMES)
