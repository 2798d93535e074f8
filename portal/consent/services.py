"""Consent (the volunteer's own) and the withdrawal notices a withdrawal issues to recipients.

A notice goes to whichever organisation received data under the withdrawn consent: an employer,
or another police force (``force.multi-force-application``); each reads it on its own notices
page and API (:mod:`portal.disclosure.notices`).

Every consent event is a set of append-only history rows committed in the same transaction as
its ledger entry; so is every withdrawal notice and acknowledgement, and the email telling the
employer's contacts that a notice waits (outbox, same transaction). Reading one's own consents
and giving or withdrawing them is not a disclosure: the volunteer is the subject.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from ledger import Ledger
from ledger.entries import Channel, EntryDraft
from ledger.kinds import (
    ConsentGivenDetails,
    ConsentGivenDraft,
    ConsentWithdrawnDetails,
    ConsentWithdrawnDraft,
    NoticeDetails,
    NoticeWithdrawalDraft,
)
from ledger.tables import LedgerEntry
from portal.accounts.contacts import contact_key, organisation_contacts
from portal.accounts.roles import NOTICE_PATHS
from portal.auth.identity import Identity
from portal.clock import local_date, utcnow
from portal.consent.schemas import (
    ConsentCurrent,
    ConsentGive,
    ConsentGiven,
    ConsentOverview,
    ConsentRecordOut,
    ConsentWithdraw,
    ConsentWithdrawn,
    NoticeIssued,
    NoticeOut,
)
from portal.consent.tables import (
    ConsentEvent,
    ConsentState,
    WithdrawalNotice,
)
from portal.consent.terms import agreed_terms, check_terms
from portal.dbutil import json_value
from portal.errors import Conflict, Forbidden
from portal.fielderrors import field_error
from portal.ledgering import recording
from portal.messages.outbox import enqueue
from portal.organisations.links import link_reasons
from portal.organisations.rules import not_ended_by
from portal.organisations.tables import Employment, Organisation, Volunteer
from portal.receipts import ReceiptOut
from portal.settings import Settings, get_settings
from portal.vocabulary import RECIPIENT_AUDIENCES, Purpose, notices, vocabulary

log = structlog.get_logger(__name__)

CONSENT_MAX_AGE = dt.timedelta(days=365)
_SCAN_PAGE = 500


def record_out(row: dict[str, Any]) -> ConsentRecordOut:
    return ConsentRecordOut(
        id=str(row["id"]),
        employer_id=str(row["employer"]),
        purpose=row["purpose"],
        category=row["category"],
        state=row["state"],
        notice_version=row["notice_version"],
        recorded_at=row["recorded_at"],
        expires_at=row["expires_at"],
        method=row["method"],
        ledger_index=int(row["ledger_index"]),
    )


def json_list(value: Any) -> list[str]:
    loaded = json_value(value)
    return [str(v) for v in loaded or []]


@dataclass(frozen=True)
class _Me:
    volunteer_id: str
    subject: str
    user_id: str


_LINK_COLUMNS = (
    Employment.volunteer,
    Employment.employer,
    Employment.employer.kind,
    Employment.reasons,
)


@dataclass(frozen=True)
class _Link:
    """A volunteer's current or future links to one organisation, as consent needs them: the
    purposes they were made for (``None``: a job with an employer, not bound to reasons)."""

    reasons: frozenset[str] | None

    @classmethod
    def of(cls, rows: Sequence[dict[str, Any]]) -> _Link | None:
        """The links in ``rows`` (one volunteer, one organisation) taken together, or ``None``
        when there are none: a purpose any of them was made for is one of theirs."""
        if not rows:
            return None
        kind = str(rows[0]["employer.kind"])
        recorded = [code for row in rows for code in json_list(row["reasons"])]
        return cls(link_reasons(kind, recorded))

    def check(self, purpose: Purpose) -> None:
        """Refuse consent for a purpose the link was not made for: the gate refuses every read
        through the link for it (``purpose_not_for_link``), so such a consent could never
        release anything, and recording it would mislead the volunteer."""
        if self.reasons is not None and purpose.code not in self.reasons:
            made_for = ", ".join(sorted(self.reasons)) or "no purpose"
            raise field_error(
                "purpose",
                f"your link to this organisation was made for {made_for}, not "
                f"{purpose.code}, so consent for it could not take effect",
            )


@dataclass
class _Known:
    """What :meth:`ConsentService.give` looks up per consent, fetched once for a bulk call:
    each volunteer's subject, their current or future jobs (as ``not_ended_by`` today), and
    each employer's agreed terms (looked up on first use)."""

    subjects: dict[str, str]
    links: dict[tuple[str, str], _Link]
    agreed: dict[str, dict[str, list[str]] | None]

    @classmethod
    async def fetch(cls, volunteer_ids: list[str], today: dt.date) -> _Known:
        wanted = sorted({v for v in volunteer_ids if v})
        subjects: dict[str, str] = {}
        rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            for row in await Volunteer.select(Volunteer.id, Volunteer.subject).where(
                Volunteer.id.is_in(part)
            ):
                subjects[str(row["id"])] = str(row["subject"])
            for row in await Employment.select(*_LINK_COLUMNS).where(
                Employment.volunteer.is_in(part) & not_ended_by(today)
            ):
                rows.setdefault((str(row["volunteer"]), str(row["employer"])), []).append(row)
        links = {key: link for key, found in rows.items() if (link := _Link.of(found)) is not None}
        return cls(subjects, links, {})

    def me(self, identity: Identity) -> _Me:
        subject = self.subjects.get(identity.volunteer_id or "")
        if subject is None:
            raise Forbidden("This account is not linked to a volunteer record")
        return _Me(str(identity.volunteer_id), subject, identity.user_id)

    async def terms(self, ledger: Ledger, employer_id: str) -> dict[str, list[str]] | None:
        if employer_id not in self.agreed:
            self.agreed[employer_id] = await agreed_terms(ledger, employer_id)
        return self.agreed[employer_id]


@dataclass(frozen=True)
class _Gift:
    """A consent that passed every check: its ledger draft, and its rows once it has an index."""

    me: _Me
    employer_id: str
    purpose: Purpose
    categories: list[str]
    ids: list[uuid.UUID]
    notice_version: str
    now: dt.datetime
    expires_at: dt.datetime
    channel: Channel
    draft: ConsentGivenDraft

    @property
    def volunteer_id(self) -> str:
        return self.me.volunteer_id

    def rows(self, ledger_index: int) -> list[ConsentEvent]:
        return [
            ConsentEvent(
                id=key,
                volunteer=self.me.volunteer_id,
                subject=self.me.subject,
                employer=self.employer_id,
                purpose=self.purpose.code,
                category=category,
                state=ConsentState.GIVEN.value,
                lawful_basis=self.purpose.lawful_basis.value,
                notice_version=self.notice_version,
                recorded_at=self.now,
                expires_at=self.expires_at,
                method=self.channel,
                actor_user=self.me.user_id,
                ledger_index=ledger_index,
            )
            for key, category in zip(self.ids, self.categories, strict=True)
        ]

    def logged(self, ledger_index: int) -> None:
        log.info(
            "consent.given",
            volunteer_id=self.me.volunteer_id,
            organisation_id=self.employer_id,
            purpose=self.purpose.code,
            categories=len(self.categories),
            ledger_index=ledger_index,
        )

    def answer(self, receipt: Any) -> ConsentGiven:
        return ConsentGiven(
            consent_ids=[str(i) for i in self.ids],
            employer_id=self.employer_id,
            purpose=self.purpose.code,
            categories=self.categories,
            notice_version=self.notice_version,
            expires_at=self.expires_at,
            receipt=ReceiptOut.of(receipt),
        )


class ConsentService:
    def __init__(
        self,
        ledger: Ledger,
        clock: Callable[[], dt.datetime] = utcnow,
        settings: Settings | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        #: For the messages a withdrawal notice sends (sender, links); the process's by default.
        self.settings = settings or get_settings()

    # ----------------------------------------------------------------------------- helpers

    @staticmethod
    async def _me(identity: Identity) -> _Me:
        if not identity.volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        row = (
            await Volunteer.select(Volunteer.subject)
            .where(Volunteer.id == identity.volunteer_id)
            .first()
        )
        if row is None:
            raise Forbidden("This account is not linked to a volunteer record")
        return _Me(identity.volunteer_id, str(row["subject"]), identity.user_id)

    @staticmethod
    def _consent_purpose(code: str) -> Purpose:
        purpose = vocabulary().purpose(code)
        if (
            purpose is None
            or purpose.audience not in RECIPIENT_AUDIENCES
            or not purpose.consent_required
        ):
            usable = sorted(
                p.code
                for p in vocabulary().purposes
                if p.consent_required and p.audience in RECIPIENT_AUDIENCES
            )
            raise field_error(
                "purpose", "not a purpose that relies on consent; use one of " + ", ".join(usable)
            )
        return purpose

    @staticmethod
    def _check_categories(purpose: Purpose, categories: list[str]) -> list[str]:
        outside = sorted(set(categories) - set(purpose.categories))
        if outside:
            raise field_error(
                "categories",
                f"{', '.join(outside)} cannot be shared for {purpose.code}; "
                f"choose from {', '.join(purpose.categories)}",
            )
        return sorted(set(categories))

    async def _employer_name(self, employer_id: str) -> str | None:
        row = (
            await Organisation.select(Organisation.name)
            .where(Organisation.id == employer_id)
            .first()
        )
        return str(row["name"]) if row else None

    async def _latest(self, volunteer_id: str) -> dict[tuple[str, str, str], dict[str, Any]]:
        rows = (
            await ConsentEvent.select()
            .where(ConsentEvent.volunteer == volunteer_id)
            .order_by(ConsentEvent.ledger_index)
        )
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in rows:
            latest[(str(row["employer"]), row["purpose"], row["category"])] = row
        return latest

    # ----------------------------------------------------------------------------- reads

    async def overview(self, identity: Identity, limit: int, offset: int) -> ConsentOverview:
        me = await self._me(identity)
        now = self.clock()
        latest = await self._latest(me.volunteer_id)
        names: dict[str, str | None] = {}
        current = []
        for (employer_id, purpose_code, category), row in sorted(latest.items()):
            if employer_id not in names:
                names[employer_id] = await self._employer_name(employer_id)
            state = row["state"]
            if state == ConsentState.GIVEN.value and row["expires_at"] and row["expires_at"] <= now:
                state = "expired"
            purpose = vocabulary().purpose(purpose_code)
            current.append(
                ConsentCurrent(
                    employer_id=employer_id,
                    employer_name=names[employer_id],
                    purpose=purpose_code,
                    purpose_label=purpose.label if purpose else None,
                    category=category,
                    state=state,
                    since=row["recorded_at"],
                    expires_at=row["expires_at"],
                    notice_version=row["notice_version"],
                    consent_id=str(row["id"]),
                )
            )
        total = await ConsentEvent.count().where(ConsentEvent.volunteer == me.volunteer_id)
        history = await (
            ConsentEvent.select()
            .where(ConsentEvent.volunteer == me.volunteer_id)
            .order_by(ConsentEvent.ledger_index, ascending=False)
            .order_by(ConsentEvent.category)
            .limit(limit)
            .offset(offset)
        )
        notice = notices().current(local_date(now))
        return ConsentOverview(
            notice=NoticeOut(**notice.model_dump()),
            current=current,
            history=[record_out(r) for r in history],
            history_total=total,
            limit=limit,
            offset=offset,
        )

    # ----------------------------------------------------------------------------- give

    async def give(
        self, identity: Identity, data: ConsentGive, *, request_id: str, channel: Channel
    ) -> ConsentGiven:
        prepared = await self._prepare_give(identity, data, request_id=request_id, channel=channel)
        async with recording(
            self.ledger, "consent.give_failed", volunteer_id=prepared.volunteer_id
        ) as tx:
            (receipt,) = await tx.append([prepared.draft])
            await ConsentEvent.insert(*prepared.rows(receipt.index))
        prepared.logged(receipt.index)
        return prepared.answer(receipt)

    async def give_many(
        self, gifts: Sequence[tuple[Identity, ConsentGive, str]], *, channel: Channel
    ) -> int:
        """Many consents at once (a loader's bulk path: the scaled demo), each checked exactly
        as :meth:`give` checks it, all appended to the ledger in one transaction with their
        rows, so the ledger and the consent history agree as if each had been given alone.
        ``gifts`` are (identity, consent, request id). Returns the consent records written."""
        known = await _Known.fetch(
            [identity.volunteer_id or "" for identity, _, _ in gifts], local_date(self.clock())
        )
        prepared = [
            await self._prepare_give(identity, data, request_id=rid, channel=channel, known=known)
            for identity, data, rid in gifts
        ]
        if not prepared:
            return 0
        written = 0
        async with recording(self.ledger, "consent.give_many_failed") as tx:
            receipts = await tx.append([p.draft for p in prepared])
            rows = [row for p, r in zip(prepared, receipts, strict=True) for row in p.rows(r.index)]
            for start in range(0, len(rows), 500):
                await ConsentEvent.insert(*rows[start : start + 500])
            written = len(rows)
        log.info("consent.given_many", consents=len(prepared), records=written)
        return written

    async def _prepare_give(
        self,
        identity: Identity,
        data: ConsentGive,
        *,
        request_id: str,
        channel: Channel,
        known: _Known | None = None,
    ) -> _Gift:
        """Every check of a consent, and what recording it writes (not yet written).

        ``known``: the same facts fetched at once for the consents of one bulk call."""
        me = known.me(identity) if known else await self._me(identity)
        purpose = self._consent_purpose(data.purpose)
        categories = self._check_categories(purpose, data.categories)
        now = self.clock()
        current = notices().current(local_date(now))
        if data.notice_version != current.version:
            published = notices().get(data.notice_version)
            message = (
                f"notice {data.notice_version} has been replaced by {current.version}: "
                "read the current privacy notice and consent against it"
                if published
                else f"unknown notice version; the current one is {current.version}"
            )
            raise field_error("notice_version", message)
        if not current.describes(purpose.code):
            raise field_error(
                "purpose",
                f"the privacy notice in force ({current.version}) does not describe "
                f"{purpose.code}, so consent to it could not be informed",
            )
        expires_at = data.expires_at or now + CONSENT_MAX_AGE
        if expires_at <= now:
            raise field_error("expires_at", "must be in the future")
        if expires_at > now + CONSENT_MAX_AGE + dt.timedelta(minutes=5):
            raise field_error("expires_at", "must be at most 12 months ahead")
        employer_id = str(data.employer_id)
        link = (
            known.links.get((me.volunteer_id, employer_id))
            if known
            else _Link.of(
                await Employment.select(*_LINK_COLUMNS).where(
                    (Employment.volunteer == me.volunteer_id)
                    & (Employment.employer == employer_id)
                    & not_ended_by(local_date(now))
                )
            )
        )
        if link is None:
            raise field_error("employer_id", "you have no current or future job with this employer")
        link.check(purpose)
        agreed = (
            await known.terms(self.ledger, employer_id)
            if known
            else await agreed_terms(self.ledger, employer_id)
        )
        check_terms(agreed, purpose, categories)
        ids = [uuid.uuid4() for _ in categories]
        draft = ConsentGivenDraft(
            purpose=purpose.code,
            lawful_basis=purpose.lawful_basis.value,
            subject=me.subject,
            recipient_org=employer_id,
            categories=tuple(categories),
            consent_ids=tuple(str(i) for i in ids),
            request_id=request_id,
            channel=channel,
            details=ConsentGivenDetails(
                notice_version=current.version,
                expires_at=expires_at.astimezone(dt.UTC).isoformat(),
            ),
        )
        return _Gift(
            me=me,
            employer_id=employer_id,
            purpose=purpose,
            categories=categories,
            ids=ids,
            notice_version=current.version,
            now=now,
            expires_at=expires_at,
            channel=channel,
            draft=draft,
        )

    # ----------------------------------------------------------------------------- withdraw

    async def _received_under(
        self, subject: str, employer_id: str, purpose: str, consent_ids: set[str], since: int
    ) -> bool:
        """Whether any disclosure to the employer relied on one of ``consent_ids``."""
        before: int | None = None
        while True:
            condition = (
                (LedgerEntry.subject == subject)
                & (LedgerEntry.kind == "disclosure")
                & (LedgerEntry.recipient_org == employer_id)
                & (LedgerEntry.purpose == purpose)
                & (LedgerEntry.idx > since)
            )
            if before is not None:
                condition = condition & (LedgerEntry.idx < before)
            rows = await (
                LedgerEntry.select(LedgerEntry.idx, LedgerEntry.body)
                .where(condition)
                .order_by(LedgerEntry.idx, ascending=False)
                .limit(_SCAN_PAGE)
            )
            for row in rows:
                body = json.loads(bytes(row["body"]))
                if consent_ids.intersection(body.get("consent_ids", [])):
                    return True
            if len(rows) < _SCAN_PAGE:
                return False
            before = int(rows[-1]["idx"])

    async def _tell_recipient(self, organisation_id: str, notice_id: uuid.UUID) -> None:
        """Email the recipient organisation's contacts (an employer's, another police force's
        or a partner's) that a withdrawal notice waits, with the link to their own notices
        page (in the notice's transaction)."""
        row = (
            await Organisation.select(Organisation.kind)
            .where(Organisation.id == organisation_id)
            .first()
        )
        path = NOTICE_PATHS.get(str(row["kind"]) if row else "", NOTICE_PATHS["employer"])
        link = f"{self.settings.base_url}{path}"
        for address in await organisation_contacts(organisation_id):
            await enqueue(
                self.settings,
                kind="withdrawal_notice",
                channel="email",
                recipient=address,
                idempotency_key=f"withdrawal_notice:{notice_id}:{contact_key(address)}",
                context={"link": link},
            )

    async def withdraw(
        self, identity: Identity, data: ConsentWithdraw, *, request_id: str, channel: Channel
    ) -> ConsentWithdrawn:
        me = await self._me(identity)
        purpose = self._consent_purpose(data.purpose)
        wanted = self._check_categories(purpose, data.categories) if data.categories else None
        employer_id = str(data.employer_id)
        now = self.clock()
        latest = await self._latest(me.volunteer_id)
        given = {
            category: row
            for (employer, code, category), row in latest.items()
            if employer == employer_id
            and code == purpose.code
            and row["state"] == ConsentState.GIVEN.value
            and (wanted is None or category in wanted)
        }
        if not given:
            raise Conflict(
                "Nothing to withdraw: you have no consent on record for this employer, purpose "
                "and categories",
                errors=[{"field": "categories", "message": "no consent given for these"}],
            )
        categories = sorted(given)
        withdrawn_ids = sorted(str(row["id"]) for row in given.values())
        since = min(int(row["ledger_index"]) for row in given.values())
        notify = await self._received_under(
            me.subject, employer_id, purpose.code, set(withdrawn_ids), since
        )
        ids = [uuid.uuid4() for _ in categories]
        drafts: list[EntryDraft] = [
            ConsentWithdrawnDraft(
                purpose=purpose.code,
                lawful_basis=purpose.lawful_basis.value,
                subject=me.subject,
                recipient_org=employer_id,
                categories=tuple(categories),
                consent_ids=tuple(str(i) for i in ids),
                request_id=request_id,
                channel=channel,
                details=ConsentWithdrawnDetails(withdraws=tuple(withdrawn_ids)),
            )
        ]
        notice_id = uuid.uuid4()
        if notify:
            drafts.append(
                NoticeWithdrawalDraft(
                    purpose=purpose.code,
                    lawful_basis=purpose.lawful_basis.value,
                    subject=me.subject,
                    recipient_org=employer_id,
                    categories=tuple(categories),
                    consent_ids=tuple(withdrawn_ids),
                    request_id=request_id,
                    channel="system",
                    details=NoticeDetails(notice_id=str(notice_id)),
                )
            )
        async with recording(
            self.ledger, "consent.withdraw_failed", volunteer_id=me.volunteer_id
        ) as tx:
            receipts = await tx.append(drafts)
            await ConsentEvent.insert(
                *[
                    ConsentEvent(
                        id=key,
                        volunteer=me.volunteer_id,
                        subject=me.subject,
                        employer=employer_id,
                        purpose=purpose.code,
                        category=category,
                        state=ConsentState.WITHDRAWN.value,
                        lawful_basis=purpose.lawful_basis.value,
                        notice_version=notices().current(local_date(now)).version,
                        recorded_at=now,
                        expires_at=None,
                        method=channel,
                        actor_user=me.user_id,
                        ledger_index=receipts[0].index,
                    )
                    for key, category in zip(ids, categories, strict=True)
                ]
            )
            if notify:
                await WithdrawalNotice.insert(
                    WithdrawalNotice(
                        id=notice_id,
                        employer=employer_id,
                        volunteer=me.volunteer_id,
                        subject=me.subject,
                        purpose=purpose.code,
                        categories=categories,
                        consent_ids=withdrawn_ids,
                        issued_at=now,
                        ledger_index=receipts[1].index,
                    )
                )
                await self._tell_recipient(employer_id, notice_id)
        log.info(
            "consent.withdrawn",
            volunteer_id=me.volunteer_id,
            organisation_id=employer_id,
            purpose=purpose.code,
            categories=len(categories),
            notices=len(receipts) - 1,
            ledger_index=receipts[0].index,
        )
        issued = (
            [
                NoticeIssued(
                    notice_id=str(notice_id),
                    employer_id=employer_id,
                    receipt=ReceiptOut.of(receipts[1]),
                )
            ]
            if notify
            else []
        )
        return ConsentWithdrawn(
            consent_ids=[str(i) for i in ids],
            withdrawn_consent_ids=withdrawn_ids,
            employer_id=employer_id,
            purpose=purpose.code,
            categories=categories,
            receipt=ReceiptOut.of(receipts[0]),
            notices=issued,
        )


__all__ = ["ConsentService"]
