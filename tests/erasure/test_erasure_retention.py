"""Erasure reaches what retention keeps (both databases).

A retention run records the ids of the persons it found due; erasing one of them must leave no
trace of that id there (the run's list keeps an entry, under the erasure's random token). And a
person with a refused request names them is erased through the refusal table's own trigger,
which retention redefined: on PostgreSQL that failed with ``insufficient_privilege`` until the
trigger learnt the erasure procedure's setting.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ledger import Ledger
from portal.disclosure.tables import DisclosureRefusal
from portal.erasure.service import erase_person
from portal.retention.services import RetentionService
from portal.retention.tables import RetentionRun
from portal.settings import Settings
from tests.retention.retention_world import LATER, build_world


async def test_an_erased_person_leaves_no_id_in_a_retention_runs_list(
    engine: Any, ledger: Ledger, settings: Settings
) -> None:
    world = await build_world(settings)
    run = await RetentionService(ledger, clock=lambda: LATER).dry_run(
        requested_by=world.dpo.id, channel="web"
    )
    applicant = world.volunteers["applicant"]
    assert applicant in {p.volunteer for p in run.persons_due}
    assert await DisclosureRefusal.count() > 0

    await erase_person(
        uuid.UUID(applicant), reason="Art. 17 request", decided_by=None, ledger=ledger
    )

    row = await RetentionRun.select(RetentionRun.persons_due).where(RetentionRun.id == run.id)
    listed = row[0]["persons_due"]
    text = listed if isinstance(listed, str) else json.dumps(listed)
    assert applicant not in text
    due = json.loads(text)
    assert len(due) == len(run.persons_due)  # the entry stays, under a token
    assert world.volunteers["veteran"] in text  # the other person due is untouched
