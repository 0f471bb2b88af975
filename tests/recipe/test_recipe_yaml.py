"""The safe YAML loader: plain data only, lines for every key and item, bounded."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.errors import RecipeError
from augcli.core.plain_yaml import MAX_BYTES, MAX_DEPTH, RecipeLoader, format_path, load_yaml
from augcli.recipe.recipe import load_recipe

TEXT = """\
version: 1
pipeline:
  - A: {p: 0.5}
  - B:
      rotate: [-15, 15]
      nested:
        - x
        - y: 2
"""


def test_every_key_and_item_has_its_line():
    doc = load_yaml(TEXT)
    assert doc.data["pipeline"][1]["B"]["nested"][1] == {"y": 2}
    assert doc.lines[("version",)] == 1
    assert doc.lines[("pipeline",)] == 2
    assert doc.lines[("pipeline", 0)] == 3
    assert doc.lines[("pipeline", 0, "A", "p")] == 3
    assert doc.lines[("pipeline", 1, "B", "rotate")] == 5
    assert doc.lines[("pipeline", 1, "B", "rotate", 1)] == 5
    assert doc.lines[("pipeline", 1, "B", "nested", 0)] == 7
    assert doc.lines[("pipeline", 1, "B", "nested", 1, "y")] == 8
    # a path that is not there falls back to its nearest ancestor
    assert doc.line(("pipeline", 1, "B", "missing")) == 4


def test_paths_read_like_yaml_paths():
    assert format_path(("pipeline", 1, "Affine", "rotate")) == "pipeline[1].Affine.rotate"
    assert format_path(("labels", "keypoint_flip_pairs", 0)) == "labels.keypoint_flip_pairs[0]"
    assert format_path(()) == ""


def test_duplicate_keys_are_reported_with_both_lines_but_keep_going():
    doc = load_yaml("seed: 1\ncopies: 2\nlabels:\n  box: tight\n  box: corners\nseed: 3\n")
    assert doc.data == {"seed": 1, "copies": 2, "labels": {"box": "tight"}}
    assert doc.problems == [
        "labels.box (line 5): duplicate key 'box' (first given on line 4)",
        "seed (line 6): duplicate key 'seed' (first given on line 1)",
    ]


def test_aliases_are_refused_with_their_line():
    with pytest.raises(RecipeError) as info:
        load_yaml("base: &b {p: 0.5}\nother: *b\n")
    assert "line 2" in str(info.value) and "alias" in str(info.value)


def test_an_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    with pytest.raises(RecipeError, match="alias"):
        load_yaml("\n".join(lines) + "\n")  # 10**12 leaves if it were expanded


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/object:argparse.Namespace {{a: 1}}",
        "!!python/tuple [1, 2]",
        "!custom 3",
        "!!binary aGVsbG8=",
        "!!set {{a, b}}",
        "!!omap [{{a: 1}}]",
    ],
)
def test_tags_that_build_objects_are_refused_and_never_run(tagged, tmp_path):
    marker = tmp_path / "ran"
    text = "version: 1\nseed: " + tagged.format(marker=marker) + "\n"
    with pytest.raises(RecipeError) as info:
        load_yaml(text)
    assert "seed (line 2)" in str(info.value) and "not allowed" in str(info.value)
    assert not marker.exists()


def test_every_forbidden_tag_is_listed_at_once():
    with pytest.raises(RecipeError) as info:
        load_yaml("a: !!python/name:os.system\nb: 1\nc: !!python/name:os.path\nc: 2\n")
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == ["a (line 1)", "c (line 3)", "c (line 4)"]


def test_merge_keys_and_complex_keys_are_refused():
    with pytest.raises(RecipeError, match="merge keys"):
        load_yaml("a:\n  <<: {p: 1}\n")
    with pytest.raises(RecipeError, match="mapping keys must be plain"):
        load_yaml("? [1, 2]\n: 3\n")


def test_dates_stay_text_and_exponents_are_numbers():
    assert load_yaml("when: 2024-01-31\n").data == {"when": "2024-01-31"}
    data = load_yaml("a: 1e-3\nb: -2E5\nc: 1.5e+2\nd: e5\ne: 12\n").data
    assert data == {"a": 0.001, "b": -200000.0, "c": 150.0, "d": "e5", "e": 12}
    assert isinstance(data["e"], int)
    assert yaml.safe_load("a: 1e-3") == {"a": "1e-3"}  # the stock SafeLoader is left alone


def test_size_and_depth_are_bounded():
    with pytest.raises(RecipeError, match="larger than"):
        load_yaml("# " + "x" * MAX_BYTES + "\n")
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(RecipeError, match="nested more than"):
        load_yaml(deep)
    shallow = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert load_yaml(shallow).data is not None


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("a: [1, 2\nb: 3\n", "line"),
        ("a: 1\n---\nb: 2\n", "single document"),
        ("a:\n\t- 1\n", "line 2"),
    ],
)
def test_unreadable_documents_say_why(text, fragment):
    with pytest.raises(RecipeError) as info:
        load_yaml(text, source="r.yaml")
    assert fragment in str(info.value)
    assert info.value.file == "r.yaml" and info.value.exit_code == 3


def test_recipe_files_are_bounded_and_must_be_text(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(RecipeError, match="larger than"):
        load_recipe(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"version: 1\nseed: \xff\xfe\n")
    with pytest.raises(RecipeError, match="UTF-8"):
        load_recipe(binary)
    with pytest.raises(RecipeError, match="not found"):
        load_recipe(tmp_path / "missing.yaml")


plain_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)
plain_data = st.recursive(
    plain_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5), inner, max_size=4),
    ),
    max_leaves=20,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


@settings(max_examples=60, deadline=None)
@given(
    data=st.dictionaries(st.text("abcdef", min_size=1, max_size=4), plain_data, min_size=1, max_size=4),
    flow=st.booleans(),
)
def test_plain_data_loads_as_the_stock_constructor_does_and_every_path_has_a_line(data, flow):
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc = load_yaml(text)
    assert doc.data == yaml.load(text, Loader=RecipeLoader)  # PyYAML's own construction
    total_lines = text.count("\n") + 1
    for path in _paths(doc.data):
        if path:
            assert 1 <= doc.lines[path] <= total_lines
