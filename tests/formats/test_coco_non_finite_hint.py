"""The cheap scan for NaN / Infinity / huge exponents finds exactly what the one-regex scan found."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from augcli.formats.coco.document import may_hold_non_finite as _may_hold_non_finite

# the former single pattern (0.7x a json.load on big files); the fast scan must agree with it
REFERENCE = re.compile(rb"NaN|Infinity|[0-9][eE][+]?[0-9]{3}")
PIECES = st.sampled_from(
    [b"1", b"9", b"e", b"E", b"+", b"-", b"0", b"400", b"N", b"aN", b"Inf", b"inity", b'"', b" "]
)


@given(st.lists(PIECES, max_size=12).map(b"".join))
def test_fast_scan_agrees_with_the_reference_pattern(raw):
    assert _may_hold_non_finite(raw) == bool(REFERENCE.search(raw))


@given(st.binary(max_size=40))
def test_fast_scan_agrees_on_any_bytes(raw):
    assert _may_hold_non_finite(raw) == bool(REFERENCE.search(raw))
