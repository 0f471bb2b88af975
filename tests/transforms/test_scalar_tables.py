"""uint8 per-channel scalar arithmetic through look-up tables writes OpenCV's exact values.

RGBShift (``cv2.add``) and PlanckianJitter (``cv2.multiply``) map uint8 pixels through
``imageops.scalar_tables`` instead of OpenCV's slow scalar path; the pixels must be the
ones OpenCV writes, for every pixel value and for values next to both precisions'
rounding boundaries, or the tables must not be used.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from augcli.transforms.pixel import imageops
from augcli.transforms.pixel.channel_mix import PlanckianJitterOp, planckian_gains
from augcli.transforms.pixel.imageops import apply_luts, scalar_tables
from augcli.transforms.pixel.tone import RGBShiftOp

EVERY_VALUE = np.ascontiguousarray(np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(16, 16, 3))


def boundary_values(kind: str, rng: np.random.Generator) -> list[float]:
    """Random values, and values whose result lands on (or one ulp beside) a half integer."""
    values = list(rng.uniform(-255, 255, 3000)) if kind == "add" else list(rng.uniform(0, 3, 3000))
    for _ in range(3000):
        half = int(rng.integers(-256, 256)) + 0.5
        # add: x + s is a half integer for every x; multiply: x * g is one for this x
        base = half if kind == "add" else abs(half) / int(rng.integers(1, 256))
        for precision in (np.float64, np.float32):
            v = precision(base)
            values += [
                float(v),
                float(np.nextafter(v, precision(1e9))),
                float(np.nextafter(v, precision(-1e9))),
            ]
    return values


@pytest.mark.parametrize("kind", ["add", "multiply"])
def test_tables_give_opencv_values_for_every_pixel_value(kind):
    rng = np.random.default_rng(15)
    values = boundary_values(kind, rng)
    opencv = cv2.add if kind == "add" else cv2.multiply
    mismatches = []
    for start in range(0, len(values) - 2, 3):
        trio = values[start : start + 3]
        tables = scalar_tables(kind, trio)
        assert tables is not None, "this OpenCV computes otherwise: the tables are off here"
        if not np.array_equal(apply_luts(EVERY_VALUE, tables), opencv(EVERY_VALUE, (*trio, 0.0))):
            mismatches.append(trio)
    assert mismatches == []


@pytest.mark.parametrize("shape", [(31, 17, 3), (31, 17, 4), (31, 17), (31, 17, 1), (31, 17, 2)])
def test_rgb_shift_writes_opencv_add_values(shape):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    for _ in range(50):
        op = RGBShiftOp(shifts=tuple(float(v) for v in rng.uniform(-40, 40, 3)))
        out = op.apply_image(image)
        # the reference: OpenCV's saturating add of the per-channel scalar, alpha untouched
        colours = 3 if len(shape) == 3 and shape[2] >= 3 else 1
        shifts = (
            list(op.shifts)
            if colours == 3
            else [0.299 * op.shifts[0] + 0.587 * op.shifts[1] + 0.114 * op.shifts[2]]
        )
        expected = cv2.add(np.ascontiguousarray(image), tuple(shifts + [0.0] * (4 - len(shifts))))
        assert out.shape == image.shape and np.array_equal(out, expected.reshape(image.shape))


def test_planckian_jitter_writes_opencv_multiply_values():
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, size=(29, 41, 3), dtype=np.uint8)
    rgba = np.dstack([image, rng.integers(0, 256, size=(29, 41, 1), dtype=np.uint8)])
    for temperature in rng.uniform(3000, 15000, 40):
        op = PlanckianJitterOp(temperature=float(temperature), mode="blackbody")
        red, blue = planckian_gains(op.temperature, op.mode)
        expected = cv2.multiply(image, (red, 1.0, blue, 0.0), dtype=cv2.CV_8U)
        assert np.array_equal(op.apply_colour(image, 255), expected)
        assert np.array_equal(op.apply_colour(rgba[..., :3], 255), expected)  # a view of RGBA


def test_a_rule_the_probe_disproves_leaves_opencv_in_charge(monkeypatch):
    monkeypatch.setattr(imageops, "_scalar_rule", {})
    monkeypatch.setitem(imageops._SCALAR_RULES, "add", [lambda value: np.floor(np.arange(256.0) + value)])
    assert scalar_tables("add", [0.5, 1.0, 2.0]) is None
    image = EVERY_VALUE
    assert np.array_equal(
        RGBShiftOp(shifts=(0.5, -0.5, 2.5)).apply_image(image), cv2.add(image, (0.5, -0.5, 2.5, 0.0))
    )
