"""The milestone fields the gate releases: ``application_milestones`` (category
``application``) and ``training_milestones`` (category ``training``).

Each released step carries its date and a state; for vetting and medical the state is only
``in_progress`` or ``complete`` (:func:`portal.applications.stages.released_state`). A volunteer
with no milestone gets neither field, so neither category is released or ledgered for them on
the strength of milestones alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from portal.applications.services import current_steps, history_of
from portal.applications.stages import TRAINING_STAGES, released_state
from portal.disclosure.recipient import Recipient
from portal.disclosure.sources import CategorySources, FieldProvider

#: The gate fields this module fills.
MILESTONE_FIELDS = ("application_milestones", "training_milestones")


def _released(row: Mapping[str, Any]) -> dict[str, str]:
    on = row["occurred_on"]
    return {
        "stage": str(row["stage"]),
        "state": released_state(str(row["stage"]), str(row["outcome"])),
        "on": on.isoformat() if isinstance(on, dt.date) else str(on),
    }


async def _provide(
    subjects: Sequence[tuple[str, tuple[str, ...]]],
) -> Mapping[str, Mapping[str, Any]]:
    wanted = {
        volunteer: set(categories) & {"application", "training"}
        for volunteer, categories in subjects
    }
    wanted = {volunteer: cats for volunteer, cats in wanted.items() if cats}
    if not wanted:
        return {}  # nothing asked for milestones: no query
    by_volunteer: dict[str, list[Mapping[str, Any]]] = {}
    for row in await history_of(list(wanted)):
        by_volunteer.setdefault(str(row["volunteer"]), []).append(row)
    provided: dict[str, dict[str, Any]] = {}
    for volunteer, history in by_volunteer.items():
        steps = [_released(row) for row in current_steps(history)]
        fields: dict[str, Any] = {}
        if "application" in wanted[volunteer] and steps:
            fields["application_milestones"] = steps
        training = [step for step in steps if step["stage"] in TRAINING_STAGES]
        if "training" in wanted[volunteer] and training:
            fields["training_milestones"] = training
        if fields:
            provided[volunteer] = fields
    return provided


def register_sources(sources: CategorySources) -> None:
    """Milestones are a source for every recipient the gate admits."""

    def factory(_recipient: Recipient, _today: dt.date) -> FieldProvider | None:
        return _provide

    sources.register(MILESTONE_FIELDS, factory)
