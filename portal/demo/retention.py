"""The demo's retention dry run: the DPO's retention pages show a run to read and approve.

Recorded and ledgered like any dry run (``requested_by: demo``); it erases nothing. Made once:
a second ``esp-portal demo`` finds a run and adds none.
"""

from __future__ import annotations

from portal.demo.context import DemoContext
from portal.retention.services import RetentionService
from portal.retention.tables import RetentionRun


async def load_retention(ctx: DemoContext) -> None:
    added = 0
    if not await RetentionRun.count():
        await RetentionService(await ctx.ledger()).dry_run(requested_by="demo", channel="cli")
        added = 1
    ctx.count("retention runs", await RetentionRun.count(), added)
