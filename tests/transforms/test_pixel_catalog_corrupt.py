"""Corrupt: the ImageNet-C corruptions, their severity tables, and elastic labels."""

from __future__ import annotations

import dataclasses

import alignment_checks as alignment
import cv2
import numpy as np
import pytest
from contract_samples import fire, label_snapshot, labelled_sample, textured_image

from augcli.transforms.base import GeometricOp, PixelOp, SampleContext
from augcli.transforms.catalog import load_all
from augcli.transforms.params import ParamError
from augcli.transforms.pixel.compression import ImageCompressionOp
from augcli.transforms.pixel.corrupt import CorruptOp, reference_field
from augcli.transforms.pixel.corruptions import NAMES, PHOTOMETRIC, SEVERITY, streak_kernel
from augcli.transforms.pixel.frost import frost_texture

REGISTRY = load_all()
Corrupt = REGISTRY["Corrupt"]
IMAGENET_C = {
    "gaussian_noise",
    "shot_noise",
    "impulse_noise",
    "speckle_noise",
    "defocus_blur",
    "glass_blur",
    "motion_blur",
    "zoom_blur",
    "gaussian_blur",
    "snow",
    "frost",
    "fog",
    "spatter",
    "brightness",
    "contrast",
    "saturate",
    "jpeg_compression",
    "pixelate",
    "elastic_transform",
}
GREY = np.full((64, 64, 3), 128, np.uint8)


def corrupt(image: np.ndarray, name: str, severity: int, reference_size=224, seed=1) -> np.ndarray:
    return CorruptOp(
        corruption=name, severity=severity, reference_size=reference_size, seed=seed
    ).apply_image(image)


def test_the_table_covers_imagenet_c_with_five_severities():
    assert set(NAMES) == IMAGENET_C
    assert all(len(levels) == 5 for levels in SEVERITY.values())


def test_name_is_checked_and_kept_off_the_transform_name():
    assert Corrupt().corruption == "elastic_transform"
    with pytest.raises(ParamError):
        Corrupt(name="rain")
    transform = Corrupt(name="fog", severity=4)
    assert transform.name == "Corrupt" and transform.corruption == "fog"
    assert "Corrupt(name='fog'" in repr(transform)


def damage(out: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    """(mean absolute change, 1 - correlation): a corruption can shift values, scramble them, or both."""
    a, b = out.astype(float).ravel(), image.astype(float).ravel()
    return float(np.abs(a - b).mean()), 1.0 - float(np.corrcoef(a, b)[0, 1])


def blocks(height: int, width: int) -> np.ndarray:
    """Random 7-pixel colour blocks: edges everywhere, so blurs and jitters show."""
    cells = np.random.default_rng(0).integers(40, 216, (height // 7 + 1, width // 7 + 1, 3))
    return np.kron(cells, np.ones((7, 7, 1)))[:height, :width].astype(np.uint8)


@pytest.mark.parametrize("name", sorted(PHOTOMETRIC))
def test_photometric_corruptions_keep_labels_and_grow_with_severity(name):
    # The reference size, so the tables apply as published.
    sample = labelled_sample(image=blocks(168, 224))
    labels = label_snapshot(sample)
    damages = []
    for severity in (1, 5):
        op = fire(Corrupt(name=name, severity=severity, p=1.0), sample, seed=3)
        assert isinstance(op, PixelOp)
        out = op.apply(sample)
        assert label_snapshot(out) == labels
        assert out.image.shape == sample.image.shape and out.image.dtype == sample.image.dtype
        damages.append(damage(out.image, sample.image))
    (shift_1, scramble_1), (shift_5, scramble_5) = damages
    assert shift_5 > shift_1 or scramble_5 > scramble_1, f"severity 5 must corrupt more: {damages}"


LAYOUTS = {
    "grey": dict(channels=None),
    "rgba": dict(channels=4),
    "rgb16": dict(channels=3, dtype=np.uint16),
    "grey16": dict(channels=None, dtype=np.uint16),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("name", sorted(PHOTOMETRIC))
def test_photometric_corruptions_handle_every_layout(name, layout):
    image = textured_image(40, 48, **LAYOUTS[layout])
    out = corrupt(image, name, 3)
    assert out.dtype == image.dtype and out.shape == image.shape
    if layout == "rgba":
        assert np.array_equal(out[..., 3], image[..., 3])


@pytest.mark.parametrize("severity", [1, 2, 3])  # higher ones clip at 0 and 255
def test_gaussian_noise_has_the_published_spread(severity):
    out = corrupt(GREY, "gaussian_noise", severity).astype(float)
    assert np.std(out - 128) == pytest.approx(SEVERITY["gaussian_noise"][severity - 1] * 255, rel=0.08)


@pytest.mark.parametrize("severity", [1, 3, 4])
def test_shot_noise_has_poisson_variance(severity):
    photons = SEVERITY["shot_noise"][severity - 1]
    out = corrupt(np.full((128, 128, 3), 64, np.uint8), "shot_noise", severity).astype(float) / 255
    # counts ~ Poisson(x c); out = counts / c: variance x / c (dark enough not to clip at 1).
    assert out.var() == pytest.approx((64 / 255) / photons, rel=0.1)


def test_impulse_noise_hits_the_published_share_of_values():
    out = corrupt(np.full((128, 128, 3), 128, np.uint8), "impulse_noise", 4)
    hit = (out != 128).mean()
    assert hit == pytest.approx(SEVERITY["impulse_noise"][3], rel=0.1)
    assert set(np.unique(out)) == {0, 128, 255}


def test_contrast_and_brightness_follow_their_tables():
    image = textured_image(40, 40)
    out = corrupt(image, "contrast", 2).astype(float)
    for c in range(3):
        expected = (image[..., c] - image[..., c].mean()) * SEVERITY["contrast"][1] + image[..., c].mean()
        assert np.abs(out[..., c] - expected).max() <= 0.51
    grey = textured_image(30, 30, channels=None)
    lifted = corrupt(grey, "brightness", 1).astype(int)
    assert np.array_equal(lifted, np.clip(np.rint(grey + 0.1 * 255), 0, 255))


def test_saturate_scales_hsv_saturation():
    image = textured_image(30, 30)
    before = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1].astype(float).mean()
    assert cv2.cvtColor(corrupt(image, "saturate", 1), cv2.COLOR_RGB2HSV)[..., 1].mean() < before
    assert cv2.cvtColor(corrupt(image, "saturate", 4), cv2.COLOR_RGB2HSV)[..., 1].mean() > before


def test_jpeg_and_pixelate_use_the_published_settings():
    image = textured_image(48, 64)
    jpeg = ImageCompressionOp(compression_type="jpeg", quality=SEVERITY["jpeg_compression"][2])
    assert np.array_equal(corrupt(image, "jpeg_compression", 3), jpeg.apply_image(image))
    small = cv2.resize(image, (int(64 * 0.4), int(48 * 0.4)), interpolation=cv2.INTER_AREA)
    expected = cv2.resize(small, (64, 48), interpolation=cv2.INTER_NEAREST)
    assert np.array_equal(corrupt(image, "pixelate", 3), expected)


def test_pixel_sizes_scale_with_the_reference_size():
    image = textured_image(96, 128)
    sigma = SEVERITY["gaussian_blur"][2]
    doubled = cv2.GaussianBlur(image, (0, 0), sigma * 2, borderType=cv2.BORDER_REFLECT_101)
    assert np.array_equal(corrupt(image, "gaussian_blur", 3, reference_size=48), doubled)
    as_published = cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    assert np.array_equal(corrupt(image, "gaussian_blur", 3, reference_size=None), as_published)


def test_streak_kernel_is_one_sided_and_normalised():
    kernel = streak_kernel(6, 3, 0.0)
    assert kernel.sum() == pytest.approx(1.0)
    centre = kernel.shape[0] // 2
    assert kernel[:, :centre].sum() == 0 and kernel[centre, centre:].sum() == pytest.approx(1.0)
    assert kernel[centre, centre] > kernel[centre, centre + 6]


def test_frost_texture_is_a_bright_cold_replayable_layer():
    texture = frost_texture(120, 160, 1.0, seed=2)
    assert texture.shape == (120, 160, 3) and texture.dtype == np.float32
    assert texture.min() >= 0 and texture.max() <= 1
    assert 0.3 < texture.mean() < 0.6
    assert texture[..., 2].mean() > texture[..., 0].mean()  # blue-white
    assert np.array_equal(texture, frost_texture(120, 160, 1.0, seed=2))
    assert not np.array_equal(texture, frost_texture(120, 160, 1.0, seed=3))


def test_reference_field_looks_the_same_at_any_resolution():
    small = [reference_field(224, 224, 1.0, 4.0, np.random.default_rng(s)).std() for s in range(4)]
    large = [reference_field(448, 448, 2.0, 4.0, np.random.default_rng(s)).std() for s in range(4)]
    wide = [reference_field(224, 224, 1.0, 80.0, np.random.default_rng(s)).std() for s in range(4)]
    assert np.mean(large) == pytest.approx(np.mean(small), rel=0.15)
    assert np.mean(wide) < np.mean(small) / 5  # wider smoothing, weaker field


# --- elastic_transform moves the labels ------------------------------------------------


def elastic_run(severity: int, seed: int) -> alignment.Run:
    sample = alignment.scene()
    transform = Corrupt(name="elastic_transform", severity=severity, interpolation=0, p=1.0)
    ctx = SampleContext(width=alignment.W, height=alignment.H, get_sample=lambda: sample)
    op = transform.sample(np.random.default_rng(seed), ctx)
    assert isinstance(op, GeometricOp) and Corrupt.kind == "geometric"
    return alignment.Run(op, op.warp(alignment.W, alignment.H), op.apply(sample))


@pytest.mark.parametrize("severity", [1, 2])
def test_elastic_labels_follow_pixels(severity):
    checker = alignment.Checker()
    for seed in alignment.SEEDS:
        checker.check(elastic_run(severity, seed))
    checker.assert_quality(grid=True)


@pytest.mark.parametrize("severity", [3, 5])
def test_fine_elastic_jitter_keeps_shapes_aligned(severity):
    """Severities 3-5 jitter by ~2 px at 224 px and fold the grid: masks and polygons still
    match their pixels; keypoint dots are scrambled too, so only mask IoU is held to the bar."""
    ious = []
    for seed in alignment.SEEDS:
        result = elastic_run(severity, seed)
        index = alignment.colour_masks(result.out.image)
        inst = result.out.instances
        rows = {int(label): row for row, label in enumerate(inst.labels)}
        mask = alignment.rle.decode(inst.masks[rows[2]])
        ious.append(alignment.iou(mask, index == alignment.palette_index(alignment.GREEN)))
    assert np.mean(ious) >= 0.95, ious


def test_elastic_op_replays_and_pickles_small():
    import pickle

    result = elastic_run(2, 4)
    clone = pickle.loads(pickle.dumps(result.op))
    assert len(pickle.dumps(result.op)) < 1024
    again = clone.apply(alignment.scene())
    assert np.array_equal(again.image, result.out.image)
    assert np.array_equal(again.instances.boxes, result.out.instances.boxes)
    assert dataclasses.asdict(clone) == dataclasses.asdict(result.op)
