"""Lighting fields and sensor noise of the catalogue."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from contract_samples import fire, labelled_sample, textured_image

from augcli.transforms.catalog import load_all
from augcli.transforms.pixel.lighting import (
    IlluminationOp,
    PlasmaBrightnessContrastOp,
    PlasmaShadowOp,
    RandomShadowOp,
)
from augcli.transforms.pixel.sensor_noise import (
    ISONoiseOp,
    MultiplicativeNoiseOp,
    SaltAndPepperOp,
    ShotNoiseOp,
    poisson_constant,
)
from augcli.transforms.pixel.support import plasma

REGISTRY = load_all()
GREY = np.full((60, 80, 3), 128, np.uint8)


def detail(image: np.ndarray) -> float:
    return float(np.var(cv2.Laplacian(image.astype(np.float32), cv2.CV_32F)))


# --- illumination ----------------------------------------------------------------------


@pytest.mark.parametrize("intensity", [0.1, -0.2])
def test_linear_illumination_gain_spans_one_plus_minus_intensity(intensity):
    gain = IlluminationOp(mode="linear", intensity=intensity, angle=0.0).gain(30, 40)
    assert gain.min() == pytest.approx(1 - abs(intensity), abs=1e-5)
    assert gain.max() == pytest.approx(1 + abs(intensity), abs=1e-5)
    # angle 0: left to right; brightening makes the right side brighter.
    assert (gain[:, -1].mean() > gain[:, 0].mean()) == (intensity > 0)
    assert np.allclose(gain, gain[:1])  # no change down a column


def test_corner_illumination_starts_at_the_corner():
    gain = IlluminationOp(mode="corner", intensity=0.3, corner=2).gain(30, 40)
    assert gain[-1, -1] == pytest.approx(1.0)
    assert gain[0, 0] == pytest.approx(0.7, abs=1e-3)


def test_gaussian_illumination_peaks_at_its_centre():
    op = IlluminationOp(mode="gaussian", intensity=0.2, center=(0.25, 0.5), sigma=0.2)
    gain = op.gain(40, 80)
    row, col = np.unravel_index(np.argmax(gain), gain.shape)
    assert abs(col - 20) <= 1 and abs(row - 20) <= 1
    assert gain.max() == pytest.approx(1.2, abs=0.01)
    out = op.apply_image(GREY[:40])
    assert out[20, 20, 0] == round(128 * gain[20, 20]) and out[0, -1, 0] < out[20, 20, 0]


@pytest.mark.parametrize("effect, brighter", [("brighten", True), ("darken", False)])
def test_illumination_effect_type_sets_the_sign(effect, brighter):
    transform = REGISTRY["Illumination"](effect_type=effect, p=1.0)
    for seed in range(5):
        assert (fire(transform, labelled_sample(24, 32), seed).intensity > 0) == brighter


# --- plasma ----------------------------------------------------------------------------


def test_plasma_spans_zero_to_one_and_replays():
    field = plasma(50, 70, 2.0, np.random.default_rng(1))
    assert field.shape == (50, 70) and field.dtype == np.float32
    assert field.min() == pytest.approx(0.0, abs=1e-6) and field.max() == pytest.approx(1.0)
    assert np.array_equal(field, plasma(50, 70, 2.0, np.random.default_rng(1)))
    assert not np.array_equal(field, plasma(50, 70, 2.0, np.random.default_rng(2)))


def test_plasma_roughness_adds_fine_detail():
    smooth = np.mean([detail(plasma(128, 128, 0.3, np.random.default_rng(s))) for s in range(4)])
    rough = np.mean([detail(plasma(128, 128, 5.0, np.random.default_rng(s))) for s in range(4)])
    assert rough > 3 * smooth


def test_plasma_shadow_only_darkens():
    image = textured_image(40, 50)
    out = PlasmaShadowOp(intensity=0.6, plasma_size=64, roughness=2.0, seed=3).apply_image(image)
    assert (out <= image).all() and out.mean() < image.mean() - 5
    unchanged = PlasmaShadowOp(intensity=0.0, plasma_size=64, roughness=2.0, seed=3).apply_image(image)
    assert np.array_equal(unchanged, image)


def test_plasma_brightness_contrast():
    image = textured_image(40, 50)
    still = PlasmaBrightnessContrastOp(brightness=0.0, contrast=0.0, plasma_size=64, roughness=2.0, seed=1)
    assert np.array_equal(still.apply_image(image), image)
    lighter = PlasmaBrightnessContrastOp(brightness=0.3, contrast=0.0, plasma_size=64, roughness=2.0, seed=1)
    assert (lighter.apply_image(image).astype(int) >= image).all()
    flatter = PlasmaBrightnessContrastOp(brightness=0.0, contrast=-0.8, plasma_size=64, roughness=2.0, seed=1)
    assert flatter.apply_image(image).std() < image.std()


def test_random_shadow_darkens_exactly_its_polygons():
    polygon = ((0.1, 0.2), (0.6, 0.2), (0.6, 0.9), (0.1, 0.9))
    op = RandomShadowOp(polygons=(polygon,), intensities=(0.5,))
    out = op.apply_image(GREY)
    inside = np.zeros(GREY.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.rint(np.array(polygon) * [80, 60]).astype(np.int32)], 1)
    assert (out[inside == 1] == 64).all()
    assert (out[inside == 0] == 128).all()


def test_random_shadow_draws_polygons_in_the_roi():
    transform = REGISTRY["RandomShadow"](
        shadow_roi=[0.5, 0.5, 1.0, 1.0], num_shadows_limit=[2, 3], shadow_dimension=6, p=1.0
    )
    op = fire(transform, labelled_sample(24, 32), 4)
    assert 2 <= len(op.polygons) <= 3 and all(len(p) == 6 for p in op.polygons)
    assert all(0.5 <= x <= 1 and 0.5 <= y <= 1 for p in op.polygons for x, y in p)


# --- noise -----------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.4, 4.0, 40.0, 900.0])
def test_poisson_constant_has_poisson_mean_and_variance(lam):
    counts = poisson_constant(lam, (300, 400), seed=7)
    assert counts.mean() == pytest.approx(lam, rel=0.02, abs=0.01)
    assert counts.var() == pytest.approx(lam, rel=0.05)
    assert (counts == np.rint(counts)).all() and counts.min() >= 0


def test_iso_noise_grows_with_intensity_and_keeps_grey_working():
    image = textured_image(60, 80)
    weak = ISONoiseOp(color_shift=0.02, intensity=0.05, seed=1).apply_image(image)
    strong = ISONoiseOp(color_shift=0.05, intensity=0.6, seed=1).apply_image(image)
    assert np.abs(weak.astype(int) - image).mean() < np.abs(strong.astype(int) - image).mean()
    quiet = ISONoiseOp(color_shift=0.0, intensity=0.0, seed=1).apply_image(image)
    assert np.abs(quiet.astype(int) - image).max() <= 1  # HLS round trip only
    grey = image[..., 0]
    assert ISONoiseOp(color_shift=0.05, intensity=0.5, seed=1).apply_image(grey).shape == grey.shape


def test_shot_noise_is_poisson_in_linear_light():
    value, scale = 150, 0.05
    out = ShotNoiseOp(scale=scale, seed=2).apply_image(np.full((200, 200), value, np.uint8))
    linear = (out.astype(np.float64) / 255) ** 2.2
    expected = (value / 255) ** 2.2
    # Counts ~ Poisson(expected / scale): mean expected, variance expected * scale.
    assert linear.mean() == pytest.approx(expected, rel=0.03)
    assert linear.var() == pytest.approx(expected * scale, rel=0.15)


def test_shot_noise_is_noisier_with_a_larger_scale():
    image = textured_image(60, 80)
    low = ShotNoiseOp(scale=0.01, seed=1).apply_image(image)
    high = ShotNoiseOp(scale=0.5, seed=1).apply_image(image)
    assert np.abs(low.astype(int) - image).mean() < np.abs(high.astype(int) - image).mean()


def test_salt_and_pepper_hits_exact_counts_on_all_channels():
    image = GREY.copy()
    out = SaltAndPepperOp(amount=0.1, salt_ratio=0.3, seed=5).apply_image(image)
    pixels = 60 * 80
    salt = (out == 255).all(-1).sum()
    pepper = (out == 0).all(-1).sum()
    assert salt == int(pixels * 0.1 * 0.3) and pepper == int(pixels * 0.1 * 0.7)
    assert ((out == 128).all(-1) | (out == 255).all(-1) | (out == 0).all(-1)).all()


@pytest.mark.parametrize("per_channel", [False, True])
def test_multiplicative_noise_scales_by_drawn_factors(per_channel):
    image = GREY.copy()
    out = MultiplicativeNoiseOp(
        low=0.5, high=1.5, per_channel=per_channel, elementwise=False, seed=3
    ).apply_image(image)
    means = out.reshape(-1, 3)
    assert (means == means[0]).all(), "one factor per channel for the whole image"
    assert (len(set(means[0].tolist())) > 1) == per_channel
    field = MultiplicativeNoiseOp(
        low=0.8, high=1.2, per_channel=per_channel, elementwise=True, seed=3
    ).apply_image(image)
    assert field.min() >= np.floor(128 * 0.8) and field.max() <= np.ceil(128 * 1.2)
    assert len(np.unique(field)) > 20
    assert (field[..., 0] == field[..., 1]).all() != per_channel
