"""Colour and tone transforms of the catalogue, against oracles and properties."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from contract_samples import fire, labelled_sample, textured_image
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from augcli.transforms.catalog import load_all
from augcli.transforms.params import ParamError
from augcli.transforms.pixel.channel_mix import (
    SEPIA,
    ChannelDropoutOp,
    ChannelShuffleOp,
    FancyPCAOp,
    InvertImgOp,
    PlanckianJitterOp,
    ToSepiaOp,
    illuminant_xy,
    planckian_gains,
    sample_temperature,
)
from augcli.transforms.pixel.histogram import (
    AutoContrastOp,
    EqualizeOp,
    PosterizeOp,
    SolarizeOp,
    ToneCurveOp,
    histogram_bounds,
    tone_curve,
)

REGISTRY = load_all()


def rgba(height=24, width=32) -> np.ndarray:
    image = textured_image(height, width, channels=4)
    image[..., 3] = np.arange(width, dtype=np.uint8)[None, :] * 7
    return image


def random_image(seed=0, shape=(40, 50, 3), dtype=np.uint8) -> np.ndarray:
    top = 256 if dtype == np.uint8 else 65536
    return np.random.default_rng(seed).integers(0, top, shape).astype(dtype)


# --- channel transforms ----------------------------------------------------------------


def test_sepia_is_the_documented_matrix():
    image = random_image()
    expected = np.clip(np.rint(image.astype(np.float64) @ SEPIA.T.astype(np.float64)), 0, 255)
    out = ToSepiaOp().apply_image(image)
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_sepia_keeps_grey_and_alpha():
    grey = textured_image(20, 20, channels=None)
    assert np.array_equal(ToSepiaOp().apply_image(grey), grey)
    image = rgba()
    assert np.array_equal(ToSepiaOp().apply_image(image)[..., 3], image[..., 3])


def test_channel_shuffle_permutes_colour_channels_only():
    image = rgba()
    orders = set()
    for seed in range(12):
        out = ChannelShuffleOp(seed=seed).apply_image(image)
        assert np.array_equal(out[..., 3], image[..., 3])
        order = tuple(
            next(c for c in range(3) if np.array_equal(out[..., k], image[..., c])) for k in range(3)
        )
        assert sorted(order) == [0, 1, 2]
        orders.add(order)
    assert len(orders) >= 3


@pytest.mark.parametrize("count", [1, 2, 5])
def test_channel_dropout_fills_count_channels_and_keeps_one(count):
    image = random_image()
    out = ChannelDropoutOp(count=count, fill=7, seed=1).apply_image(image)
    dropped = [c for c in range(3) if (out[..., c] == 7).all()]
    assert len(dropped) == min(count, 2)
    for c in set(range(3)) - set(dropped):
        assert np.array_equal(out[..., c], image[..., c])
    grey = image[..., 0]
    assert np.array_equal(ChannelDropoutOp(count=1, fill=0, seed=1).apply_image(grey), grey)


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 2), st.sampled_from([np.uint8, np.uint16]))
def test_invert_sums_to_max_and_is_an_involution(seed, dtype):
    image = random_image(seed % 1000, (6, 7, 3), dtype)
    out = InvertImgOp().apply_image(image)
    assert (out.astype(np.int64) + image == np.iinfo(dtype).max).all()
    assert np.array_equal(InvertImgOp().apply_image(out), image)


def test_fancy_pca_adds_one_offset_per_channel():
    image = textured_image(40, 40)  # away from clipping
    op = FancyPCAOp(alpha=2.0, seed=4)
    diff = op.apply_image(image).astype(int) - image
    offsets = op.shift(image, 255)
    for c in range(3):
        assert np.abs(diff[..., c] - np.rint(offsets[c])).max() <= 1
    assert np.abs(offsets).max() > 0.5
    assert np.array_equal(FancyPCAOp(alpha=0.0, seed=4).apply_image(image), image)


def test_fancy_pca_offset_lies_along_the_principal_axes():
    image = textured_image(40, 40)
    pixels = image.reshape(-1, 3).astype(np.float64) / 255
    _, vectors = np.linalg.eigh(np.cov(pixels, rowvar=False))
    offsets = FancyPCAOp(alpha=1.0, seed=9).shift(image, 255)
    # Expressed in the eigenbasis, the offset is alpha_i * lambda_i: no stray components.
    coords = vectors.T @ offsets
    assert np.allclose(vectors @ coords, offsets)


def test_planckian_locus_points_match_published_chromaticities():
    x, y = illuminant_xy(6504, "cied")  # D65
    assert abs(x - 0.3127) < 0.002 and abs(y - 0.3290) < 0.002
    x, y = illuminant_xy(3000, "blackbody")  # incandescent: warm, on the locus
    assert abs(x - 0.4369) < 0.003 and abs(y - 0.4041) < 0.003


def test_planckian_gains_warm_to_cool_and_daylight_is_neutral():
    red_warm, blue_warm = planckian_gains(3000, "blackbody")
    red_cool, blue_cool = planckian_gains(12000, "blackbody")
    assert red_warm > 1 > red_cool and blue_warm < 1 < blue_cool
    red, blue = planckian_gains(6504, "cied")
    assert abs(red - 1) < 0.02 and abs(blue - 1) < 0.02
    temps = np.linspace(3000, 15000, 25)
    reds = [planckian_gains(t, "blackbody")[0] for t in temps]
    assert np.all(np.diff(reds) < 0), "red gain falls monotonically with temperature"


def test_planckian_jitter_scales_red_and_blue_only():
    image = textured_image(20, 20)
    out = PlanckianJitterOp(temperature=3500, mode="blackbody").apply_image(image)
    red, blue = planckian_gains(3500, "blackbody")
    assert np.array_equal(out[..., 1], image[..., 1])
    assert np.abs(out[..., 0] - np.clip(np.rint(image[..., 0] * red), 0, 255)).max() <= 1
    assert np.abs(out[..., 2] - np.rint(image[..., 2] * blue)).max() <= 1


@pytest.mark.parametrize("method", ["uniform", "gaussian"])
def test_temperature_sampling_stays_in_range_and_splits_at_6000(method):
    rng = np.random.default_rng(0)
    draws = np.array([sample_temperature(rng, 3000, 15000, method) for _ in range(2000)])
    assert draws.min() >= 3000 and draws.max() <= 15000
    assert 0.35 < (draws < 6000).mean() < 0.45


def test_planckian_rejects_cied_below_4000():
    with pytest.raises(ParamError):
        REGISTRY["PlanckianJitter"](mode="cied", temperature_limit=[3000, 8000])


# --- histogram transforms --------------------------------------------------------------


def test_equalize_cv_matches_opencv_per_channel():
    image = textured_image(40, 50)
    out = EqualizeOp(mode="cv", by_channels=True).apply_image(image)
    for c in range(3):
        assert np.array_equal(out[..., c], cv2.equalizeHist(np.ascontiguousarray(image[..., c])))


def test_equalize_pil_matches_pillow():
    image = textured_image(40, 50)
    expected = np.asarray(ImageOps.equalize(Image.fromarray(image)))
    assert np.array_equal(EqualizeOp(mode="pil", by_channels=True).apply_image(image), expected)


def test_equalize_uint16_and_luma_mode_spread_the_range():
    deep = textured_image(40, 50, dtype=np.uint16)
    out = EqualizeOp(mode="cv", by_channels=True).apply_image(deep)
    assert out.dtype == np.uint16 and out.min() == 0 and out.max() == 65535
    luma_only = EqualizeOp(mode="cv", by_channels=False).apply_image(textured_image(40, 50))
    y = cv2.cvtColor(luma_only, cv2.COLOR_RGB2YCrCb)[..., 0]
    assert y.min() <= 3 and y.max() >= 250


def test_histogram_bounds_cut_the_requested_share():
    hist = np.ones(256)
    assert histogram_bounds(hist, 0) == (0, 255)
    low, high = histogram_bounds(hist, 10)
    assert low == 25 and high == 230  # 25.6 of 256 values cut: bins 0-24 fully, bin 25 partly


@pytest.mark.parametrize("method", ["pil", "cdf"])
def test_auto_contrast_stretches_each_channel_to_the_full_range(method):
    image = (textured_image(30, 30) // 2 + 40).astype(np.uint8)
    out = AutoContrastOp(cutoff=0, ignore=None, method=method).apply_image(image)
    for c in range(3):
        assert out[..., c].min() == 0 and out[..., c].max() == 255
        order = np.argsort(image[..., c], axis=None, kind="stable")
        assert np.all(np.diff(out[..., c].ravel()[order].astype(int)) >= 0), "must stay monotone"


def test_auto_contrast_pil_is_linear_between_the_bounds():
    image = np.tile(np.arange(50, 150, dtype=np.uint8), (4, 1))
    out = AutoContrastOp(cutoff=0, ignore=None, method="pil").apply_image(image)
    expected = np.rint((image.astype(float) - 50) * 255 / 99)
    assert np.array_equal(out, expected)


def test_auto_contrast_keeps_the_ignored_value():
    image = textured_image(20, 20, channels=None)
    image[:5] = 3
    out = AutoContrastOp(cutoff=0, ignore=3, method="pil").apply_image(image)
    assert (out[:5] == 3).all()


@pytest.mark.parametrize("bits", [1, 3, 6, 8])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_posterize_keeps_the_top_bits(bits, dtype):
    image = random_image(2, (10, 12, 3), dtype)
    out = PosterizeOp(num_bits=bits).apply_image(image)
    depth = 8 if dtype == np.uint8 else 16
    assert np.array_equal(out >> (depth - bits), image >> (depth - bits))
    assert len(np.unique(out)) <= 2**bits


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 1.0])
def test_solarize_inverts_at_and_above_the_threshold(threshold):
    image = random_image(3)
    out = SolarizeOp(threshold=threshold).apply_image(image)
    above = image >= threshold * 255
    assert np.array_equal(out[above], 255 - image[above])
    assert np.array_equal(out[~above], image[~above])


def test_tone_curve_pins_the_ends_and_makes_an_s_curve():
    curve = tone_curve(0.25, 0.75, 255)
    assert curve[0] == 0 and curve[-1] == pytest.approx(255)
    assert curve[64] < 64 and curve[192] > 192  # darker shadows, brighter highlights
    op = ToneCurveOp(scale=0.0, per_channel=False, seed=0)
    image = textured_image(30, 30)
    assert np.array_equal(op.apply_image(image), np.rint(curve)[image].astype(np.uint8))


@pytest.mark.parametrize("maxv", [255, 65535])
def test_tone_curve_is_the_bezier_formula_bit_for_bit_one_curve_or_several(maxv):
    heights = np.random.default_rng(maxv).uniform(0, 1, (3, 2))
    t = np.arange(maxv + 1, dtype=np.float64) / maxv
    s = 1.0 - t
    for low, high in heights:
        formula = (3 * s * s * t * low + 3 * s * t * t * high + t**3) * maxv
        assert np.array_equal(tone_curve(low, high, maxv), formula)
    several = tone_curve(heights[:, :1], heights[:, 1:], maxv)
    assert np.array_equal(several, np.stack([tone_curve(lo, hi, maxv) for lo, hi in heights]))


def test_tone_curve_per_channel_differs_between_channels():
    image = np.dstack([np.tile(np.arange(256, dtype=np.uint8), (2, 1))] * 3)
    out = ToneCurveOp(scale=0.2, per_channel=True, seed=5).apply_image(image)
    assert not np.array_equal(out[..., 0], out[..., 1])


# --- transforms draw valid ops ----------------------------------------------------------


@pytest.mark.parametrize(
    "name, config",
    [
        ("ChannelDropout", {"channel_drop_range": [1, 2]}),
        ("PlanckianJitter", {"mode": "cied", "sampling_method": "gaussian"}),
        ("Posterize", {"num_bits": [2, 4]}),
        ("Solarize", {"threshold_range": [0.2, 0.8]}),
        ("RandomToneCurve", {"scale": 0.3, "per_channel": True}),
    ],
)
def test_drawn_parameters_stay_in_their_ranges(name, config):
    transform = REGISTRY[name](**config, p=1.0)
    sample = labelled_sample(24, 32)
    for seed in range(20):
        record = fire(transform, sample, seed).record()
        if name == "ChannelDropout":
            assert 1 <= record["count"] <= 2
        elif name == "PlanckianJitter":
            assert 4000 <= record["temperature"] <= 15000
        elif name == "Posterize":
            assert 2 <= record["num_bits"] <= 4
        elif name == "Solarize":
            assert 0.2 <= record["threshold"] <= 0.8
        else:
            assert record["per_channel"] is True
