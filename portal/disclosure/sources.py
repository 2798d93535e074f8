"""Where each released field comes from: the volunteer record, or a registered source.

The gate releases fixed fields per category (``portal/vocabulary/purposes.json``). Fields of the
volunteer record are defined here, once, with the columns they read: the gate selects exactly
those columns. Every other field (hours, training, …) comes from a source another domain
registers on a :class:`CategorySources` when the app is built (hours registers in
``portal.hours.staff_fields``), so no caller has to remember to pass it and ``disclosure`` never
imports the domains behind it.
A field nothing fills is not released, and its category is not ledgered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.disclosure.recipient import Recipient

#: Given each subject about to be released (volunteer id, released categories), values by
#: volunteer id and field name. It runs after the decision and before the ledger append; the gate
#: keeps only fields the released categories map to, whatever it returns.
FieldProvider = Callable[
    [Sequence[tuple[str, tuple[str, ...]]]], Awaitable[Mapping[str, Mapping[str, Any]]]
]

#: Builds the provider for one recipient on one London day, or ``None`` when the source has
#: nothing for that recipient.
ProviderFactory = Callable[[Recipient, dt.date], FieldProvider | None]


@dataclass(frozen=True)
class RowField:
    """A released field computed from the volunteer row (``columns`` are what it reads)."""

    columns: tuple[str, ...]
    value: Callable[[Mapping[str, Any]], Any]


_APPLICATION_STAGE = {
    "applicant": "application_in_progress",
    "in_training": "accepted_in_training",
    "active": "complete",
    "leaver": "complete",
}

#: The fields of the volunteer record, and the volunteer columns each reads.
VOLUNTEER_FIELDS: dict[str, RowField] = {
    "display_name": RowField(("display_name",), lambda row: row["display_name"]),
    "status": RowField(("status",), lambda row: row["status"]),
    "application_stage": RowField(
        ("status",), lambda row: _APPLICATION_STAGE.get(str(row["status"]), "unknown")
    ),
}

#: Every volunteer column a disclosure reads: the id and subject, then what the fields need.
VOLUNTEER_COLUMNS: tuple[str, ...] = tuple(
    sorted({column for f in VOLUNTEER_FIELDS.values() for column in f.columns})
)


def volunteer_select(alias: str) -> str:
    """The select list of a disclosure read of table ``alias`` (``volunteer_id``, ``subject``…)."""
    columns = ", ".join(f"{alias}.{c} AS {c}" for c in VOLUNTEER_COLUMNS)
    return f"{alias}.id AS volunteer_id, {alias}.subject AS subject, {columns}"


def row_value(name: str, row: Mapping[str, Any]) -> Any:
    """A field's value from the volunteer row (``None`` for a field the row does not hold)."""
    source = VOLUNTEER_FIELDS.get(name)
    return source.value(row) if source is not None else None


class CategorySources:
    """The registry of sources for fields outside the volunteer record."""

    def __init__(self) -> None:
        self._factories: list[tuple[frozenset[str], ProviderFactory]] = []

    def register(self, fields: Sequence[str], factory: ProviderFactory) -> None:
        """Let ``factory`` fill ``fields``; a field has one source only."""
        wanted = frozenset(fields)
        taken = wanted & (self.provided_fields | frozenset(VOLUNTEER_FIELDS))
        if taken:
            raise ValueError(f"fields already have a source: {', '.join(sorted(taken))}")
        self._factories.append((wanted, factory))

    @property
    def provided_fields(self) -> frozenset[str]:
        return frozenset().union(*(fields for fields, _ in self._factories))

    def provider_for(self, recipient: Recipient, today: dt.date) -> FieldProvider | None:
        """One provider asking every registered source for this recipient, or ``None``."""
        providers = [
            (fields, p)
            for fields, factory in self._factories
            if (p := factory(recipient, today)) is not None
        ]
        if not providers:
            return None

        async def provide(
            subjects: Sequence[tuple[str, tuple[str, ...]]],
        ) -> Mapping[str, Mapping[str, Any]]:
            merged: dict[str, dict[str, Any]] = {}
            for fields, provider in providers:
                for volunteer, values in (await provider(subjects)).items():
                    own = {k: v for k, v in values.items() if k in fields}
                    merged.setdefault(volunteer, {}).update(own)
            return merged

        return provide
