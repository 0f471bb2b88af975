"""RLE helpers against pycocotools and against run lengths computed independently."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask

from augcli.core.errors import AnnotationError
from augcli.geometry import rle

masks = st.tuples(st.integers(1, 24), st.integers(1, 24)).flatmap(lambda hw: arrays(np.bool_, hw))


def runs_of(mask: np.ndarray) -> list[int]:
    """Column-major run lengths starting with zeros: the COCO definition, by hand."""
    flat = mask.ravel(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(edges).tolist()
    return ([0] + runs) if flat[0] else runs


@settings(max_examples=150, deadline=None)
@given(masks)
def test_every_spelling_round_trips_to_the_same_pixels(mask):
    h, w = mask.shape
    comp = rle.encode(mask)
    assert isinstance(comp["counts"], bytes) and comp["size"] == [h, w]
    assert np.array_equal(rle.decode(comp), mask)
    assert rle.compressed_counts(comp["counts"]).tolist() == runs_of(mask)
    unc = rle.to_uncompressed(comp)
    assert unc["counts"] == runs_of(mask)
    assert rle.as_compressed(unc)["counts"] == comp["counts"]
    text = rle.to_string(comp)
    assert isinstance(text["counts"], str) and np.array_equal(rle.decode(text), mask)
    assert rle.area(comp) == mask.sum() == rle.area(unc)
    for spelling in (comp, unc, text):
        rle.validate_rle(spelling, h, w)
        assert rle.normalize_rle(spelling, h, w)["counts"] == comp["counts"]


@settings(max_examples=60, deadline=None)
@given(masks)
def test_bounds_are_tight_around_the_pixels(mask):
    box = rle.bounds(rle.encode(mask))
    if not mask.any():
        assert box.tolist() == [0, 0, 0, 0]
        return
    rows, cols = np.nonzero(mask)
    assert box.tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


def test_stacks_match_one_by_one_and_pycocotools():
    rng = np.random.default_rng(3)
    stack = rng.random((13, 17, 5)) < 0.4
    encoded = rle.encode_many(stack)
    assert [e["counts"] for e in encoded] == [rle.encode(stack[:, :, k])["counts"] for k in range(5)]
    assert np.array_equal(rle.decode_many(encoded, 13, 17), stack)
    assert rle.decode_many([], 13, 17).shape == (13, 17, 0)
    unc = {"size": [13, 17], "counts": runs_of(stack[:, :, 0])}
    oracle = coco_mask.decode(coco_mask.frPyObjects(unc, 13, 17))
    assert np.array_equal(rle.decode(unc), oracle.astype(bool))


def test_large_runs_and_negative_deltas_parse_like_pycocotools():
    mask = np.zeros((300, 400), dtype=bool)
    mask[5:290, 3:390] = True  # long runs: multi-character numbers
    mask[100:110, 200:201] = False  # short runs after long ones: negative deltas
    comp = rle.encode(mask)
    assert rle.compressed_counts(comp["counts"]).tolist() == runs_of(mask)


@pytest.mark.parametrize(
    "bad, why",
    [
        ({"size": [4, 4], "counts": [5, 3]}, "cover 8 pixels"),
        ({"size": [4, 4], "counts": [10, 10]}, "cover 20 pixels"),
        ({"size": [4, 4], "counts": [20, -4]}, "negative"),
        ({"size": [4, 4], "counts": [8.5, 7.5]}, "integers"),
        ({"size": [4, 4], "counts": "O"}, "negative"),  # one run of -1
        ({"size": [4, 4], "counts": "0a"}, "middle of a number"),  # 'a' has the continuation bit
        ({"size": [4, 4], "counts": "0~"}, "outside the COCO alphabet"),
        ({"size": [4, 5], "counts": "0`0"}, "does not match"),
        ({"size": [4], "counts": [16]}, "size must be"),
        ({"counts": [16]}, "'size' and 'counts'"),
        ("not an rle", "'size' and 'counts'"),
        ({"size": [4, 4], "counts": 16}, "string or a list"),
    ],
)
def test_validate_rejects_malformed_rles(bad, why):
    with pytest.raises(AnnotationError, match=why):
        rle.validate_rle(bad, 4, 4)


def test_validate_catches_counts_pycocotools_would_silently_misread():
    good = rle.encode(np.eye(4, dtype=bool))
    # The same counts claimed for a larger image: pycocotools decodes this without complaint.
    lying = {"size": [4, 5], "counts": good["counts"]}
    coco_mask.decode(lying)
    with pytest.raises(AnnotationError, match="cover 16 pixels, the image has 20"):
        rle.validate_rle(lying, 4, 5)
