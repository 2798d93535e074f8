"""Finding volunteers by what a caller holds: an id from a path, or an id or email from a file.

One home for the check every domain that records something about a volunteer makes first (an
award, a milestone): the id names a volunteer, or the answer is 404. A wrong or unknown id reads
the same, so a caller learns nothing from the difference.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.errors import NotFound
from portal.ids import parse_id
from portal.organisations.tables import Volunteer

#: Ids or emails asked for in one query at most (SQLite's variable limit is far above this).
_CHUNK = 500


async def existing_volunteer(volunteer_id: str) -> str:
    """The canonical id of the volunteer ``volunteer_id`` names; :class:`NotFound` if none."""
    key = parse_id(volunteer_id)
    if key is None or not await Volunteer.exists().where(Volunteer.id == key):
        raise NotFound("No volunteer has this id")
    return key


async def volunteers_by_reference(references: Iterable[str]) -> dict[str, str]:
    """Each reference that names a volunteer -> that volunteer's id.

    A reference is a volunteer id (any spelling :func:`portal.ids.parse_id` reads) or an email
    address as recorded (lower case). References naming nobody are left out.
    """
    wanted = set(references)
    ids: dict[str, list[str]] = {}
    emails: list[str] = []
    for reference in wanted:
        key = parse_id(reference)
        if key is not None:
            ids.setdefault(key, []).append(reference)
        elif "@" in reference:
            emails.append(reference)
    found: dict[str, str] = {}
    keys = list(ids)
    for start in range(0, len(keys), _CHUNK):
        rows = await Volunteer.select(Volunteer.id).where(
            Volunteer.id.is_in(keys[start : start + _CHUNK])
        )
        for row in rows:
            key = str(row["id"])
            for reference in ids.get(key, []):
                found[reference] = key
    for start in range(0, len(emails), _CHUNK):
        rows = await Volunteer.select(Volunteer.id, Volunteer.email).where(
            Volunteer.email.is_in(emails[start : start + _CHUNK])
        )
        for row in rows:
            found[str(row["email"])] = str(row["id"])
    return found
