"""Edge layouts for the catalogue's pixel transforms: single pixels, tiny images, 5 channels.

The registry-wide layout test covers the usual layouts at 40 x 48; this one
covers the corners where OpenCV's conventions bite (a 1 x 1 image, more than
4 channels, grey + alpha), for the example and the default settings, and for
every ImageNet-C corruption.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from augcli.core.sample import Instances, Sample
from augcli.transforms.base import SampleContext
from augcli.transforms.catalog import load_all
from augcli.transforms.pixel.corruptions import PHOTOMETRIC

REGISTRY = load_all()
CATALOGUE_MODULES = (
    "channel_mix",
    "filters",
    "gravel",
    "histogram",
    "lens",
    "lighting",
    "optics",
    "resolution",
    "sensor_noise",
    "weather",
)
NAMES = sorted(
    name
    for name, cls in REGISTRY.items()
    if cls.__module__.rsplit(".", 1)[0] == "augcli.transforms.pixel"
    and cls.__module__.rsplit(".", 1)[1] in CATALOGUE_MODULES
)
SHAPES = [(1, 1, 3), (1, 1), (5, 7, 2), (5, 7, 5), (9, 6, 4)]


def images():
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        for dtype, top in ((np.uint8, 256), (np.uint16, 65536)):
            yield rng.integers(0, top, shape).astype(dtype)


def run(name: str, config: dict, image: np.ndarray, seed: int = 3) -> np.ndarray:
    sample = Sample(image=image, instances=Instances.empty(None))
    ctx = SampleContext(width=image.shape[1], height=image.shape[0], get_sample=lambda: sample)
    op = REGISTRY[name](**config, p=1.0).sample(np.random.default_rng(seed), ctx)
    return op.apply(sample).image


def check(out: np.ndarray, image: np.ndarray) -> None:
    assert out.dtype == image.dtype and out.shape == image.shape
    if image.ndim == 3 and image.shape[2] in (2, 4):
        assert np.array_equal(out[..., -1], image[..., -1]), "alpha must stay untouched"


@pytest.mark.parametrize("name", NAMES)
def test_tiny_and_many_channel_images(name):
    example = dict(yaml.safe_load(REGISTRY[name].example)[0][name] or {})
    example.pop("p", None)
    for config in (example, {}):
        for image in images():
            check(run(name, config, image), image)


@pytest.mark.parametrize("corruption", sorted(PHOTOMETRIC))
def test_corruptions_on_tiny_and_many_channel_images(corruption):
    for image in images():
        for severity in (1, 5):
            check(run("Corrupt", {"name": corruption, "severity": severity}, image), image)


ISSUE_CATALOGUE = {
    "ToSepia",
    "ChannelShuffle",
    "ChannelDropout",
    "FancyPCA",
    "PlanckianJitter",
    "Equalize",
    "AutoContrast",
    "Posterize",
    "Solarize",
    "InvertImg",
    "UnsharpMask",
    "Emboss",
    "RandomToneCurve",
    "Illumination",
    "PlasmaBrightnessContrast",
    "ChromaticAberration",
    "Superpixels",
    "Downscale",
    "ISONoise",
    "ShotNoise",
    "SaltAndPepper",
    "MultiplicativeNoise",
    "MedianBlur",
    "GlassBlur",
    "ZoomBlur",
    "Defocus",
    "AdvancedBlur",
    "RandomFog",
    "RandomRain",
    "RandomSnow",
    "RandomSunFlare",
    "RandomShadow",
    "PlasmaShadow",
    "RandomGravel",
    "Spatter",
}


def test_the_issue_catalogue_is_registered_as_pixel_ops_with_albumentations_defaults():
    assert set(NAMES) == ISSUE_CATALOGUE
    for name in ISSUE_CATALOGUE:
        assert REGISTRY[name].kind == "pixel" and REGISTRY[name].default_p == 0.5, name
    assert REGISTRY["Corrupt"].kind == "geometric"  # elastic_transform moves labels
