"""ESP leave: employers' policies, balances, and leave requests from request to decision.

Where the policy lives: the data sharing agreement (``portal.agreements``) records purposes and
categories only, so each employer's leave policy is kept here, versioned and append-only
(``esp_leave_policy``), optionally naming the agreement version it was taken from. The coordinator
records it; volunteers and the employer see it.

Leave requests: a volunteer asks one of their current employers for leave for a duty (a recorded
duty, or a start and end). The employer approves or declines. An approval first reads the request
through the disclosure gate for ``esp.leave-verification`` (category ``hours.detail``): without an
agreement and consent allowing it the approval is refused, and the refused attempt is recorded
both by the gate (for the DPO) and in the request's own history. Every state change is a
``leave_request_event`` row (append-only); a decided request cannot change (a database trigger
refuses it). The balance is the simulation of ``portal.hours.allowance`` over approved requests.

Messages, written to the outbox in the transaction of their event: a new request tells the
employer's contacts (email, naming no volunteer); a decision tells the volunteer by each channel
they chose (email, text, or a call on the coordinator's list), their address passing the gate
when the message is sent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import structlog

from portal.accounts.contacts import contact_key, organisation_contacts
from portal.clock import UTC, local_date, utcnow
from portal.dbutil import as_moment
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.tables import RefusalReason
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.fielderrors import field_error
from portal.hours.allowance import (
    Balance,
    PolicyVersion,
    Usage,
    from_units,
    simulate,
    to_units,
    unit_label,
)
from portal.hours.duties import current_duty
from portal.hours.periods import Month, TimeParseError, london_iso, parse_instant
from portal.hours.rawdb import LEAVE_WRITE_LOCK, duty_write_transaction
from portal.hours.schemas import (
    LeaveBalanceOut,
    LeaveDecisionOut,
    LeaveEventOut,
    LeaveMonthOut,
    LeavePeriodOut,
    LeavePolicyIn,
    LeavePolicyOut,
    LeaveRequestIn,
    LeaveRequestOut,
)
from portal.hours.tables import (
    LeaveEvent,
    LeavePolicy,
    LeaveRequest,
    LeaveRequestEvent,
    LeaveStatus,
)
from portal.ids import parse_id
from portal.messages.outbox import enqueue
from portal.organisations.rules import employed_on
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.settings import Settings, get_settings

log = structlog.get_logger(__name__)

LEAVE_PURPOSE = "esp.leave-verification"
MAX_LEAVE = dt.timedelta(days=14)
MAX_REACH = dt.timedelta(days=400)


# ----------------------------------------------------------------------------------- policies


def policy_out(row: dict[str, Any]) -> LeavePolicyOut:
    return LeavePolicyOut(
        id=str(row["id"]),
        employer_id=str(row["employer"]),
        version=int(row["version"]),
        unit=row["unit"],
        amount=float(row["amount"]),
        paid=bool(row["paid"]),
        rollover_months=int(row["rollover_months"]),
        year_start_month=int(row["year_start_month"]),
        starts_on=row["starts_on"],
        agreement_id=str(row["agreement_id"]) if row["agreement_id"] else None,
        recorded_at=london_iso(as_moment(row["recorded_at"])),
    )


def _version(row: dict[str, Any]) -> PolicyVersion:
    return PolicyVersion(
        version=int(row["version"]),
        unit=str(row["unit"]),
        amount=Decimal(str(row["amount"])),
        paid=bool(row["paid"]),
        rollover_months=int(row["rollover_months"]),
        year_start_month=int(row["year_start_month"]),
        starts_on=row["starts_on"],
        id=str(row["id"]),
        agreement_id=str(row["agreement_id"]) if row["agreement_id"] else None,
    )


async def policy_rows(employer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {e: [] for e in employer_ids}
    if not employer_ids:
        return found
    rows = await LeavePolicy.select().where(LeavePolicy.employer.is_in(list(employer_ids)))
    for row in sorted(rows, key=lambda r: int(r["version"])):
        found.setdefault(str(row["employer"]), []).append(dict(row))
    return found


async def policies_of(employer_id: str) -> list[LeavePolicyOut]:
    key = parse_id(employer_id)
    if key is None:
        raise NotFound("No employer has this id")
    rows = (await policy_rows([key]))[key]
    return [policy_out(r) for r in rows]


async def record_policy(data: LeavePolicyIn, recorded_by: str) -> LeavePolicyOut:
    """A new policy version for an employer (versions are never edited)."""
    employer = parse_id(data.employer_id)
    if employer is None or not await Organisation.exists().where(
        (Organisation.id == employer) & (Organisation.kind == OrganisationKind.EMPLOYER.value)
    ):
        raise field_error("employer_id", "no employer has this id")
    amount = Decimal(str(data.amount)).quantize(Decimal("0.01"))
    if data.unit == "days_per_year" and (amount * 2) != (amount * 2).to_integral_value():
        raise field_error("amount", "days per year must be a whole or half number of days")
    if data.unit == "days_per_year" and amount > 366:
        raise field_error("amount", "a year has at most 366 days")
    agreement = None
    if data.agreement_id is not None:
        from portal.agreements.tables import DataSharingAgreement

        agreement = parse_id(data.agreement_id)
        if agreement is None or not await DataSharingAgreement.exists().where(
            (DataSharingAgreement.id == agreement) & (DataSharingAgreement.employer == employer)
        ):
            raise field_error("agreement_id", "no agreement of this employer has this id")
    async with duty_write_transaction(LeavePolicy, lock=LEAVE_WRITE_LOCK):
        latest = (
            await LeavePolicy.select(LeavePolicy.version)
            .where(LeavePolicy.employer == employer)
            .order_by(LeavePolicy.version, ascending=False)
            .first()
        )
        row = LeavePolicy(
            id=str(uuid.uuid4()),
            employer=employer,
            version=(int(latest["version"]) + 1) if latest else 1,
            unit=data.unit,
            amount=amount,
            paid=data.paid,
            rollover_months=data.rollover_months,
            year_start_month=data.year_start_month,
            starts_on=data.starts_on,
            agreement_id=agreement,
            recorded_by=recorded_by[:64],
            recorded_at=utcnow(),
        )
        await LeavePolicy.insert(row)
    log.info("hours.leave_policy.recorded", employer_id=employer, version=row.version)
    return (await policies_of(employer))[-1]


# ----------------------------------------------------------------------------------- balances


async def employment_of(
    volunteer_ids: Sequence[str], employer_id: str
) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
    found: dict[str, list[tuple[dt.date, dt.date | None]]] = {v: [] for v in volunteer_ids}
    for start in range(0, len(volunteer_ids), 400):
        chunk = list(volunteer_ids[start : start + 400])
        rows = await Employment.select(
            Employment.volunteer, Employment.starts_on, Employment.ends_on
        ).where((Employment.employer == employer_id) & Employment.volunteer.is_in(chunk))
        for row in rows:
            found.setdefault(str(row["volunteer"]), []).append((row["starts_on"], row["ends_on"]))
    return found


async def usages_of(
    volunteer_ids: Sequence[str], employer_id: str, unit: str
) -> dict[str, list[Usage]]:
    """Approved and pending leave of the volunteers with the employer, in ``unit``."""
    found: dict[str, list[Usage]] = {v: [] for v in volunteer_ids}
    for start in range(0, len(volunteer_ids), 400):
        chunk = list(volunteer_ids[start : start + 400])
        rows = await LeaveRequest.select(
            LeaveRequest.volunteer, LeaveRequest.starts_at, LeaveRequest.amount, LeaveRequest.status
        ).where(
            (LeaveRequest.employer == employer_id)
            & LeaveRequest.volunteer.is_in(chunk)
            & (LeaveRequest.unit == unit)
            & LeaveRequest.status.is_in([LeaveStatus.APPROVED.value, LeaveStatus.PENDING.value])
        )
        for row in rows:
            found.setdefault(str(row["volunteer"]), []).append(
                Usage(
                    Month.of(as_moment(row["starts_at"])),
                    to_units(unit, row["amount"]),
                    row["status"] == LeaveStatus.APPROVED.value,
                )
            )
    return found


def period_out(balance: Balance, first: Month, last: Month, key: str) -> LeavePeriodOut:
    totals = balance.summary(first, last)
    unit = balance.unit
    return LeavePeriodOut(
        period=key,
        first_month=first.key,
        last_month=last.key,
        **{name: float(from_units(unit, value)) for name, value in totals.items()},
    )


def current_period(balance: Balance, today: dt.date) -> LeavePeriodOut:
    first, last = balance.period_of(Month.of_date(today))
    key = first.key if first == last else f"{first.key}/{last.key}"
    return period_out(balance, first, last, key)


def balance_out(
    employer_id: str, balance: Balance, policy_row: dict[str, Any], today: dt.date
) -> LeaveBalanceOut:
    unit = balance.unit
    first, _last = balance.period_of(Month.of_date(today))
    months = [
        LeaveMonthOut(
            month=row.month.key,
            carried_in=float(from_units(unit, row.carried_in)),
            granted=float(from_units(unit, row.granted)),
            used=float(from_units(unit, row.used)),
            pending=float(from_units(unit, row.pending)),
            over_allowance=float(from_units(unit, row.over_allowance)),
            available=float(from_units(unit, row.available)),
            expiring=float(from_units(unit, row.expiring)),
        )
        for row in balance.months
        if first <= row.month
    ]
    return LeaveBalanceOut(
        employer_id=employer_id,
        unit="hours" if unit == "hours_per_month" else "days",
        paid=balance.policy.paid,
        policy=policy_out(policy_row),
        current=current_period(balance, today),
        months=months,
    )


async def balances(
    volunteer_ids: Sequence[str],
    employer_id: str,
    today: dt.date,
    until: Month | None = None,
    keep_from: Month | None = None,
    stop_at: Month | None = None,
) -> tuple[dict[str, Balance], dict[str, Any] | None]:
    """Each volunteer's balance with the employer (empty when it has no policy in force)."""
    rows = (await policy_rows([employer_id]))[employer_id]
    versions = [_version(r) for r in rows]
    from portal.hours.allowance import policy_on

    current = policy_on(versions, today)
    if current is None:
        return {}, None
    current_row = next(r for r in rows if str(r["id"]) == current.id)
    employment = await employment_of(volunteer_ids, employer_id)
    usages = await usages_of(volunteer_ids, employer_id, current.unit)
    found: dict[str, Balance] = {}
    for volunteer in volunteer_ids:
        balance = simulate(
            versions,
            employment.get(volunteer, []),
            usages.get(volunteer, []),
            today,
            until,
            keep_from,
            stop_at,
        )
        if balance is not None:
            found[volunteer] = balance
    return found, current_row


async def current_employers(volunteer_id: str, today: dt.date) -> list[str]:
    rows = await Employment.select(Employment.employer).where(
        (Employment.volunteer == volunteer_id) & employed_on(today)
    )
    return sorted({str(r["employer"]) for r in rows})


async def volunteer_balances(volunteer_id: str, today: dt.date) -> list[LeaveBalanceOut]:
    out = []
    for employer in await current_employers(volunteer_id, today):
        found, row = await balances([volunteer_id], employer, today)
        if row is not None and volunteer_id in found:
            out.append(balance_out(employer, found[volunteer_id], row, today))
    return out


# ----------------------------------------------------------------------------------- requests


def request_out(row: dict[str, Any], history: Sequence[dict[str, Any]] = ()) -> LeaveRequestOut:
    return LeaveRequestOut(
        id=str(row["id"]),
        volunteer_id=str(row["volunteer"]),
        employer_id=str(row["employer"]),
        duty_id=str(row["duty_id"]) if row["duty_id"] else None,
        starts_at=london_iso(as_moment(row["starts_at"])),
        ends_at=london_iso(as_moment(row["ends_at"])),
        unit=unit_label(str(row["unit"])),
        amount=float(row["amount"]),
        paid=bool(row["paid"]),
        status=str(row["status"]),
        created_at=london_iso(as_moment(row["created_at"])),
        decided_at=london_iso(as_moment(row["decided_at"])) if row["decided_at"] else None,
        history=[
            LeaveEventOut(
                event=str(e["event"]),
                from_status=str(e["from_status"]),
                to_status=str(e["to_status"]),
                actor_role=str(e["actor_role"]),
                reason=str(e["reason"]),
                ledger_index=int(e["ledger_index"]) if e["ledger_index"] is not None else None,
                occurred_at=london_iso(as_moment(e["occurred_at"])),
            )
            for e in history
        ],
    )


async def _history(request_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {r: [] for r in request_ids}
    if not request_ids:
        return found
    rows = await LeaveRequestEvent.select().where(
        LeaveRequestEvent.request.is_in(list(request_ids))
    )
    for row in sorted(rows, key=lambda r: as_moment(r["occurred_at"])):
        found.setdefault(str(row["request"]), []).append(dict(row))
    return found


async def volunteer_requests(volunteer_id: str) -> list[LeaveRequestOut]:
    rows = (
        await LeaveRequest.select()
        .where(LeaveRequest.volunteer == volunteer_id)
        .order_by(LeaveRequest.starts_at, ascending=False)
    )
    history = await _history([str(r["id"]) for r in rows])
    return [request_out(r, history[str(r["id"])]) for r in rows]


def _event(
    request_id: str,
    event: LeaveEvent,
    from_status: str,
    to_status: str,
    actor_user: str,
    actor_role: str,
    reason: str = "",
    ledger_index: int | None = None,
    http_request_id: str = "",
) -> LeaveRequestEvent:
    return LeaveRequestEvent(
        id=str(uuid.uuid4()),
        request=request_id,
        event=event.value,
        from_status=from_status,
        to_status=to_status,
        actor_user=actor_user[:64],
        actor_role=actor_role[:20],
        reason=reason[:200],
        ledger_index=ledger_index,
        request_id=http_request_id[:64],
        occurred_at=utcnow(),
    )


async def _leave_times(
    volunteer_id: str, data: LeaveRequestIn
) -> tuple[str | None, dt.datetime, dt.datetime]:
    """The duty (if named) and the start and end of the leave, each checked; 422 naming fields.

    Times not given are taken from the named duty.
    """
    duty_id = None
    start_text, end_text = data.starts_at, data.ends_at
    if data.duty_id is not None:
        duty = await current_duty(data.duty_id, volunteer_id)
        duty_id = str(duty["duty_id"])
        if start_text is None:
            start_text = london_iso(dt.datetime.fromtimestamp(int(duty["start_s"]), UTC))
        if end_text is None:
            end_text = london_iso(dt.datetime.fromtimestamp(int(duty["end_s"]), UTC))
    errors: list[dict[str, str]] = []
    starts_at = _instant("starts_at", start_text, errors)
    ends_at = _instant("ends_at", end_text, errors)
    if starts_at is not None and ends_at is not None:
        errors.extend(_span_errors(starts_at, ends_at))
    if errors:
        raise InvalidInput("The leave request is not valid", errors=errors)
    assert starts_at is not None and ends_at is not None
    return duty_id, starts_at, ends_at


def _instant(name: str, text: str | None, errors: list[dict[str, str]]) -> dt.datetime | None:
    """``text`` read as an instant, or ``None`` with the reason added to ``errors``."""
    if text is None:
        errors.append({"field": name, "message": "is required without a duty_id"})
        return None
    try:
        return parse_instant(text)
    except TimeParseError as exc:
        errors.append({"field": name, "message": str(exc)})
        return None


def _span_errors(starts_at: dt.datetime, ends_at: dt.datetime) -> list[dict[str, str]]:
    errors = []
    if ends_at <= starts_at:
        errors.append({"field": "ends_at", "message": "must be after the start"})
    elif ends_at - starts_at > MAX_LEAVE:
        errors.append({"field": "ends_at", "message": "one request covers at most 14 days"})
    if abs(starts_at - utcnow()) > MAX_REACH:
        errors.append({"field": "starts_at", "message": "must be within about a year of today"})
    return errors


def _amount(unit: str, days: float | None, starts_at: dt.datetime, ends_at: dt.datetime) -> Decimal:
    """How much leave the request is for, in the employer's unit (hours, or 0.5-day steps)."""
    if unit == "hours_per_month":
        if days is not None:
            raise field_error("days", "this employer's leave is counted in hours, not days")
        minutes = int((ends_at - starts_at).total_seconds()) // 60
        return (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    dates = (local_date(ends_at - dt.timedelta(seconds=1)) - local_date(starts_at)).days + 1
    if days is None:
        raise field_error("days", "say how many days of leave (0.5 steps) this request is for")
    amount = Decimal(str(days))
    if amount <= 0 or amount * 2 != (amount * 2).to_integral_value() or amount > dates:
        raise field_error(
            "days", f"must be 0.5, 1, 1.5 ... and at most the {dates} day(s) the leave covers"
        )
    return amount


async def notify_employer_contacts(settings: Settings, employer: str, request_id: str) -> None:
    """Email the employer's contacts that a request waits (inside the request's transaction)."""
    for address in await organisation_contacts(employer):
        await enqueue(
            settings,
            kind="leave_requested",
            channel="email",
            recipient=address,
            idempotency_key=f"leave_requested:{request_id}:{contact_key(address)}",
            context={"link": f"{settings.base_url}/employer/leave"},
        )


async def notify_volunteer_of_decision(
    settings: Settings, volunteer_id: str, request_id: str, word: str
) -> None:
    """Tell the volunteer of a decision by each channel they chose (inside its transaction)."""
    row = (
        await Volunteer.select(
            Volunteer.contact_by_email, Volunteer.contact_by_sms, Volunteer.contact_by_phone
        )
        .where(Volunteer.id == volunteer_id)
        .first()
    )
    if row is None:
        return
    chosen = [channel for channel in ("email", "sms", "phone") if row[f"contact_by_{channel}"]]
    context = {
        "decision": word,
        "link": f"{settings.base_url}/volunteer/leave",
        "preferences_url": f"{settings.base_url}/volunteer/contact",
    }
    for channel in chosen:
        await enqueue(
            settings,
            kind="leave_decided",
            channel=channel,  # type: ignore[arg-type]
            volunteer_id=volunteer_id,
            idempotency_key=f"leave_decided:{request_id}:{channel}",
            context=context,
        )


async def create_request(
    volunteer_id: str,
    data: LeaveRequestIn,
    actor_user: str,
    today: dt.date,
    settings: Settings | None = None,
) -> LeaveRequestOut:
    employer = parse_id(data.employer_id)
    if employer is None or employer not in await current_employers(volunteer_id, today):
        raise field_error("employer_id", "you do not work for an employer with this id")
    duty_id, starts_at, ends_at = await _leave_times(volunteer_id, data)
    _found, policy_row = await balances([volunteer_id], employer, today)
    if policy_row is None:
        raise field_error(
            "employer_id", "this employer has no ESP leave policy recorded yet; ask the force"
        )
    unit = str(policy_row["unit"])
    amount = _amount(unit, data.days, starts_at, ends_at)
    request_id = str(uuid.uuid4())
    async with duty_write_transaction(LeaveRequest, lock=LEAVE_WRITE_LOCK):
        clash = await LeaveRequest.exists().where(
            (LeaveRequest.volunteer == volunteer_id)
            & (LeaveRequest.employer == employer)
            & LeaveRequest.status.is_in([LeaveStatus.PENDING.value, LeaveStatus.APPROVED.value])
            & (LeaveRequest.starts_at < ends_at)
            & (LeaveRequest.ends_at > starts_at)
        )
        if clash:
            raise Conflict("You already asked this employer for leave overlapping this time")
        await LeaveRequest.insert(
            LeaveRequest(
                id=request_id,
                volunteer=volunteer_id,
                employer=employer,
                duty_id=duty_id,
                starts_at=starts_at,
                ends_at=ends_at,
                unit=unit,
                amount=amount,
                paid=bool(policy_row["paid"]),
                status=LeaveStatus.PENDING.value,
                created_at=utcnow(),
            )
        )
        await LeaveRequestEvent.insert(
            _event(request_id, LeaveEvent.REQUESTED, "", "pending", actor_user, "volunteer")
        )
        await notify_employer_contacts(settings or get_settings(), employer, request_id)
    log.info("hours.leave.requested", request_id=request_id, employer_id=employer)
    return await _one(request_id)


async def _one(request_id: str) -> LeaveRequestOut:
    row = await LeaveRequest.select().where(LeaveRequest.id == request_id).first()
    if row is None:
        raise NotFound("No leave request has this id")
    history = await _history([request_id])
    return request_out(row, history[request_id])


async def _row_for(request_id: str, **owner: str) -> dict[str, Any]:
    key = parse_id(request_id)
    if key is None:
        raise NotFound("No leave request has this id")
    condition: Any = LeaveRequest.id == key
    if "volunteer" in owner:
        condition = condition & (LeaveRequest.volunteer == owner["volunteer"])
    if "employer" in owner:
        condition = condition & (LeaveRequest.employer == owner["employer"])
    row = await LeaveRequest.select().where(condition).first()
    if row is None:
        raise NotFound("No leave request has this id")
    return dict(row)


async def _decide(
    row: dict[str, Any],
    to_status: LeaveStatus,
    event: LeaveEvent,
    actor_user: str,
    actor_role: str,
    reason: str = "",
    ledger_index: int | None = None,
    http_request_id: str = "",
    settings: Settings | None = None,
) -> None:
    """Record the decision; an employer's approval or decline also tells the volunteer."""
    request_id = str(row["id"])
    async with duty_write_transaction(LeaveRequest, lock=LEAVE_WRITE_LOCK):
        changed = (
            await LeaveRequest.update(
                {
                    LeaveRequest.status: to_status.value,
                    LeaveRequest.decided_at: utcnow(),
                    LeaveRequest.decided_by: actor_user[:64],
                }
            )
            .where((LeaveRequest.id == request_id) & (LeaveRequest.status == "pending"))
            .returning(LeaveRequest.id)
        )
        if not changed:
            raise Conflict("This leave request has already been decided or withdrawn")
        await LeaveRequestEvent.insert(
            _event(
                request_id,
                event,
                "pending",
                to_status.value,
                actor_user,
                actor_role,
                reason,
                ledger_index,
                http_request_id,
            )
        )
        if to_status in (LeaveStatus.APPROVED, LeaveStatus.DECLINED):
            await notify_volunteer_of_decision(
                settings or get_settings(), str(row["volunteer"]), request_id, to_status.value
            )
    log.info("hours.leave.decided", request_id=request_id, status=to_status.value)


async def withdraw_request(volunteer_id: str, request_id: str, actor_user: str) -> LeaveRequestOut:
    row = await _row_for(request_id, volunteer=volunteer_id)
    if row["status"] != LeaveStatus.PENDING.value:
        raise Conflict("Only a pending request can be withdrawn")
    await _decide(row, LeaveStatus.WITHDRAWN, LeaveEvent.WITHDRAWN, actor_user, "volunteer")
    return await _one(str(row["id"]))


async def _employer_row(
    gate: DisclosureGate, recipient: Recipient, request_id: str, http_request_id: str
) -> dict[str, Any]:
    """The organisation's own request, or NotFound; a try at another organisation's request
    (or a made-up id) is recorded as a refusal for the DPO, like any other tenant probe."""
    try:
        return await _row_for(request_id, employer=recipient.organisation_id)
    except NotFound:
        subject = ""
        key = parse_id(request_id)
        if key is not None:
            found = (
                await LeaveRequest.select(LeaveRequest.volunteer.subject.as_alias("subject"))
                .where(LeaveRequest.id == key)
                .first()
            )
            subject = str(found["subject"]) if found else ""
        await gate.refuse(
            recipient,
            RefusalReason.OUTSIDE_ORGANISATION,
            purpose=LEAVE_PURPOSE,
            request_id=http_request_id,
            requested_id=request_id,
            subject=subject,
        )
        raise


async def decline_request(
    gate: DisclosureGate,
    recipient: Recipient,
    request_id: str,
    reason: str,
    http_request_id: str,
    settings: Settings | None = None,
) -> LeaveDecisionOut:
    """Decline a request the employer may see, or :class:`NotFound` changing nothing.

    A decision is made on a request the employer has read, so the request is read through the
    gate first, as for an approval (one recorded disclosure of it). A request the gate would not
    show (no consent, no agreement) is answered as if it did not exist, the refusal recorded.
    """
    row = await _employer_row(gate, recipient, request_id, http_request_id)
    if row["status"] != LeaveStatus.PENDING.value:
        raise Conflict("This leave request has already been decided or withdrawn")

    async def provide(
        subjects: Sequence[tuple[str, tuple[str, ...]]],
    ) -> dict[str, dict[str, Any]]:
        shown = request_out(row).model_dump(mode="json")
        return {volunteer: {"hours_detail": {"leave_request": shown}} for volunteer, _ in subjects}

    released = await gate.disclose_one_or_none(
        recipient,
        LEAVE_PURPOSE,
        str(row["volunteer"]),
        request_id=http_request_id,
        categories=["hours.detail"],
        provider=provide,
        required=["hours.detail"],
    )
    if released is None:
        log.info("hours.leave.decline_refused", request_id=str(row["id"]))
        raise NotFound("No leave request has this id")
    await _decide(
        row,
        LeaveStatus.DECLINED,
        LeaveEvent.DECLINED,
        recipient.user_id,
        "employer",
        reason.strip(),
        http_request_id=http_request_id,
        settings=settings,
    )
    return LeaveDecisionOut(id=str(row["id"]), status=LeaveStatus.DECLINED.value)


async def approve_request(
    gate: DisclosureGate,
    recipient: Recipient,
    request_id: str,
    reason: str,
    http_request_id: str,
    settings: Settings | None = None,
) -> tuple[LeaveRequestOut, Any]:
    """Approve after reading the request through the gate; refused attempts are recorded."""
    row = await _employer_row(gate, recipient, request_id, http_request_id)
    if row["status"] != LeaveStatus.PENDING.value:
        raise Conflict("This leave request has already been decided or withdrawn")

    async def provide(
        subjects: Sequence[tuple[str, tuple[str, ...]]],
    ) -> dict[str, dict[str, Any]]:
        shown = request_out(row).model_dump(mode="json")
        return {volunteer: {"hours_detail": {"leave_request": shown}} for volunteer, _ in subjects}

    released = await gate.disclose_one_or_none(
        recipient,
        LEAVE_PURPOSE,
        str(row["volunteer"]),
        request_id=http_request_id,
        categories=["hours.detail"],
        provider=provide,
    )
    if released is None or "hours.detail" not in released.categories:
        await LeaveRequestEvent.insert(
            _event(
                str(row["id"]),
                LeaveEvent.APPROVAL_REFUSED,
                "pending",
                "pending",
                recipient.user_id,
                "employer",
                "disclosure_refused",
                http_request_id=http_request_id,
            )
        )
        log.info("hours.leave.approval_refused", request_id=str(row["id"]))
        raise Forbidden(
            "This request cannot be approved here: the volunteer's consent and your "
            f"organisation's data sharing agreement must allow {LEAVE_PURPOSE} of duty details "
            "(hours.detail). The attempt was recorded."
        )
    await _decide(
        row,
        LeaveStatus.APPROVED,
        LeaveEvent.APPROVED,
        recipient.user_id,
        "employer",
        reason.strip(),
        ledger_index=released.receipt.index,
        http_request_id=http_request_id,
        settings=settings,
    )
    # What the employer gets is what the gate released, with the decision it just made.
    shown = LeaveRequestOut.model_validate(released.data["hours_detail"]["leave_request"])
    decided = (
        await LeaveRequest.select(LeaveRequest.decided_at)
        .where(LeaveRequest.id == str(row["id"]))
        .first()
    )
    decided_at = london_iso(as_moment(decided["decided_at"])) if decided else None
    return shown.model_copy(
        update={"status": LeaveStatus.APPROVED.value, "decided_at": decided_at, "history": []}
    ), released


async def employer_requests(
    gate: DisclosureGate, recipient: Recipient, status: str | None, http_request_id: str
) -> list[tuple[LeaveRequestOut, Any]]:
    """The organisation's leave requests, each volunteer's read through the gate (one
    disclosure per volunteer); requests the gate does not release are left out."""
    condition: Any = LeaveRequest.employer == recipient.organisation_id
    if status is not None:
        condition = condition & (LeaveRequest.status == status)
    rows = await LeaveRequest.select().where(condition).order_by(LeaveRequest.starts_at)
    by_volunteer: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_volunteer.setdefault(str(row["volunteer"]), []).append(dict(row))
    out: list[tuple[LeaveRequestOut, Any]] = []
    for volunteer, requests in sorted(by_volunteer.items()):

        async def provide(
            subjects: Sequence[tuple[str, tuple[str, ...]]],
            requests: list[dict[str, Any]] = requests,
        ) -> dict[str, dict[str, Any]]:
            shown = [request_out(r).model_dump(mode="json") for r in requests]
            return {v: {"hours_detail": {"leave_requests": shown}} for v, _ in subjects}

        released = await gate.disclose_one_or_none(
            recipient,
            LEAVE_PURPOSE,
            volunteer,
            request_id=http_request_id,
            categories=["identity", "hours.detail"],
            provider=provide,
            required=["hours.detail"],
        )
        if released is None:
            continue
        for item in released.data["hours_detail"]["leave_requests"]:
            out.append((LeaveRequestOut.model_validate(item), released))
    return out
