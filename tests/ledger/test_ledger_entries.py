"""Entry bytes are RFC 8785: the fast path agrees with the ``rfc8785`` library everywhere."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.entries import canonical_json
from ledger.kinds import DisclosureDraft

SAFE = 2**53 - 1
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text()
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_equals_the_rfc8785_library(value):
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4),
    st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4),
    st.text(min_size=1, max_size=64),
)
def test_any_valid_draft_canonicalises(categories, fields, subject):
    draft = DisclosureDraft(
        purpose="esp.recognition",
        lawful_basis="consent",
        subject=subject,
        recipient_org="org",
        categories=categories,
        channel="api",
        details={"fields": fields},
    )
    content = draft.content()
    assert canonical_json(content) == rfc8785.dumps(content)


def test_keys_beyond_the_basic_plane_sort_by_utf16_code_units():
    value = {"\U0001d11e": 1, "\uffff": 2, "a": 3}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index(b"\xf0\x9d\x84\x9e") < canonical_json(value).index(
        b"\xef\xbf\xbf"
    )
