"""One way to say "this field is wrong": a 422 problem naming the field, for any service."""

from __future__ import annotations

from portal.errors import InvalidInput


def field_error(field: str, message: str) -> InvalidInput:
    """An :class:`InvalidInput` whose ``errors`` names ``field`` with ``message``."""
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])
