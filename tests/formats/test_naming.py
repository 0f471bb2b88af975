"""Copy names: beside the original, unique against every input and output, within 255 bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from augcli.formats.atomic import NAME_MAX, atomic_write_bytes, remove_temp_files, temp_prefix
from augcli.formats.naming import CopyNames, copy_salt, fold


def names_for(inputs: list[str], copies: int = 2, by_stem: bool = False) -> dict[tuple[str, int], str]:
    table = CopyNames(inputs, by_stem=by_stem)
    return {
        (name, copy): table.name(name, copy, copy_salt("train", name, copy))
        for name in inputs
        for copy in range(1, copies + 1)
    }


def assert_unique(inputs: list[str], out: dict) -> None:
    """No two outputs, and no output and input, share a name ignoring case."""
    folded = [fold(n) for n in out.values()]
    assert len(set(folded)) == len(folded)
    assert not {fold(n) for n in inputs} & set(folded)


def test_plain_names_sit_beside_the_original():
    out = names_for(["a.jpg", "sub/b.png"])
    assert out[("a.jpg", 1)] == "a__aug1.jpg" and out[("sub/b.png", 2)] == "sub/b__aug2.png"


def test_re_expanded_names_never_land_on_an_input():
    inputs = ["a.jpg", "a__aug1.jpg", "a__aug2.jpg"]
    out = names_for(inputs)
    assert out[("a__aug1.jpg", 1)] == "a__aug1__aug1.jpg"
    assert out[("a.jpg", 1)] not in inputs and out[("a.jpg", 1)].startswith("a~")
    assert_unique(inputs, out)


def test_names_differing_only_in_case_get_distinct_copies():
    inputs = ["Cat.jpg", "cat.jpg", "CAT.JPG"]
    assert_unique(inputs, names_for(inputs))


def test_label_files_named_by_stem_do_not_collide():
    inputs = ["a.jpg", "a.png"]  # one label file a.txt would serve both
    out = names_for(inputs, by_stem=True)
    stems = [fold(Path(n).stem) for n in out.values()]
    assert len(stems) == len(set(stems))


@pytest.mark.parametrize("length", [236, 250, 255])
@pytest.mark.parametrize("char", ["x", "é", "臉"])
def test_long_names_are_shortened_to_fit_with_their_label_and_temp_files(length, char, tmp_path):
    stem = char * ((length - 4) // len(char.encode()))
    name = stem + ".png"
    assert len(name.encode()) <= NAME_MAX
    out = names_for([name])
    for copy in (1, 2):
        copy_name = out[(name, copy)]
        assert len(copy_name.encode()) <= NAME_MAX
        assert len((Path(copy_name).stem + ".txt").encode()) <= NAME_MAX
        atomic_write_bytes(tmp_path / copy_name, b"x")  # the temporary name fits too
        assert (tmp_path / copy_name).read_bytes() == b"x"
    assert out[(name, 1)] != out[(name, 2)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_leftover_temp_files_of_long_names_are_found(tmp_path):
    name = "y" * 250 + ".jpg"
    prefix = temp_prefix(name)
    assert len((prefix + "abcdefgh.tmp").encode()) <= NAME_MAX
    (tmp_path / (prefix + "abcdefgh.tmp")).write_bytes(b"partial")
    (tmp_path / (temp_prefix("other.jpg") + "abcdefgh.tmp")).write_bytes(b"partial")
    assert remove_temp_files(tmp_path, name) == 1
    assert [p.name for p in tmp_path.iterdir()] == [temp_prefix("other.jpg") + "abcdefgh.tmp"]


@given(
    st.lists(
        st.text(alphabet="aAbB_ug1é.", min_size=1, max_size=12).filter(lambda s: s.strip(".")),
        min_size=1,
        max_size=8,
        unique=True,
    )
)
def test_no_two_outputs_and_no_output_and_input_share_a_name(stems):
    inputs = [s + ".jpg" for s in stems]
    assert_unique(inputs, names_for(inputs, copies=3))
