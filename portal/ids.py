"""Ids from the outside world: one parser for every UUID a path, body, query or file carries.

Ids are UUID strings. A value that is not one is answered as "not found" (or a named field error)
by the caller, never passed on to a query, so every domain reads ids through :func:`parse_id`.
"""

from __future__ import annotations

import uuid


def parse_id(value: object) -> str | None:
    """The canonical text of a UUID, or ``None`` when ``value`` is not one."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
