"""The demo data set, loaded by ``esp-portal demo`` as an ordered list of idempotent steps.

To add data, write ``async def load_x(ctx: DemoContext)`` in a module of this package, refer to
earlier rows with :func:`portal.demo.data.demo_id`, insert only what is absent, report with
``ctx.count(...)``, and append ``Step("x", load_x)`` to :data:`STEPS`. Anything that is ledgered
(agreements, consents, disclosures) goes through the product's own services on ``await
ctx.ledger()``, never into its tables by hand (see ``sharing.py``). Steps run in order, on the
application database, with every table bound.
"""

from __future__ import annotations

from portal.accounts.passwords import PasswordHashing
from portal.db import bind_engine, build_engine, close_engine, open_engine
from portal.demo.applications import load_applications
from portal.demo.awards import load_awards
from portal.demo.context import DemoContext, DemoLogin, Step
from portal.demo.hours import load_hours
from portal.demo.messages import load_messages
from portal.demo.people import load_employments, load_organisations, load_users, load_volunteers
from portal.demo.retention import load_retention
from portal.demo.scale import load_scale
from portal.demo.sharing import (
    load_agreements,
    load_consents,
    load_disclosures,
    load_withdrawals,
    report_ledger,
)
from portal.settings import Settings

STEPS: list[Step] = [
    Step("organisations", load_organisations),
    Step("volunteers", load_volunteers),
    Step("employments", load_employments),
    Step("users", load_users),
    # before "hours": its leave policies refer to the employer's agreement
    Step("agreements", load_agreements),
    Step("consents", load_consents),
    Step("hours", load_hours),
    # before "disclosures", so the recognition and application reads carry their data
    Step("awards", load_awards),
    Step("applications", load_applications),
    # after "hours", so the reads give real hours; before withdrawals, so withdrawing a consent
    # a read relied on notifies the employer
    Step("disclosures", load_disclosures),
    Step("withdrawals", load_withdrawals),
    # after the default demo's events: its deliveries ledger each volunteer's address
    Step("messages", load_messages),
    # a force's scale on top (``--size``), after the default demo's own rows
    Step("scale", load_scale),
    # a dry run over everything above, so the DPO's retention pages have a run to show
    Step("retention", load_retention),
    Step("ledger", report_ledger),
]

__all__ = ["STEPS", "DemoContext", "DemoLogin", "Step", "load_demo"]


async def load_demo(
    settings: Settings, steps: list[Step] | None = None, *, size: int = 0
) -> DemoContext:
    """Run every step against the application database; returns the report to print.

    ``size``: bring the demo to this many volunteers (and a tenth as many employers)."""
    engine = build_engine(settings.database_url)
    bind_engine(engine)
    await open_engine(engine)
    ctx = DemoContext(
        settings=settings, engine=engine, hashing=PasswordHashing(settings), size=size
    )
    try:
        for step in STEPS if steps is None else steps:
            await step.run(ctx)
    finally:
        try:
            await ctx.close()
        finally:
            await close_engine(engine)
    return ctx
