"""``scan.parse_elements`` gives exactly what ``json.loads`` gives, whichever parser read the text.

orjson parses a batch faster, but it reads some texts differently from json (an integer beyond
64 bits becomes a float) and refuses some json reads (NaN, 1e400, a lone surrogate escape).
Values are compared with their types and key order: ``18446744073709551616 == 1.8446744073709552e19``
holds in Python, so ``==`` alone would miss the integer that became a float.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.formats.coco import scan


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        assert isinstance(b, float)
        return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))
    return a == b


def _json(body: bytes) -> list | None:
    try:
        return json.loads(b"[" + body + b"]")
    except (ValueError, RecursionError):
        return None


def _assert_reads_as_json(body: bytes) -> None:
    expected, got = _json(body), scan.parse_elements(body)
    if expected is None:
        assert got is None, body
    else:
        assert got is not None and _same(got, expected), (body, got, expected)


EDGES = [
    "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
    "9223372036854775807", "123456789012345678", "1234567890123456789", "100000000000000000000000",
    "1e400", "-1e400", "1.7976931348623157e308", "1.7976931348623159e308", "1e-400", "4.9e-324",
    "NaN", "Infinity", "-Infinity", "-0", "-0.0", "0.1000000000000000055511151231257827",
    '"\\ud83d\\ude00"', '"\\ud83d"', '"\\udc00x"', '"\\u0000"', '"a\\"b"', '{"a": 1, "b": 2, "a": 3}',
    '{"id": 18446744073709551616}', "[" * 1200 + "]" * 1200,
]  # fmt: skip


@pytest.mark.parametrize("token", EDGES, ids=lambda token: token[:40])
def test_edge_values_read_as_json_reads_them(token: str) -> None:
    _assert_reads_as_json(f'{{"x": {token}}}, {token}'.encode())


def test_an_integer_beyond_64_bits_stays_an_integer() -> None:
    got = scan.parse_elements(b'{"id": 18446744073709551616}, -9223372036854775809')
    assert got == [{"id": 18446744073709551616}, -9223372036854775809]
    assert type(got[0]["id"]) is int and type(got[1]) is int  # noqa: E721  # type, not equality


_NUMBER = st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # with NaN and both infinities, as json.dumps writes them
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
)
_VALUES = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_VALUES, max_size=6), st.lists(_NUMBER, max_size=6))
def test_values_read_as_json_reads_them(values: list, numbers: list[str]) -> None:
    body = json.dumps(values)[1:-1]  # ASCII: json.dumps escapes the rest
    texts = [body] if body else []
    _assert_reads_as_json(", ".join(texts + numbers).encode())


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(list('{}[]:," 019.eE-+\\untrlsfaNIy')), max_size=24))
def test_what_json_refuses_is_refused(text: str) -> None:
    _assert_reads_as_json(text.encode())
