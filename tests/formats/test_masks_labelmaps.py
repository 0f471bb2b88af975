"""Label-map PNGs: every storage kind round-trips its values exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from augcli.core.errors import ImageReadError, OutputError
from augcli.formats.labelmaps import colours_to_indices, encode_label_map, read_label_map, voc_colormap


def round_trip(tmp_path: Path, values: np.ndarray, info: dict, colours=None) -> tuple[np.ndarray, dict]:
    path = tmp_path / "m.png"
    path.write_bytes(encode_label_map(values, info))
    return read_label_map(path, colours)


def test_voc_colormap_matches_the_devkit():
    colours = voc_colormap(256)
    assert colours[0].tolist() == [0, 0, 0] and colours[1].tolist() == [128, 0, 0]
    assert colours[15].tolist() == [192, 128, 128]  # person
    assert colours[255].tolist() == [224, 224, 192]  # the void border
    assert len({tuple(c) for c in colours}) == 256


@settings(max_examples=25)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 6), st.integers(1, 6))),
    st.sampled_from(["P", "L"]),
    st.integers(0, 256),
)
def test_eight_bit_maps_round_trip(tmp_path_factory, values, mode, palette_entries):
    info = {"mode": mode, "palette": voc_colormap(256)[:palette_entries].tobytes() if mode == "P" else None}
    back, read_info = round_trip(tmp_path_factory.mktemp("m"), values, info)
    assert read_info["mode"] == mode
    np.testing.assert_array_equal(back, values)


@settings(max_examples=25)
@given(arrays(np.uint16, st.tuples(st.integers(1, 6), st.integers(1, 6))))
def test_sixteen_bit_maps_round_trip(tmp_path_factory, values):
    back, _ = round_trip(tmp_path_factory.mktemp("m"), values, {"mode": "I;16"})
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, values)


def test_colour_coded_maps_round_trip_through_their_table(tmp_path):
    table = [(0, 0, 0), (64, 128, 64), (192, 0, 128)]
    values = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    back, info = round_trip(tmp_path, values, {"mode": "RGB", "colours": table}, colours=table)
    assert info["mode"] == "RGB" and info["colours"] == table
    np.testing.assert_array_equal(back, values)


def test_unknown_colours_and_unrepresentable_values_are_errors(tmp_path):
    rgb = np.array([[[0, 0, 0], [1, 2, 3]]], np.uint8)
    with pytest.raises(ImageReadError, match=r"\(1, 2, 3\) is not in the colour table"):
        colours_to_indices(rgb, [(0, 0, 0)])
    with pytest.raises(OutputError, match="no colour"):
        encode_label_map(np.array([[3]], np.uint8), {"mode": "RGB", "colours": [(0, 0, 0)]})
    with pytest.raises(OutputError, match="do not fit"):
        encode_label_map(np.array([[300]], np.uint16), {"mode": "P", "palette": None})
    coded = encode_label_map(np.array([[1]]), {"mode": "RGB", "colours": [(0, 0, 0), (9, 9, 9)]})
    (tmp_path / "rgb.png").write_bytes(coded)
    with pytest.raises(ImageReadError, match="no colour table"):
        read_label_map(tmp_path / "rgb.png")
