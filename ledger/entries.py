"""What one ledger entry says, and the exact bytes it is hashed as.

The leaf hash covers RFC 8785 (JCS) canonical JSON of the entry. Those bytes are produced once, when
the entry is sequenced, and stored verbatim: a verifier hashes the stored bytes and never
re-serialises, so a future change of this model or of a JSON library can never make old entries
fail to verify.

Callers supply an :class:`EntryDraft`; the sequencer turns it into an :class:`Entry` by adding the
index and the timestamp, which only it can know.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import rfc8785
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

__all__ = [
    "KIND_PATTERN",
    "Channel",
    "Entry",
    "EntryDraft",
    "canonical_json",
    "format_timestamp",
]

KIND_PATTERN = r"^[a-z]+(\.[a-z-]+)*$"
"""Entry kinds are dotted lower-case words: ``disclosure``, ``consent.given``, ..."""

TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
"""Fixed width, always UTC and microseconds, so timestamps sort as text."""

Channel = Literal["web", "api", "export", "cli", "system"]

#: JSON's safe integer range (RFC 8785 rejects anything outside it).
_MAX_SAFE_INT = 2**53 - 1

# Sizes match the indexed columns of ``ledger_entry`` so a valid draft always fits.
_Code = Annotated[str, Field(max_length=80)]
_Id = Annotated[str, Field(max_length=64)]
Scalar = StrictStr | StrictInt | StrictBool | None
DetailValue = Scalar | list[Scalar]


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON; ``ValueError`` for what JSON cannot carry exactly.

    For the values entries hold (no floats, integers within the safe range, object keys without
    characters beyond U+FFFF) JCS and ``json.dumps`` with sorted keys and no whitespace produce
    the same bytes: keys then sort identically by UTF-16 code unit and by code point, and both
    escape exactly the quote, the backslash and control characters (``\\u00xx`` lower case).
    That C-accelerated path runs under the head lock for every entry, so it is taken when it
    applies; anything else goes to the ``rfc8785`` library. Tests hold the two equal.
    """
    if _plain(value, 0):
        try:
            return json.dumps(
                value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
            ).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it
            pass
    return rfc8785.dumps(value)


def _plain(value: Any, depth: int) -> bool:
    """Whether ``value`` is in the domain where ``json.dumps`` output is JCS output."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_SAFE_INT
    if depth > 16:
        return False
    if isinstance(value, list):
        return all(_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and (not key or max(key) <= "\uffff") and _plain(item, depth + 1)
            for key, item in value.items()
        )
    return False


def format_timestamp(moment: datetime) -> str:
    """RFC 3339, UTC, microseconds, ``Z``: one spelling per instant."""
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


class EntryDraft(BaseModel):
    """An entry as a caller states it: what happened, to whose data, for whom and why.

    ``subject`` is the volunteer's pseudonymous ledger id, never a name or a warrant number.
    ``categories``, ``consent_ids`` and ``agreement_ids`` are sets: they are stored sorted and
    without duplicates, so two drafts meaning the same thing hash the same. ``details`` holds only
    flat JSON values (no floats: their text form is not portable across languages).

    Validation guarantees a valid draft canonicalises (strings are valid Unicode, integers within
    JSON's safe range, no floats), so a bad draft fails at its caller, never a group commit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(pattern=KIND_PATTERN, max_length=40)
    purpose: _Code = ""
    lawful_basis: _Code = ""
    subject: _Id = ""
    recipient_org: _Id = ""
    recipient_user: _Id = ""
    categories: tuple[Annotated[str, Field(min_length=1, max_length=80)], ...] = ()
    consent_ids: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = ()
    agreement_ids: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = ()
    request_id: _Id = ""
    channel: Channel
    details: dict[str, DetailValue] = Field(default_factory=dict)

    @field_validator("categories", "consent_ids", "agreement_ids")
    @classmethod
    def _as_set(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _sorted_unique(value)

    @field_validator("details")
    @classmethod
    def _json_exact(cls, value: dict[str, DetailValue]) -> dict[str, DetailValue]:
        for key, item in value.items():
            for scalar in item if isinstance(item, list) else [item]:
                if isinstance(scalar, int) and abs(scalar) > _MAX_SAFE_INT:
                    raise ValueError(f"details[{key!r}]: integer outside JSON's safe range")
        return value

    def content(self) -> dict[str, Any]:
        """The draft's fields as JSON values (what the entry object carries besides its place)."""
        return self.model_dump(mode="json")

    def entry_bytes(self, index: int, logged_at: datetime) -> bytes:
        """The stored, hashed bytes of this draft as entry ``index``: one canonicalisation.

        Equal to ``Entry.sequenced(self, index, logged_at).canonical_bytes()`` without building
        and re-validating the model, since this runs under the head lock for every entry.
        """
        content = self.model_dump(mode="json")
        content["index"] = index
        content["timestamp"] = format_timestamp(logged_at)
        return canonical_json(content)


class Entry(EntryDraft):
    """A sequenced entry: the draft plus its index in the log and when it was logged."""

    index: int = Field(ge=0)
    timestamp: str = Field(pattern=TIMESTAMP_PATTERN)

    @classmethod
    def sequenced(cls, draft: EntryDraft, index: int, logged_at: datetime) -> Entry:
        return cls(**draft.model_dump(), index=index, timestamp=format_timestamp(logged_at))

    def canonical_bytes(self) -> bytes:
        """The bytes that are stored and hashed; computed once, at sequencing time."""
        return canonical_json(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, body: bytes) -> Entry:
        """Read stored bytes back as a model (for display; verification uses the bytes)."""
        return cls.model_validate(json.loads(body))
