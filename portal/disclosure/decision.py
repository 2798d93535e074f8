"""The disclosure decision, as a pure function of the facts: no I/O, no clock of its own.

:func:`decide` says what may be released of one subject to one recipient for one purpose, and
why not; the gate (``portal.disclosure.gate``) gathers the facts, calls it, records refusals and
ledgers releases. Keeping it pure keeps every rule testable on its own, in the order the
module docstring of the gate states them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from portal.agreements.rules import in_force
from portal.consent.tables import ConsentState
from portal.disclosure.tables import RefusalReason
from portal.vocabulary import RECIPIENT_AUDIENCES, Purpose


@dataclass(frozen=True)
class AgreementFacts:
    id: str
    version: int
    purposes: Mapping[str, Sequence[str]]
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class ConsentFacts:
    """The latest consent event of one volunteer x employer x purpose x category."""

    id: str
    state: str
    expires_at: dt.datetime | None
    ledger_index: int


@dataclass(frozen=True)
class Decision:
    permitted: tuple[str, ...]
    reason: RefusalReason | None
    agreement_ids: tuple[str, ...] = ()
    consent_ids: tuple[str, ...] = ()
    #: Why each category that was considered but not released was held back.
    held_back: Mapping[str, RefusalReason] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return bool(self.permitted)


def _refused(reason: RefusalReason) -> Decision:
    return Decision(permitted=(), reason=reason)


_CONSENT_REASON_PRIORITY = (
    RefusalReason.CONSENT_WITHDRAWN,
    RefusalReason.CONSENT_EXPIRED,
    RefusalReason.NO_CONSENT,
)


def decide(
    *,
    purpose: Purpose | None,
    audience: str,
    employed: bool,
    agreement: AgreementFacts | None,
    consents: Mapping[str, ConsentFacts],
    requested: frozenset[str] | None,
    today: dt.date,
    now: dt.datetime,
    objected: bool = False,
    link_reasons: frozenset[str] | None = None,
) -> Decision:
    """What may be disclosed of one subject to one recipient for one purpose, and why not.

    ``consents`` maps a category to its latest consent event for this subject, recipient
    organisation and purpose. ``requested`` narrows the categories (``None``: all permitted).
    ``objected``: the DPO upheld the subject's objection to this purpose (UK GDPR Art. 21).
    ``link_reasons``: the purposes the subject's link to the organisation was made for (a
    link to another police force or a partner), ``None`` when the link is not bound to reasons
    (a job with an employer, or no organisation at all).
    """
    if purpose is None:
        return _refused(RefusalReason.UNKNOWN_PURPOSE)
    if purpose.audience != audience:
        return _refused(RefusalReason.PURPOSE_NOT_FOR_RECIPIENT)
    candidates = [c for c in purpose.categories if requested is None or c in requested]
    agreement_ids: tuple[str, ...] = ()
    if audience in RECIPIENT_AUDIENCES:
        agreed = _agreed(purpose, employed, link_reasons, agreement, candidates, today)
        if isinstance(agreed, Decision):
            return agreed
        candidates, agreement_ids = agreed, (agreement.id,) if agreement else ()
    elif not candidates:
        return _refused(RefusalReason.CATEGORY_NOT_IN_AGREEMENT)
    if objected:
        return Decision((), RefusalReason.OBJECTION_UPHELD, agreement_ids)
    if not purpose.consent_required:
        return Decision(tuple(sorted(candidates)), None, agreement_ids)
    return _consented(candidates, consents, agreement_ids, now)


def _agreed(
    purpose: Purpose,
    employed: bool,
    link_reasons: frozenset[str] | None,
    agreement: AgreementFacts | None,
    candidates: Sequence[str],
    today: dt.date,
) -> list[str] | Decision:
    """A recipient organisation's candidates its agreement in force names, or the refusal.

    The same rule for every kind of organisation: an employer's data sharing agreement, a
    police force's information sharing agreement, a partner's processing contract; and the
    volunteer must be linked to that organisation today (employed by it, transferring to or
    from it, or having their application processed by it), by a link made for this purpose
    when links to that organisation record their reasons."""
    if not employed:
        return _refused(RefusalReason.OUTSIDE_ORGANISATION)
    if link_reasons is not None and purpose.code not in link_reasons:
        return _refused(RefusalReason.PURPOSE_NOT_FOR_LINK)
    if agreement is None:
        return _refused(RefusalReason.NO_AGREEMENT)
    if not in_force(agreement.starts_on, agreement.ends_on, today):
        return _refused(RefusalReason.AGREEMENT_EXPIRED)
    named = agreement.purposes.get(purpose.code)
    if named is None:
        return _refused(RefusalReason.PURPOSE_NOT_IN_AGREEMENT)
    agreed = [c for c in candidates if c in named]
    if not agreed:
        return _refused(RefusalReason.CATEGORY_NOT_IN_AGREEMENT)
    return agreed


def _consent_refusal(latest: ConsentFacts | None, now: dt.datetime) -> RefusalReason | None:
    """Why the latest consent event does not allow release now (``None``: it does)."""
    if latest is None:
        return RefusalReason.NO_CONSENT
    if latest.state != ConsentState.GIVEN.value:
        return RefusalReason.CONSENT_WITHDRAWN
    if latest.expires_at is not None and latest.expires_at <= now:
        return RefusalReason.CONSENT_EXPIRED
    return None


def _consented(
    candidates: Sequence[str],
    consents: Mapping[str, ConsentFacts],
    agreement_ids: tuple[str, ...],
    now: dt.datetime,
) -> Decision:
    """The candidates the subject currently consents to, and why the others are held back."""
    permitted: list[str] = []
    consent_ids: list[str] = []
    held_back: dict[str, RefusalReason] = {}
    for category in candidates:
        reason = _consent_refusal(consents.get(category), now)
        if reason is None:
            permitted.append(category)
            consent_ids.append(consents[category].id)
        else:
            held_back[category] = reason
    if not permitted:
        reason = next(r for r in _CONSENT_REASON_PRIORITY if r in held_back.values())
        return Decision((), reason, agreement_ids, (), held_back)
    return Decision(
        tuple(sorted(permitted)), None, agreement_ids, tuple(sorted(consent_ids)), held_back
    )
