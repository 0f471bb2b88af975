"""Atomic writes and the COCO RLE codec (checked against pycocotools)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as mask_utils

from augcli.formats.atomic import atomic_open, atomic_write_bytes, atomic_write_json
from augcli.formats.coco import rle as rle_codec


def test_atomic_write_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.bin"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write_json(target, {"ok": 1})
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w") as handle:
            handle.write('{"half": ')
            raise RuntimeError("disk on fire")
    assert target.read_text() == '{"ok": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_json_keeps_non_ascii(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write_json(target, {"name": "臉書"})
    assert "臉書" in target.read_text(encoding="utf-8")


def runs_of(mask: np.ndarray) -> list[int]:
    flat = mask.flatten(order="F")
    edges = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], edges, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat.size and flat[0] == 1 else runs


masks = arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 1))


@settings(max_examples=150, deadline=None)
@given(masks)
def test_counts_string_decodes_to_the_runs_pycocotools_encoded(mask: np.ndarray) -> None:
    encoded = mask_utils.encode(np.asfortranarray(mask))
    runs = rle_codec.decode_counts_string(encoded["counts"].decode("ascii"))
    assert runs == runs_of(mask)
    rle_codec.check_runs(runs, *mask.shape)
    back = rle_codec.compressed_from_runs(runs, *mask.shape)
    assert np.array_equal(mask_utils.decode(back), mask)
    assert rle_codec.counts_as_runs(back) == runs
    assert rle_codec.rle_area(back) == int(mask.sum())


@pytest.mark.parametrize(
    "counts, message",
    [
        ("\x7f", "invalid character"),
        ("P", "ends in the middle"),
    ],
)
def test_malformed_counts_strings_are_rejected(counts: str, message: str) -> None:
    with pytest.raises(rle_codec.RleError, match=message):
        rle_codec.decode_counts_string(counts)


@pytest.mark.parametrize(
    "runs, message",
    [
        ([3, -1, 4], "negative"),
        ([3, 2.5, 1], "not an integer"),
        ([1, 2], "cover 3 pixels"),
    ],
)
def test_bad_runs_are_rejected(runs, message: str) -> None:
    with pytest.raises(rle_codec.RleError, match=message):
        rle_codec.check_runs(runs, 2, 3)
