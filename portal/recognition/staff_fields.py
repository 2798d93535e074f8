"""The ``recognition`` field the gate releases: a volunteer's awards, newest first.

Registered on the gate's sources when the gate is built (``portal.gates.category_sources``), so
awards leave the server only as a projected, ledgered disclosure. A volunteer with no award gets
no ``recognition`` field, and then the category is neither released nor ledgered for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from portal.disclosure.recipient import Recipient
from portal.disclosure.sources import CategorySources, FieldProvider
from portal.recognition.services import awards_by_volunteer

CATEGORY = "recognition"
#: The gate field this module fills (the ``recognition`` category's only field).
RECOGNITION_FIELDS = ("recognition",)


async def _provide(
    subjects: Sequence[tuple[str, tuple[str, ...]]],
) -> Mapping[str, Mapping[str, Any]]:
    wanted = [volunteer for volunteer, categories in subjects if CATEGORY in categories]
    if not wanted:
        return {}  # nothing asked for recognition: no query
    awards = await awards_by_volunteer(wanted)
    return {volunteer: {"recognition": items} for volunteer, items in awards.items()}


def register_sources(sources: CategorySources) -> None:
    """Awards are the source of ``recognition`` for every recipient the gate admits."""

    def factory(_recipient: Recipient, _today: dt.date) -> FieldProvider | None:
        return _provide

    sources.register(RECOGNITION_FIELDS, factory)
