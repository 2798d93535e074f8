"""The one thing retention needs from person erasure (``portal/erasure``, built separately).

When a whole person has passed their time (an application not taken forward a year after, a
service record six years after leaving), the run lists them as "erasure due" and, on approval,
hands each to a :class:`PersonEraser`. Retention never erases a person itself: cutting every
path from the ledger to the person is erasure's job. The web and the CLI pass
:class:`portal.erasure.for_retention.ScheduledErasure`; a service built without an eraser (the
scheduled dry run, which never erases) only lists them.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class PersonEraser(Protocol):
    async def erase_person(
        self, volunteer_id: UUID, *, reason: str, decided_by: UUID | None
    ) -> None:
        """Erase everything held about one person that the law no longer requires."""
        ...
