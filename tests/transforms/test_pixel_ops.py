"""Behaviour of each photometric op and of CoarseDropout, against oracles and properties."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
from contract_samples import fire, labelled_sample, parse_example, textured_image

from augcli.transforms.catalog import load_all
from augcli.transforms.params import ParamError
from augcli.transforms.pixel.blur import MotionBlurOp, motion_kernel
from augcli.transforms.pixel.color import ColorJitterOp, HueSaturationValueOp, ToGrayOp
from augcli.transforms.pixel.compression import ImageCompressionOp
from augcli.transforms.pixel.noise import GaussNoiseOp
from augcli.transforms.pixel.tone import BrightnessContrastOp, ClaheOp, GammaOp, RGBShiftOp

REGISTRY = load_all()


def op_of(name: str, seed: int = 0, sample=None, **config):
    sample = sample if sample is not None else labelled_sample(48, 64)
    return fire(REGISTRY[name](**config, p=1.0), sample, seed)


def mid_grey(height=64, width=64, channels=3, value=128, dtype=np.uint8):
    return np.full((height, width, channels), value, dtype=dtype)


def jitter(**factors):
    base = dict(
        brightness=1.0,
        contrast=1.0,
        saturation=1.0,
        hue=0.0,
        order=("brightness", "contrast", "saturation", "hue"),
    )
    return ColorJitterOp(**{**base, **factors})


def laplacian_energy(image: np.ndarray) -> float:
    return float(np.var(cv2.Laplacian(image.astype(np.float32), cv2.CV_32F)))


# --- brightness, contrast, gamma, shifts -------------------------------------------------


@pytest.mark.parametrize("brightness", [-0.2, -0.05, 0.1, 0.25])
def test_brightness_moves_the_mean_by_its_fraction_of_max(brightness):
    image = textured_image(40, 40)
    op = op_of("RandomBrightnessContrast", brightness_limit=[brightness, brightness], contrast_limit=0)
    out = op.apply_image(image)
    shift = float(out.mean()) - float(image.mean())
    assert shift == pytest.approx(brightness * 255, abs=0.6)


def test_contrast_scales_pixel_values_like_albumentations():
    image = textured_image(40, 40)
    op = BrightnessContrastOp(alpha=1.3, beta=0.0, brightness_by_max=True, ensure_safe_range=False)
    expected = np.clip(np.rint(image * 1.3), 0, 255)
    assert np.array_equal(op.apply_image(image), expected.astype(np.uint8))


def test_brightness_by_mean_uses_the_image_mean():
    image = textured_image(40, 40)
    op = BrightnessContrastOp(alpha=1.0, beta=0.1, brightness_by_max=False, ensure_safe_range=False)
    shift = float(op.apply_image(image).mean()) - float(image.mean())
    assert shift == pytest.approx(0.1 * image.mean(), abs=0.6)


def test_ensure_safe_range_avoids_clipping():
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    unsafe = BrightnessContrastOp(alpha=1.2, beta=0.3, brightness_by_max=True, ensure_safe_range=False)
    safe = BrightnessContrastOp(alpha=1.2, beta=0.3, brightness_by_max=True, ensure_safe_range=True)
    assert (unsafe.apply_image(ramp) == 255).sum() > 50
    out = safe.apply_image(ramp).ravel()
    assert (out == 255).sum() == 1 and out[0] == np.rint(0.3 * 255)
    assert np.all(np.diff(out.astype(int)) >= 0)


@pytest.mark.parametrize("gamma", [0.6, 1.0, 1.5])
def test_gamma_follows_the_power_curve(gamma):
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected = np.rint(255 * (np.arange(256) / 255.0) ** gamma).reshape(16, 16)
    assert np.array_equal(GammaOp(gamma=gamma).apply_image(ramp), expected)


def test_random_gamma_draws_percent():
    op = op_of("RandomGamma", gamma_limit=[150, 150])
    assert op.gamma == pytest.approx(1.5)


def test_rgb_shift_moves_each_channel():
    image = textured_image(32, 32)
    out = RGBShiftOp(shifts=(12.0, -7.0, 0.0)).apply_image(image)
    moved = out.astype(int).mean(axis=(0, 1)) - image.astype(int).mean(axis=(0, 1))
    assert moved == pytest.approx([12, -7, 0], abs=0.01)


def test_rgb_shift_on_grey_moves_by_the_luma_of_the_shift():
    grey = np.full((8, 8), 100, np.uint8)
    out = RGBShiftOp(shifts=(20.0, 10.0, -30.0)).apply_image(grey)
    assert np.all(out == np.rint(100 + 0.299 * 20 + 0.587 * 10 - 0.114 * 30))


# --- colour ----------------------------------------------------------------------------


def red_patch(dtype=np.uint8):
    image = np.zeros((8, 8, 3), dtype)
    image[..., 0] = np.iinfo(dtype).max
    return image


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_hue_shift_of_a_third_turns_red_into_green(dtype):
    out = HueSaturationValueOp(hue_shift=60.0, sat_shift=0.0, val_shift=0.0).apply_image(red_patch(dtype))
    top = np.iinfo(dtype).max
    assert np.all(out[..., 1] >= top * 0.99) and np.all(out[..., [0, 2]] <= top * 0.01)


def test_saturation_to_zero_gives_grey_and_value_shift_brightens():
    image = textured_image(24, 24)
    grey = HueSaturationValueOp(hue_shift=0.0, sat_shift=-255.0, val_shift=0.0).apply_image(image)
    assert np.all(grey[..., 0] == grey[..., 1]) and np.all(grey[..., 1] == grey[..., 2])
    brighter = HueSaturationValueOp(hue_shift=0.0, sat_shift=0.0, val_shift=20.0).apply_image(image)
    assert brighter.max(axis=2).mean() == pytest.approx(image.max(axis=2).mean() + 20, abs=0.5)


def test_hue_saturation_value_on_grey_applies_only_value():
    grey = textured_image(16, 16, channels=None)
    out = HueSaturationValueOp(hue_shift=40.0, sat_shift=50.0, val_shift=10.0).apply_image(grey)
    assert np.array_equal(out, np.clip(grey.astype(int) + 10, 0, 255))


def test_color_jitter_factors():
    image = textured_image(32, 32)
    assert np.array_equal(jitter().apply_image(image), image)
    brighter = jitter(brightness=1.25).apply_image(image)
    assert brighter.mean() == pytest.approx(image.mean() * 1.25, rel=0.01)
    flat = jitter(contrast=0.0).apply_image(image)
    luma_mean = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).mean()
    assert np.all(np.abs(flat.astype(float) - luma_mean) <= 1)
    grey = jitter(saturation=0.0).apply_image(image)
    assert np.all(grey[..., 0] == grey[..., 2])
    green = jitter(hue=1 / 3).apply_image(red_patch())
    assert np.all(green[..., 1] >= 250) and np.all(green[..., [0, 2]] <= 3)


@pytest.mark.parametrize(
    "order",
    [
        ("contrast", "brightness", "saturation", "hue"),
        ("brightness", "contrast", "hue", "saturation"),
        ("hue", "brightness", "saturation", "contrast"),
    ],
)
def test_color_jitter_fused_tone_curves_equal_the_steps_one_by_one(order):
    image = textured_image(32, 32)
    factors = dict(brightness=1.3, contrast=0.7, saturation=0.5, hue=0.1)
    stepwise = image
    for step in order:
        stepwise = jitter(**{step: factors[step]}).apply_image(stepwise)
    assert np.array_equal(jitter(order=order, **factors).apply_image(image), stepwise)


def test_color_jitter_draws_an_order_of_all_four_steps():
    orders = {op_of("ColorJitter", seed=s).order for s in range(12)}
    assert all(sorted(o) == sorted(("brightness", "contrast", "saturation", "hue")) for o in orders)
    assert len(orders) > 1


@pytest.mark.parametrize("method", ["weighted_average", "from_lab", "desaturation", "average", "max", "pca"])
def test_to_gray_makes_channels_equal(method):
    image = textured_image(24, 24)
    out = ToGrayOp(num_output_channels=3, method=method).apply_image(image)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])


def test_to_gray_weighted_average_matches_rec601_and_keeps_alpha():
    image = textured_image(16, 16, channels=4)
    out = ToGrayOp(num_output_channels=1, method="weighted_average").apply_image(image)
    expected = image[..., :3].astype(float) @ np.array([0.299, 0.587, 0.114])
    assert out.shape == (16, 16, 2)
    assert np.max(np.abs(out[..., 0] - expected)) <= 1
    assert np.array_equal(out[..., 1], image[..., 3])
    assert ToGrayOp(num_output_channels=1, method="max").apply_image(image[..., :3]).shape == (16, 16)


# --- CLAHE -----------------------------------------------------------------------------


def tile_stds(image: np.ndarray, tile: int = 16) -> float:
    h, w = image.shape[:2]
    return float(
        np.mean(
            [image[y : y + tile, x : x + tile].std() for y in range(0, h, tile) for x in range(0, w, tile)]
        )
    )


@pytest.mark.parametrize(
    "channels,dtype", [(None, np.uint8), (3, np.uint8), (3, np.uint16), (None, np.uint16)]
)
def test_clahe_raises_local_contrast(channels, dtype):
    rng = np.random.default_rng(0)
    flat = rng.normal(0, 1, size=(64, 64)).astype(np.float32)
    flat = cv2.GaussianBlur(flat, (0, 0), 2)
    low = 120 + 8 * flat / flat.std()
    image = np.repeat(low[..., None], 3, axis=2) if channels else low
    top = np.iinfo(dtype).max
    image = np.clip(np.rint(image * top / 255), 0, top).astype(dtype)
    out = ClaheOp(clip_limit=4.0, tile_grid_size=(4, 4)).apply_image(image)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert tile_stds(out) > 1.5 * tile_stds(image)


# --- blur and sharpen ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Blur", "GaussianBlur", "MotionBlur"])
def test_blurs_reduce_variance_and_keep_flat_images(name):
    noise = np.random.default_rng(1).integers(0, 256, size=(48, 48, 3), dtype=np.uint8)
    op = op_of(name)
    assert np.var(op.apply_image(noise).astype(float)) < 0.8 * np.var(noise.astype(float))
    flat = mid_grey(20, 20, value=77)
    assert np.array_equal(op.apply_image(flat), flat)


def test_gaussian_blur_kernel_size_follows_sigma():
    op = op_of("GaussianBlur", sigma_limit=[1.0, 1.0])
    assert (op.ksize, op.sigma) == (7, 1.0)
    op = op_of("GaussianBlur", sigma_limit=[1.0, 1.0], blur_limit=[4, 4])
    assert op.ksize == 5


def test_motion_blur_smears_only_along_its_angle():
    stripes = np.zeros((30, 30), np.uint8)
    stripes[::2] = 200  # horizontal stripes: rows alternate
    horizontal = MotionBlurOp(ksize=7, angle=0.0, direction=0.0, shift=(0, 0))
    assert np.array_equal(horizontal.apply_image(stripes), stripes)
    vertical = MotionBlurOp(ksize=7, angle=90.0, direction=0.0, shift=(0, 0))
    assert vertical.apply_image(stripes)[5:-5, 5:-5].std() < 0.2 * stripes.std()


@pytest.mark.parametrize("direction", [-1.0, -0.3, 0.0, 0.6, 1.0])
@pytest.mark.parametrize("angle", [0.0, 33.0, 90.0, 200.0])
def test_motion_kernel_is_a_normalised_line_inside_the_square(angle, direction):
    kernel = motion_kernel(9, angle, direction)
    assert kernel.shape == (9, 9) and kernel.sum() == pytest.approx(1.0)
    assert 3 <= np.count_nonzero(kernel) <= 9


def test_motion_blur_shift_keeps_the_line_inside_the_kernel():
    for seed in range(20):
        op = op_of("MotionBlur", seed=seed, blur_limit=[9, 9], direction_range=[1, 1])
        kernel = op.kernel()
        assert kernel.sum() == pytest.approx(1.0)
        assert np.count_nonzero(kernel) == np.count_nonzero(motion_kernel(9, op.angle, op.direction))


@pytest.mark.parametrize("method", ["kernel", "gaussian"])
def test_sharpen_raises_high_frequency_energy(method):
    image = cv2.GaussianBlur(textured_image(48, 48), (0, 0), 1.5)
    op = op_of("Sharpen", alpha=[0.8, 0.8], lightness=[1.0, 1.0], method=method)
    assert laplacian_energy(op.apply_image(image)) > 1.5 * laplacian_energy(image)


def test_sharpen_with_zero_alpha_is_identity():
    image = textured_image(24, 24)
    assert np.array_equal(op_of("Sharpen", alpha=[0, 0]).apply_image(image), image)


def test_blur_limit_without_odd_sizes_is_rejected():
    with pytest.raises(ParamError):
        REGISTRY["Blur"](blur_limit=[4, 4])


# --- noise and compression -------------------------------------------------------------


@pytest.mark.parametrize("std", [0.02, 0.08])
def test_gauss_noise_std_matches_std_range(std):
    image = mid_grey(128, 128)
    op = op_of("GaussNoise", std_range=[std, std])
    diff = op.apply_image(image).astype(float) - image
    assert diff.std() == pytest.approx(std * 255, rel=0.03)
    assert abs(diff.mean()) < 0.3


def test_gauss_noise_reaches_every_channel_and_ignores_outside_rng_state():
    image = mid_grey(96, 96, channels=4)
    op = GaussNoiseOp(std=0.05, mean=0.0, per_channel=True, noise_scale_factor=1.0, seed=11)
    first = op.apply_image(image)
    cv2.setRNGSeed(999)
    cv2.randu(np.empty((10, 10), np.float32), 0, 1)
    assert np.array_equal(op.apply_image(image), first)
    stds = (first[..., :3].astype(float) - 128).std(axis=(0, 1))
    assert stds == pytest.approx([0.05 * 255] * 3, rel=0.05)
    assert np.array_equal(first[..., 3], image[..., 3])


def test_gauss_noise_mean_and_shared_channels():
    image = mid_grey(64, 64)
    op = GaussNoiseOp(std=0.05, mean=0.1, per_channel=False, noise_scale_factor=1.0, seed=4)
    out = op.apply_image(image)
    assert (out.astype(float) - image).mean() == pytest.approx(25.5, abs=0.5)
    assert np.array_equal(out[..., 0], out[..., 2])
    per_channel = GaussNoiseOp(std=0.05, mean=0.0, per_channel=True, noise_scale_factor=1.0, seed=4)
    out = per_channel.apply_image(image)
    assert not np.array_equal(out[..., 0], out[..., 2])


def test_gauss_noise_at_low_resolution_is_smoother():
    image = mid_grey(64, 64)
    full = GaussNoiseOp(std=0.1, mean=0.0, per_channel=True, noise_scale_factor=1.0, seed=0)
    coarse = GaussNoiseOp(std=0.1, mean=0.0, per_channel=True, noise_scale_factor=0.25, seed=0)
    out_full, out_coarse = full.apply_image(image), coarse.apply_image(image)
    assert out_coarse.shape == image.shape
    assert laplacian_energy(out_coarse) < 0.5 * laplacian_energy(out_full)


@pytest.mark.parametrize("codec", ["jpeg", "webp"])
def test_compression_adds_artefacts_that_grow_as_quality_drops(codec):
    image = textured_image(64, 64)
    errors = []
    for quality in (95, 10):
        out = ImageCompressionOp(compression_type=codec, quality=quality).apply_image(image)
        assert out.shape == image.shape and out.dtype == image.dtype
        errors.append(np.abs(out.astype(int) - image).mean())
    assert 0 < errors[0] < errors[1]


def test_jpeg_artefacts_sit_on_the_8x8_grid():
    image = cv2.GaussianBlur(textured_image(64, 64, channels=None), (0, 0), 3)
    out = ImageCompressionOp(compression_type="jpeg", quality=5).apply_image(image).astype(float)
    steps = np.abs(np.diff(out, axis=1)).mean(axis=0)
    assert steps[7::8].mean() > 1.5 * np.delete(steps, np.s_[7::8]).mean()


def test_compression_keeps_alpha_and_handles_uint16():
    rgba = textured_image(32, 32, channels=4)
    out = ImageCompressionOp(compression_type="jpeg", quality=20).apply_image(rgba)
    assert np.array_equal(out[..., 3], rgba[..., 3]) and not np.array_equal(out[..., :3], rgba[..., :3])
    deep = textured_image(32, 32, dtype=np.uint16)
    out16 = ImageCompressionOp(compression_type="jpeg", quality=20).apply_image(deep)
    assert out16.dtype == np.uint16
    assert 0 < np.abs(out16.astype(float) - deep).mean() / 257 < 10


# --- every photometric op on every supported layout ------------------------------------

LAYOUTS = {
    "grey2d": dict(channels=None),
    "grey1": dict(channels=1),
    "grey_alpha": dict(channels=2),
    "rgb": dict(channels=3),
    "rgba": dict(channels=4),
    "rgb16": dict(channels=3, dtype=np.uint16),
    "grey16": dict(channels=None, dtype=np.uint16),
}
PIXEL_AND_DROPOUT = sorted(n for n, c in REGISTRY.items() if c.kind in ("pixel", "dropout"))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", PIXEL_AND_DROPOUT)
def test_every_layout_and_dtype_works(name, layout):
    image = textured_image(40, 48, **LAYOUTS[layout])
    sample = labelled_sample(image=image)
    _, config = parse_example(REGISTRY[name])
    config["p"] = 1.0
    op = fire(REGISTRY[name](**config), sample, seed=6)
    out = op.apply(sample).image
    assert out.dtype == image.dtype and out.shape[:2] == image.shape[:2]
    if name != "ToGray":
        assert out.shape == image.shape
    if image.ndim == 3 and image.shape[2] in (2, 4) and name not in ("Blur", "GaussianBlur", "MotionBlur"):
        assert np.array_equal(out[..., -1], image[..., -1]), "alpha must stay untouched"


@pytest.mark.parametrize("name", PIXEL_AND_DROPOUT)
def test_ops_stay_small_when_pickled(name):
    # Random fields (noise, random fills) are regenerated from a seed, never stored.
    big = labelled_sample(image=textured_image(400, 600))
    op = fire(REGISTRY[name](**{**parse_example(REGISTRY[name])[1], "p": 1.0}), big, seed=1)
    assert len(pickle.dumps(op)) < 2048
