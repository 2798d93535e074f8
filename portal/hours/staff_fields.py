"""The hours values behind the generic staff views (``/api/employer/staff``, the staff pages).

The gate records a disclosure per category it releases, so a released ``hours.summary``,
``training`` or ``hours.detail`` must carry the data it names, never an empty placeholder: the
ledger would otherwise say a category left the server when nothing did. The staff views have
no period of their own, so they show this London year so far: the same figures (and the same
code) as the yearly employer report for that year, plus the duty records for ``hours.detail``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from portal.clock import local_date, utcnow
from portal.disclosure.gate import Recipient
from portal.disclosure.sources import CategorySources, FieldProvider
from portal.hours.aggregate import minutes_of
from portal.hours.duties import list_duties
from portal.hours.gateway import HOURS_CATEGORIES
from portal.hours.leave import employment_of
from portal.hours.periods import Month
from portal.hours.reports import report_fields, started_while_employed
from portal.hours.schemas import DutyOut
from portal.settings import Settings

#: Duty records per person in ``hours.detail`` (a year of duties is a few hundred at most).
DETAIL_LIMIT = 1000


def _compact(duty: DutyOut) -> dict[str, Any]:
    return {
        "starts_at": duty.starts_at,
        "ends_at": duty.ends_at,
        "hours": duty.hours,
        "duty_type": duty.duty_type,
        "esp_leave": duty.esp_leave,
    }


def year_to_date_fields(
    organisation_id: str, settings: Settings, today: dt.date | None = None
) -> FieldProvider:
    """A field provider for this London year so far, for the recipient organisation."""
    day = today or local_date(utcnow())
    last = Month.of_date(day)
    first = Month(last.year, 1)
    summaries = report_fields(
        organisation_id, first, last, day, minutes_of(settings.monthly_minimum_hours)
    )

    async def provide(
        subjects: Sequence[tuple[str, tuple[str, ...]]],
    ) -> Mapping[str, Mapping[str, Any]]:
        if not any(set(cats).intersection(HOURS_CATEGORIES) for _v, cats in subjects):
            return {}  # nothing asked for here needs hours: no queries
        provided = {k: dict(v) for k, v in (await summaries(subjects)).items()}
        for fields in provided.values():
            if "hours_summary" in fields:
                fields["hours_summary"] = {"period": f"{first.year}", **fields["hours_summary"]}
        detailed = [volunteer for volunteer, cats in subjects if "hours.detail" in cats]
        employment = await employment_of(detailed, organisation_id) if detailed else {}
        for volunteer in detailed:
            spells = employment.get(volunteer, [])
            duties, _more = await list_duties(volunteer, first, last, limit=DETAIL_LIMIT)
            provided.setdefault(volunteer, {})["hours_detail"] = {
                "period": f"{first.year}",
                "duties": [
                    _compact(d)
                    for d in duties
                    if not d.is_cancelled and started_while_employed(d, spells)
                ],
            }
        return provided

    return provide


#: The gate fields this module fills (``hours.summary``, ``hours.detail``, ``training``).
HOURS_FIELDS = ("hours_summary", "hours_detail", "training")


def register_sources(sources: CategorySources, settings: Settings) -> None:
    """Register this London year so far as the source of the hours fields, for employers.

    Called once when the gate is built; the force's own reads (the DPO) get no hours here.
    """

    def factory(recipient: Recipient, today: dt.date) -> FieldProvider | None:
        if recipient.kind != "employer":
            return None
        return year_to_date_fields(recipient.organisation_id, settings, today)

    sources.register(HOURS_FIELDS, factory)
