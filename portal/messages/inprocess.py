"""The delivery worker inside ``esp-portal serve`` for small installs (``ESP_MESSAGES_IN_PROCESS``).

It is the same worker as ``esp-portal messages worker``, run as a task for the app's lifetime;
claims are safe across processes, so several served processes may each run one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from portal.messages.contact import ContactGate
from portal.messages.disclosing import gated_transport
from portal.messages.periodic import Job
from portal.messages.transports import Transport, transport_for
from portal.messages.worker import run_forever
from portal.settings import Settings


@contextlib.asynccontextmanager
async def in_process_worker(
    settings: Settings, jobs: Sequence[Job] = (), gate: ContactGate | None = None
) -> AsyncIterator[None]:
    """Run the worker (and the periodic ``jobs``) while the block runs, when the settings ask.

    With the app's ``gate``, messages to volunteers are sent too (their addresses pass it).
    """
    if not settings.messages_in_process:
        yield
        return
    stop = asyncio.Event()
    transport: Transport = (
        gated_transport(settings, gate) if gate is not None else transport_for(settings)
    )
    task = asyncio.create_task(run_forever(settings, transport, stop, jobs))
    try:
        yield
    finally:
        stop.set()
        await task
