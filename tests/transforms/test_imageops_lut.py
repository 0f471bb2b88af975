"""The shared look-up-table path agrees with OpenCV's reference cv2.LUT."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from augcli.transforms.pixel.imageops import apply_luts


@given(seed=st.integers(0, 2**32 - 1), channels=st.sampled_from([None, 1, 3, 4]))
def test_shared_table_matches_cv2_lut(seed, channels):
    rng = np.random.default_rng(seed)
    shape = (17, 23) if channels is None else (17, 23, channels)
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    table = rng.integers(0, 256, size=256).astype(np.float64)
    before = image.copy()
    out = apply_luts(image, table)
    expected = cv2.LUT(image, table.astype(np.uint8)).reshape(shape)
    if channels == 4:  # alpha is never mapped
        expected[..., 3] = image[..., 3]
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out, expected)
    assert np.array_equal(image, before)  # the input is never written
