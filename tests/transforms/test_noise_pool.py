"""Noise read from the pooled tables keeps its distribution: mean, std, shape, and
independence within an image, between copies and between seeds."""

from __future__ import annotations

import hashlib
import multiprocessing

import numpy as np
import pytest

from augcli.core.sample import Instances, Sample
from augcli.engine.seeds import task_rng
from augcli.recipe.recipe import recipe_from_dict
from augcli.transforms.pixel import noise_pool
from augcli.transforms.pixel.noise import GaussNoiseOp
from augcli.transforms.pixel.sensor_noise import ISONoiseOp, poisson_constant

GREY = 128


def residual(std: float, mean: float = 0.0, seed: int = 0, shape=(480, 640, 3), dtype=np.uint8) -> np.ndarray:
    """What GaussNoise added to a flat mid-grey image, in units of the dtype's maximum."""
    maxv = np.iinfo(dtype).max
    image = np.full(shape, (maxv + 1) // 2, dtype)
    op = GaussNoiseOp(std=std, mean=mean, per_channel=True, noise_scale_factor=1.0, seed=seed)
    return (op.apply_image(image).astype(np.float64) - (maxv + 1) // 2) / maxv


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.mark.parametrize("std, mean", [(0.02, 0.0), (0.08, 0.0), (0.05, 0.1), (0.06, -0.05)])
def test_gauss_noise_has_the_drawn_mean_and_std(std, mean):
    noise = residual(std, mean)  # 921600 values: several windows of the pool
    assert noise.size > 4 * noise_pool.WINDOW
    # rounding to whole levels adds 1/12 level^2 of variance
    expected_std = np.sqrt(std**2 + 1 / 12 / 255**2)
    assert noise.mean() == pytest.approx(mean, abs=0.002)
    assert noise.std() == pytest.approx(expected_std, rel=0.01)
    for channel in range(3):
        assert noise[..., channel].std() == pytest.approx(expected_std, rel=0.015)


def test_gauss_noise_is_gaussian():
    z = residual(0.08).ravel() / 0.08  # about N(0, 1), on a 1/20 grid
    for k, share in ((0.5, 0.3829), (1.0, 0.6827), (2.0, 0.9545), (3.0, 0.9973)):
        assert np.mean(np.abs(z) <= k + 1 / 40) == pytest.approx(share, abs=0.01)
    assert np.mean(z**3) == pytest.approx(0.0, abs=0.02)  # skewness
    assert np.mean(z**4) == pytest.approx(3.0, abs=0.05)  # kurtosis


def test_gauss_noise_is_independent_within_an_image():
    noise = residual(0.08)
    assert abs(corr(noise[..., 0], noise[..., 1])) < 0.01  # channels
    assert abs(corr(noise[:, :-1], noise[:, 1:])) < 0.01  # horizontal neighbours
    assert abs(corr(noise[:-1], noise[1:])) < 0.01  # vertical neighbours
    flat = noise.ravel()
    window = noise_pool.WINDOW
    assert abs(corr(flat[:window], flat[window : 2 * window])) < 0.01  # consecutive windows


def test_copies_and_seeds_get_independent_noise():
    """Copies of one image (their ops' seeds come from each copy's stream) and other
    run seeds get uncorrelated noise; the same (seed, key, copy) gets the same noise."""
    recipe = recipe_from_dict(
        {"version": 1, "pipeline": [{"GaussNoise": {"std_range": [0.08, 0.08], "p": 1}}]}
    )
    image = np.full((240, 320, 3), GREY, np.uint8)
    sample = Sample(image=image, instances=Instances.empty())

    def copy_noise(seed: int, copy: int) -> np.ndarray:
        run = recipe.pipeline.run(sample, task_rng(seed, "train", "img.jpg", copy))
        return run.sample.image.astype(np.float64) - GREY

    fields = [copy_noise(seed, copy) for seed in (0, 1) for copy in (1, 2, 3, 4)]
    for i in range(len(fields)):
        for j in range(i + 1, len(fields)):
            assert abs(corr(fields[i], fields[j])) < 0.01, (i, j)
    assert np.array_equal(copy_noise(0, 2), fields[1])


def test_large_and_16_bit_images():
    # more values than the pool holds: the windows still give the same distribution
    noise = residual(0.05, shape=(1100, 700, 3))
    assert noise.size > noise_pool.POOL_SIZE
    assert noise.std() == pytest.approx(0.05, rel=0.01)
    assert abs(corr(noise[:550], noise[550:])) < 0.01
    deep = residual(0.05, shape=(200, 300), dtype=np.uint16)
    assert deep.std() == pytest.approx(0.05, rel=0.01) and abs(deep.mean()) < 0.001


def _digest(seed: int) -> str:
    image = np.full((300, 500, 3), GREY, np.uint8)
    op = GaussNoiseOp(std=0.05, mean=0.0, per_channel=True, noise_scale_factor=1.0, seed=seed)
    return hashlib.sha256(op.apply_image(image).tobytes()).hexdigest()


def test_the_pool_is_the_same_in_every_process():
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        theirs = pool.map(_digest, [3, 4])
    assert theirs == [_digest(3), _digest(4)]
    assert theirs[0] != theirs[1]


def test_pooled_uniforms_give_poisson_counts_for_isonoise():
    counts = poisson_constant(6.0, (480, 640), seed=2)
    assert counts.mean() == pytest.approx(6.0, rel=0.01)
    assert counts.var() == pytest.approx(6.0, rel=0.02)
    other = poisson_constant(6.0, (480, 640), seed=3)
    assert abs(corr(counts, other)) < 0.01


def test_isonoise_hue_jitter_has_its_documented_spread():
    import cv2

    rng = np.random.default_rng(0)
    image = np.ascontiguousarray(np.broadcast_to(rng.integers(60, 200, 3).astype(np.uint8), (240, 320, 3)))
    image[..., 0] = 180  # a saturated colour: its hue is well defined
    op = ISONoiseOp(color_shift=0.02, intensity=0.5, seed=9)
    hue_in = cv2.cvtColor(image.astype(np.float32) / 255, cv2.COLOR_RGB2HLS)[..., 0]
    hue_out = cv2.cvtColor(op.apply_image(image).astype(np.float32) / 255, cv2.COLOR_RGB2HLS)[..., 0]
    shift = (hue_out - hue_in + 180) % 360 - 180
    # std 0.02 * 360 * 0.5 = 3.6 degrees, blurred a little by rounding to uint8 and the luminance noise
    assert shift.std() == pytest.approx(3.6, rel=0.15)
    assert abs(shift.mean()) < 0.2
