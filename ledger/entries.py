"""What one ledger entry says, and the exact bytes it is hashed as.

The leaf hash covers RFC 8785 (JCS) canonical JSON of the entry. Those bytes are produced once, when
the entry is sequenced, and stored verbatim: a verifier hashes the stored bytes and never
re-serialises, so a future change of this model or of a JSON library can never make old entries
fail to verify.

Callers supply a draft of one kind (the models are in :mod:`ledger.kinds`, one per kind); the
sequencer turns it into an :class:`Entry` by adding its place: the index, the timestamp, and the
size of the checkpoint its batch commits with, which only it can know.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Any, Literal, Self

import rfc8785
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

__all__ = [
    "KIND_MODELS",
    "KIND_PATTERN",
    "NOT_CHAINED",
    "PLACE_FIELDS",
    "PREV_SUBJECT_INDEX",
    "SUBJECT_MAP",
    "Channel",
    "DetailValue",
    "Entry",
    "EntryDraft",
    "SafeInt",
    "SubjectMapCommitment",
    "canonical_json",
    "draft_from_content",
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
SafeInt = Annotated[StrictInt, Field(ge=-_MAX_SAFE_INT, le=_MAX_SAFE_INT)]
"""An integer RFC 8785 can carry exactly (JSON's safe range)."""


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON; ``ValueError`` for what JSON cannot carry exactly.

    For the values entries hold (no floats, integers within the safe range, object keys without
    characters beyond U+FFFF) JCS and ``json.dumps`` with sorted keys and no whitespace produce
    the same bytes: keys then sort identically by UTF-16 code unit and by code point, and both
    escape exactly the quote, the backslash and control characters (``\\u00xx`` lower case).
    That C-accelerated path is taken when it applies; anything else goes to the ``rfc8785``
    library. Tests hold the two equal.
    """
    if _plain(value, 0):
        try:
            return _dumps_plain(value)
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it
            pass
    return rfc8785.dumps(value)


def _dumps_plain(value: Any) -> bytes:
    """JCS bytes of a value :func:`_plain` accepts; ``UnicodeEncodeError`` on a lone surrogate."""
    return _ENCODER.encode(value).encode("utf-8")


# One encoder: ``json.dumps`` with these options builds a new one on every call.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _plain(value: Any, depth: int) -> bool:
    """Whether ``value`` is in the domain where ``json.dumps`` output is JCS output.

    Exact types only: a subclass (an ``IntEnum``, a ``str`` subclass) answers False and goes to
    the ``rfc8785`` library, which is always right, only slower.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_MAX_SAFE_INT <= value <= _MAX_SAFE_INT)
    if depth > 16:
        return False
    if kind is list:
        return all(_plain(item, depth + 1) for item in value)
    if kind is dict:
        return all(
            type(key) is str and (key.isascii() or max(key) <= "\uffff") and _plain(item, depth + 1)
            for key, item in value.items()
        )
    return False


def format_timestamp(moment: datetime) -> str:
    """RFC 3339, UTC, microseconds, ``Z``: one spelling per instant."""
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    utc = moment.astimezone(UTC)
    # Not strftime: its %Y does not pad years before 1000 on every platform.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


PREV_SUBJECT_INDEX = "prev_subject_index"
"""Index of the previous entry about the same subject (``null`` for the first one)."""
SUBJECT_MAP = "subject_map"
"""``{"root": base64, "since": index}`` on the last entry of each batch: the subject map's root at
that batch's end, and the index from which every entry about a subject is chained."""


@dataclass(frozen=True, slots=True)
class SubjectMapCommitment:
    """The subject map's root at a batch's end and where the chains start (the migration point)."""

    root: bytes
    since: int

    def document(self) -> dict[str, Any]:
        return {"root": base64.b64encode(self.root).decode("ascii"), "since": self.since}


#: Every kind's model, by kind: filled in as each kind's class is defined (:mod:`ledger.kinds`).
KIND_MODELS: dict[str, type[EntryDraft]] = {}

#: Fields the sequencer adds: only it knows where and when the entry lands, and in which batch.
#: The last two exist from the subject map's start on (docs/VERIFY.md §5): an entry about a
#: subject names the previous entry about it, and the last entry of a batch the map's root.
PLACE_FIELDS = ("index", "timestamp", "checkpoint_size", PREV_SUBJECT_INDEX, SUBJECT_MAP)

#: ``previous`` argument meaning "this entry has no back-pointer field" (no subject, or no map).
NOT_CHAINED = -1

#: The place fields in JCS member order (they are ASCII, so code-unit order is byte order).
_PLACE_ORDER = tuple(sorted(PLACE_FIELDS))
_CHAIN_FIELDS = (PREV_SUBJECT_INDEX, SUBJECT_MAP)
_FIXED_PLACE = ("index", "timestamp", "checkpoint_size")

_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)


class EntryDraft(BaseModel):
    """The envelope every entry kind shares: what happened, to whose data, for whom and why.

    Never built directly: each kind is a subclass (:mod:`ledger.kinds`) that says which of these
    fields that kind must fill and what its ``details`` hold, so a disclosure without a purpose
    or categories cannot reach the log. ``subject`` is the volunteer's pseudonymous ledger id,
    never a name or a warrant number. ``categories``, ``consent_ids`` and ``agreement_ids`` are
    sets: stored sorted and without duplicates, so two drafts meaning the same thing hash the
    same.

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

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        clash = set(PLACE_FIELDS) & set(cls.model_fields)
        if clash:
            raise TypeError(f"{sorted(clash)} are set by the sequencer, not by a draft")
        field = cls.model_fields.get("kind")
        kind = field.default if field is not None else None
        if isinstance(kind, str) and kind:
            if kind in KIND_MODELS and KIND_MODELS[kind] is not cls:
                raise TypeError(f"entry kind {kind!r} already has a model")
            KIND_MODELS[kind] = cls

    @field_validator("categories", "consent_ids", "agreement_ids")
    @classmethod
    def _as_set(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _sorted_unique(value)

    @model_validator(mode="after")
    def _built_as_its_kind(self) -> EntryDraft:
        model = KIND_MODELS.get(self.kind)
        if model is None:
            known = ", ".join(sorted(KIND_MODELS)) or "none"
            raise ValueError(f"unknown entry kind {self.kind!r} (known: {known})")
        if type(self) is not model:
            raise ValueError(f"a {self.kind!r} entry is built as {model.__name__}")
        return self

    def content(self) -> dict[str, Any]:
        """The draft's fields as JSON values (what the entry object carries besides its place)."""
        return self.model_dump(mode="json")

    @cached_property
    def _encoded(self) -> _EncodedDraft | None:
        """The draft's canonical JSON, cut where the place fields go; None if not plain JSON.

        Computed once per draft, in its caller's task (:meth:`prepare`), so the writer's critical
        section only splices in the place: JCS sorts object members by key and joins them with
        commas, so a member's bytes do not depend on its neighbours. The draft is frozen and
        :meth:`model_copy` re-validates, so the cache can never describe other field values.
        """
        content = self.model_dump(mode="json")
        if not _plain(content, 0):
            return None
        groups: list[dict[str, Any]] = [{} for _ in range(len(_PLACE_ORDER) + 1)]
        for key, value in content.items():
            groups[bisect.bisect(_PLACE_ORDER, key)][key] = value
        try:
            # Each group is a run of consecutive members: its object's bytes without the braces.
            return _EncodedDraft(tuple(_dumps_plain(group)[1:-1] for group in groups))
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it
            return None

    def prepare(self) -> None:
        """Do the per-draft serialisation work now, outside the ledger's head lock."""
        _ = self._encoded

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy that is validated like any draft (pydantic's copy skips validation)."""
        values = self.model_dump()
        if update:
            values.update(update)
        return self.model_validate(values)

    def entry_bytes(self, index: int, logged_at: datetime, checkpoint_size: int) -> bytes:
        """The stored, hashed bytes of this draft as entry ``index``: one canonicalisation.

        ``checkpoint_size`` is the tree size of the checkpoint the entry's batch commits with: it
        puts the batch boundaries inside the hashed log, so ``verify`` can tell that a checkpoint
        which was issued has since been removed. Equal to ``Entry.sequenced(...)
        .canonical_bytes()`` without building and re-validating a model; the writer calls
        :meth:`bytes_at` with the batch's one formatted timestamp.
        """
        return self.bytes_at(index, format_timestamp(logged_at), checkpoint_size)

    def bytes_at(
        self,
        index: int,
        timestamp: str,
        checkpoint_size: int,
        previous: int | None = NOT_CHAINED,
        subject_map: SubjectMapCommitment | None = None,
    ) -> bytes:
        """:meth:`entry_bytes` with the timestamp already formatted (once per batch, by the writer).

        ``timestamp`` must come from :func:`format_timestamp`. ``previous`` is the index of the
        previous entry about this draft's subject (None: this is the first), or
        :data:`NOT_CHAINED` for no back-pointer; ``subject_map`` is given for a batch's last entry.
        """
        if not 0 <= index < checkpoint_size <= _MAX_SAFE_INT:
            raise ValueError("an entry's checkpoint must cover it: index < checkpoint_size")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise ValueError(f"not a ledger timestamp: {timestamp!r}")
        if previous is not None and not (previous == NOT_CHAINED or 0 <= previous < index):
            raise ValueError("an entry's previous entry about its subject comes before it")
        encoded = self._encoded
        if encoded is None:
            content = self.content()
            content.update(index=index, timestamp=timestamp, checkpoint_size=checkpoint_size)
            if previous != NOT_CHAINED:
                content[PREV_SUBJECT_INDEX] = previous
            if subject_map is not None:
                content[SUBJECT_MAP] = subject_map.document()
            return canonical_json(content)
        link = None
        if previous != NOT_CHAINED:
            link = _NULL_LINK if previous is None else b'"prev_subject_index":%d' % previous
        commitment = None
        if subject_map is not None:
            commitment = b'"subject_map":{"root":"%s","since":%d}' % (
                base64.b64encode(subject_map.root),
                subject_map.since,
            )
        return encoded.with_place(index, timestamp, checkpoint_size, link, commitment)


_NULL_LINK = b'"prev_subject_index":null'


@dataclass(frozen=True, slots=True)
class _EncodedDraft:
    """A draft's canonical members, grouped by where the place fields fall among them."""

    #: Joined members before ``checkpoint_size``, ``index``, ``prev_subject_index``,
    #: ``subject_map``, ``timestamp``, and after (JCS order: the keys are ASCII).
    groups: tuple[bytes, ...]

    def with_place(
        self,
        index: int,
        timestamp: str,
        checkpoint_size: int,
        link: bytes | None,
        commitment: bytes | None,
    ) -> bytes:
        """The entry's bytes: the draft's groups with the place members spliced in between.

        Place values are ASCII (integers, a timestamp, base64), so these members' bytes are
        exactly what JCS writes for them.
        """
        before_size, before_index, before_link, before_map, before_time, after = self.groups
        parts = [
            before_size,
            b'"checkpoint_size":%d' % checkpoint_size,
            before_index,
            b'"index":%d' % index,
            before_link,
            link,
            before_map,
            commitment,
            before_time,
            b'"timestamp":"' + timestamp.encode("ascii") + b'"',
            after,
        ]
        return b"{" + b",".join(part for part in parts if part) + b"}"


def draft_from_content(content: dict[str, Any]) -> EntryDraft:
    """Validate an entry object (without its place) against its kind's model."""
    kind = content.get("kind")
    model = KIND_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(sorted(KIND_MODELS)) or "none"
        raise ValueError(f"unknown entry kind {kind!r} (known: {known})")
    return model.model_validate(content)


class Entry(BaseModel):
    """A sequenced entry as read back: its kind's draft, where it sits and when it was logged.

    Reading validates the object against its kind's model, so an entry that no kind describes
    cannot be shown as if it were one. Verification never uses this: it hashes stored bytes.
    """

    model_config = ConfigDict(frozen=True)

    draft: SerializeAsAny[EntryDraft]
    index: int = Field(ge=0)
    timestamp: str = Field(pattern=TIMESTAMP_PATTERN)
    checkpoint_size: int = Field(ge=1)
    #: The optional place members, verbatim (``prev_subject_index``, ``subject_map``), when the
    #: entry carries them: absent and ``null`` differ, so they are kept as read.
    chain: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _inside_its_checkpoint(self) -> Entry:
        if not self.index < self.checkpoint_size:
            raise ValueError("checkpoint_size must be greater than index")
        return self

    @classmethod
    def sequenced(
        cls, draft: EntryDraft, index: int, logged_at: datetime, checkpoint_size: int
    ) -> Entry:
        return cls(
            draft=draft,
            index=index,
            timestamp=format_timestamp(logged_at),
            checkpoint_size=checkpoint_size,
        )

    # The envelope's fields, read straight through (what displays and searches use).
    @property
    def kind(self) -> str:
        return self.draft.kind

    @property
    def purpose(self) -> str:
        return self.draft.purpose

    @property
    def subject(self) -> str:
        return self.draft.subject

    @property
    def recipient_org(self) -> str:
        return self.draft.recipient_org

    @property
    def categories(self) -> tuple[str, ...]:
        return self.draft.categories

    def document(self) -> dict[str, Any]:
        """The flat entry object, exactly as it is serialised."""
        content = self.draft.content()
        content["index"] = self.index
        content["timestamp"] = self.timestamp
        content["checkpoint_size"] = self.checkpoint_size
        content.update(self.chain)
        return content

    def canonical_bytes(self) -> bytes:
        """The bytes that are stored and hashed; computed once, at sequencing time."""
        return canonical_json(self.document())

    @classmethod
    def from_bytes(cls, body: bytes) -> Entry:
        """Read stored bytes back as a model (for display; verification uses the bytes)."""
        value = json.loads(body)
        if not isinstance(value, dict):
            raise ValueError("an entry is a JSON object")
        chain = {name: value.pop(name) for name in _CHAIN_FIELDS if name in value}
        place = {name: value.pop(name, None) for name in _FIXED_PLACE}
        return cls(draft=draft_from_content(value), chain=chain, **place)
