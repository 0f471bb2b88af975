"""CropAndPad's images: the window padded with the image's border, sliced and resized (as
Albumentations does), the same map as its labels; its labels and every fused warp are
resampled as before."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import augcli.transforms.geometric  # noqa: F401  (registers the transforms)
from augcli.core.sample import Instances, Sample
from augcli.geometry.pad_resize import PadResizeWarp
from augcli.geometry.raster import Resampler
from augcli.geometry.warp import MatrixWarp, scaling
from augcli.transforms.base import REGISTRY, SampleContext

W, H = 96, 72
NP_PAD = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}  # cv2 border -> np.pad


def textured(height: int = H, width: int = W) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def smooth(height: int = H, width: int = W) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx * 2, yy * 3, (xx + yy) % 256], 2).astype(np.uint8)


def crop_and_pad(image: np.ndarray, seed: int = 0, semantic=None, **config):
    sample = Sample(image=image, instances=Instances.empty(None), semantic=semantic)
    ctx = SampleContext(width=image.shape[1], height=image.shape[0], get_sample=lambda: sample)
    op = REGISTRY["CropAndPad"](**config, p=1.0).make_op(np.random.default_rng(seed), ctx)
    return op, op.apply(sample)


@pytest.mark.parametrize("border_mode", sorted(NP_PAD))
def test_the_window_is_padded_from_the_whole_image_then_resized(border_mode):
    image = textured()
    top, right, bottom, left = 7, -11, -5, 9  # pad the top and left, crop the right and bottom
    _, out = crop_and_pad(image, px=[top, right, bottom, left], border_mode=border_mode, fill=40)
    pads = ((top, 0), (left, 0), (0, 0))
    extra = {"constant_values": 40} if border_mode == 0 else {}
    window = np.pad(image, pads, mode=NP_PAD[border_mode], **extra)[: top + H + bottom, : left + W + right]
    assert np.array_equal(out.image, cv2.resize(window, (W, H), interpolation=cv2.INTER_LINEAR))


def test_wrapping_pads_read_the_side_that_the_crop_removed():
    image = textured()
    _, out = crop_and_pad(image, px=[0, 10, 0, -10], border_mode=3, keep_size=False)  # no resize
    assert np.array_equal(out.image[:, W - 10 :], image[:, :10])


def test_the_pixels_follow_the_same_map_as_the_generic_warp():
    image = smooth()
    for seed in range(6):
        op, out = crop_and_pad(image, seed, px=[-15, 15], border_mode=1)  # no sharp fill edge
        generic = Resampler(MatrixWarp(*op.matrix(W, H))).image(image, border_mode=1)
        # the same map: within OpenCV's two interpolation precisions inside the window's edges
        inner = (slice(2, -2), slice(2, -2))
        assert np.abs(out.image[inner].astype(int) - generic[inner]).max() <= 2


def test_labels_and_nearest_images_are_resampled_as_by_any_matrix_warp():
    image = textured()
    semantic = (np.arange(H * W).reshape(H, W) % 7).astype(np.uint8)
    for seed in range(4):
        op, out = crop_and_pad(image, seed, semantic=semantic, px=[-15, 15])
        generic = Resampler(MatrixWarp(*op.matrix(W, H)))
        assert np.array_equal(out.semantic, generic.labels(semantic, fill=255))
        _, nearest = crop_and_pad(image, seed, px=[-15, 15], interpolation=0)
        assert np.array_equal(nearest.image, generic.image(image, interpolation=0))


def test_fused_with_another_warp_it_is_a_plain_matrix_warp():
    pad_resize = PadResizeWarp(scaling(0.5, 0.5), (W // 2, H // 2))
    other = MatrixWarp(scaling(2.0, 2.0), (W, H))
    assert type(pad_resize.then(other)) is MatrixWarp and type(other.then(pad_resize)) is MatrixWarp
