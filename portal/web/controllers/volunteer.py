"""Pages for a Special Constable: who can see their data, disclosures, contact preferences.

A volunteer reads only their own data here (never through the gate: they are the subject), with
the services the volunteer API uses: ``ConsentService``, ``VolunteerLedgerService``,
``AgreementService`` and ``OrganisationService`` for their own record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ledger import Ledger
from portal.accounts.roles import Role
from portal.agreements.schemas import AgreementOut
from portal.agreements.services import AgreementService
from portal.auth.guards import caller, requires_role
from portal.auth.identity import Identity
from portal.auth.requests import AppRequest
from portal.clock import local_date, utcnow
from portal.consent.reconfirm import Reconfirm, needs_confirming
from portal.consent.schemas import ConsentCurrent, ConsentGive, ConsentWithdraw
from portal.consent.services import ConsentService
from portal.consent.volunteer_view import SentNotice, leave_visible, sent_notices
from portal.contact.log import messages_recorded_at, volunteer_log
from portal.disclosure.contact import NOTIFICATION_PURPOSE
from portal.disclosure.services import VolunteerLedgerService
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.hours import duties, leave
from portal.hours.periods import Month
from portal.hours.schemas import LeaveRequestIn
from portal.organisations.links import link_reasons
from portal.organisations.rules import covers, has_ended
from portal.organisations.schemas import VolunteerUpdate
from portal.organisations.services import OrganisationService
from portal.request_context import request_id
from portal.settings import Settings
from portal.vocabulary import Purpose, vocabulary
from portal.web.charts import month_label, progress_chart, volunteer_hours_chart
from portal.web.forms import (
    add_service_errors,
    field_list,
    field_text,
    html_id,
    query_int,
    query_text,
)
from portal.web.pages import FormErrors, NavItem, register_navigation, render, see_other
from portal.web.webforms import Answers, Field, FormFields, WebForm, handle_form

register_navigation(
    Role.VOLUNTEER,
    NavItem("/volunteer/hours", "Hours"),
    NavItem("/volunteer/leave", "ESP leave"),
    NavItem("/volunteer/sharing", "Who can see my data"),
    NavItem("/volunteer/disclosures", "Disclosures of my data"),
    NavItem("/volunteer/contact", "Contact preferences"),
    NavItem("/volunteer/messages", "Messages sent to you"),
)

HISTORY_PAGE = 25
DISCLOSURE_PAGE = 20
#: Pages of the disclosure list read when filtering (the API pages by cursor, newest first).
DISCLOSURE_SCAN_PAGES = 10

LEAVE_FORM = WebForm(
    fields=(
        Field("employer_id", 64, required="Select the employer you are asking"),
        Field("duty_id", 64, required="Select the duty the leave is for"),
    ),
    schema=LeaveRequestIn,
    invalid_at="duty_id",
)
CONTACT_FORM = FormFields(
    (
        Field(
            "contact",
            10,
            kind="choices",
            max_items=3,
            required="Select at least one way the force may contact you",
        ),
        Field("digest", 10, kind="choices", max_items=1),
    )
)


def _me(request: AppRequest) -> Identity:
    identity = caller(request)
    if not identity.volunteer_id:
        raise Forbidden("This account is not linked to a volunteer record")
    return identity


@dataclass
class PurposeView:
    purpose: Purpose
    categories: list[str]
    given: list[ConsentCurrent] = field(default_factory=list)
    not_given: list[str] = field(default_factory=list)
    withdrawn_or_expired: list[ConsentCurrent] = field(default_factory=list)
    #: Set when a later privacy notice changed what this purpose means (confirm again).
    reconfirm: Reconfirm | None = None

    @property
    def form_id(self) -> str:
        return html_id("categories", self.employer_id, self.purpose.code)

    employer_id: str = ""
    #: The volunteer's link to a police force or partner was not made for this purpose: it is
    #: listed only for a consent given earlier to be withdrawn, never offered.
    outside_link: bool = False


@dataclass
class EmployerView:
    id: str
    name: str
    starts_on: dt.date
    ends_on: dt.date | None
    agreement: AgreementOut | None
    purposes: list[PurposeView]
    #: Withdrawal notices sent to this employer, and when each was acknowledged.
    notices: list[SentNotice] = field(default_factory=list)


def _purpose_view(
    employer_id: str, code: str, categories: list[str], overview: Any, today: dt.date
) -> PurposeView | None:
    """One purpose of an organisation's agreement with the volunteer's consents to it."""
    purpose = vocabulary().purpose(code)
    if purpose is None:
        return None
    view = PurposeView(purpose=purpose, categories=list(categories))
    view.employer_id = employer_id
    current = {
        c.category: c
        for c in overview.current
        if c.employer_id == employer_id and c.purpose == code
    }
    for category in categories:
        record = current.get(category)
        if record is not None and record.state == "given":
            view.given.append(record)
        else:
            view.not_given.append(category)
            if record is not None:
                view.withdrawn_or_expired.append(record)
    view.reconfirm = needs_confirming(code, view.given, today)
    return view


def _offered(view: PurposeView, made_for: frozenset[str] | None) -> bool:
    """Whether the page lists ``view`` for a link made for ``made_for`` (``None``: a job with
    an employer, not bound to reasons). Nothing is shared through a link for a purpose it was
    not made for (the gate refuses it), so nothing is offered for one; a consent given earlier
    stays listed, with nothing more offered, so it can still be withdrawn."""
    if made_for is None or view.purpose.code in made_for:
        return True
    view.outside_link = True
    view.not_given, view.reconfirm = [], None
    return bool(view.given)


async def _sharing(identity: Identity, ledger: Ledger) -> tuple[list[EmployerView], Any]:
    assert identity.volunteer_id
    organisations = OrganisationService()
    me = await organisations.get_volunteer(identity.volunteer_id)
    overview = await ConsentService(ledger).overview(identity, 1, 0)
    agreements = AgreementService(ledger)
    today = utcnow().date()
    views: list[EmployerView] = []
    sent = await sent_notices(identity.volunteer_id)
    for link in me.employments:
        if has_ended(link.ends_on, today):
            continue
        employer = await organisations.get_employer(link.employer_id)
        page = await agreements.list_current(1, 0, employer_id=link.employer_id)
        agreement = next((a for a in page.items if a.state in {"in_force", "scheduled"}), None)
        made_for = link_reasons(employer.kind, link.reasons)
        purposes = [
            view
            for code, categories in sorted((agreement.purposes if agreement else {}).items())
            if (view := _purpose_view(link.employer_id, code, categories, overview, today))
            and _offered(view, made_for)
        ]
        views.append(
            EmployerView(
                id=link.employer_id,
                name=employer.name,
                starts_on=link.starts_on,
                ends_on=link.ends_on,
                agreement=agreement,
                purposes=purposes,
                notices=[n for n in sent if n.employer_id == link.employer_id],
            )
        )
    return views, overview.notice


def _today() -> dt.date:
    return local_date(utcnow())


async def _hours(volunteer_id: str, settings: Settings, last_key: str | None = None) -> Any:
    """Twelve months of hours against the monthly minimum, ending with ``last_key`` (or now)."""
    last = Month.of(utcnow())
    if last_key:
        with contextlib.suppress(ValueError):
            last = Month.parse(last_key)
    first = last.plus(-11)
    spans = await duties.spans_for([volunteer_id], first.plus(-2), last)
    return duties.summarise(
        spans[volunteer_id], first, last, settings.monthly_minimum_hours, last.key
    )


async def _employer_names(ids: list[str]) -> dict[str, str]:
    organisations = OrganisationService()
    names: dict[str, str] = {}
    for employer_id in ids:
        try:
            names[employer_id] = (await organisations.get_employer(employer_id)).name
        except NotFound:
            names[employer_id] = "An employer"
    return names


class VolunteerPages(Controller):
    path = "/volunteer"
    guards = [requires_role(Role.VOLUNTEER)]
    include_in_schema = False

    @get("/", name="web.volunteer.home")
    async def home(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        settings: NamedDependency[Settings],
        volunteer_ledger: NamedDependency[VolunteerLedgerService],
    ) -> Template:
        identity = _me(request)
        assert identity.volunteer_id
        employers, _notice = await _sharing(identity, ledger)
        given = sum(len(p.given) for e in employers for p in e.purposes)
        recent = await volunteer_ledger.disclosures(identity, before=None, limit=3)
        summary = await _hours(identity.volunteer_id, settings)
        balances = await leave.volunteer_balances(identity.volunteer_id, _today())
        return await render(
            request,
            "volunteer/home.html",
            employers=employers,
            consents_given=given,
            recent=recent.items,
            this_month=summary.months[-1] if summary.months else None,
            minimum=settings.monthly_minimum_hours,
            balances=balances,
            names={e.id: e.name for e in employers},
            reconfirm=[(e, p) for e in employers for p in e.purposes if p.reconfirm],
        )

    # ----------------------------------------------------------------------------- hours

    @get("/hours", name="web.volunteer.hours")
    async def hours(self, request: AppRequest, settings: NamedDependency[Settings]) -> Template:
        identity = _me(request)
        assert identity.volunteer_id
        summary = await _hours(identity.volunteer_id, settings, query_text(request, "to", 7))
        last = Month.parse(summary.last_month)
        now = Month.of(utcnow())
        return await render(
            request,
            "volunteer/hours.html",
            summary=summary,
            earlier=last.plus(-12).key,
            later=last.plus(12).key
            if last.plus(12).key <= now.key
            else (now.key if last.key != now.key else None),
            minimum=settings.monthly_minimum_hours,
            chart=volunteer_hours_chart(summary, settings.monthly_minimum_hours),
            month_label=month_label,
        )

    # ----------------------------------------------------------------------------- leave

    @get("/leave", name="web.volunteer.leave")
    async def leave_page(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template:
        return await self._leave_page(request, organisations, Answers())

    async def _leave_page(
        self,
        request: AppRequest,
        organisations: OrganisationService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        identity = _me(request)
        assert identity.volunteer_id
        today = _today()
        balances = await leave.volunteer_balances(identity.volunteer_id, today)
        requests = await leave.volunteer_requests(identity.volunteer_id)
        me = await organisations.get_volunteer(identity.volunteer_id)
        current = [
            link.employer_id
            for link in me.employments
            if covers(link.starts_on, link.ends_on, today)
        ]
        names = await _employer_names(sorted(set(current) | {r.employer_id for r in requests}))
        now = Month.of(utcnow())
        recent, _ = await duties.list_duties(identity.volunteer_id, now.plus(-2), now.plus(1))
        asked = {r.duty_id for r in requests if r.status in {"pending", "approved"}}
        # A pending request the employer can no longer see (after a withdrawal) is said so.
        visible = await leave_visible(
            request.app.state.ledger,
            identity.volunteer_id,
            sorted({r.employer_id for r in requests if r.status == "pending"}),
            dt.datetime.now(dt.UTC),
        )
        charts = {
            b.employer_id: progress_chart(
                f"leave-{b.employer_id}",
                f"ESP leave used with {names.get(b.employer_id, 'your employer')}",
                f"{b.current.used:g} of {b.current.granted + b.current.carried_in:g} {b.unit} "
                f"used this period; {b.current.available:g} {b.unit} left.",
                b.current.used,
                b.current.granted + b.current.carried_in,
                b.unit,
            )
            for b in balances
        }
        return await render(
            request,
            "volunteer/leave.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            balances=balances,
            charts=charts,
            requests=requests,
            names=names,
            visible=visible,
            employers=[(e, names.get(e, "An employer")) for e in current],
            duties=[d for d in recent if not d.is_cancelled and d.duty_id not in asked],
            sent=query_text(request, "sent", 4) == "1",
            withdrawn=query_text(request, "withdrawn", 4) == "1",
        )

    @post("/leave", name="web.volunteer.request_leave")
    async def request_leave(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Response[Any]:
        identity = _me(request)
        volunteer_id = identity.volunteer_id
        assert volunteer_id

        async def ask(data: LeaveRequestIn) -> Any:
            try:
                return await leave.create_request(
                    volunteer_id, data, identity.user_id, _today(), request.app.state.settings
                )
            except NotFound as exc:
                message = "Select one of your duties from the list"
                raise InvalidInput(
                    message, errors=[{"field": "duty_id", "message": message}]
                ) from exc

        async def again(answers: Answers) -> Template:
            return await self._leave_page(request, organisations, answers, 400)

        return await handle_form(
            request,
            LEAVE_FORM,
            act=ask,
            done=lambda _: see_other("/volunteer/leave?sent=1"),
            again=again,
        )

    @post("/leave/{leave_request_id:str}/withdraw", name="web.volunteer.withdraw_leave")
    async def withdraw_leave(
        self, request: AppRequest, leave_request_id: FromPath[str]
    ) -> Redirect:
        identity = _me(request)
        assert identity.volunteer_id
        try:
            await leave.withdraw_request(identity.volunteer_id, leave_request_id, identity.user_id)
        except Conflict:
            return see_other("/volunteer/leave")
        return see_other("/volunteer/leave?withdrawn=1")

    # ----------------------------------------------------------------------------- sharing

    @get("/sharing", name="web.volunteer.sharing")
    async def sharing(self, request: AppRequest, ledger: NamedDependency[Ledger]) -> Template:
        return await self._sharing_page(request, ledger, FormErrors())

    async def _sharing_page(
        self,
        request: AppRequest,
        ledger: Ledger,
        errors: FormErrors,
        status: int = 200,
    ) -> Template:
        identity = _me(request)
        employers, notice = await _sharing(identity, ledger)
        changed = query_text(request, "changed", 20)
        receipt = query_int(request, "receipt", None, 0, 2**62)
        return await render(
            request,
            "volunteer/sharing.html",
            status=status,
            errors=errors,
            employers=employers,
            notice=notice,
            changed=changed if changed in {"given", "withdrawn", "confirmed"} else "",
            changed_purpose=query_text(request, "purpose", 80),
            changed_category=query_text(request, "category", 80),
            receipt=receipt,
        )

    @post("/sharing/give", name="web.volunteer.give")
    async def give(
        self, request: AppRequest, ledger: NamedDependency[Ledger]
    ) -> Template | Redirect:
        identity = _me(request)
        form = await request.form()
        employer_id = field_text(form, "employer_id", 64)
        purpose = field_text(form, "purpose", 80)
        categories = field_list(form, "categories", 20, 80)
        target = html_id("categories", employer_id, purpose)
        errors = FormErrors()
        if not categories:
            errors.add(target, "Select what the force may share, or leave consent as it is")
            return await self._sharing_page(request, ledger, errors, 400)
        try:
            data = ConsentGive.model_validate(
                {
                    "employer_id": employer_id,
                    "purpose": purpose,
                    "categories": categories,
                    "notice_version": field_text(form, "notice_version", 20),
                }
            )
            given = await ConsentService(ledger).give(
                identity, data, request_id=request_id(request), channel="web"
            )
        except InvalidInput as exc:
            add_service_errors(errors, exc, {}, target)
            return await self._sharing_page(request, ledger, errors, 400)
        except ValueError:
            errors.add(target, "Choose from the options shown")
            return await self._sharing_page(request, ledger, errors, 400)
        changed = "confirmed" if field_text(form, "confirm", 4) == "1" else "given"
        return see_other(
            f"/volunteer/sharing?changed={changed}&purpose={purpose}"
            f"&receipt={given.receipt.index}#{html_id('employer', employer_id)}"
        )

    @post("/sharing/withdraw", name="web.volunteer.withdraw")
    async def withdraw(
        self, request: AppRequest, ledger: NamedDependency[Ledger]
    ) -> Template | Redirect:
        identity = _me(request)
        form = await request.form()
        employer_id = field_text(form, "employer_id", 64)
        purpose = field_text(form, "purpose", 80)
        # One category (its own button) or, without one, the whole purpose.
        category = field_text(form, "category", 80)
        target = html_id("categories", employer_id, purpose)
        errors = FormErrors()
        try:
            data = ConsentWithdraw.model_validate(
                {
                    "employer_id": employer_id,
                    "purpose": purpose,
                    "categories": [category] if category else None,
                }
            )
            withdrawn = await ConsentService(ledger, settings=request.app.state.settings).withdraw(
                identity, data, request_id=request_id(request), channel="web"
            )
        except (InvalidInput, Conflict) as exc:
            errors.add(target, "There is no consent to withdraw here")
            if isinstance(exc, InvalidInput):
                add_service_errors(errors, exc, {}, target)
            return await self._sharing_page(request, ledger, errors, 400)
        except ValueError:
            errors.add(target, "Choose from the options shown")
            return await self._sharing_page(request, ledger, errors, 400)
        return see_other(
            f"/volunteer/sharing?changed=withdrawn&purpose={purpose}"
            + (f"&category={category}" if category else "")
            + f"&receipt={withdrawn.receipt.index}#{html_id('employer', employer_id)}"
        )

    @get("/sharing/history", name="web.volunteer.history")
    async def history(self, request: AppRequest, ledger: NamedDependency[Ledger]) -> Template:
        identity = _me(request)
        page = query_int(request, "page", 1, 1, 100_000) or 1
        overview = await ConsentService(ledger).overview(
            identity, HISTORY_PAGE, (page - 1) * HISTORY_PAGE
        )
        employers = {c.employer_id: c.employer_name for c in overview.current}
        pages = max(1, -(-overview.history_total // HISTORY_PAGE))
        return await render(
            request,
            "volunteer/history.html",
            history=overview.history,
            employers=employers,
            page=page,
            pages=pages,
            total=overview.history_total,
        )

    # ----------------------------------------------------------------------------- disclosures

    @get("/disclosures", name="web.volunteer.disclosures")
    async def disclosures(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        volunteer_ledger: NamedDependency[VolunteerLedgerService],
    ) -> Template:
        identity = _me(request)
        service = volunteer_ledger
        employer = query_text(request, "employer", 64)
        purpose = query_text(request, "purpose", 80)
        before = query_int(request, "before", None, 0, 2**62)
        items: list[Any] = []
        cursor = before
        next_cursor: int | None = None
        # Filtering reads further pages of the newest-first list until a page is full.
        for _ in range(DISCLOSURE_SCAN_PAGES):
            page = await service.disclosures(identity, before=cursor, limit=50)
            for item in page.items:
                if (not employer or item.recipient_org == employer) and (
                    not purpose or item.purpose == purpose
                ):
                    items.append(item)
                    if len(items) == DISCLOSURE_PAGE:
                        break
            if len(items) == DISCLOSURE_PAGE:
                next_cursor = items[-1].index
                break
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        else:
            next_cursor = cursor
        employers, _ = await _sharing(identity, ledger)
        messages = await messages_recorded_at(
            [i.index for i in items if i.purpose == NOTIFICATION_PURPOSE]
        )
        return await render(
            request,
            "volunteer/disclosures.html",
            items=items,
            messages=messages,
            employer=employer,
            purpose=purpose,
            employers=employers,
            purposes=[p for p in vocabulary().purposes if p.audience != "force"],
            next_cursor=next_cursor,
            first_page=before is None,
        )

    # ----------------------------------------------------------------------------- messages

    @get("/messages", name="web.volunteer.messages")
    async def messages(self, request: AppRequest) -> Template:
        identity = _me(request)
        assert identity.volunteer_id
        return await render(
            request, "volunteer/messages.html", items=await volunteer_log(identity.volunteer_id)
        )

    # ----------------------------------------------------------------------------- contact

    @get("/contact", name="web.volunteer.contact")
    async def contact(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template:
        identity = _me(request)
        assert identity.volunteer_id
        me = await organisations.get_volunteer(identity.volunteer_id)
        return await render(
            request,
            "volunteer/contact.html",
            me=me,
            saved=query_text(request, "saved", 4) == "1",
        )

    @post("/contact", name="web.volunteer.contact_post")
    async def save_contact(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template | Redirect:
        identity = _me(request)
        assert identity.volunteer_id
        answers = await CONTACT_FORM.read(request)
        chosen = set(answers.values["contact"])
        if answers.errors:
            me = await organisations.get_volunteer(identity.volunteer_id)
            return await render(
                request,
                "volunteer/contact.html",
                status=400,
                errors=answers.errors,
                me=me,
                saved=False,
            )
        try:
            await organisations.update_volunteer(
                identity.volunteer_id,
                VolunteerUpdate(
                    contact_by_email="email" in chosen,
                    contact_by_sms="sms" in chosen,
                    contact_by_phone="phone" in chosen,
                    disclosure_digest="daily" in answers.values["digest"],
                ),
            )
        except NotFound as exc:
            raise Forbidden("This account is not linked to a volunteer record") from exc
        return see_other("/volunteer/contact?saved=1")
