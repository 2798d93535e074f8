"""Demo messages: what the demo's events would have sent, delivered by the configured transport.

The hours step writes the demo's leave history straight into its tables, so this step writes the
messages those events send (each through the product's own functions, keyed like the product
keys them, so a second run adds nothing): the employer's contacts hear of each pending request,
and the volunteers of the latest decisions hear by their own contact preferences (email, text,
or a call on the coordinator's list). The first demo volunteer asks for the daily summary of
disclosures and gets today's. Withdrawal notices were emailed by the withdrawals step.

With the file transport (the default) the worker then delivers everything into
``$ESP_DATA_DIR/outbox-files/``: real ``.eml`` and ``.sms.txt`` files, each volunteer's address
passing the disclosure gate first, so the volunteer sees it on their disclosures page.
"""

from __future__ import annotations

import structlog

from portal.clock import local_date, utcnow
from portal.contact.digest import enqueue_digests
from portal.demo import data
from portal.demo.context import DemoContext
from portal.gates import build_gate
from portal.hours.leave import notify_employer_contacts, notify_volunteer_of_decision
from portal.hours.tables import LeaveRequest, LeaveStatus
from portal.messages.disclosing import gated_transport
from portal.messages.tables import OutboxMessage
from portal.messages.worker import run_once
from portal.organisations.tables import Volunteer

log = structlog.get_logger(__name__)

#: How many of the latest decisions tell their volunteer (enough to show every channel).
DECISIONS_TOLD = 8


async def _enqueue(ctx: DemoContext) -> None:
    settings = ctx.settings
    async with OutboxMessage._meta.db.transaction():
        pending = await LeaveRequest.select(LeaveRequest.id, LeaveRequest.employer).where(
            LeaveRequest.status == LeaveStatus.PENDING.value
        )
        for row in pending:
            await notify_employer_contacts(settings, str(row["employer"]), str(row["id"]))
        decided = (
            await LeaveRequest.select(LeaveRequest.id, LeaveRequest.volunteer, LeaveRequest.status)
            .where(
                LeaveRequest.status.is_in([LeaveStatus.APPROVED.value, LeaveStatus.DECLINED.value])
            )
            .order_by(LeaveRequest.decided_at, ascending=False)
            .limit(DECISIONS_TOLD)
        )
        for row in decided:
            await notify_volunteer_of_decision(
                settings, str(row["volunteer"]), str(row["id"]), str(row["status"])
            )
    first = str(data.demo_id("volunteer", 0))
    await Volunteer.update({Volunteer.disclosure_digest: True}).where(Volunteer.id == first)
    await enqueue_digests(settings, local_date(utcnow()))


async def load_messages(ctx: DemoContext) -> None:
    """Write the demo's messages and, with the file transport, deliver them."""
    before = await OutboxMessage.count()
    await _enqueue(ctx)
    delivered = 0
    if ctx.settings.messages_transport == "file":
        ledger = await ctx.ledger()
        transport = gated_transport(ctx.settings, build_gate(ledger, ctx.settings))
        while tried := await run_once(ctx.settings, transport):
            delivered += tried
        ctx.notes.append(
            f"Messages the demo sent are files in {ctx.settings.outbox_files_dir} "
            "(.eml opens in a mail client); phone calls wait on the coordinator's "
            "'People to call' page."
        )
    total = await OutboxMessage.count()
    ctx.count("messages", total, total - before)
    log.info("demo.messages", written=total - before, delivered=delivered)
