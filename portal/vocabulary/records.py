"""What the force holds about a person, why, where it came from and for how long (``records.json``).

UK GDPR Art. 15 entitles a person to each category of data held about them with its purposes,
recipients, retention period and source; Art. 30 asks the controller to keep the same as a record
of processing. Each *record kind* here is one such category as the force stores it (``duties``,
``leave``, ``consents``…). It names the vocabulary categories it is shared as, the purposes it is
held for (codes of ``purposes.json``, so each lawful basis comes from there) and one retention rule
with its reason. The rule is data in one home: the subject access report shows it, and erasure is
to be built on it.

Loading checks it against the vocabulary: every purpose exists, every vocabulary category is shared
as exactly one record kind, and a record kind lists every purpose that uses a category it is shared
as (otherwise the report would understate why the data is held).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from portal.vocabulary import Purpose, Vocabulary, vocabulary

RECORDS_FILE = Path(__file__).resolve().parent / "records.json"

#: When a retention period starts counting.
CountedFrom = Literal["leaving", "record", "decision", "ledger"]

_PERIOD = re.compile(r"^P([1-9][0-9]*)([YMD])$")
_UNITS = {"Y": ("year", "years"), "M": ("month", "months"), "D": ("day", "days")}


class RetentionRule(BaseModel):
    """How long one record kind is kept: an ISO 8601 period counted from an event, or as long as
    the ledger (``period`` null exactly when ``from`` is ``ledger``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    period: str | None = Field(default=None, pattern=_PERIOD.pattern)
    counted_from: CountedFrom = Field(alias="from")
    reason: str = Field(min_length=20)

    @model_validator(mode="after")
    def _period_unless_ledger(self) -> RetentionRule:
        if (self.period is None) != (self.counted_from == "ledger"):
            raise ValueError("a period is given exactly when retention is not 'ledger'")
        return self

    def in_words(self, events: dict[str, str]) -> str:
        """E.g. "6 years after the person leaves …", or "for as long as the ledger is kept"."""
        if self.period is None:
            return events[self.counted_from]
        match = _PERIOD.match(self.period)
        assert match is not None  # the field's pattern
        count, unit = int(match.group(1)), _UNITS[match.group(2)]
        return f"{count} {unit[0] if count == 1 else unit[1]} {events[self.counted_from]}"


class RecordKind(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z-]*$")
    label: str = Field(min_length=1)
    text: str = Field(min_length=10)
    shared_as: tuple[str, ...]
    purposes: tuple[str, ...] = Field(min_length=1)
    retention: RetentionRule
    source: str = Field(min_length=5)


class RecordsHeld(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    version: str = Field(min_length=1)
    counted_from: dict[CountedFrom, str] = Field(alias="from")
    records: tuple[RecordKind, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _events_named(self) -> RecordsHeld:
        codes = [r.code for r in self.records]
        if len(set(codes)) != len(codes):
            raise ValueError("a record kind is listed twice")
        if set(self.counted_from) != set(get_args(CountedFrom)):
            raise ValueError("'from' must word each of leaving, record, decision and ledger")
        return self

    def check_against(self, vocab: Vocabulary) -> RecordsHeld:
        """Raise ``ValueError`` naming the first record kind the vocabulary disagrees with."""
        shared: dict[str, str] = {}
        for record in self.records:
            unknown = [p for p in record.purposes if vocab.purpose(p) is None]
            if unknown:
                raise ValueError(f"{record.code}: unknown purposes {', '.join(unknown)}")
            for category in record.shared_as:
                if category not in vocab.category_map:
                    raise ValueError(f"{record.code}: unknown category {category}")
                if category in shared:
                    raise ValueError(
                        f"{category} is shared as {shared[category]} and {record.code}"
                    )
                shared[category] = record.code
                using = [p.code for p in vocab.purposes if category in p.categories]
                missing = sorted(set(using) - set(record.purposes))
                if missing:
                    raise ValueError(
                        f"{record.code}: {', '.join(missing)} use {category}; list them as purposes"
                    )
        uncovered = sorted(set(vocab.category_map) - set(shared))
        if uncovered:
            raise ValueError(f"no record kind is shared as {', '.join(uncovered)}")
        return self

    def get(self, code: str) -> RecordKind:
        return next(r for r in self.records if r.code == code)

    def purposes_of(self, record: RecordKind) -> list[Purpose]:
        """The vocabulary purposes a record kind is held for (each with its lawful basis)."""
        vocab = vocabulary()
        return [p for code in record.purposes if (p := vocab.purpose(code)) is not None]

    def retention_in_words(self, record: RecordKind) -> str:
        return record.retention.in_words({str(k): v for k, v in self.counted_from.items()})


def load_records(path: Path = RECORDS_FILE, vocab: Vocabulary | None = None) -> RecordsHeld:
    held = RecordsHeld.model_validate(json.loads(path.read_text(encoding="utf-8")))
    return held.check_against(vocab or vocabulary())


@functools.cache
def records_held() -> RecordsHeld:
    """The repository's record kinds and retention rules, loaded and checked once."""
    return load_records()
