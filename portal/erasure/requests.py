"""Erasure requests (UK GDPR Art. 17): made, decided, answered, and carried out.

A volunteer asks through their account, or the DPO records a request that came another way (a
letter, a call) on their behalf. The answer is due one month after the request arrived
(Art. 12(3)); the DPO's list shows the date and which are overdue. The DPO refuses a request with
an Art. 17(3) ground from :data:`GROUNDS` and an explanation (the data stays, the volunteer is
told why), or approves it: the volunteer is told, then :func:`portal.erasure.service.erase_person`
erases them.

Send, then erase. Erasure deletes the person's contact details and their outbox rows, so the
message saying so must be handed to the transport first. Approval commits the decision and the
message in one transaction (status ``approved``); :meth:`ErasureRequests.complete` then sends
that one message (:func:`portal.messages.immediate.send_now`) and erases, the request becoming
``erased`` in the erasure's own transaction. A process that dies in between leaves the request
``approved``: running ``complete`` again (the DPO's page, ``esp-portal erasure complete``) finds
the message already ``sent`` and only erases; a message still waiting on a transient failure is
tried again first, and the erasure waits for it. A message that can never go (no address, the
provider refused it) does not hold the erasure back: the request records ``not_sent`` and the
DPO's page says to write to the person.

Every step is one ``erasure.request`` ledger entry naming no subject (like ``erasure.recorded``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from ledger import ErasureRequestDraft, Ledger
from ledger.entries import Channel
from ledger.kinds import ErasureRequestDetails
from portal.accounts.roles import Role
from portal.accounts.tables import UserAccount
from portal.clock import Clock, local_date, utcnow
from portal.dbutil import as_date, as_moment
from portal.erasure.service import erase_person
from portal.erasure.tables import ErasureRequest
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.fielderrors import field_error
from portal.ids import parse_id
from portal.ledgering import recording
from portal.messages.immediate import FINISHED, send_now
from portal.messages.outbox import enqueue
from portal.messages.tables import OutboxMessage
from portal.messages.transports import Transport
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from portal.staffmail import FORCE_AUDIENCE, StaffAddress, send_to

log = structlog.get_logger(__name__)

PURPOSE = "dpo.audit"
LAWFUL_BASIS = "legal_obligation"
STATEMENT_MAX = 2000
EXPLANATION_MIN = 10
EXPLANATION_MAX = 2000

#: Why a request may be refused: UK GDPR Art. 17(3), Art. 17(1) and Art. 12(5), in words.
GROUNDS: dict[str, str] = {
    "no_ground": "None of the grounds for erasure in Article 17(1) applies",
    "freedom_of_expression": "Exercising the right of freedom of expression and information "
    "(Article 17(3)(a))",
    "legal_obligation": "The force must keep the data to meet a legal obligation "
    "(Article 17(3)(b))",
    "public_task": "The force needs the data for a task in the public interest or in its "
    "official authority (Article 17(3)(b))",
    "public_health": "Public interest in the area of public health (Article 17(3)(c))",
    "archiving": "Archiving in the public interest, research or statistics (Article 17(3)(d))",
    "legal_claims": "The data is needed to establish, exercise or defend legal claims "
    "(Article 17(3)(e))",
    "manifestly_unfounded": "The request is manifestly unfounded or excessive (Article 12(5))",
}

MadeBy = Literal["volunteer", "dpo"]
OPEN = ("pending", "approved")


def one_month_after(day: dt.date) -> dt.date:
    """The same day of the next month, or that month's last day when it has no such day."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class RequestView:
    """One request as the volunteer's and the DPO's pages show it."""

    id: str
    volunteer_id: str | None
    subject: str
    made_by: str
    received_on: dt.date
    due_on: dt.date
    statement: str
    status: str
    ground: str
    explanation: str
    decided_at: dt.datetime | None
    told: str
    erasure_id: str
    received_index: int
    decided_index: int | None
    overdue: bool

    @property
    def ground_label(self) -> str:
        return GROUNDS.get(self.ground, "")


def _view(row: dict[str, Any], subjects: dict[str, str], today: dt.date) -> RequestView:
    volunteer = str(row["volunteer"]) if row["volunteer"] else None
    due = as_date(row["due_on"])
    return RequestView(
        id=str(row["id"]),
        volunteer_id=volunteer,
        subject=subjects.get(volunteer or "", ""),
        made_by=row["made_by"],
        received_on=as_date(row["received_on"]),
        due_on=due,
        statement=row["statement"],
        status=row["status"],
        ground=row["ground"],
        explanation=row["explanation"],
        decided_at=as_moment(row["decided_at"]) if row["decided_at"] else None,
        told=row["told"],
        erasure_id=row["erasure_id"],
        received_index=int(row["received_index"]),
        decided_index=row["decided_index"],
        overdue=row["status"] in OPEN and today > due,
    )


def _request_key(request_id: str) -> str:
    key = parse_id(request_id)
    if key is None:
        raise NotFound("No erasure request has this id")
    return key


def _text(value: str, field: str, *, low: int, high: int, what: str) -> str:
    text = value.strip()
    if len(text) < low:
        raise field_error(field, f"{what}, in at least {low} characters")
    if len(text) > high:
        raise field_error(field, f"keep it to {high} characters")
    return text


def _refusal_reasons(ground: str, explanation: str) -> str:
    """The explanation, checked with the ground: every field wrong is named at once."""
    errors = []
    if ground not in GROUNDS:
        errors.append({"field": "ground", "message": "choose the legal ground of the refusal"})
    why = explanation.strip()
    if not EXPLANATION_MIN <= len(why) <= EXPLANATION_MAX:
        errors.append(
            {
                "field": "explanation",
                "message": f"explain the refusal to the volunteer, in {EXPLANATION_MIN} to "
                f"{EXPLANATION_MAX} characters",
            }
        )
    if errors:
        raise InvalidInput("The refusal needs its ground and explanation", errors=errors)
    return why


def _message_key(request_id: str) -> str:
    return f"erasure_request:{request_id}:decided"


async def _dpos() -> list[StaffAddress]:
    rows = await UserAccount.select(UserAccount.id, UserAccount.email).where(
        (UserAccount.role == Role.DPO.value) & (UserAccount.is_active == True)  # noqa: E712
    )
    return [StaffAddress(str(r["id"]), r["email"]) for r in rows]


async def check_dpo(account: str) -> str:
    """The account's id when it is an active DPO's; Forbidden otherwise."""
    key = parse_id(account)
    row = (
        await UserAccount.select(UserAccount.role, UserAccount.is_active)
        .where(UserAccount.id == key)
        .first()
        if key
        else None
    )
    if row is None or row["role"] != Role.DPO.value or not row["is_active"]:
        raise Forbidden("Only an active data protection officer may decide an erasure request")
    assert key is not None
    return key


class ErasureRequests:
    """The workflow; ``transport`` delivers the decision's message before an erasure."""

    def __init__(
        self,
        ledger: Ledger,
        settings: Settings,
        transport: Transport,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.transport = transport
        self.clock = clock

    def _today(self) -> dt.date:
        return local_date(self.clock())

    def _draft(
        self, row: dict[str, Any], step: str, channel: Channel, request_id: str
    ) -> ErasureRequestDraft:
        return ErasureRequestDraft(
            purpose=PURPOSE,
            lawful_basis=LAWFUL_BASIS,
            channel=channel,
            request_id=request_id,
            details=ErasureRequestDetails.model_validate(
                {
                    "request_id": str(row["id"]),
                    "step": step,
                    "made_by": row["made_by"],
                    "due_on": as_date(row["due_on"]).isoformat(),
                    "ground": row.get("ground", ""),
                    "decided_by": row.get("decided_by", ""),
                }
            ),
        )

    def _words(self, row: dict[str, Any]) -> dict[str, str]:
        return {
            "received_on": as_date(row["received_on"]).strftime("%-d %B %Y"),
            "due_on": as_date(row["due_on"]).strftime("%-d %B %Y"),
            "link": f"{self.settings.base_url}/volunteer/erasure",
        }

    # ------------------------------------------------------------------ making a request

    async def request(
        self,
        volunteer_id: str,
        *,
        made_by: MadeBy,
        recorded_by: str,
        statement: str = "",
        received_on: dt.date | None = None,
        channel: Channel,
        request_id: str = "",
    ) -> RequestView:
        """Record a request (the volunteer's own, or one the DPO received); tell both sides."""
        key = parse_id(volunteer_id)
        person = (
            await Volunteer.select(Volunteer.id).where(Volunteer.id == key).first() if key else None
        )
        if person is None:
            raise field_error("volunteer_id", "no volunteer has this id")
        if made_by not in ("volunteer", "dpo"):
            raise field_error("made_by", "either volunteer or dpo")
        words = _text(statement, "statement", low=0, high=STATEMENT_MAX, what="")
        today = self._today()
        received = received_on or today
        if received > today:
            raise field_error("received_on", "the day the request arrived cannot be in the future")
        if await ErasureRequest.exists().where(
            (ErasureRequest.volunteer == key) & ErasureRequest.status.is_in(list(OPEN))
        ):
            raise Conflict(
                "This volunteer already has an erasure request waiting for a decision",
                errors=[{"field": "volunteer_id", "message": "already has an open request"}],
            )
        row: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "made_by": made_by,
            "received_on": received,
            "due_on": one_month_after(received),
        }
        async with recording(self.ledger, "erasure_request.failed", request=row["id"]) as tx:
            (receipt,) = await tx.append([self._draft(row, "received", channel, request_id)])
            await ErasureRequest.insert(
                ErasureRequest(
                    id=uuid.UUID(row["id"]),
                    volunteer=key,
                    made_by=made_by,
                    recorded_by=recorded_by,
                    received_on=received,
                    due_on=row["due_on"],
                    statement=words,
                    received_index=receipt.index,
                )
            )
            await self._tell_received(row, str(key))
        log.info("erasure_request.received", request=row["id"], ledger_index=receipt.index)
        return await self.get(row["id"])

    async def _tell_received(self, row: dict[str, Any], volunteer: str) -> None:
        words = self._words(row)
        await enqueue(
            self.settings,
            kind="erasure_received",
            channel="email",
            volunteer_id=volunteer,
            security=True,
            idempotency_key=f"erasure_request:{row['id']}:received",
            context=words,
        )
        await send_to(
            self.settings,
            await _dpos(),
            kind="erasure_requested",
            event_key=f"erasure_request:{row['id']}",
            context={**words, "link": f"{self.settings.base_url}/dpo/erasure"},
            audience=FORCE_AUDIENCE,
        )

    # ------------------------------------------------------------------ reads

    async def _views(self, rows: list[dict[str, Any]]) -> list[RequestView]:
        ids = [str(r["volunteer"]) for r in rows if r["volunteer"]]
        subjects: dict[str, str] = {}
        if ids:
            found = await Volunteer.select(Volunteer.id, Volunteer.subject).where(
                Volunteer.id.is_in(ids)
            )
            subjects = {str(r["id"]): str(r["subject"]) for r in found}
        today = self._today()
        return [_view(r, subjects, today) for r in rows]

    async def get(self, request_id: str) -> RequestView:
        key = _request_key(request_id)
        rows = await ErasureRequest.select().where(ErasureRequest.id == key)
        if not rows:
            raise NotFound("No erasure request has this id")
        return (await self._views(list(rows)))[0]

    async def mine(self, volunteer_id: str) -> list[RequestView]:
        """A volunteer's own requests, newest first."""
        rows = await (
            ErasureRequest.select()
            .where(ErasureRequest.volunteer == volunteer_id)
            .order_by(ErasureRequest.received_index, ascending=False)
        )
        return await self._views(list(rows))

    async def open_requests(self) -> list[RequestView]:
        """The DPO's list: pending and approved-not-yet-erased requests, the soonest due first."""
        rows = await (
            ErasureRequest.select()
            .where(ErasureRequest.status.is_in(list(OPEN)))
            .order_by(ErasureRequest.due_on)
            .order_by(ErasureRequest.received_index)
        )
        return await self._views(list(rows))

    async def decided(self, limit: int = 20) -> list[RequestView]:
        """Recently decided requests, newest decision first."""
        rows = await (
            ErasureRequest.select()
            .where(ErasureRequest.status.is_in(["erased", "refused"]))
            .order_by(ErasureRequest.decided_at, ascending=False)
            .limit(limit)
        )
        return await self._views(list(rows))

    # ------------------------------------------------------------------ deciding

    async def _pending(self, request_id: str) -> dict[str, Any]:
        key = _request_key(request_id)
        row = await ErasureRequest.select().where(ErasureRequest.id == key).first()
        if row is None:
            raise NotFound("No erasure request has this id")
        if row["status"] != "pending":
            raise Conflict(
                "This erasure request is already decided",
                errors=[{"field": "request_id", "message": f"already {row['status']}"}],
            )
        return dict(row)

    async def _decide(
        self,
        row: dict[str, Any],
        values: dict[str, Any],
        *,
        kind: str,
        channel: Channel,
        request_id: str,
    ) -> None:
        """Move a pending request to its decision with its entry and its message, or not at all."""
        decided = {**row, **values}
        step = values["status"]
        async with recording(self.ledger, "erasure_request.decide_failed", request=row["id"]) as tx:
            (receipt,) = await tx.append([self._draft(decided, step, channel, request_id)])
            changed = await (
                ErasureRequest.update(
                    {
                        **{getattr(ErasureRequest, k): v for k, v in values.items()},
                        ErasureRequest.decided_at: self.clock(),
                        ErasureRequest.decided_index: receipt.index,
                    }
                )
                .where((ErasureRequest.id == row["id"]) & (ErasureRequest.status == "pending"))
                .returning(ErasureRequest.id)
            )
            if not changed:  # another DPO decided it meanwhile
                raise Conflict(
                    "This erasure request is already decided",
                    errors=[{"field": "request_id", "message": "already decided"}],
                )
            await enqueue(
                self.settings,
                kind=kind,
                channel="email",
                volunteer_id=str(row["volunteer"]),
                security=True,
                idempotency_key=_message_key(str(row["id"])),
                context={
                    **self._words(row),
                    "ground": GROUNDS.get(values.get("ground", ""), ""),
                    "explanation": values.get("explanation", ""),
                },
            )
        log.info("erasure_request.decided", request=str(row["id"]), outcome=step)

    async def refuse(
        self,
        request_id: str,
        *,
        ground: str,
        explanation: str,
        decided_by: str,
        channel: Channel,
        ledger_request: str = "",
    ) -> RequestView:
        """Refuse with a ground and an explanation: the data stays, the volunteer is told why."""
        why = _refusal_reasons(ground, explanation)
        decider = await check_dpo(decided_by)
        row = await self._pending(request_id)
        values = {
            "status": "refused",
            "ground": ground,
            "explanation": why,
            "decided_by": decider,
        }
        await self._decide(
            row, values, kind="erasure_refused", channel=channel, request_id=ledger_request
        )
        return await self.get(str(row["id"]))

    async def approve(
        self, request_id: str, *, decided_by: str, channel: Channel, ledger_request: str = ""
    ) -> RequestView:
        """Approve: the decision and its message commit, then :meth:`complete` sends and erases."""
        decider = await check_dpo(decided_by)
        row = await self._pending(request_id)
        values = {"status": "approved", "decided_by": decider}
        await self._decide(
            row, values, kind="erasure_approved", channel=channel, request_id=ledger_request
        )
        return await self.complete(str(row["id"]), channel=channel, ledger_request=ledger_request)

    # ------------------------------------------------------------------ send, then erase

    async def complete(
        self, request_id: str, *, channel: Channel, ledger_request: str = ""
    ) -> RequestView:
        """Send an approved request's message if it has not gone, then erase (see the module).

        Stays ``approved`` while the message waits on a transient failure; safe to run again.
        """
        key = _request_key(request_id)
        row = await ErasureRequest.select().where(ErasureRequest.id == key).first()
        if row is None:
            raise NotFound("No erasure request has this id")
        if row["status"] != "approved":
            raise Conflict(
                f"Only an approved request is carried out; this one is {row['status']}",
                errors=[{"field": "request_id", "message": f"is {row['status']}"}],
            )
        if row["volunteer"] is None:  # erased meanwhile by another path (the retention schedule)
            await ErasureRequest.update({ErasureRequest.status: "erased"}).where(
                ErasureRequest.id == key
            )
            return await self.get(key)
        told = await self._send_decision(key)
        if told not in FINISHED and told != "missing":
            log.info("erasure_request.waiting_for_message", request=key, message=told)
            return await self.get(key)

        async def mark(erasure_id: str) -> None:
            await ErasureRequest.update(
                {
                    ErasureRequest.status: "erased",
                    ErasureRequest.erasure_id: erasure_id,
                    ErasureRequest.told: "sent" if told == "sent" else "not_sent",
                }
            ).where(ErasureRequest.id == key)

        await erase_person(
            uuid.UUID(str(row["volunteer"])),
            reason=f"Art. 17 request {key}, approved by the data protection officer",
            decided_by=uuid.UUID(row["decided_by"]),
            ledger=self.ledger,
            channel=channel,
            request_id=ledger_request,
            on_erased=mark,
        )
        log.info("erasure_request.erased", request=key)
        return await self.get(key)

    async def _send_decision(self, key: str) -> str:
        message = (
            await OutboxMessage.select(OutboxMessage.id, OutboxMessage.status)
            .where(OutboxMessage.idempotency_key == _message_key(key))
            .first()
        )
        if message is None:  # nothing left to send (emptied by hand): erase, and say not sent
            return "missing"
        if message["status"] in FINISHED:
            return str(message["status"])
        return await send_now(str(message["id"]), self.transport, self.settings)

    async def complete_all(self, *, channel: Channel) -> list[RequestView]:
        """Carry out every approved request (after a crash, or a message that had to wait)."""
        rows = await ErasureRequest.select(ErasureRequest.id).where(
            ErasureRequest.status == "approved"
        )
        return [await self.complete(str(r["id"]), channel=channel) for r in rows]
