"""The one disclosure gate: every read of a volunteer's data by anyone but that volunteer.

Employers, the DPO and integrations get volunteer data only from :class:`DisclosureGate`. Per
subject and data category it decides, from committed state at the time of the request:

1. the purpose exists and is one this kind of recipient may use (``audience`` in the vocabulary);
2. (recipient organisations: employers, other police forces, partners) the volunteer is linked
   to the recipient organisation today (an ``employment`` row: works for the employer, is
   transferring to or from the force or applied to it too, has their application processed by
   the partner; ``starts_on <= today <= ends_on``, open-ended when ``ends_on`` is empty), and
   a link to a force or a partner was made for this purpose (its ``reasons``);
3. (recipient organisations) the agreement in force (the highest version whose ``starts_on``
   has come) has not ended, names the purpose, and names the category for it;
4. the volunteer currently consents to that organisation, purpose and category when the purpose's
   lawful basis is consent: the latest consent event is ``given`` and not expired;
5. the category is one the purpose may ever use and, when the caller narrowed the request, one it
   asked for.

What passes is projected to exactly the permitted categories (each category releases fixed
fields, see ``portal/vocabulary/purposes.json``), one ``disclosure`` entry per subject is appended
to the ledger, and only once that append is durable is the data returned. If the ledger cannot be
written, :class:`ServiceUnavailable` is raised and nothing is returned (fail closed). Refusals are
recorded (append-only, with a reason code) and are not disclosures. An employer asking about
someone outside its organisation, or an id that names nobody, gets the same :class:`NotFound`.

Category sources (``portal.disclosure.sources``): ``identity`` and ``status`` come from the
volunteer record and ``application`` is derived from the status; every other field comes from a
source registered on the gate's :class:`CategorySources` when the app is built (hours registers
``hours.summary``, ``hours.detail`` and ``training``). The gate is built once
(``portal.gates.build_gate``) and handed to every caller by dependency injection. A category
nothing fills is not released and not ledgered, so an entry never names data that did not leave;
a subject left with no category is refused as ``no_data``. Dates ("today") are London dates.

Messages (``disclose_contact``): a volunteer's email address or phone number given to the
messaging provider that carries a message to them, for ``communication.notification``; the
volunteer must have chosen the channel in their contact preferences, except for account-security
email (an invitation, a password reset). See ``docs/MESSAGES.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from piccolo.querystring import QueryString

from ledger import Ledger
from ledger.kinds import DisclosureDetails, DisclosureDraft
from ledger.proofs import Receipt
from portal.agreements.rules import CURRENT_VERSION_SQL
from portal.clock import Clock, local_date, utcnow
from portal.consent.objections import upheld_for
from portal.consent.tables import ConsentState
from portal.dbutil import FixedQuery, as_date, as_moment, json_parts_select, json_rows, json_value
from portal.disclosure.contact import (
    CHANNEL_CATEGORY,
    NOTIFICATION_PURPOSE,
    ContactRefused,
    ContactReleased,
    ensure_provider,
)
from portal.disclosure.decision import AgreementFacts, ConsentFacts, Decision, decide
from portal.disclosure.notice_names import NAME_CATEGORY, NoticeSubject, name_was_received
from portal.disclosure.recipient import (
    Recipient as Recipient,  # re-exported: callers import it here
)
from portal.disclosure.sources import (
    VOLUNTEER_COLUMNS,
    VOLUNTEER_FIELDS,
    CategorySources,
    FieldProvider,
    row_value,
    volunteer_select,
)
from portal.disclosure.tables import DisclosureRefusal, RefusalReason
from portal.errors import Forbidden, InvalidInput, NotFound, ServiceUnavailable
from portal.ids import parse_id
from portal.organisations.links import link_reasons
from portal.organisations.rules import employed_on_sql
from portal.organisations.tables import Employment, Volunteer
from portal.vocabulary import RECIPIENT_AUDIENCES, LawfulBasis, Purpose, vocabulary

log = structlog.get_logger(__name__)

DPO_AUDIT = "dpo.audit"
NOT_FOUND_DETAIL = "No staff member with this id is visible to you for this purpose"
#: Staff per page when a caller wants them all: one ledger append (one durable commit) per page.
STAFF_PAGE = 1000

# --------------------------------------------------------------------------------------------
# Projection: a category releases fixed fields, nothing else
# --------------------------------------------------------------------------------------------


def _filled(category: str, provided: Mapping[str, Any]) -> bool:
    """Whether releasing ``category`` would give out data (not only empty placeholders)."""
    fields = vocabulary().fields_of((category,))
    return any(name in provided or name in VOLUNTEER_FIELDS for name in fields)


def project(
    row: Mapping[str, Any],
    categories: Iterable[str],
    provided: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Exactly the fields ``categories`` release, from the provider or the volunteer row."""
    fields = vocabulary().fields_of(tuple(categories))
    provided = provided or {}
    return {name: provided[name] if name in provided else row_value(name, row) for name in fields}


# --------------------------------------------------------------------------------------------
# The gate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    """One subject's data, released after its disclosure entry was committed."""

    volunteer_id: str
    subject: str
    purpose: str
    categories: tuple[str, ...]
    data: dict[str, Any]
    receipt: Receipt
    consent_ids: tuple[str, ...]
    agreement_ids: tuple[str, ...]


@dataclass(frozen=True)
class StaffPage:
    items: list[Released]
    next_cursor: str | None


@dataclass(frozen=True)
class _Candidate:
    row: Mapping[str, Any]
    decision: Decision

    @property
    def volunteer_id(self) -> str:
        return str(self.row["volunteer_id"])


# The gate's reads are fixed statements run directly on the engine: they are on the path of every
# disclosure, and building them through the query builder cost more CPU than running them.
# The columns and the employment rule are constants of the code (never input); values are bound.
_STAFF_SELECT = (
    f"SELECT {volunteer_select('v')}, e.reasons AS link_reasons "  # noqa: S608
    f"FROM employment e JOIN volunteer v "
    f"ON v.id = e.volunteer WHERE e.employer = {{}} AND {employed_on_sql('e')}"
)
_VOLUNTEER = f"SELECT {volunteer_select('v')} FROM volunteer v WHERE v.id = {{}}"  # noqa: S608
_VOLUNTEERS = f"SELECT {volunteer_select('v')} FROM volunteer v WHERE v.id IN ({{ids}})"  # noqa: S608
_ONE_STAFF = _STAFF_SELECT + " AND e.volunteer = {} LIMIT 1"
_STAFF_PAGE = _STAFF_SELECT + " ORDER BY v.id LIMIT {}"
_STAFF_PAGE_AFTER = _STAFF_SELECT + " AND e.volunteer > {} ORDER BY v.id LIMIT {}"
_CONSENTS = (
    "SELECT id, volunteer, category, state, expires_at, ledger_index FROM consent_event "
    "WHERE employer = {{}} AND purpose = {{}} AND volunteer IN ({ids}) ORDER BY ledger_index"
)


def _engine() -> Any:
    return Employment._meta.db


async def _fetch(template: str, *args: Any) -> list[dict[str, Any]]:
    engine = _engine()
    if engine.engine_type == "sqlite":  # dates are stored as ISO text; say so, not via adapters
        args = tuple(a.isoformat() if isinstance(a, dt.date) else a for a in args)
    rows: list[dict[str, Any]] = await engine.run_querystring(QueryString(template, *args))
    return rows


# One staff member's facts (the volunteer row if employed today, the agreement version in force,
# the consent events for the purpose) in one statement: one round trip and one snapshot.
_FACT_COLUMNS = {
    "staff": ("volunteer_id", "subject", *VOLUNTEER_COLUMNS, "link_reasons"),
    "agreement": ("id", "version", "purposes", "starts_on", "ends_on"),
    "consents": ("id", "volunteer", "category", "state", "expires_at", "ledger_index"),
}
_ONE_FACTS = json_parts_select(
    {
        "staff": (_ONE_STAFF, _FACT_COLUMNS["staff"]),
        "agreement": (CURRENT_VERSION_SQL, _FACT_COLUMNS["agreement"]),
        "consents": (
            "SELECT id, volunteer, category, state, expires_at, ledger_index FROM consent_event "
            "WHERE employer = {} AND purpose = {} AND volunteer = {}",
            _FACT_COLUMNS["consents"],
        ),
    }
)
_ONE_FACTS_QUERY = FixedQuery(_ONE_FACTS, Employment)


def _agreement_facts(row: Mapping[str, Any]) -> AgreementFacts:
    purposes = json_value(row["purposes"])
    return AgreementFacts(
        id=str(row["id"]),
        version=int(row["version"]),
        purposes={str(k): tuple(v) for k, v in dict(purposes).items()},
        starts_on=as_date(row["starts_on"]),
        ends_on=as_date(row["ends_on"]),
    )


def _consent_facts(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, ConsentFacts]]:
    """Latest consent event per volunteer and category (``rows`` in any order)."""
    latest: dict[str, dict[str, ConsentFacts]] = {}
    for row in sorted(rows, key=lambda r: int(r["ledger_index"])):
        latest.setdefault(str(row["volunteer"]), {})[row["category"]] = ConsentFacts(
            id=str(row["id"]),
            state=row["state"],
            expires_at=None if row["expires_at"] is None else as_moment(row["expires_at"]),
            ledger_index=int(row["ledger_index"]),
        )
    return latest


def _link_reasons(recipient: Recipient, row: Mapping[str, Any]) -> frozenset[str] | None:
    """The purposes the row's link serves (``None``: a link not bound to reasons)."""
    return link_reasons(recipient.kind, json_value(row["link_reasons"]))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str, limit: int) -> str:
    """What a caller sent, safe to store and log: control characters (NUL!) replaced, cut."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)[:limit]


class DisclosureGate:
    """The only way volunteer data leaves the server for anyone but the volunteer."""

    def __init__(self, ledger: Ledger, sources: CategorySources, clock: Clock = utcnow) -> None:
        self.ledger = ledger
        self.sources = sources
        self.clock = clock

    # ----------------------------------------------------------------------------- facts

    @staticmethod
    async def _staff(
        organisation_id: str,
        today: dt.date,
        *,
        volunteer_id: str | None = None,
        after: str | None = None,
        limit: int = 1,
    ) -> list[dict[str, Any]]:
        """Volunteers employed by the organisation today (one, or a page ordered by id)."""
        if volunteer_id is not None:
            return await _fetch(_ONE_STAFF, organisation_id, today, today, volunteer_id)
        if after is not None:
            return await _fetch(_STAFF_PAGE_AFTER, organisation_id, today, today, after, limit)
        return await _fetch(_STAFF_PAGE, organisation_id, today, today, limit)

    async def _agreement(self, organisation_id: str, today: dt.date) -> AgreementFacts | None:
        rows = await _fetch(CURRENT_VERSION_SQL, organisation_id, today)
        return _agreement_facts(rows[0]) if rows else None

    async def _consents(
        self, organisation_id: str, purpose: str, volunteer_ids: Sequence[str]
    ) -> dict[str, dict[str, ConsentFacts]]:
        """Latest consent event per volunteer and category."""
        if not volunteer_ids:
            return {}
        template = _CONSENTS.format(ids=", ".join("{}" for _ in volunteer_ids))
        return _consent_facts(await _fetch(template, organisation_id, purpose, *volunteer_ids))

    @staticmethod
    async def _one_facts(
        organisation_id: str, today: dt.date, volunteer_id: str, purpose: Purpose
    ) -> tuple[dict[str, Any] | None, AgreementFacts | None, dict[str, ConsentFacts]]:
        """One staff member's row (None unless employed today), the agreement in force and
        the latest consents, read in one statement."""
        (row,) = await _ONE_FACTS_QUERY.rows(
            organisation_id,
            today,
            today,
            volunteer_id,
            organisation_id,
            today,
            organisation_id,
            purpose.code,
            volunteer_id,
        )
        staff = json_rows(row["staff"], _FACT_COLUMNS["staff"])
        agreements = json_rows(row["agreement"], _FACT_COLUMNS["agreement"])
        consents = (
            _consent_facts(json_rows(row["consents"], _FACT_COLUMNS["consents"]))
            if purpose.consent_required
            else {}
        )
        return (
            staff[0] if staff else None,
            _agreement_facts(agreements[0]) if agreements else None,
            consents.get(volunteer_id, {}),
        )

    # ----------------------------------------------------------------------------- refusals

    async def refuse(
        self,
        recipient: Recipient,
        reason: RefusalReason,
        *,
        purpose: str,
        request_id: str,
        requested_id: str = "",
        subject: str = "",
        categories: Iterable[str] = (),
    ) -> None:
        """Record a refused attempt (append-only). Never a disclosure, never ledgered."""
        try:
            await DisclosureRefusal.insert(
                DisclosureRefusal(
                    reason=reason.value,
                    purpose=_printable(purpose, 80),
                    subject=subject,
                    requested_id=_printable(requested_id, 64),
                    recipient_org=recipient.organisation_id,
                    recipient_user=recipient.user_id,
                    categories=sorted(set(categories)),
                    channel=recipient.channel,
                    request_id=request_id,
                    occurred_at=self.clock(),
                )
            )
        except Exception as exc:
            log.error(
                "disclosure.refusal_not_recorded",
                error=type(exc).__name__,
                reason=reason.value,
                organisation_id=recipient.organisation_id,
            )
            raise ServiceUnavailable(
                "The request was refused, and the refusal could not be recorded"
            ) from None
        log.info(
            "disclosure.refused",
            reason=reason.value,
            purpose=_printable(purpose, 80),
            organisation_id=recipient.organisation_id,
            user_id=recipient.user_id,
        )

    async def _subject_of(self, volunteer_id: str | None) -> str:
        if volunteer_id is None:
            return ""
        row = await Volunteer.select(Volunteer.subject).where(Volunteer.id == volunteer_id).first()
        return str(row["subject"]) if row else ""

    # ----------------------------------------------------------------------------- commit

    def _draft(
        self, recipient: Recipient, purpose: Purpose, candidate: _Candidate, request_id: str
    ) -> DisclosureDraft:
        decision = candidate.decision
        return DisclosureDraft(
            purpose=purpose.code,
            lawful_basis=purpose.lawful_basis.value,
            subject=str(candidate.row["subject"]),
            recipient_org=recipient.organisation_id,
            recipient_user=recipient.user_id,
            categories=decision.permitted,
            consent_ids=decision.consent_ids,
            agreement_ids=decision.agreement_ids,
            request_id=request_id,
            channel=recipient.channel,
            details=DisclosureDetails(fields=tuple(vocabulary().fields_of(decision.permitted))),
        )

    async def _release(
        self,
        recipient: Recipient,
        purpose: Purpose,
        candidates: Sequence[_Candidate],
        request_id: str,
        provider: FieldProvider | None,
        today: dt.date,
    ) -> list[Released]:
        """Append one entry per subject; return the projected data only once it is durable.

        The registered sources fill fields outside the volunteer record, unless the caller
        brings its own ``provider`` (a report for a chosen period, a leave request).
        """
        if not candidates:
            return []
        provided: Mapping[str, Mapping[str, Any]] = {}
        provider = provider or self.sources.provider_for(recipient, today)
        if provider is not None:
            provided = await provider([(c.volunteer_id, c.decision.permitted) for c in candidates])
        narrowed = []
        for c in candidates:
            own = provided.get(c.volunteer_id) or {}
            kept = tuple(cat for cat in c.decision.permitted if _filled(cat, own))
            if kept:
                narrowed.append(replace(c, decision=replace(c.decision, permitted=kept)))
        candidates = narrowed
        if not candidates:
            return []
        data = [
            project(c.row, c.decision.permitted, provided.get(c.volunteer_id)) for c in candidates
        ]
        drafts = [self._draft(recipient, purpose, c, request_id) for c in candidates]
        try:
            receipts = await self.ledger.append(drafts)
        except Exception as exc:
            log.critical(
                "disclosure.ledger_write_failed",
                error=type(exc).__name__,
                purpose=purpose.code,
                organisation_id=recipient.organisation_id,
                user_id=recipient.user_id,
                subjects=len(drafts),
            )
            raise ServiceUnavailable(
                "The disclosure ledger cannot be written right now, so no data was released. "
                "Try again later."
            ) from None
        released = [
            Released(
                volunteer_id=c.volunteer_id,
                subject=str(c.row["subject"]),
                purpose=purpose.code,
                categories=c.decision.permitted,
                data=values,
                receipt=receipt,
                consent_ids=c.decision.consent_ids,
                agreement_ids=c.decision.agreement_ids,
            )
            for c, values, receipt in zip(candidates, data, receipts, strict=True)
        ]
        log.info(
            "disclosure.released",
            purpose=purpose.code,
            organisation_id=recipient.organisation_id,
            user_id=recipient.user_id,
            subjects=len(released),
            first_index=receipts[0].index,
        )
        return released

    # ----------------------------------------------------------------------------- purpose

    async def _purpose(
        self, recipient: Recipient, code: str, request_id: str, requested_id: str = ""
    ) -> Purpose:
        purpose = vocabulary().purpose(code)
        reason = None
        if purpose is None:
            reason = RefusalReason.UNKNOWN_PURPOSE
        elif purpose.audience != recipient.audience:
            reason = RefusalReason.PURPOSE_NOT_FOR_RECIPIENT
        if reason is not None or purpose is None:
            await self.refuse(
                recipient,
                reason or RefusalReason.UNKNOWN_PURPOSE,
                purpose=code,
                request_id=request_id,
                requested_id=requested_id,
            )
            usable = sorted(
                p.code for p in vocabulary().purposes if p.audience == recipient.audience
            )
            raise InvalidInput(
                "purpose: not a purpose you may use",
                errors=[{"field": "purpose", "message": "use one of " + ", ".join(usable)}],
            )
        return purpose

    @staticmethod
    def _requested(categories: Iterable[str] | None) -> frozenset[str] | None:
        if categories is None:
            return None
        wanted = frozenset(categories)
        unknown = sorted(wanted - set(vocabulary().category_map))
        if unknown:
            raise InvalidInput(
                "categories: unknown category",
                errors=[{"field": "categories", "message": "unknown: " + ", ".join(unknown)}],
            )
        return wanted

    # ----------------------------------------------------------------------------- employer reads

    async def disclose_one(
        self,
        recipient: Recipient,
        purpose_code: str,
        volunteer_id: str,
        *,
        request_id: str,
        categories: Iterable[str] | None = None,
        provider: FieldProvider | None = None,
        required: Iterable[str] = (),
    ) -> Released:
        """One staff member of the recipient organisation, or :class:`NotFound`.

        ``required``: categories without which the caller has no use for the rest; unless all
        of them pass, nothing is released (and the refusal names why), so no entry records data
        the caller would only throw away.
        """
        if not recipient.is_organisation:
            raise Forbidden("Only a recipient organisation reads its people through this route")
        requested = self._requested(categories)
        purpose = await self._purpose(recipient, purpose_code, request_id, volunteer_id)
        now = self.clock()
        today = local_date(now)
        key = parse_id(volunteer_id)
        row = None
        agreement: AgreementFacts | None = None
        consents: dict[str, ConsentFacts] = {}
        if key is not None:
            row, agreement, consents = await self._one_facts(
                recipient.organisation_id, today, key, purpose
            )
        if row is None:
            await self.refuse(
                recipient,
                RefusalReason.OUTSIDE_ORGANISATION,
                purpose=purpose.code,
                request_id=request_id,
                requested_id=volunteer_id,
                subject=await self._subject_of(key),
                categories=requested or (),
            )
            raise NotFound(NOT_FOUND_DETAIL)
        decision = decide(
            purpose=purpose,
            audience=recipient.audience,
            employed=True,
            agreement=agreement,
            consents=consents,
            requested=requested,
            today=today,
            now=now,
            objected=await _objected(purpose, [str(key)]) == {str(key)},
            link_reasons=_link_reasons(recipient, row),
        )
        missing = [c for c in required if c not in decision.permitted]
        if decision.allowed and missing:
            held = decision.held_back.get(missing[0], RefusalReason.CATEGORY_NOT_IN_AGREEMENT)
            decision = replace(decision, permitted=(), reason=held)
        if not decision.allowed:
            await self.refuse(
                recipient,
                decision.reason or RefusalReason.NO_CONSENT,
                purpose=purpose.code,
                request_id=request_id,
                requested_id=volunteer_id,
                subject=str(row["subject"]),
                categories=requested or purpose.categories,
            )
            raise NotFound(NOT_FOUND_DETAIL)
        return await self._release_one(
            recipient, purpose, _Candidate(row, decision), request_id, provider, volunteer_id, today
        )

    async def _release_one(
        self,
        recipient: Recipient,
        purpose: Purpose,
        candidate: _Candidate,
        request_id: str,
        provider: FieldProvider | None,
        requested_id: str,
        today: dt.date,
        not_found: str = NOT_FOUND_DETAIL,
    ) -> Released:
        """One subject released, or refused as ``no_data`` when nothing fills its categories."""
        released = await self._release(recipient, purpose, [candidate], request_id, provider, today)
        if not released:
            await self.refuse(
                recipient,
                RefusalReason.NO_DATA,
                purpose=purpose.code,
                request_id=request_id,
                requested_id=requested_id,
                subject=str(candidate.row["subject"]),
                categories=candidate.decision.permitted,
            )
            raise NotFound(not_found)
        return released[0]

    async def disclose_staff(
        self,
        recipient: Recipient,
        purpose_code: str,
        *,
        request_id: str,
        limit: int,
        after: str | None = None,
        categories: Iterable[str] | None = None,
        provider: FieldProvider | None = None,
    ) -> StaffPage:
        """The recipient organisation's permitted staff, ordered by id, ``limit`` at most.

        Staff the gate holds back are left out silently (a list is not an attempt on any one
        of them); a request the organisation has no agreement for is recorded as one refusal.
        """
        if not recipient.is_organisation:
            raise Forbidden("Only a recipient organisation reads its people through this route")
        requested = self._requested(categories)
        purpose = await self._purpose(recipient, purpose_code, request_id)
        now = self.clock()
        today = local_date(now)
        agreement = await self._agreement(recipient.organisation_id, today)
        probe = decide(
            purpose=purpose,
            audience=recipient.audience,
            employed=True,
            agreement=agreement,
            consents={c: _ALWAYS for c in purpose.categories},
            requested=requested,
            today=today,
            now=now,
        )
        if not probe.allowed:
            await self.refuse(
                recipient,
                probe.reason or RefusalReason.NO_AGREEMENT,
                purpose=purpose.code,
                request_id=request_id,
                categories=requested or purpose.categories,
            )
            return StaffPage(items=[], next_cursor=None)
        cursor = parse_id(after) if after else None
        if after and cursor is None:
            raise InvalidInput(
                "after: not a cursor from a previous page",
                errors=[{"field": "after", "message": "use next_cursor from a previous page"}],
            )
        chosen: list[_Candidate] = []
        batch = max(limit, 50)
        exhausted = False
        last_seen = cursor
        while len(chosen) < limit and not exhausted:
            rows = await self._staff(recipient.organisation_id, today, after=last_seen, limit=batch)
            exhausted = len(rows) < batch
            if not rows:
                break
            ids = [str(r["volunteer_id"]) for r in rows]
            consents = (
                await self._consents(recipient.organisation_id, purpose.code, ids)
                if purpose.consent_required
                else {}
            )
            objected = await _objected(purpose, ids)
            for row in rows:
                last_seen = str(row["volunteer_id"])
                decision = decide(
                    purpose=purpose,
                    audience=recipient.audience,
                    employed=True,
                    agreement=agreement,
                    consents=consents.get(last_seen, {}),
                    requested=requested,
                    today=today,
                    now=now,
                    objected=last_seen in objected,
                    link_reasons=_link_reasons(recipient, row),
                )
                if decision.allowed:
                    chosen.append(_Candidate(row, decision))
                    if len(chosen) == limit:
                        exhausted = exhausted and row is rows[-1]
                        break
        released = await self._release(recipient, purpose, chosen, request_id, provider, today)
        next_cursor = None if exhausted or not chosen else chosen[-1].volunteer_id
        return StaffPage(items=released, next_cursor=next_cursor)

    async def disclose_all_staff(
        self,
        recipient: Recipient,
        purpose_code: str,
        *,
        request_id: str,
        categories: Iterable[str],
        provider: FieldProvider | None = None,
    ) -> list[Released]:
        """Every permitted staff member of the recipient organisation, page after page.

        Each page is one ledger append (one durable commit) of up to :data:`STAFF_PAGE` entries.
        """
        wanted = list(categories)
        released: list[Released] = []
        after: str | None = None
        while True:
            page = await self.disclose_staff(
                recipient,
                purpose_code,
                request_id=request_id,
                limit=STAFF_PAGE,
                after=after,
                categories=wanted,
                provider=provider,
            )
            released.extend(page.items)
            if page.next_cursor is None:
                return released
            after = page.next_cursor

    async def disclose_one_or_none(
        self,
        recipient: Recipient,
        purpose_code: str,
        volunteer_id: str,
        *,
        request_id: str,
        categories: Iterable[str] | None = None,
        provider: FieldProvider | None = None,
        required: Iterable[str] = (),
    ) -> Released | None:
        """:meth:`disclose_one`, with ``None`` for "not found" (the refusal is still recorded)."""
        try:
            return await self.disclose_one(
                recipient,
                purpose_code,
                volunteer_id,
                request_id=request_id,
                categories=categories,
                provider=provider,
                required=required,
            )
        except NotFound:
            return None

    # ----------------------------------------------------------------------------- force reads

    async def disclose_to_force(
        self,
        recipient: Recipient,
        volunteer_id: str,
        *,
        request_id: str,
        purpose_code: str = DPO_AUDIT,
        categories: Iterable[str] | None = None,
        provider: FieldProvider | None = None,
    ) -> Released:
        """The force's own oversight read (the DPO): ledgered like any other disclosure."""
        if recipient.is_organisation:
            raise Forbidden("Recipient organisations read their people through their own routes")
        requested = self._requested(categories)
        purpose = await self._purpose(recipient, purpose_code, request_id, volunteer_id)
        key = parse_id(volunteer_id)
        rows = await _fetch(_VOLUNTEER, key) if key is not None else []
        row = rows[0] if rows else None
        if row is None:
            await self.refuse(
                recipient,
                RefusalReason.OUTSIDE_ORGANISATION,
                purpose=purpose.code,
                request_id=request_id,
                requested_id=volunteer_id,
            )
            raise NotFound("No volunteer has this id")
        now = self.clock()
        today = local_date(now)
        decision = decide(
            purpose=purpose,
            audience=recipient.audience,
            employed=True,
            agreement=None,
            consents={},
            requested=requested,
            today=today,
            now=now,
        )
        if not decision.allowed:
            await self.refuse(
                recipient,
                decision.reason or RefusalReason.CATEGORY_NOT_IN_AGREEMENT,
                purpose=purpose.code,
                request_id=request_id,
                requested_id=volunteer_id,
                subject=str(row["subject"]),
            )
            raise NotFound("No volunteer has this id")
        return await self._release_one(
            recipient,
            purpose,
            _Candidate(row, decision),
            request_id,
            provider,
            volunteer_id,
            today,
            "No volunteer has this id",
        )

    async def disclose_several_to_force(
        self,
        recipient: Recipient,
        volunteer_ids: Sequence[str],
        *,
        request_id: str,
        purpose_code: str = DPO_AUDIT,
        categories: Iterable[str] | None = None,
    ) -> list[Released]:
        """The force's oversight read of several people at once (the DPO's search results).

        One entry per person, appended in one batch before anything is returned, in the order
        asked. Ids that name nobody (a person removed since they were found) are left out: a
        search result is not an attempt on any one person.
        """
        if recipient.is_organisation:
            raise Forbidden("Recipient organisations read their people through their own routes")
        requested = self._requested(categories)
        purpose = await self._purpose(recipient, purpose_code, request_id)
        keys = list(dict.fromkeys(k for k in map(parse_id, volunteer_ids) if k is not None))
        if not keys:
            return []
        template = _VOLUNTEERS.format(ids=", ".join("{}" for _ in keys))
        rows = {str(r["volunteer_id"]): r for r in await _fetch(template, *keys)}
        now = self.clock()
        today = local_date(now)
        decision = decide(
            purpose=purpose,
            audience=recipient.audience,
            employed=True,
            agreement=None,
            consents={},
            requested=requested,
            today=today,
            now=now,
        )
        if not decision.allowed:
            await self.refuse(
                recipient,
                decision.reason or RefusalReason.CATEGORY_NOT_IN_AGREEMENT,
                purpose=purpose.code,
                request_id=request_id,
                categories=requested or (),
            )
            raise Forbidden("This purpose does not allow these categories")
        candidates = [_Candidate(rows[k], decision) for k in keys if k in rows]
        return await self._release(recipient, purpose, candidates, request_id, None, today)

    # ----------------------------------------------------------------------------- notices

    async def disclose_notice_names(
        self, recipient: Recipient, notices: Sequence[NoticeSubject], *, request_id: str
    ) -> dict[str, str]:
        """The names of the people withdrawal notices are about, by notice id.

        A notice must say whose data to stop using, but the consent it relied on has ended, so
        rules 3 and 4 cannot apply. Instead a name is shown only to the organisation the
        notice is addressed to (the caller's query ensures it) and only when that organisation
        already received it under the withdrawn consents (:mod:`portal.disclosure.notice_names`).
        Showing it is a disclosure: one ``disclosure`` entry per subject and purpose (category
        ``identity``, lawful basis legal obligation, the force's duty to tell the recipient,
        relying on the withdrawn consent records), appended before any name is returned.
        """
        if recipient.kind not in RECIPIENT_AUDIENCES:
            raise Forbidden("Only a recipient organisation receives withdrawal notices")
        named = [n for n in notices if await name_was_received(recipient.organisation_id, n)]
        if not named:
            return {}
        rows = await Volunteer.select(Volunteer.id, Volunteer.display_name).where(
            Volunteer.id.is_in([n.volunteer_id for n in named])
        )
        names = {str(r["id"]): str(r["display_name"]) for r in rows if r["display_name"]}
        shown = [n for n in named if n.volunteer_id in names]
        once = {(n.subject, n.purpose): n for n in shown}
        fields = tuple(vocabulary().fields_of((NAME_CATEGORY,)))
        drafts = [
            DisclosureDraft(
                purpose=n.purpose,
                lawful_basis=LawfulBasis.LEGAL_OBLIGATION.value,
                subject=n.subject,
                recipient_org=recipient.organisation_id,
                recipient_user=recipient.user_id,
                categories=(NAME_CATEGORY,),
                consent_ids=n.consent_ids,
                request_id=request_id,
                channel=recipient.channel,
                details=DisclosureDetails(fields=fields),
            )
            for n in once.values()
        ]
        if not drafts:
            return {}
        try:
            receipts = await self.ledger.append(drafts)
        except Exception as exc:
            log.critical(
                "disclosure.ledger_write_failed",
                error=type(exc).__name__,
                purpose="withdrawal-notice",
                organisation_id=recipient.organisation_id,
                user_id=recipient.user_id,
                subjects=len(drafts),
            )
            raise ServiceUnavailable(
                "The disclosure ledger cannot be written right now, so the notices cannot name "
                "anyone. Try again later."
            ) from None
        log.info(
            "disclosure.notice_names",
            organisation_id=recipient.organisation_id,
            user_id=recipient.user_id,
            subjects=len(drafts),
            first_index=receipts[0].index,
        )
        return {n.notice_id: names[n.volunteer_id] for n in shown}

    # ----------------------------------------------------------------------------- messages

    async def _refuse_contact(
        self,
        recipient: Recipient,
        reason: RefusalReason,
        *,
        request_id: str,
        volunteer_id: str,
        subject: str,
        category: str,
    ) -> ContactRefused:
        await self.refuse(
            recipient,
            reason,
            purpose=NOTIFICATION_PURPOSE,
            request_id=request_id,
            requested_id=volunteer_id,
            subject=subject,
            categories=(category,),
        )
        return ContactRefused(reason)

    async def disclose_contact(
        self,
        provider_name: str,
        volunteer_id: str,
        channel: str,
        *,
        request_id: str,
        security: bool = False,
        address: str = "",
        record: Callable[[int], Awaitable[None]] | None = None,
    ) -> ContactReleased:
        """A volunteer's email address (``email``) or phone number (``sms``) for the provider.

        Refused (recorded, :class:`ContactRefused` raised) when the volunteer did not choose the
        channel (``security`` messages excepted), objected to the purpose, or has no number.
        ``address``: the address to use instead of the volunteer record's (an account's sign-in
        address for account-security email). ``record`` runs inside the ledger's transaction
        with the entry's index, so the caller's own row commits with the entry or not at all.
        Raises :class:`ServiceUnavailable` when the ledger cannot be written: nothing leaves.
        """
        category, field = CHANNEL_CATEGORY[channel]
        provider = await ensure_provider(provider_name)
        recipient = Recipient("provider", provider, "", "system")
        purpose = vocabulary().purpose(NOTIFICATION_PURPOSE)
        assert purpose is not None, "communication.notification is in the vocabulary"
        key = parse_id(volunteer_id)
        row = (
            await Volunteer.select(
                Volunteer.subject,
                Volunteer.email,
                Volunteer.phone,
                Volunteer.contact_by_email,
                Volunteer.contact_by_sms,
            )
            .where(Volunteer.id == key)
            .first()
            if key is not None
            else None
        )
        refusal = dict(request_id=request_id, volunteer_id=volunteer_id, category=category)
        if row is None:
            raise await self._refuse_contact(
                recipient, RefusalReason.OUTSIDE_ORGANISATION, subject="", **refusal
            )
        subject = str(row["subject"])
        chosen = bool(row["contact_by_email" if channel == "email" else "contact_by_sms"])
        if not (chosen or security):
            raise await self._refuse_contact(
                recipient, RefusalReason.CHANNEL_NOT_CHOSEN, subject=subject, **refusal
            )
        now = self.clock()
        decision = decide(
            purpose=purpose,
            audience=recipient.audience,
            employed=True,
            agreement=None,
            consents={},
            requested=frozenset({category}),
            today=local_date(now),
            now=now,
            objected=not security and bool(await _objected(purpose, [str(key)])),
        )
        value = address or str(row["email" if channel == "email" else "phone"] or "")
        reason = decision.reason if not decision.allowed else None
        if reason is None and not value:
            reason = RefusalReason.NO_DATA
        if reason is not None:
            raise await self._refuse_contact(recipient, reason, subject=subject, **refusal)
        draft = DisclosureDraft(
            purpose=purpose.code,
            lawful_basis=purpose.lawful_basis.value,
            subject=subject,
            recipient_org=provider,
            categories=(category,),
            request_id=request_id,
            channel="system",
            details=DisclosureDetails(fields=(field,)),
        )
        try:
            async with self.ledger.appending() as tx:
                receipts = await tx.append([draft])
                if record is not None:
                    await record(receipts[0].index)
        except Exception as exc:
            log.critical(
                "disclosure.ledger_write_failed",
                error=type(exc).__name__,
                purpose=purpose.code,
                organisation_id=provider,
                subjects=1,
            )
            raise ServiceUnavailable(
                "The disclosure ledger cannot be written right now, so no data was released."
            ) from None
        log.info(
            "disclosure.released",
            purpose=purpose.code,
            organisation_id=provider,
            subjects=1,
            first_index=receipts[0].index,
        )
        return ContactReleased(
            value=value, category=category, ledger_index=receipts[0].index, provider_id=provider
        )


#: A stand-in consent used to ask "would anything pass if everyone consented?".
_ALWAYS = ConsentFacts(id="probe", state=ConsentState.GIVEN.value, expires_at=None, ledger_index=-1)


async def _objected(purpose: Purpose, volunteer_ids: Sequence[str]) -> set[str]:
    """The volunteers whose objection to ``purpose`` the DPO upheld (only a purpose that does
    not rely on consent can be objected to; for the others there is nothing to look up)."""
    if purpose.consent_required:
        return set()
    return await upheld_for(purpose.code, volunteer_ids)
