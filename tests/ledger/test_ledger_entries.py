"""Entry bytes are RFC 8785: the fast path agrees with the ``rfc8785`` library everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger import entries
from ledger.entries import EntryDraft, canonical_json, format_timestamp
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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4),
    st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4),
    st.text(min_size=1, max_size=64),
    st.integers(0, SAFE - 1),
    st.integers(1, SAFE),
    st.datetimes(timezones=st.just(UTC)),
)
def test_any_valid_draft_canonicalises(categories, fields, subject, index, extra, moment):
    """The writer splices the place into pre-encoded members: that must be JCS of the whole."""
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
    checkpoint_size = min(index + extra, SAFE)
    document = {
        **content,
        "index": index,
        "timestamp": format_timestamp(moment),
        "checkpoint_size": checkpoint_size,
    }
    assert draft.entry_bytes(index, moment, checkpoint_size) == rfc8785.dumps(document)


def small_draft(**changes: object) -> DisclosureDraft:
    """A minimal valid disclosure, with ``changes`` applied."""
    fields: dict[str, object] = {
        "purpose": "esp.recognition",
        "lawful_basis": "consent",
        "subject": "s",
        "recipient_org": "org",
        "categories": ["status"],
        "channel": "api",
        "details": {"fields": ["a"]},
    }
    fields.update(changes)
    return DisclosureDraft.model_validate(fields)


def test_the_library_path_and_the_spliced_path_give_the_same_bytes(monkeypatch):
    """A draft the fast encoder cannot vouch for is canonicalised whole by ``rfc8785``."""
    fields = {"fields": ["\U0001d11e", "\uffff", "a\u0007", 'q"\\']}
    moment = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    spliced = small_draft(details=fields).entry_bytes(3, moment, 4)
    monkeypatch.setattr(entries, "_plain", lambda value, depth: False)
    draft = small_draft(details=fields)  # a fresh draft: nothing cached
    document = {**draft.content(), "index": 3, "timestamp": format_timestamp(moment)}
    document["checkpoint_size"] = 4
    assert draft.entry_bytes(3, moment, 4) == spliced == rfc8785.dumps(document)


def test_subclasses_of_json_types_take_the_library_path():
    class Fancy(str):
        """Not exactly ``str``: the fast path does not vouch for it."""

    assert canonical_json({Fancy("b"): 1, "a": Fancy("x")}) == rfc8785.dumps({"b": 1, "a": "x"})


def test_entry_bytes_refuse_a_place_that_json_or_the_tree_cannot_hold():
    draft = small_draft()
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for index, size in ((-1, 1), (4, 4), (0, SAFE + 1)):
        with pytest.raises(ValueError, match="checkpoint"):
            draft.entry_bytes(index, moment, size)
    with pytest.raises(ValueError, match="timestamp"):
        draft.bytes_at(0, "2026-01-01 00:00:00", 1)
    with pytest.raises(ValueError, match="timezone"):
        draft.entry_bytes(0, datetime(2026, 1, 1), 1)


def test_a_copied_draft_is_validated_and_encodes_its_own_fields():
    """pydantic's copy skips validation; a draft's copy must not, nor reuse the cached bytes."""
    draft = small_draft(subject="first")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    first = draft.entry_bytes(0, moment, 1)
    copy = draft.model_copy(update={"subject": "second"})
    assert copy.subject == "second" and b'"subject":"second"' in copy.entry_bytes(0, moment, 1)
    assert draft.entry_bytes(0, moment, 1) == first
    with pytest.raises(ValidationError):
        draft.model_copy(update={"categories": []})
    with pytest.raises(ValidationError):
        draft.model_copy(update={"purpose": ""})


def test_a_kind_cannot_declare_a_field_the_sequencer_sets():
    with pytest.raises(TypeError, match="sequencer"):

        class Sneaky(EntryDraft):
            kind: Literal["sneaky"] = "sneaky"
            index: int = 0


def test_keys_beyond_the_basic_plane_sort_by_utf16_code_units():
    value = {"\U0001d11e": 1, "\uffff": 2, "a": 3}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index(b"\xf0\x9d\x84\x9e") < canonical_json(value).index(
        b"\xef\xbf\xbf"
    )
