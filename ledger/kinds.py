"""One model per entry kind: what each kind of event must record, and nothing else.

The envelope (:class:`~ledger.entries.EntryDraft`) is shared; each kind narrows it. A disclosure
must name its purpose, lawful basis, subject, recipient and at least one category; an agreement
names no subject; every kind's ``details`` is a closed model rather than a free dictionary, so a
caller's typo or a stray personal field fails at the caller, before anything is sequenced. The
kinds here are the whole vocabulary: the ledger refuses a kind it has no model for.

The details models hold JSON-exact values only (strings, safe integers, booleans, null and lists
of them): their text form is the same in every language, so the entry's canonical bytes are.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from .entries import Channel, EntryDraft, SafeInt

__all__ = [
    "AgreementRecordedDetails",
    "AgreementRecordedDraft",
    "ConsentGivenDetails",
    "ConsentGivenDraft",
    "ConsentWithdrawnDetails",
    "ConsentWithdrawnDraft",
    "DisclosureDetails",
    "DisclosureDraft",
    "ErasureDetails",
    "ErasureRecordedDraft",
    "ErasureRequestDetails",
    "ErasureRequestDraft",
    "NoticeAcknowledgedDraft",
    "NoticeDetails",
    "NoticeWithdrawalDraft",
    "ObjectionDecidedDetails",
    "ObjectionDecidedDraft",
    "ObjectionDetails",
    "ObjectionRaisedDraft",
    "RetentionRunDetails",
    "RetentionRunDraft",
    "VolumeAlertAcknowledgedDraft",
    "VolumeAlertDetails",
]

_Code = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+([._-][a-z0-9]+)*$")]
"""A purpose or lawful-basis code: never blank where a kind needs one."""
_Id = Annotated[str, Field(min_length=1, max_length=64)]
_Category = Annotated[str, Field(min_length=1, max_length=80)]
_RecordId = Annotated[str, Field(min_length=1, max_length=64)]
_Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]

_Categories = Annotated[tuple[_Category, ...], Field(min_length=1)]
_RecordIds = Annotated[tuple[_RecordId, ...], Field(min_length=1)]


class _Details(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _AboutOneSubject(EntryDraft):
    """What every kind about one volunteer's data must name: whose, for whom, why, which data."""

    purpose: _Code
    subject: _Id
    recipient_org: _Id
    categories: _Categories
    channel: Channel


class _UnderConsent(_AboutOneSubject):
    """Kinds that record consent records and the lawful basis they were made under."""

    lawful_basis: _Code
    consent_ids: _RecordIds


# ----------------------------------------------------------------------------- disclosure


class DisclosureDetails(_Details):
    """The data fields released, so an auditor sees exactly what left, not only the categories."""

    fields: tuple[_Text, ...] = Field(min_length=1)


class DisclosureDraft(_AboutOneSubject):
    """One subject's data leaving the server, to one recipient, for one purpose."""

    kind: Literal["disclosure"] = "disclosure"
    lawful_basis: _Code
    details: DisclosureDetails


# ----------------------------------------------------------------------------- consent


class ConsentGivenDetails(_Details):
    """The privacy notice shown and when the consent lapses (ISO/IEC TS 27560 fields)."""

    notice_version: _Text
    expires_at: _Text


class ConsentGivenDraft(_UnderConsent):
    """A volunteer's consent, per employer, purpose and category (one consent id each)."""

    kind: Literal["consent.given"] = "consent.given"
    details: ConsentGivenDetails


class ConsentWithdrawnDetails(_Details):
    """Which consent records the withdrawal ends."""

    withdraws: tuple[_RecordId, ...] = Field(min_length=1)


class ConsentWithdrawnDraft(_UnderConsent):
    """A volunteer withdrawing consent: effective from this entry on."""

    kind: Literal["consent.withdrawn"] = "consent.withdrawn"
    details: ConsentWithdrawnDetails


# ----------------------------------------------------------------------------- notices


class NoticeDetails(_Details):
    """The notice the entry is about."""

    notice_id: _RecordId


class NoticeWithdrawalDraft(_AboutOneSubject):
    """The employer is told that data it received is no longer covered by consent."""

    kind: Literal["notice.withdrawal"] = "notice.withdrawal"
    consent_ids: _RecordIds
    details: NoticeDetails


class NoticeAcknowledgedDraft(_AboutOneSubject):
    """An employer user acknowledging a withdrawal notice."""

    kind: Literal["notice.acknowledged"] = "notice.acknowledged"
    recipient_user: _Id
    consent_ids: _RecordIds
    details: NoticeDetails


# ----------------------------------------------------------------------------- objections


class ObjectionDetails(_Details):
    """The objection record the entry is about (its reasons stay with the record, never here)."""

    objection_id: _RecordId


class ObjectionRaisedDraft(EntryDraft):
    """A volunteer objecting to processing done without consent (UK GDPR Art. 21).

    It applies to every recipient of the purpose, so ``recipient_org`` stays empty.
    """

    kind: Literal["objection.raised"] = "objection.raised"
    purpose: _Code
    lawful_basis: _Code
    subject: _Id
    recipient_org: Literal[""] = ""
    categories: _Categories
    channel: Channel
    details: ObjectionDetails


class ObjectionDecidedDetails(_Details):
    """The DPO's outcome and who decided (the reasons stay with the decision record)."""

    objection_id: _RecordId
    outcome: Literal["upheld", "rejected"]
    decided_by: _Id


class ObjectionDecidedDraft(EntryDraft):
    """The DPO upholding or rejecting an objection: if upheld, the purpose stops for the subject."""

    kind: Literal["objection.decided"] = "objection.decided"
    purpose: _Code
    lawful_basis: _Code
    subject: _Id
    recipient_org: Literal[""] = ""
    categories: _Categories
    channel: Channel
    details: ObjectionDecidedDetails


# ----------------------------------------------------------------------------- agreements


class AgreementRecordedDetails(_Details):
    """The terms of one data sharing agreement version, as recorded."""

    version: Annotated[SafeInt, Field(ge=1)]
    starts_on: _Text
    ends_on: _Text
    supersedes: _RecordId | None
    purposes: tuple[_Code, ...] = Field(min_length=1)
    grants: tuple[_Text, ...] = Field(min_length=1)
    recorded_by: _Id


class AgreementRecordedDraft(EntryDraft):
    """A data sharing agreement version between the force and one employer.

    It concerns an organisation, not a person: ``subject`` stays empty.
    """

    kind: Literal["agreement.recorded"] = "agreement.recorded"
    subject: Literal[""] = ""
    recipient_org: _Id
    categories: _Categories
    agreement_ids: Annotated[tuple[_RecordId, ...], Field(min_length=1, max_length=1)]
    channel: Channel
    details: AgreementRecordedDetails


# ----------------------------------------------------------------------------- volume alerts


class VolumeAlertDetails(_Details):
    """The alert acknowledged: the day, how many disclosures it saw, and who acknowledged it."""

    alert_id: _RecordId
    day: _Text
    disclosures: Annotated[SafeInt, Field(ge=0)]
    acknowledged_by: _Id


class VolumeAlertAcknowledgedDraft(EntryDraft):
    """The DPO acknowledging a day of unusually many disclosures to one recipient for a purpose.

    It concerns a recipient's volume, not a person: ``subject`` stays empty.
    """

    kind: Literal["alert.acknowledged"] = "alert.acknowledged"
    purpose: _Code
    subject: Literal[""] = ""
    recipient_org: _Id
    channel: Channel
    details: VolumeAlertDetails


# ----------------------------------------------------------------------------- retention


class RetentionRunDetails(_Details):
    """One step of a retention run: what was found past its time (``found``) or erased
    (``erased``), per record kind as ``kind:count``, and who asked or approved.

    Counts only: the run's rows name the persons due, the ledger never does.
    """

    run_id: _RecordId
    step: Literal["found", "erased"]
    schedule_version: _Text
    counts: tuple[_Text, ...]
    persons_due: Annotated[SafeInt, Field(ge=0)]
    decided_by: _Id


class RetentionRunDraft(EntryDraft):
    """A retention run found what has passed its time, or erased it on the DPO's approval.

    It concerns the force's holdings as a whole, not one person: ``subject`` stays empty.
    """

    kind: Literal["retention.run"] = "retention.run"
    purpose: _Code
    lawful_basis: _Code
    subject: Literal[""] = ""
    channel: Channel
    details: RetentionRunDetails


# ----------------------------------------------------------------------------- erasure


class ErasureDetails(_Details):
    """Which erasure record this is and who decided it (what went is counted in that record)."""

    erasure_id: _RecordId
    decided_by: _Id


class ErasureRecordedDraft(EntryDraft):
    """A person's data erased (UK GDPR Art. 17 or the retention schedule).

    It names no subject: an entry linking the erased pseudonym to its erasure would tell anyone
    reading the log which chain of entries belonged to someone who asked to be forgotten, and it
    is not needed, since no link from the pseudonym to the person is left to cut later.
    """

    kind: Literal["erasure.recorded"] = "erasure.recorded"
    subject: Literal[""] = ""
    channel: Channel
    details: ErasureDetails


class ErasureRequestDetails(_Details):
    """One step of an Art. 17 erasure request: received, approved or refused.

    ``made_by`` says who put the request in (the volunteer, or the DPO recording one received by
    letter); ``due_on`` is the statutory one-month date; ``ground`` the Art. 17(3) code of a
    refusal (empty otherwise). No free text: the reasons live in the request's row.
    """

    request_id: _RecordId
    step: Literal["received", "approved", "refused"]
    made_by: Literal["volunteer", "dpo"]
    due_on: _Text
    ground: Annotated[StrictStr, Field(max_length=40)] = ""
    decided_by: Annotated[StrictStr, Field(max_length=64)] = ""


class ErasureRequestDraft(EntryDraft):
    """An erasure request (UK GDPR Art. 17) received or decided.

    Like ``erasure.recorded`` it names no subject: the request's row leads to the volunteer only
    until the erasure reduces it, and an entry in the pseudonym's chain would tell anyone reading
    the log which chain asked to be forgotten.
    """

    kind: Literal["erasure.request"] = "erasure.request"
    purpose: _Code
    lawful_basis: _Code
    subject: Literal[""] = ""
    channel: Channel
    details: ErasureRequestDetails
