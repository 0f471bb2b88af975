"""Filters, lens blurs and resolution transforms of the catalogue."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from contract_samples import fire, labelled_sample, textured_image

from augcli.transforms.catalog import load_all
from augcli.transforms.params import ParamError
from augcli.transforms.pixel.filters import (
    AdvancedBlurOp,
    EmbossOp,
    MedianBlurOp,
    UnsharpMaskOp,
    emboss_kernel,
    generalized_gaussian_kernel,
)
from augcli.transforms.pixel.optics import (
    ChromaticAberrationOp,
    DefocusOp,
    GlassBlurOp,
    ZoomBlurOp,
    central_zoom,
    disk_kernel,
    radial_maps,
    zoom_blur,
)
from augcli.transforms.pixel.resolution import DownscaleOp, SuperpixelsOp, slic_labels

REGISTRY = load_all()


def detail(image: np.ndarray) -> float:
    return float(np.var(cv2.Laplacian(image.astype(np.float32), cv2.CV_32F)))


def scene(height=60, width=80) -> np.ndarray:
    """Flat patches with sharp edges: blur and sharpening show clearly."""
    image = np.full((height, width, 3), 70, np.uint8)
    image[10:40, 15:45] = (200, 90, 40)
    image[30:55, 50:75] = (30, 160, 220)
    return image


FLAT = np.full((30, 40, 3), 120, np.uint8)


@pytest.mark.parametrize(
    "op",
    [
        UnsharpMaskOp(ksize=5, sigma=1.0, alpha=0.5, threshold=0),
        EmbossOp(alpha=0.7, strength=0.6),
        MedianBlurOp(ksize=5),
        AdvancedBlurOp(ksize=7, sigma_x=1.0, sigma_y=2.0, angle=30, beta=1.5, noise_limit=(0.8, 1.2), seed=3),
        DefocusOp(radius=4, alias_blur=0.3),
        GlassBlurOp(sigma=0.7, max_delta=3, iterations=2, seed=1),
        ZoomBlurOp(max_factor=1.2, step_factor=0.03),
        ChromaticAberrationOp(red=(0.05, 0.02), blue=(-0.05, -0.02), interpolation=1),
    ],
    ids=lambda op: op.name,
)
def test_filters_leave_a_flat_image_flat(op):
    assert np.array_equal(op.apply_image(FLAT), FLAT)


def test_unsharp_mask_adds_detail_only_above_the_threshold():
    image = scene()
    sharp = UnsharpMaskOp(ksize=5, sigma=1.0, alpha=0.8, threshold=0).apply_image(image)
    assert detail(sharp) > 1.2 * detail(image)
    # No edge differs from its blur by more than 255: nothing is sharpened.
    assert np.array_equal(
        UnsharpMaskOp(ksize=5, sigma=1.0, alpha=0.8, threshold=255).apply_image(image), image
    )
    assert np.array_equal(UnsharpMaskOp(ksize=5, sigma=1.0, alpha=0.0, threshold=0).apply_image(image), image)


def test_unsharp_mask_blur_limit_zero_needs_sigma():
    with pytest.raises(ParamError):
        REGISTRY["UnsharpMask"](blur_limit=[0, 0])
    op = fire(REGISTRY["UnsharpMask"](blur_limit=[0, 0], sigma_limit=[2, 2], p=1.0), labelled_sample(24, 32))
    assert op.ksize == 15 and op.sigma == 2.0


def test_emboss_kernel_preserves_brightness_and_blends_with_alpha():
    for alpha, strength in [(0.0, 0.5), (0.4, 0.2), (1.0, 1.0)]:
        assert emboss_kernel(alpha, strength).sum() == pytest.approx(1.0)
    image = scene()
    assert np.array_equal(EmbossOp(alpha=0.0, strength=0.9).apply_image(image), image)
    assert not np.array_equal(EmbossOp(alpha=0.8, strength=0.9).apply_image(image), image)


def test_median_blur_matches_opencv_and_removes_isolated_spikes():
    image = scene()
    image[20, 20] = 255
    out = MedianBlurOp(ksize=3).apply_image(image)
    assert np.array_equal(out, cv2.medianBlur(image, 3))
    assert (out[20, 20] == image[20, 21]).all()


def test_median_blur_on_uint16_caps_the_kernel():
    deep = textured_image(20, 24, dtype=np.uint16)
    assert np.array_equal(MedianBlurOp(ksize=7).apply_image(deep), cv2.medianBlur(deep, 5))


def test_generalized_gaussian_with_beta_one_is_a_gaussian():
    kernel = generalized_gaussian_kernel(9, 1.5, 1.5, 0.0, 1.0)
    gauss = cv2.getGaussianKernel(9, 1.5)
    assert np.allclose(kernel, gauss @ gauss.T, atol=1e-6)
    rotated = generalized_gaussian_kernel(9, 0.5, 2.5, 90.0, 1.0)
    # A quarter turn swaps the spreads: wide along x, narrow along y.
    assert np.allclose(rotated, generalized_gaussian_kernel(9, 2.5, 0.5, 0.0, 1.0), atol=1e-6)
    assert rotated[4].sum() > rotated[:, 4].sum()


def test_advanced_blur_kernel_is_normalised_and_seeded():
    op = AdvancedBlurOp(ksize=7, sigma_x=1.0, sigma_y=0.5, angle=10, beta=0.7, noise_limit=(0.5, 1.5), seed=2)
    assert op.kernel().sum() == pytest.approx(1.0, abs=1e-5)
    other = AdvancedBlurOp(
        ksize=7, sigma_x=1.0, sigma_y=0.5, angle=10, beta=0.7, noise_limit=(0.5, 1.5), seed=3
    )
    assert not np.allclose(op.kernel(), other.kernel())
    assert detail(op.apply_image(scene())) < detail(scene())


def test_disk_kernel_is_a_normalised_round_aperture():
    kernel = disk_kernel(5, 0.0)
    assert kernel.sum() == pytest.approx(1.0)
    centre = kernel.shape[0] // 2
    assert kernel[centre, centre + 5] > 0 and kernel[centre, centre + 6] == 0
    assert np.allclose(kernel, kernel.T) and np.allclose(kernel, kernel[::-1])


@pytest.mark.parametrize("radius", [1, 3, 8])
def test_defocus_blurs_more_with_a_larger_radius(radius):
    small = detail(DefocusOp(radius=radius, alias_blur=0.1).apply_image(scene()))
    large = detail(DefocusOp(radius=radius + 2, alias_blur=0.1).apply_image(scene()))
    assert large < small < detail(scene())


def test_glass_blur_moves_pixels_locally_and_replays_from_its_seed():
    image = scene()
    op = GlassBlurOp(sigma=0.0, max_delta=2, iterations=1, seed=5)
    out = op.apply_image(image)
    assert np.array_equal(out, op.apply_image(image))
    assert not np.array_equal(
        out, GlassBlurOp(sigma=0.0, max_delta=2, iterations=1, seed=6).apply_image(image)
    )
    # Without blur every output value is an input value from at most 2 pixels away.
    assert set(map(tuple, out.reshape(-1, 3))) <= set(map(tuple, image.reshape(-1, 3)))
    assert abs(float(out.mean()) - float(image.mean())) < 3


def test_central_zoom_is_a_zoom_about_the_centre():
    image = textured_image(40, 60)
    zoomed = central_zoom(image, 2.0)
    expected = cv2.resize(image[10:30, 15:45], (60, 40), interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(zoomed, expected)


def test_zoom_blur_averages_the_zoomed_copies():
    image = textured_image(40, 60)
    factors = [1.05, 1.1]
    expected = (image.astype(float) + sum(central_zoom(image, f).astype(float) for f in factors)) / 3
    assert np.abs(zoom_blur(image, factors).astype(float) - expected).max() <= 0.51
    # The effect grows away from the centre.
    out = ZoomBlurOp(max_factor=1.3, step_factor=0.03).apply_image(scene())
    change = np.abs(out.astype(int) - scene()).sum(-1)
    assert change[28:32, 38:42].mean() < change[:, :10].mean()


def test_chromatic_aberration_moves_red_and_blue_but_never_green():
    image = textured_image(40, 60)
    image[::6] = 255
    op = ChromaticAberrationOp(red=(0.1, 0.05), blue=(0.1, 0.05), interpolation=1)
    out = op.apply_image(image)
    assert np.array_equal(out[..., 1], image[..., 1])
    assert not np.array_equal(out[..., 0], image[..., 0])
    still = ChromaticAberrationOp(red=(0.0, 0.0), blue=(0.0, 0.0), interpolation=1)
    assert np.array_equal(still.apply_image(image), image)
    grey = image[..., 0]
    assert np.array_equal(op.apply_image(grey), grey)


@pytest.mark.parametrize("width, height", [(640, 480), (33, 17), (1, 1)])
def test_radial_maps_hold_the_plain_float32_formula_bit_for_bit(width, height):
    # the maps are computed in place; the values must be those of the formula written out
    xn = (np.arange(width, dtype=np.float32) - width / 2.0) / width
    yn = (np.arange(height, dtype=np.float32) - height / 2.0) / height
    r2 = xn[None, :] ** 2 + yn[:, None] ** 2
    for k1, k2 in [(0.1, 0.05), (-0.2371, 0.0131), (0.0, 0.0), (0.3, -0.29)]:
        factor = 1.0 + r2 * (k1 + k2 * r2)
        expected = (
            (xn[None, :] * factor) * width + width / 2.0,
            (yn[:, None] * factor) * height + height / 2.0,
        )
        for got, want in zip(radial_maps(width, height, k1, k2), expected):
            assert got.dtype == np.float32 and np.array_equal(got, want.astype(np.float32))


@pytest.mark.parametrize("mode, same_sign", [("green_purple", True), ("red_blue", False)])
def test_chromatic_aberration_modes_set_the_relative_signs(mode, same_sign):
    transform = REGISTRY["ChromaticAberration"](mode=mode, primary_distortion_limit=0.1, p=1.0)
    for seed in range(10):
        op = fire(transform, labelled_sample(24, 32), seed)
        if op.red[0] != 0 and op.blue[0] != 0:
            assert (np.sign(op.red[0]) == np.sign(op.blue[0])) == same_sign
            assert np.sign(op.red[1]) in (0, np.sign(op.red[0]))


@pytest.mark.parametrize("down, up", [(0, 0), (3, 1)])
def test_downscale_is_a_resize_round_trip(down, up):
    image = textured_image(40, 60)
    out = DownscaleOp(scale=0.5, down=down, up=up).apply_image(image)
    expected = cv2.resize(cv2.resize(image, (30, 20), interpolation=down), (60, 40), interpolation=up)
    assert np.array_equal(out, expected)
    assert np.array_equal(DownscaleOp(scale=1.0, down=0, up=0).apply_image(image), image)


def test_downscale_validates_the_interpolation_pair():
    with pytest.raises(ParamError):
        REGISTRY["Downscale"](interpolation_pair={"down": 0})
    with pytest.raises(ParamError):
        REGISTRY["Downscale"](interpolation_pair={"downscale": 9, "upscale": 0})


def test_slic_segments_are_compact_and_bounded_in_number():
    image = cv2.cvtColor(scene(60, 80).astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    labels = slic_labels(image, 24)
    assert labels.shape == (60, 80)
    assert len(np.unique(labels)) <= 24 * 1.5
    step = np.sqrt(60 * 80 / 24)
    for label in np.unique(labels):
        ys, xs = np.nonzero(labels == label)
        assert np.ptp(xs) <= 4 * step and np.ptp(ys) <= 4 * step


def test_superpixels_replace_segments_by_their_mean():
    image = textured_image(48, 64)
    every = SuperpixelsOp(p_replace=1.0, n_segments=20, max_size=None, interpolation=1, seed=0)
    out = every.apply_image(image)
    assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 30
    assert abs(float(out.mean()) - float(image.mean())) < 1.0
    none = SuperpixelsOp(p_replace=0.0, n_segments=20, max_size=None, interpolation=1, seed=0)
    assert np.array_equal(none.apply_image(image), image)


def test_superpixels_work_below_max_size_and_restore_the_size():
    image = textured_image(200, 300)
    out = SuperpixelsOp(p_replace=0.5, n_segments=50, max_size=64, interpolation=1, seed=1).apply_image(image)
    assert out.shape == image.shape
