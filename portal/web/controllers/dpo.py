"""Pages for the force's data protection officer: the ledger, subject reports, refusals,
agreements ending soon, and the ledger's integrity.

The pages call ``DpoService`` and ``AgreementService`` as the DPO API does; a subject report is
read through the gate under ``dpo.audit`` (ledgered before it is shown). Downloads link to the
API's own export routes, which the signed-in browser may call with its session.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import structlog
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from ledger import Ledger, VerificationRunningError
from ledger.cosignature import CosignatureVerifier
from ledger.witnessing import CosignatureStore
from portal.accounts.roles import Role
from portal.agreements.services import AgreementService
from portal.alerts.services import VolumeService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.clock import LONDON, utcnow
from portal.contact.log import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS, dpo_summary
from portal.disclosure.gate import Recipient
from portal.disclosure.reasons import RefusalReason
from portal.disclosure.services import organisation_names
from portal.dpo.schemas import SubjectAccessReport
from portal.dpo.services import DpoService, LedgerFilter
from portal.ids import parse_id
from portal.organisations.services import OrganisationService
from portal.organisations.subjects import SUBJECT_ID
from portal.request_context import request_id
from portal.settings import Settings, WitnessSetting
from portal.vocabulary import vocabulary
from portal.web import labels
from portal.web.dates import DateAnswer
from portal.web.forms import query_int, query_text
from portal.web.labels import KINDS
from portal.web.pages import FormErrors, NavItem, register_navigation, render, see_other
from portal.web.webforms import Field, FormFields

log = structlog.get_logger(__name__)

register_navigation(
    Role.DPO,
    NavItem("/dpo/ledger", "Ledger"),
    NavItem("/dpo/subjects", "Subject reports"),
    NavItem("/dpo/refusals", "Refusals"),
    NavItem("/dpo/agreements", "Agreements ending"),
    NavItem("/dpo/integrity", "Integrity"),
    NavItem("/dpo/messages", "Messages"),
)

LEDGER_PAGE = 50
REFUSAL_PAGE = 50
ENDING_WITHIN_DAYS = 30
#: Open volume alerts listed on the home page (the rest are a link away).
HOME_ALERTS = 5
#: A report page lists this many disclosures; the CSV download has them all.
REPORT_ROWS_SHOWN = 500
#: The ledger search's text boxes, each also a ``LedgerFilter`` field of the same name.
SEARCH_TEXT = ("subject", "recipient", "purpose", "kind", "recipient_kind")
#: The ledger search, read from the query. The page's own links (next page, newest) carry each
#: date as one ISO value, which the date boxes also read.
SEARCH_FORM = FormFields(
    (
        Field("since", kind="date", label="The start date"),
        Field("until", kind="date", label="The end date"),
        *(Field(name, 80) for name in SEARCH_TEXT),
    )
)
REFUSAL_REASONS = {
    RefusalReason.OUTSIDE_ORGANISATION.value: "Outside the organisation, or no such person",
    RefusalReason.UNKNOWN_PURPOSE.value: "Unknown purpose",
    RefusalReason.PURPOSE_NOT_FOR_RECIPIENT.value: "Purpose not for this recipient",
    RefusalReason.PURPOSE_NOT_FOR_LINK.value: "The link was not made for this purpose",
    RefusalReason.NO_AGREEMENT.value: "No data sharing agreement",
    RefusalReason.AGREEMENT_EXPIRED.value: "Agreement ended",
    RefusalReason.PURPOSE_NOT_IN_AGREEMENT.value: "Purpose not in the agreement",
    RefusalReason.CATEGORY_NOT_IN_AGREEMENT.value: "Data not in the agreement",
    RefusalReason.NO_CONSENT.value: "No consent",
    RefusalReason.CONSENT_EXPIRED.value: "Consent expired",
    RefusalReason.CONSENT_WITHDRAWN.value: "Consent withdrawn",
    RefusalReason.NO_DATA.value: "Nothing on record to give",
    RefusalReason.OBJECTION_UPHELD.value: "Objection upheld by the DPO",
    RefusalReason.CHANNEL_NOT_CHOSEN.value: "Message by a channel the volunteer did not choose",
}


def report_name(report: SubjectAccessReport) -> str:
    """The person's name as the report's identity copy holds it (their subject id if none)."""
    for category in report.categories:
        if category.code == "identity" and category.items:
            return str(category.items[0].get("display_name") or report.subject)
    return report.subject


def _ago(seconds: float) -> str:
    """How long ago, in words a DPO reads at a glance."""
    if seconds < 90:
        return "just now" if seconds < 10 else f"{int(seconds)} seconds ago"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


async def witness_rows(
    ledger: Ledger, configured: Sequence[WitnessSetting]
) -> list[dict[str, object]]:
    """Per configured witness: its key name, the latest size it cosigned, and how long ago."""
    latest = {s.witness: s for s in await CosignatureStore(ledger.engine).status()}
    now = time.time()
    rows: list[dict[str, object]] = []
    for witness in configured:
        verifier = CosignatureVerifier.from_key(witness.key)
        status = latest.get(verifier.name)
        rows.append(
            {
                "name": verifier.name,
                "url": witness.url,
                "size": status.tree_size if status else None,
                "ago": _ago(max(0.0, now - status.cosigned_at)) if status else None,
            }
        )
    return rows


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in UK time, as UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


@dataclass
class LedgerSearch:
    """The ledger page's query, as typed (``values``, ``dates``) and as the service's filter."""

    values: dict[str, str]
    dates: dict[str, DateAnswer]
    errors: FormErrors
    filters: LedgerFilter


def _read_search(request: AppRequest) -> LedgerSearch:
    """Read the search boxes from the query; a wrong one is an error shown against it."""
    answers = SEARCH_FORM.parse(request.query_params)
    errors, dates, values = answers.errors, answers.dates, answers.values
    since, until = dates["since"].value, dates["until"].value
    if since and until and until < since:
        dates["until"] = dates["until"].with_error(
            "The end date must be the same as or after the start date"
        )
        dates["until"].report(errors)
    if values["purpose"] and vocabulary().purpose(values["purpose"]) is None:
        errors.add("purpose", "Choose a purpose from the list")
    if values["recipient_kind"] and values["recipient_kind"] not in labels.RECIPIENT_KIND:
        errors.add("recipient_kind", "Choose a kind of recipient from the list")
    filters = LedgerFilter(
        since=_start_of(since) if since else None,
        until=_start_of(until + dt.timedelta(days=1)) if until else None,
        subject=values["subject"] or None,
        recipient=values["recipient"] or None,
        purpose=values["purpose"] or None,
        kind=values["kind"] or None,
        recipient_kind=values["recipient_kind"] or None,
    )
    return LedgerSearch(values, dates, errors, filters)


def _export_query(filters: LedgerFilter) -> dict[str, str]:
    """The API export's query for the same search (only the filters that are set)."""
    found = {
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
        **{name: getattr(filters, name) or "" for name in SEARCH_TEXT},
    }
    return {key: value for key, value in found.items() if value}


def report_kinds() -> dict[str, str]:
    """The kinds of recipient a subject report can be narrowed to, in words: every audience of
    the vocabulary's purposes (employers, other forces, partners, the force itself for the
    DPO's own looks, messaging providers), in the vocabulary's order; the API takes the same."""
    audiences = dict.fromkeys(p.audience for p in vocabulary().purposes)
    return {a: labels.recipient_kind(a) for a in audiences}


class DpoPages(Controller):
    path = "/dpo"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/", name="web.dpo.home")
    async def home(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        agreements: NamedDependency[AgreementService],
        dpo: NamedDependency[DpoService],
        volume: NamedDependency[VolumeService],
    ) -> Template:
        ending = await agreements.ending_within(ENDING_WITHIN_DAYS)
        alerts = await volume.alerts(open_only=True, limit=HOME_ALERTS, offset=0)
        refusals = await dpo.refusals(
            since=utcnow() - dt.timedelta(days=7),
            until=None,
            reason=None,
            recipient=None,
            limit=1,
            offset=0,
        )
        return await render(
            request,
            "dpo/home.html",
            size=await ledger.size(),
            ending=len(ending),
            refusals_week=refusals.total,
            alerts=alerts,
        )

    # ----------------------------------------------------------------------------- ledger

    @get("/ledger", name="web.dpo.ledger")
    async def ledger_search(
        self,
        request: AppRequest,
        dpo: NamedDependency[DpoService],
        organisations: NamedDependency[OrganisationService],
    ) -> Template:
        search = _read_search(request)
        before = query_int(request, "before", None, 0, 2**62)
        page = None
        if not search.errors:
            page = await dpo.search(search.filters, before=before, limit=LEDGER_PAGE)
        names = await organisation_names([i.recipient_org for i in page.items] if page else [])
        export = _export_query(search.filters)
        recipients = [
            org
            for kind in ("employer", "police_force", "partner")
            for org in (await organisations.list_employers(500, 0, kind)).items
        ]
        return await render(
            request,
            "dpo/ledger.html",
            status=400 if search.errors else 200,
            errors=search.errors,
            values=search.values,
            dates=search.dates,
            page=page,
            names=names,
            before=before,
            purposes=vocabulary().purposes,
            kinds=KINDS,
            employers=recipients,
            recipient_kinds=labels.RECIPIENT_KIND,
            export_csv="/api/dpo/ledger/export?" + urlencode({"format": "csv", **export}),
            export_jsonl="/api/dpo/ledger/export?" + urlencode({"format": "jsonl", **export}),
        )

    # ----------------------------------------------------------------------------- subjects

    @get("/subjects", name="web.dpo.subjects")
    async def subjects(self, request: AppRequest, dpo: NamedDependency[DpoService]) -> Template:
        raw = query_text(request, "volunteer", 64)
        if not raw:
            return await render(request, "dpo/subject_form.html", value="")
        volunteer_id = parse_id(raw) or (raw if SUBJECT_ID.match(raw) else None)
        errors = FormErrors()
        if volunteer_id is None:
            errors.add(
                "volunteer",
                "Enter the volunteer's id (like 0b6f3c1e-…) or the subject id from a refusal "
                "record (like sub_4f1c…), exactly as given",
            )
            return await render(
                request, "dpo/subject_form.html", status=400, errors=errors, value=raw
            )
        kinds = report_kinds()
        kind = query_text(request, "recipient_kind", 40)
        if kind and kind not in kinds:
            errors.add(
                "recipient_kind",
                f"Choose a kind of recipient from the list ({kind[:20]} is not one), "
                "or all recipients",
            )
            return await render(
                request,
                "dpo/subject_report.html",
                status=400,
                errors=errors,
                report=None,
                volunteer=volunteer_id,
                kinds=kinds,
                kind=kind,
            )
        identity = caller(request)
        report = await dpo.subject_report(
            Recipient.of(identity, channel="web"),
            volunteer_id,
            request_id=request_id(request),
            recipient_kind=kind or None,
        )
        refusal_names = await organisation_names([r.recipient_org for r in report.refusals])
        downloads = f"/api/dpo/subjects/{report.volunteer_id}/report"
        keep = "?" + urlencode({"recipient_kind": kind}) if kind else ""
        return await render(
            request,
            "dpo/subject_report.html",
            report=report,
            name=report_name(report),
            disclosures=report.disclosures[:REPORT_ROWS_SHOWN],
            refusal_names=refusal_names,
            reasons=REFUSAL_REASONS,
            volunteer=report.volunteer_id,
            kinds=kinds,
            kind=kind,
            csv_link=f"{downloads}.csv{keep}",
            json_link=f"{downloads}{keep}",
        )

    # ----------------------------------------------------------------------------- refusals

    @get("/refusals", name="web.dpo.refusals")
    async def refusals(self, request: AppRequest, dpo: NamedDependency[DpoService]) -> Template:
        reason = query_text(request, "reason", 40)
        if reason not in REFUSAL_REASONS:
            reason = ""
        page_number = query_int(request, "page", 1, 1, 10_000) or 1
        page = await dpo.refusals(
            since=None,
            until=None,
            reason=reason or None,
            recipient=None,
            limit=REFUSAL_PAGE,
            offset=(page_number - 1) * REFUSAL_PAGE,
        )
        names = await organisation_names([r.recipient_org for r in page.items])
        return await render(
            request,
            "dpo/refusals.html",
            page=page,
            page_number=page_number,
            pages=max(1, -(-page.total // REFUSAL_PAGE)),
            reason=reason,
            reasons=REFUSAL_REASONS,
            names=names,
        )

    # ----------------------------------------------------------------------------- messages

    @get("/messages", name="web.dpo.messages")
    async def messages(self, request: AppRequest) -> Template:
        days = query_int(request, "days", 30, 1, 3650) or 30
        return await render(
            request,
            "dpo/messages.html",
            summary=await dpo_summary(days),
            days=days,
            kinds=KIND_LABELS,
            channels=CHANNEL_LABELS,
            statuses=STATUS_LABELS,
        )

    # ----------------------------------------------------------------------------- agreements

    @get("/agreements", name="web.dpo.agreements")
    async def agreements(
        self, request: AppRequest, agreements: NamedDependency[AgreementService]
    ) -> Template:
        ending = await agreements.ending_within(ENDING_WITHIN_DAYS)
        return await render(
            request, "dpo/agreements.html", ending=ending, within=ENDING_WITHIN_DAYS
        )

    # ----------------------------------------------------------------------------- integrity

    @get("/integrity", name="web.dpo.integrity")
    async def integrity(self, request: AppRequest, ledger: NamedDependency[Ledger]) -> Template:
        settings: Settings = request.app.state.settings
        last = request.app.state.get("web_last_verify")
        return await render(
            request,
            "dpo/integrity.html",
            size=await ledger.size(),
            checkpoint=await ledger.latest_checkpoint(),
            verifier_key=ledger.verifier_key(),
            origin=ledger.origin,
            last=last,
            running=query_text(request, "running", 1) == "1",
            witnesses=await witness_rows(ledger, settings.witnesses),
        )

    @post("/integrity/verify", name="web.dpo.verify")
    async def verify(self, request: AppRequest, ledger: NamedDependency[Ledger]) -> Redirect:
        started = time.monotonic()
        try:
            result = await ledger.verify()
        except VerificationRunningError:
            # A second press while the first replays the log: told, not a second replay.
            return see_other("/dpo/integrity?running=1")
        request.app.state["web_last_verify"] = {
            "at": utcnow(),
            "ok": result.ok,
            "size": result.size,
            "root": result.root_hash.hex(),
            "problem": str(result.problem) if result.problem else None,
            "seconds": round(time.monotonic() - started, 2),
        }
        log.info("web.ledger_verified", ok=result.ok, size=result.size)
        return see_other("/dpo/integrity")
