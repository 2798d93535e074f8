"""The base of every API request body: JSON types taken strictly, unknown fields refused.

Litestar hands a decoded JSON body to pydantic in lax mode, where ``true`` passes for the
integer 1 and ``5`` for the string ``"5"``. A client that sends the wrong JSON type has a bug
the portal should name, not paper over. A model deriving from :class:`StrictBody` is validated
as JSON in strict mode (its body re-read by pydantic's JSON validator): booleans are not numbers,
numbers are not strings, and a string is still fine for a date, a time or an enumeration value,
as JSON has no other way to write them. The same models checked in Python (web forms build them
from text fields) keep pydantic's usual conversions; only the API edge is strict.

No text in a body may contain a NUL character: PostgreSQL cannot store one (the request failed
with a 500) and SQLite would store it silently. It is refused here, for every field of every
body, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import msgspec
from litestar._signature.types import ExtendedMsgSpecValidationError  # as the plugin raises
from litestar.plugins.pydantic import PydanticInitPlugin
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["NUL_MESSAGE", "StrictBody", "StrictBodyPlugin"]

NUL_MESSAGE = "must not contain a NUL character (\\0)"


class StrictBody(BaseModel):
    """An API request body (extra fields forbidden; strict JSON types at the edge)."""

    model_config = ConfigDict(extra="forbid")


def _is_strict_body(target: Any) -> bool:
    return isinstance(target, type) and issubclass(target, StrictBody)


def _nul_errors(value: Any) -> list[dict[str, Any]]:
    """Where a string in a decoded JSON value (keys too) holds a NUL character."""
    errors: list[dict[str, Any]] = []
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                errors.append({"loc": path or ("body",), "msg": NUL_MESSAGE, "type": "nul"})
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in str(key):
                    errors.append({"loc": (*path, "<key>"), "msg": NUL_MESSAGE, "type": "nul"})
                pending.append(((*path, str(key)), inner))
        elif isinstance(item, list):
            pending.extend(((*path, n), inner) for n, inner in enumerate(item))
    return sorted(errors, key=lambda error: [str(part) for part in error["loc"]])


def _decode_strict(model: type[StrictBody], value: Any) -> StrictBody:
    if isinstance(value, model):
        return value
    nul = _nul_errors(value)
    if nul:
        raise ExtendedMsgSpecValidationError(errors=nul)
    try:
        return model.model_validate_json(msgspec.json.encode(value), strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        raise ExtendedMsgSpecValidationError(errors=cast("list[dict[str, Any]]", errors)) from exc


class StrictBodyPlugin(PydanticInitPlugin):
    """Litestar's pydantic plugin, with :class:`StrictBody` models decoded strictly (first)."""

    @classmethod
    def decoders(
        cls, validate_strict: bool = False
    ) -> list[tuple[Callable[[Any], bool], Callable[[Any, Any], Any]]]:
        return [(_is_strict_body, _decode_strict), *super().decoders(validate_strict)]
