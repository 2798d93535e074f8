"""From a ledger subject pseudonym back to the volunteer it names, for the force's own use.

Refusal records and ledger entries name a subject (``sub_…``), never a person. The DPO starts a
subject access report from such a record, so the organisations domain, which owns the volunteer
record holding the pseudonym, answers which volunteer it is.
"""

from __future__ import annotations

import re

from portal.organisations.tables import Volunteer

#: A ledger subject id as refusal records and ledger entries show it.
SUBJECT_ID = re.compile(r"^sub_[0-9a-f]{32}$")


async def volunteer_of(identifier: str) -> str:
    """The volunteer id for a volunteer id or a ledger subject id (``sub_…``). An unknown subject
    id is passed on as given: the gate then refuses it as it refuses any unknown id, and records
    the attempt."""
    text = identifier.strip()
    if not SUBJECT_ID.match(text):
        return text
    row = await Volunteer.select(Volunteer.id).where(Volunteer.subject == text).first()
    return str(row["id"]) if row else text
