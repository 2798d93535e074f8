"""The purpose vocabulary and privacy-notice versions: versioned data files, validated on load.

``purposes.json`` holds the data categories (each mapped to the fixed fields it releases) and the
purposes (code, label, plain-English text shown to volunteers, UK GDPR Art. 6 lawful basis, W3C
DPV purpose term, the categories it may ever use, whether it needs consent, who may use it).
``notices.json`` holds the privacy-notice versions; the current one is the latest published.

Both are data, not code: changing a purpose's text or adding a notice is a reviewed change to a
JSON file. Loading rejects anything inconsistent, and rejects special category data outright
(UK GDPR Art. 9 and 10: health, vetting detail and the like can never be shared through ESP
Portal, so no category may even be named after them).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from portal.clock import utcnow

HERE = Path(__file__).resolve().parent
PURPOSES_FILE = HERE / "purposes.json"
NOTICES_FILE = HERE / "notices.json"

#: The data categories of SPEC.md; the vocabulary file must define exactly these.
CATEGORY_CODES: tuple[str, ...] = (
    "identity",
    "status",
    "application",
    "hours.summary",
    "hours.detail",
    "training",
    "recognition",
    "contact.email",
    "contact.phone",
)

#: The audiences that are recipient organisations under an agreement with the force: the gate
#: asks for an agreement in force and a link between the volunteer and the organisation; a
#: volunteer consents to (or objects to) each of them per organisation.
RECIPIENT_AUDIENCES: tuple[str, ...] = ("employer", "police_force", "partner")

#: Words that mark special category or criminal-offence data (UK GDPR Art. 9, 10). A category,
#: or a field it releases, whose name contains one of them is refused when the vocabulary loads.
SPECIAL_CATEGORY_MARKERS: tuple[str, ...] = (
    "health",
    "medical",
    "disab",
    "vetting",
    "criminal",
    "conviction",
    "offence",
    "biometric",
    "genetic",
    "ethnic",
    "race",
    "racial",
    "religio",
    "belief",
    "politic",
    "union",
    "sexual",
    "sex_life",
    "orientation",
)

_CODE = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$")


class LawfulBasis(StrEnum):
    """UK GDPR Art. 6(1) lawful bases."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def article(self) -> str:
        return {
            "consent": "UK GDPR Art. 6(1)(a)",
            "contract": "UK GDPR Art. 6(1)(b)",
            "legal_obligation": "UK GDPR Art. 6(1)(c)",
            "vital_interests": "UK GDPR Art. 6(1)(d)",
            "public_task": "UK GDPR Art. 6(1)(e)",
            "legitimate_interests": "UK GDPR Art. 6(1)(f)",
        }[self.value]


def _special(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SPECIAL_CATEGORY_MARKERS)


class Category(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    label: str = Field(min_length=1)
    text: str = Field(min_length=1)
    fields: tuple[str, ...] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _not_special(cls, value: str) -> str:
        if _special(value):
            raise ValueError(f"{value!r} is special category data and can never be a category")
        if not _CODE.match(value):
            raise ValueError(f"{value!r} is not a lower-case dotted code")
        return value

    @field_validator("fields")
    @classmethod
    def _fields_not_special(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if _special(name):
                raise ValueError(f"field {name!r} would release special category data")
        return value


class Purpose(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    label: str = Field(min_length=1)
    text: str = Field(min_length=20)
    lawful_basis: LawfulBasis
    dpv_purpose: str | None = Field(default=None, pattern=r"^dpv:[A-Za-z]+$")
    categories: tuple[str, ...] = Field(min_length=1)
    consent_required: bool
    #: ``employer``: an employer organisation may use it (in agreements and consents);
    #: ``police_force``: another police force (information sharing agreement); ``partner``:
    #: an organisation processing applications for the force (processing contract);
    #: ``force``: only the force itself (e.g. the DPO's oversight); ``provider``: a messaging
    #: provider carrying the force's messages to the volunteer (``communication.notification``).
    audience: Literal["employer", "police_force", "partner", "force", "provider"]

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"{value!r} is not a lower-case dotted code")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Purpose:
        if self.consent_required != (self.lawful_basis is LawfulBasis.CONSENT):
            raise ValueError(
                f"{self.code}: consent_required must be true exactly when the basis is consent"
            )
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"{self.code}: a category is listed twice")
        return self

    @property
    def article(self) -> str:
        return self.lawful_basis.article


class Vocabulary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    categories: tuple[Category, ...]
    purposes: tuple[Purpose, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Vocabulary:
        codes = [c.code for c in self.categories]
        if sorted(codes) != sorted(CATEGORY_CODES):
            raise ValueError(f"categories must be exactly {', '.join(CATEGORY_CODES)}")
        fields = [f for c in self.categories for f in c.fields]
        if len(set(fields)) != len(fields):
            raise ValueError("a field is released by two categories")
        seen: set[str] = set()
        for purpose in self.purposes:
            if purpose.code in seen:
                raise ValueError(f"purpose {purpose.code} is defined twice")
            seen.add(purpose.code)
            unknown = sorted(set(purpose.categories) - set(codes))
            if unknown:
                raise ValueError(f"{purpose.code} uses unknown categories: {', '.join(unknown)}")
        return self

    @functools.cached_property
    def purpose_map(self) -> dict[str, Purpose]:
        return {p.code: p for p in self.purposes}

    @functools.cached_property
    def category_map(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    def purpose(self, code: str) -> Purpose | None:
        return self.purpose_map.get(code)

    def fields_of(self, categories: list[str] | tuple[str, ...] | frozenset[str]) -> list[str]:
        """The fixed response fields released by ``categories``, in vocabulary order."""
        wanted = set(categories)
        return [f for c in self.categories if c.code in wanted for f in c.fields]


class NoticeSection(BaseModel):
    """One heading of a notice's full text and its paragraphs (plain text, no markup)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heading: str = Field(min_length=1)
    paragraphs: tuple[str, ...] = Field(min_length=1)


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}(-[0-9]+)?$")
    published_on: dt.date
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    #: The purposes this version describes to the volunteer. Consent is informed only by words
    #: the volunteer could read, so consent to a purpose the notice in force leaves out is
    #: refused (``portal.consent.services``).
    purposes: tuple[str, ...] = Field(min_length=1)
    #: The whole notice as the volunteer reads it (a consent is informed only by the full text).
    sections: tuple[NoticeSection, ...] = Field(min_length=1)
    #: What changed from the version before, in plain words (empty only for the first version).
    changes: tuple[str, ...] = ()
    #: Purposes whose meaning this version changed: consent given under an earlier version to
    #: one of them must be confirmed again (until then it covers only what was agreed).
    purposes_changed: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _describes_what_it_changes(self) -> Notice:
        if len(set(self.purposes)) != len(self.purposes):
            raise ValueError(f"{self.version}: a purpose is listed twice")
        undescribed = sorted(set(self.purposes_changed) - set(self.purposes))
        if undescribed:
            raise ValueError(
                f"{self.version} changes {', '.join(undescribed)} but does not describe it"
            )
        return self

    def describes(self, purpose: str) -> bool:
        """Whether this version tells the volunteer about ``purpose``."""
        return purpose in self.purposes


class Notices(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    notices: tuple[Notice, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Notices:
        versions = [n.version for n in self.notices]
        if len(set(versions)) != len(versions):
            raise ValueError("a notice version is listed twice")
        dates = [n.published_on for n in self.notices]
        if dates != sorted(dates):
            raise ValueError("notices must be listed oldest first")
        first, *later = self.notices
        if first.changes or first.purposes_changed:
            raise ValueError(f"{first.version} is the first notice: nothing changed before it")
        for notice in later:
            if not notice.changes:
                raise ValueError(f"{notice.version}: say what changed from the version before")
        return self

    def previous(self, version: str) -> Notice | None:
        """The version published before ``version`` (None for the first or an unknown one)."""
        versions = [n.version for n in self.notices]
        if version not in versions:
            return None
        at = versions.index(version)
        return self.notices[at - 1] if at > 0 else None

    def changed_since(
        self, version: str, purpose: str, today: dt.date | None = None
    ) -> Notice | None:
        """The first published notice after ``version`` that changed what ``purpose`` means, or
        None: a consent given under ``version`` then needs confirming again."""
        versions = [n.version for n in self.notices]
        if version not in versions:
            return None
        current = self.current(today)
        for notice in self.notices[versions.index(version) + 1 :]:
            if notice.published_on > current.published_on:
                break
            if purpose in notice.purposes_changed:
                return notice
        return None

    def current(self, today: dt.date | None = None) -> Notice:
        """The latest notice published on or before ``today`` (the oldest if none is yet)."""
        today = today or utcnow().date()
        published = [n for n in self.notices if n.published_on <= today]
        return published[-1] if published else self.notices[0]

    def get(self, version: str) -> Notice | None:
        return next((n for n in self.notices if n.version == version), None)


def load_vocabulary(path: Path = PURPOSES_FILE) -> Vocabulary:
    return Vocabulary.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_notices(path: Path = NOTICES_FILE) -> Notices:
    return Notices.model_validate(json.loads(path.read_text(encoding="utf-8")))


@functools.cache
def vocabulary() -> Vocabulary:
    """The repository's purpose vocabulary, loaded and validated once."""
    return load_vocabulary()


@functools.cache
def notices() -> Notices:
    """The repository's privacy-notice versions, loaded and validated once."""
    return load_notices()


__all__ = [
    "CATEGORY_CODES",
    "SPECIAL_CATEGORY_MARKERS",
    "Category",
    "LawfulBasis",
    "Notice",
    "NoticeSection",
    "Notices",
    "Purpose",
    "Vocabulary",
    "load_notices",
    "load_vocabulary",
    "notices",
    "vocabulary",
]
