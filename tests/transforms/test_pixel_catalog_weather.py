"""Weather and lens transforms of the catalogue."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from contract_samples import textured_image

from augcli.transforms.catalog import load_all
from augcli.transforms.params import ParamError
from augcli.transforms.pixel.gravel import RandomGravelOp
from augcli.transforms.pixel.lens import (
    MUD_RGB,
    SpatterOp,
    SunFlareOp,
    liquid_layer,
    mud_weight,
    rain_drops,
)
from augcli.transforms.pixel.rings import blend_rings, ring_index
from augcli.transforms.pixel.support import blend_field
from augcli.transforms.pixel.weather import (
    RandomFogOp,
    RandomRainOp,
    RandomSnowOp,
    coverage,
    fog_particles,
)

REGISTRY = load_all()
DARK = np.full((60, 80, 3), 50, np.uint8)


def luma(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(float)


def test_fog_coverage_counts_overlapping_discs():
    rng = np.random.default_rng(0)
    xs, ys, radii = rng.integers(-5, 45, 30), rng.integers(-5, 35, 30), rng.integers(1, 8, 30)
    count = coverage(30, 40, xs, ys, radii)
    yy, xx = np.mgrid[0:30, 0:40]
    brute = sum(((xx - x) ** 2 + (yy - y) ** 2 <= r * r).astype(int) for x, y, r in zip(xs, ys, radii))
    assert np.array_equal(count, brute)


def test_fog_piles_up_in_the_middle_and_whitens():
    xs, ys, _ = fog_particles(120, 160, 0.8, np.random.default_rng(3))
    middle = (np.abs(xs - 80) < 40) & (np.abs(ys - 60) < 30)
    assert middle.mean() > 0.25 + 0.05  # a quarter of the area, clearly more than a quarter of the puffs
    out = RandomFogOp(intensity=0.8, alpha_coef=0.1, seed=1).apply_image(DARK)
    assert (out.astype(int) >= DARK - 1).all() and out.mean() > DARK.mean() + 10
    assert luma(out)[20:40, 30:50].mean() > luma(out)[:, :8].mean()


def test_rain_without_drops_only_dims():
    op = RandomRainOp(
        slant=0.0,
        drop_length=10,
        drop_width=1,
        drop_color=(0, 0, 0),
        blur_value=1,
        brightness_coefficient=0.5,
        rain_type="default",
        seed=1,
    )
    image = textured_image(40, 60)
    assert np.array_equal(op.apply_image(image), np.rint(image * 0.5).astype(np.uint8))


def test_rain_draws_streaks_at_the_slant():
    op = RandomRainOp(
        slant=0.0,
        drop_length=12,
        drop_width=1,
        drop_color=(255, 255, 255),
        blur_value=1,
        brightness_coefficient=1.0,
        rain_type="heavy",
        seed=2,
    )
    out = op.apply_image(DARK)
    streaks = (out == 255).all(-1)
    assert streaks.sum() > 60
    # Vertical streaks: a lit pixel usually has a lit neighbour above or below, rarely beside.
    vertical = (streaks[1:] & streaks[:-1]).sum()
    horizontal = (streaks[:, 1:] & streaks[:, :-1]).sum()
    assert vertical > 5 * max(horizontal, 1)


def test_snow_bleach_brightens_only_below_the_snow_point():
    grey = np.array([[40, 100, 200]], np.uint8)
    out = RandomSnowOp(snow_point=0.2, brightness_coeff=2.0, method="bleach", seed=0).apply_image(grey)
    threshold = 0.2 * 255 / 2 + 255 / 3  # 110.5
    assert out.tolist() == [[80, 200, 200]] and 100 < threshold < 200


def test_snow_texture_whitens_more_at_the_top():
    out = RandomSnowOp(snow_point=0.3, brightness_coeff=1.0, method="texture", seed=4).apply_image(DARK)
    assert luma(out)[:10].mean() > luma(out)[-10:].mean() > DARK.mean()


def test_sun_flare_brightens_around_the_sun():
    op = SunFlareOp(
        center=(0.5, 0.5),
        angle=0.3,
        num_circles=6,
        src_radius=30,
        src_color=(255, 255, 255),
        method="overlay",
        seed=2,
    )
    out = op.apply_image(DARK)
    assert (out.astype(int) >= DARK).all()
    assert luma(out)[30, 40] > luma(out)[30, 40 + 25] >= luma(out)[0, 0]
    physics = SunFlareOp(
        center=(0.5, 0.5),
        angle=0.3,
        num_circles=6,
        src_radius=30,
        src_color=(255, 255, 255),
        method="physics_based",
        seed=2,
    ).apply_image(DARK)
    assert (physics.astype(int) >= DARK).all() and luma(physics)[30, 40] > 150


def test_sun_flare_rejects_a_bad_roi():
    with pytest.raises(ParamError):
        REGISTRY["RandomSunFlare"](flare_roi=[0.5, 0, 0.4, 1])


@pytest.mark.parametrize("radius, count", [(400, 40), (57, 5), (11, 2), (3000, 300), (10, 1)])
def test_ring_index_is_searchsorted(radius, count):
    # the sun's rings: random distances, and float32 values on and one ulp beside every radius
    radii = np.linspace(1.0, radius, count)
    on = np.concatenate([radii, np.nextafter(radii, np.inf), np.nextafter(radii, -np.inf)]).astype(np.float32)
    beside = [np.nextafter(on, np.float32(np.inf)), np.nextafter(on, np.float32(-np.inf))]
    spread = np.random.default_rng(radius).uniform(0, 1.5 * radius, 5000).astype(np.float32)
    dist = np.concatenate([spread, on, *beside, np.float32([0, 0.5, 1, radius, 3 * radius])])
    assert np.array_equal(ring_index(radii, dist), np.searchsorted(radii, dist, side="left"))


def test_gravel_stays_inside_its_roi():
    image = textured_image(160, 200)
    out = RandomGravelOp(roi=(0.2, 0.5, 0.8, 0.9), number_of_patches=3, seed=1).apply_image(image)
    changed = (out != image).any(-1)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 0
    assert xs.min() >= 0.2 * 200 - 3 and xs.max() <= 0.8 * 200 + 3
    assert ys.min() >= 0.5 * 160 - 3 and ys.max() <= 0.9 * 160 + 3


def test_liquid_layer_is_cut_below_its_threshold():
    liquid = liquid_layer(60, 80, 0.65, 0.3, 1.0, 0.7, seed=1)
    assert ((liquid == 0) | (liquid >= 0.7)).all() and (liquid > 0).any()
    drops = rain_drops(liquid)
    assert drops.min() >= 0 and drops.max() == pytest.approx(1.0)
    assert (drops[liquid == 0] == 0).all()


def test_spatter_rain_adds_and_mud_blends_towards_brown():
    image = textured_image(60, 80)
    rain = SpatterOp(
        mean=0.65,
        std=0.3,
        gauss_sigma=1.0,
        cutout_threshold=0.68,
        intensity=0.6,
        mode="rain",
        color=(175, 238, 238),
        seed=2,
    ).apply_image(image)
    assert (rain.astype(int) >= image).all() and (rain != image).any()
    mud = SpatterOp(
        mean=0.65,
        std=0.3,
        gauss_sigma=1.0,
        cutout_threshold=0.68,
        intensity=1.0,
        mode="mud",
        color=MUD_RGB,
        seed=2,
    ).apply_image(image)
    changed = (mud != image).any(-1)
    before = np.abs(image[changed].astype(int) - MUD_RGB).sum(-1)
    after = np.abs(mud[changed].astype(int) - MUD_RGB).sum(-1)
    assert changed.any() and (after <= before).all()


def test_mud_weight_is_normalised_or_cut():
    liquid = liquid_layer(40, 40, 0.65, 0.3, 1.0, 0.65, seed=3)
    assert mud_weight(liquid, 1.5).max() == pytest.approx(1.0)
    cut = mud_weight(liquid, 1.5, floor=0.8)
    assert ((cut == 0) | (cut >= 0.8)).all()


def test_spatter_default_colours_follow_the_mode():
    from contract_samples import fire, labelled_sample

    sample = labelled_sample(24, 32)
    assert fire(REGISTRY["Spatter"](mode="mud", p=1.0), sample).color == MUD_RGB
    assert fire(REGISTRY["Spatter"](mode="rain", color=[1, 2, 3], p=1.0), sample).color == (1, 2, 3)
    with pytest.raises(ParamError):
        REGISTRY["Spatter"](color=[1, 2])


@pytest.mark.parametrize(
    "shape, dtype",
    [((70, 90, 3), np.uint8), ((70, 90), np.uint8), ((50, 60, 4), np.uint8), ((40, 50, 3), np.uint16)],
)
def test_blend_by_rings_is_the_per_pixel_blend(shape, dtype):
    rng = np.random.default_rng(len(shape))
    maxv = np.iinfo(dtype).max
    colour = rng.integers(0, maxv + 1, shape).astype(dtype)
    cover = np.concatenate([rng.uniform(0, 1, 12), [0.0]]).astype(np.float32)
    ring = rng.integers(0, len(cover), shape[:2]).astype(np.uint8)
    channels = 1 if len(shape) == 2 else shape[2]
    target = tuple(float(v) for v in rng.uniform(0, maxv, channels))
    assert np.array_equal(blend_rings(colour, target, ring, cover), blend_field(colour, target, cover[ring]))
