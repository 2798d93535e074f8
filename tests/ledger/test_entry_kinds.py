"""One model per entry kind: each kind must carry what it is about, and nothing a kind does not.

The models are the ledger's vocabulary: a draft of an unknown kind, a disclosure without a
purpose, categories or a subject, free-form details, floats or integers JSON cannot carry exactly
are all refused at the caller, before anything is sequenced. Read back, a stored entry is
validated against its kind's model, and the sequenced bytes are RFC 8785 of the flat object.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from pydantic import ValidationError

from ledger import (
    AgreementRecordedDraft,
    ConsentGivenDraft,
    ConsentWithdrawnDraft,
    DisclosureDraft,
    EntryDraft,
    ErasureRecordedDraft,
    ErasureRequestDraft,
    NoticeAcknowledgedDraft,
    NoticeWithdrawalDraft,
    ObjectionDecidedDraft,
    ObjectionRaisedDraft,
    RetentionRunDraft,
    VolumeAlertAcknowledgedDraft,
)
from ledger.entries import KIND_MODELS, Entry, draft_from_content

SUBJECT = "sub_0123456789abcdef0123456789abcdef"
ORG = "3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10"
USER = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"

VALID: dict[type[EntryDraft], dict[str, Any]] = {
    DisclosureDraft: {
        "purpose": "esp.leave-verification",
        "lawful_basis": "consent",
        "subject": SUBJECT,
        "recipient_org": ORG,
        "recipient_user": USER,
        "categories": ["status", "identity"],
        "consent_ids": ["c-1", "c-2"],
        "agreement_ids": ["dsa-1"],
        "request_id": "req-1",
        "channel": "api",
        "details": {"fields": ["display_name", "status"]},
    },
    ConsentGivenDraft: {
        "purpose": "esp.leave-verification",
        "lawful_basis": "consent",
        "subject": SUBJECT,
        "recipient_org": ORG,
        "categories": ["identity"],
        "consent_ids": ["c-1"],
        "channel": "web",
        "details": {"notice_version": "2026-11", "expires_at": "2027-11-01T00:00:00+00:00"},
    },
    ConsentWithdrawnDraft: {
        "purpose": "esp.leave-verification",
        "lawful_basis": "consent",
        "subject": SUBJECT,
        "recipient_org": ORG,
        "categories": ["identity"],
        "consent_ids": ["c-9"],
        "channel": "web",
        "details": {"withdraws": ["c-1"]},
    },
    NoticeWithdrawalDraft: {
        "purpose": "esp.leave-verification",
        "subject": SUBJECT,
        "recipient_org": ORG,
        "categories": ["identity"],
        "consent_ids": ["c-1"],
        "channel": "system",
        "details": {"notice_id": "n-1"},
    },
    NoticeAcknowledgedDraft: {
        "purpose": "esp.leave-verification",
        "subject": SUBJECT,
        "recipient_org": ORG,
        "recipient_user": USER,
        "categories": ["identity"],
        "consent_ids": ["c-1"],
        "channel": "web",
        "details": {"notice_id": "n-1"},
    },
    ObjectionRaisedDraft: {
        "purpose": "esp.programme-management",
        "lawful_basis": "public_task",
        "subject": SUBJECT,
        "categories": ["identity", "status"],
        "channel": "web",
        "details": {"objection_id": "o-1"},
    },
    ObjectionDecidedDraft: {
        "purpose": "esp.programme-management",
        "lawful_basis": "public_task",
        "subject": SUBJECT,
        "categories": ["identity", "status"],
        "channel": "web",
        "details": {"objection_id": "o-1", "outcome": "upheld", "decided_by": USER},
    },
    VolumeAlertAcknowledgedDraft: {
        "purpose": "esp.leave-verification",
        "recipient_org": ORG,
        "categories": [],
        "channel": "web",
        "details": {
            "alert_id": "a-1",
            "day": "2026-12-01",
            "disclosures": 90,
            "acknowledged_by": USER,
        },
    },
    RetentionRunDraft: {
        "purpose": "dpo.audit",
        "lawful_basis": "legal_obligation",
        "categories": [],
        "channel": "cli",
        "details": {
            "run_id": "r-1",
            "step": "found",
            "schedule_version": "2026-12-06",
            "counts": ["refusals:3", "messages:0"],
            "persons_due": 1,
            "decided_by": USER,
        },
    },
    ErasureRecordedDraft: {
        "channel": "cli",
        "categories": [],
        "details": {"erasure_id": "e-1", "decided_by": "u-dpo"},
    },
    ErasureRequestDraft: {
        "purpose": "dpo.audit",
        "lawful_basis": "legal_obligation",
        "categories": [],
        "channel": "web",
        "details": {
            "request_id": "r-1",
            "step": "refused",
            "made_by": "dpo",
            "due_on": "2027-01-06",
            "ground": "legal_claims",
            "decided_by": "u-dpo",
        },
    },
    AgreementRecordedDraft: {
        "recipient_org": ORG,
        "categories": ["identity", "status"],
        "agreement_ids": ["dsa-1"],
        "channel": "api",
        "details": {
            "version": 2,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "supersedes": "dsa-0",
            "purposes": ["esp.leave-verification"],
            "grants": ["esp.leave-verification:identity", "esp.leave-verification:status"],
            "recorded_by": USER,
        },
    },
}

#: What each kind cannot do without (the envelope's optional fields a kind makes mandatory).
REQUIRED: dict[type[EntryDraft], list[str]] = {
    DisclosureDraft: [
        "purpose", "lawful_basis", "subject", "recipient_org", "categories", "channel", "details"
    ],
    ConsentGivenDraft: [
        "purpose", "lawful_basis", "subject", "recipient_org", "categories", "consent_ids",
        "details",
    ],
    ConsentWithdrawnDraft: [
        "purpose", "lawful_basis", "subject", "recipient_org", "categories", "consent_ids",
        "details",
    ],
    NoticeWithdrawalDraft: [
        "purpose", "subject", "recipient_org", "categories", "consent_ids", "details"
    ],
    NoticeAcknowledgedDraft: [
        "purpose", "subject", "recipient_org", "recipient_user", "categories", "consent_ids",
        "details",
    ],
    ObjectionRaisedDraft: ["purpose", "lawful_basis", "subject", "categories", "details"],
    ObjectionDecidedDraft: ["purpose", "lawful_basis", "subject", "categories", "details"],
    AgreementRecordedDraft: ["recipient_org", "categories", "agreement_ids", "details"],
    VolumeAlertAcknowledgedDraft: ["purpose", "recipient_org", "details"],
    RetentionRunDraft: ["purpose", "lawful_basis", "details"],
    ErasureRecordedDraft: ["details"],
    ErasureRequestDraft: ["purpose", "lawful_basis", "details"],
}  # fmt: skip


def test_every_kind_has_a_model_and_a_fixture():
    assert set(KIND_MODELS.values()) == set(VALID) == set(REQUIRED)
    assert set(KIND_MODELS) == {
        "disclosure",
        "consent.given",
        "consent.withdrawn",
        "notice.withdrawal",
        "notice.acknowledged",
        "objection.raised",
        "objection.decided",
        "agreement.recorded",
        "alert.acknowledged",
        "retention.run",
        "erasure.recorded",
        "erasure.request",
    }


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_a_complete_draft_of_each_kind_validates(model):
    draft = model(**VALID[model])
    assert KIND_MODELS[draft.kind] is model
    assert draft.categories == tuple(sorted(set(VALID[model]["categories"])))


@pytest.mark.parametrize(
    ("model", "field"),
    [(model, field) for model, fields in REQUIRED.items() for field in fields],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_each_kind_refuses_a_draft_missing_what_it_is_about(model, field):
    values = dict(VALID[model])
    values.pop(field)
    with pytest.raises(ValidationError) as missing:
        model(**values)
    assert field in str(missing.value)
    if field in ("purpose", "subject", "recipient_org", "recipient_user", "lawful_basis"):
        with pytest.raises(ValidationError):
            model(**{**VALID[model], field: ""})
    if field in ("categories", "consent_ids", "agreement_ids"):
        with pytest.raises(ValidationError):
            model(**{**VALID[model], field: []})


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_details_are_closed_and_json_exact(model):
    details = VALID[model]["details"]
    with pytest.raises(ValidationError, match="extra"):
        model(**{**VALID[model], "details": {**details, "display_name": "Sam Special"}})
    first = next(iter(details))
    for bad in (1.5, {"nested": "object"}):
        with pytest.raises(ValidationError):
            model(**{**VALID[model], "details": {**details, first: bad}})
    with pytest.raises(ValidationError):
        model(**{**VALID[model], "surname": "Special"})


def test_an_agreement_names_no_subject_and_exactly_one_agreement():
    with pytest.raises(ValidationError):
        AgreementRecordedDraft(**{**VALID[AgreementRecordedDraft], "subject": SUBJECT})
    with pytest.raises(ValidationError):
        AgreementRecordedDraft(**{**VALID[AgreementRecordedDraft], "agreement_ids": ["a", "b"]})
    details = VALID[AgreementRecordedDraft]["details"]
    for version in (0, 2**53, True):
        with pytest.raises(ValidationError):
            AgreementRecordedDraft(
                **{**VALID[AgreementRecordedDraft], "details": {**details, "version": version}}
            )


def test_the_envelope_is_never_a_draft_by_itself():
    with pytest.raises(ValidationError, match="built as DisclosureDraft"):
        EntryDraft(kind="disclosure", channel="web")
    with pytest.raises(ValidationError, match="unknown entry kind"):
        EntryDraft(kind="gossip", channel="web")
    with pytest.raises(ValidationError):
        EntryDraft(kind="Disclosure", channel="web")
    with pytest.raises(ValidationError):
        DisclosureDraft(**{**VALID[DisclosureDraft], "kind": "consent.given"})
    with pytest.raises(ValidationError):
        DisclosureDraft(**{**VALID[DisclosureDraft], "channel": "fax"})
    with pytest.raises(ValidationError):
        DisclosureDraft(**{**VALID[DisclosureDraft], "purpose": "Leave Verification"})


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_sequenced_bytes_are_rfc8785_and_read_back_as_the_same_kind(model):
    draft = model(**VALID[model])
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    entry = Entry.sequenced(draft, 9, moment, 12)
    body = draft.entry_bytes(9, moment, 12)
    assert body == entry.canonical_bytes() == rfc8785.dumps(json.loads(body))
    document = json.loads(body)
    assert document["index"] == 9 and document["checkpoint_size"] == 12
    assert document["timestamp"] == "2026-01-02T03:04:05.000006Z"
    read = Entry.from_bytes(body)
    assert read == entry and type(read.draft) is model
    assert read.kind == draft.kind and read.subject == draft.subject


def test_an_entry_lies_inside_its_checkpoint():
    draft = DisclosureDraft(**VALID[DisclosureDraft])
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="checkpoint_size"):
        draft.entry_bytes(5, moment, 5)
    with pytest.raises(ValidationError):
        Entry.sequenced(draft, 5, moment, 5)


def test_reading_back_refuses_what_no_kind_describes():
    draft = DisclosureDraft(**VALID[DisclosureDraft])
    document = json.loads(draft.entry_bytes(0, datetime(2026, 1, 2, tzinfo=UTC), 1))
    for broken in (
        {**document, "kind": "gossip"},
        {**document, "categories": []},
        {**document, "details": {"fields": ["x"], "note": "free text"}},
        {key: value for key, value in document.items() if key != "checkpoint_size"},
    ):
        with pytest.raises(ValueError):
            Entry.from_bytes(json.dumps(broken).encode())
    content = {key: value for key, value in document.items() if key not in ("index", "timestamp")}
    content.pop("checkpoint_size")
    assert draft_from_content(content) == draft
