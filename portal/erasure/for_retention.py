"""Erasure as the retention schedule asks for it (``portal.retention.eraser.PersonEraser``).

A retention run's approval hands each person due to :meth:`erase_person`; this erases them on the
running ledger, in the channel the approval came through. A person erased between the dry run and
its approval (an Art. 17 request, another run) is already where the schedule wants them, so that
erasure's ``Conflict`` is not an error here; an unknown volunteer still is, loudly.
"""

from __future__ import annotations

from uuid import UUID

import structlog

from ledger import Ledger
from ledger.entries import Channel
from portal.erasure.service import erase_person
from portal.errors import Conflict

log = structlog.get_logger(__name__)


class ScheduledErasure:
    """Erases persons a retention run found due, on ``ledger``, through ``channel``."""

    def __init__(self, ledger: Ledger, channel: Channel) -> None:
        self._ledger = ledger
        self._channel = channel

    async def erase_person(
        self, volunteer_id: UUID, *, reason: str, decided_by: UUID | None
    ) -> None:
        try:
            await erase_person(
                volunteer_id,
                reason=reason,
                decided_by=decided_by,
                ledger=self._ledger,
                channel=self._channel,
            )
        except Conflict:
            log.info("retention.person_already_erased")
