"""``/api/purposes`` and ``/api/privacy-notices``: the vocabulary, public (it is what the privacy
notice tells everyone)."""

from __future__ import annotations

import datetime as dt

from litestar import get
from pydantic import BaseModel, Field

from portal.vocabulary import notices, vocabulary


class CategoryOut(BaseModel):
    code: str
    label: str
    text: str
    fields: list[str]


class PurposeOut(BaseModel):
    code: str
    label: str
    text: str
    lawful_basis: str
    article: str
    dpv_purpose: str | None
    categories: list[str]
    consent_required: bool
    audience: str


class VocabularyOut(BaseModel):
    version: str
    categories: list[CategoryOut]
    purposes: list[PurposeOut]


class NoticeOut(BaseModel):
    version: str
    published_on: dt.date
    title: str
    summary: str
    purposes: list[str] = Field(
        description="the purposes this version describes: consent is taken only to these"
    )


class NoticesOut(BaseModel):
    current: NoticeOut
    versions: list[NoticeOut]


@get("/api/purposes", guards=[], tags=["vocabulary"], summary="Purposes and data categories")
async def purposes() -> VocabularyOut:
    v = vocabulary()
    return VocabularyOut(
        version=v.version,
        categories=[
            CategoryOut(code=c.code, label=c.label, text=c.text, fields=list(c.fields))
            for c in v.categories
        ],
        purposes=[
            PurposeOut(
                code=p.code,
                label=p.label,
                text=p.text,
                lawful_basis=p.lawful_basis.value,
                article=p.article,
                dpv_purpose=p.dpv_purpose,
                categories=list(p.categories),
                consent_required=p.consent_required,
                audience=p.audience,
            )
            for p in v.purposes
        ],
    )


@get("/api/privacy-notices", guards=[], tags=["vocabulary"], summary="Privacy notice versions")
async def privacy_notices() -> NoticesOut:
    n = notices()
    return NoticesOut(
        current=NoticeOut(**n.current().model_dump()),
        versions=[NoticeOut(**notice.model_dump()) for notice in n.notices],
    )


CONTROLLERS = [purposes, privacy_notices]
