"""The hours values behind the generic staff views (``/api/employer/staff``, the staff pages).

The gate records a disclosure per category it releases, so a released ``hours.summary``,
``training`` or ``hours.detail`` must carry the data it names, never an empty placeholder: the
ledger would otherwise say a category left the server when nothing did. The staff views have
no period of their own, so they show this London year so far: the same figures (and the same
code) as the yearly employer report for that year, plus the duty records for ``hours.detail``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

import msgspec
from pydantic_core import to_json

from portal import memo
from portal.clock import local_date, utcnow
from portal.dbutil import (
    FixedQuery,
    as_date,
    as_moment,
    json_lists,
    json_parts_select,
    json_rows,
)
from portal.disclosure.gate import Recipient
from portal.disclosure.sources import CategorySources, FieldProvider
from portal.hours.aggregate import DutySpan, hours, minutes_of, monthly_totals
from portal.hours.allowance import Balance, PolicyVersion, Usage, policy_on, simulate, to_units
from portal.hours.duties import clip_to_employment
from portal.hours.gateway import HOURS_CATEGORIES
from portal.hours.periods import MAX_DUTY, Month, local_midnight, london_iso_s
from portal.hours.reports import _Person, _summary_fields
from portal.hours.tables import DutyRecord, LeaveStatus
from portal.jsonedge import EncodedJSON
from portal.memo import PersonalMemo
from portal.settings import Settings

#: Duty records per person in ``hours.detail`` (a year of duties is a few hundred at most).
DETAIL_LIMIT = 1000

#: Everything the hours fields of a page of staff need, read in one statement: their jobs with
#: the employer, their current duty versions in the window, the employer's leave policy
#: versions, and their approved and pending leave.
_COLUMNS = {
    "jobs": ("volunteer", "starts_on", "ends_on"),
    "duties": ("volunteer", "duties"),
    "policies": (
        "id",
        "version",
        "unit",
        "amount",
        "paid",
        "rollover_months",
        "year_start_month",
        "starts_on",
        "agreement_id",
    ),
    "leave": ("volunteer", "starts_at", "amount", "status", "unit"),
}
#: Each duty row, positional (a page of staff has thousands): see ``_D_*``.
_DUTY_COLUMNS = ("start_s", "end_s", "minutes", "duty_type", "esp_leave", "is_cancelled", "version")
_DUTY_SELECT = ", ".join(f"d.{c}" for c in _DUTY_COLUMNS)
_DUTY_SELECT_S = ", ".join(f"s.{c}" for c in _DUTY_COLUMNS)
_DUTY_WHERE = (
    "d.volunteer {ids} AND d.start_s >= {} AND d.start_s < {} "
    "AND NOT EXISTS (SELECT 1 FROM duty_record x WHERE x.supersedes = d.id)"
)
(_D_START, _D_END, _D_MINUTES, _D_TYPE, _D_ESP, _D_CANCELLED, _D_VERSION) = range(
    len(_DUTY_COLUMNS)
)
#: Each volunteer's current duty versions in the window, as one JSON array. SQLite has no
#: ORDER BY inside an aggregate (before 3.44): its rows come ordered, and Python sorts either way.
_DUTIES_BY_VOLUNTEER = {
    "postgres": f"SELECT d.volunteer, json_agg(json_build_array({_DUTY_SELECT}) "  # noqa: S608
    "ORDER BY d.start_s, d.version, d.id)::text AS duties "
    f"FROM duty_record d WHERE {_DUTY_WHERE} GROUP BY d.volunteer",
    "sqlite": f"SELECT s.volunteer, json_group_array(json_array({_DUTY_SELECT_S})) "  # noqa: S608
    f"AS duties FROM (SELECT d.volunteer, {_DUTY_SELECT} FROM duty_record d "
    f"WHERE {_DUTY_WHERE} ORDER BY d.volunteer, d.start_s, d.version, d.id) s "
    "GROUP BY s.volunteer",
}
_encode_json = msgspec.json.Encoder().encode
_decode_json = msgspec.json.Decoder().decode

_FACTS = FixedQuery(
    json_parts_select(
        {
            "jobs": (
                "SELECT volunteer, starts_on, ends_on FROM employment "
                "WHERE employer = {} AND volunteer {ids}",
                _COLUMNS["jobs"],
            ),
            "duties": (
                _DUTIES_BY_VOLUNTEER,
                _COLUMNS["duties"],
            ),
            "policies": (
                "SELECT id, version, unit, amount, paid, rollover_months, year_start_month, "
                "starts_on, agreement_id FROM esp_leave_policy WHERE employer = {}",
                _COLUMNS["policies"],
            ),
            "leave": (
                "SELECT volunteer, starts_at, amount, status, unit FROM leave_request "
                "WHERE employer = {} AND volunteer {ids} AND status IN ('approved', 'pending')",
                _COLUMNS["leave"],
            ),
        }
    ),
    DutyRecord,
)

Spells = list[tuple[dt.date, dt.date | None]]


class _Facts:
    """The rows of :data:`_FACTS`, grouped per volunteer."""

    def __init__(self, row: Mapping[str, Any], volunteers: Sequence[str]) -> None:
        self.jobs: dict[str, Spells] = {v: [] for v in volunteers}
        for job in json_rows(row["jobs"], _COLUMNS["jobs"]):
            ends = job["ends_on"]
            self.jobs.setdefault(str(job["volunteer"]), []).append(
                (as_date(job["starts_on"]), as_date(ends) if ends is not None else None)
            )
        # Each volunteer's duty rows stay JSON text: the text is the key of what is remembered
        # (_person_fields), decoded only when nothing is. PostgreSQL sends it as text, in a
        # fixed order; SQLite may send the array itself, encoded again here in sorted order.
        self.duties: dict[str, str] = {v: "[]" for v in volunteers}
        for volunteer, rows in json_lists(row["duties"]):
            if not isinstance(rows, str):
                rows = _encode_json(_sorted(rows)).decode()
            self.duties[str(volunteer)] = rows
        self.policies = [_policy(p) for p in json_rows(row["policies"], _COLUMNS["policies"])]
        self.leave = json_rows(row["leave"], _COLUMNS["leave"])


def _sorted(duties: list[list[Any]]) -> list[list[Any]]:
    duties.sort(key=itemgetter(_D_START, _D_VERSION))
    return duties


def _policy(row: Mapping[str, Any]) -> PolicyVersion:
    return PolicyVersion(
        version=int(row["version"]),
        unit=str(row["unit"]),
        amount=Decimal(str(row["amount"])),
        paid=bool(row["paid"]),
        rollover_months=int(row["rollover_months"]),
        year_start_month=int(row["year_start_month"]),
        starts_on=as_date(row["starts_on"]),
        id=str(row["id"]),
        agreement_id=str(row["agreement_id"]) if row["agreement_id"] else None,
    )


def _balances(
    facts: _Facts, volunteers: Sequence[str], today: dt.date, first: Month, last: Month
) -> dict[str, Balance]:
    """As ``portal.hours.leave.balances`` (until, keep_from = first, stop_at = last)."""
    current = policy_on(facts.policies, today)
    if current is None:
        return {}
    usages: dict[str, list[Usage]] = {}
    for leave in facts.leave:
        if leave["unit"] == current.unit:
            usages.setdefault(str(leave["volunteer"]), []).append(
                Usage(
                    Month.of(as_moment(leave["starts_at"])),
                    to_units(current.unit, Decimal(str(leave["amount"]))),
                    leave["status"] == LeaveStatus.APPROVED.value,
                )
            )
    found: dict[str, Balance] = {}
    policies = tuple(facts.policies)
    for volunteer in volunteers:
        balance = _simulated(
            policies,
            tuple(facts.jobs.get(volunteer, ())),
            tuple(usages.get(volunteer, ())),
            today,
            first,
            last,
        )
        if balance is not None:
            found[volunteer] = balance
    return found


#: How long a person's computed hours may stay in this process's memory (seconds): past it they
#: are recomputed, and an erased person's are gone even from processes that did not erase them.
REMEMBER_FOR = 600.0
#: One person's leave balance and hours fields, each on the inputs it was computed from.
_BALANCES: PersonalMemo[Balance | None] = PersonalMemo(maxsize=4096, ttl=REMEMBER_FOR)
_FIELDS: PersonalMemo[dict[str, Any]] = PersonalMemo(maxsize=4096, ttl=REMEMBER_FOR)


@_BALANCES.remember
def _simulated(
    policies: tuple[PolicyVersion, ...],
    spells: tuple[tuple[dt.date, dt.date | None], ...],
    usages: tuple[Usage, ...],
    today: dt.date,
    first: Month,
    last: Month,
) -> Balance | None:
    """``simulate`` remembered on every one of its inputs, all read from committed state in this
    request: the same inputs always give the same balance, so a reused answer is never stale
    (a leave request, a new job or policy version is a different key). The month-by-month
    simulation was 7-12 % of a staff read's CPU, recomputed on every read of the same person
    (bench/results/http.md, fourth round). ``Balance`` is frozen, so sharing it is safe. Its
    inputs and answer are a person's employment and leave: remembered for :data:`REMEMBER_FOR` at
    most, and forgotten when anyone is erased (``portal.memo``)."""
    return simulate(policies, spells, usages, today, last, first, last)


def _spans(duties: Sequence[Sequence[Any]]) -> list[DutySpan]:
    return [
        DutySpan(float(d[_D_START]), float(d[_D_END]), bool(d[_D_ESP]), str(d[_D_TYPE]))
        for d in duties
        if not d[_D_CANCELLED]
    ]


def _spell_seconds(spells: Spells) -> list[tuple[float, float]]:
    """Each spell as [London midnight of its first day, London midnight after its last)."""
    return [
        (
            local_midnight(s).timestamp(),
            local_midnight(e + dt.timedelta(days=1)).timestamp() if e is not None else math.inf,
        )
        for s, e in spells
    ]


@functools.lru_cache(maxsize=4096)
def _hours_value(minutes: int) -> float:
    return float(hours(minutes))


def _detail(duties: Sequence[Sequence[Any]], spells: Spells, lo: int) -> list[dict[str, Any]]:
    """``hours.detail``: duties starting in the period (the first :data:`DETAIL_LIMIT`), not
    cancelled, started while employed there (London dates)."""
    shown = [d for d in duties if int(d[_D_START]) >= lo][:DETAIL_LIMIT]
    # "Started while employed" as clip_to_employment decides it: the start instant falls in a
    # spell's London days, here as POSIX seconds (no date per duty).
    ranges = _spell_seconds(spells)
    return [
        {
            "starts_at": london_iso_s(start),
            "ends_at": london_iso_s(int(duty[_D_END])),
            "hours": _hours_value(int(duty[_D_MINUTES])),
            "duty_type": str(duty[_D_TYPE]),
            "esp_leave": bool(duty[_D_ESP]),
        }
        for duty in shown
        if not duty[_D_CANCELLED] and _in_spells(start := int(duty[_D_START]), ranges)
    ]


def _in_spells(start: int, ranges: Sequence[tuple[float, float]]) -> bool:
    """Whether ``start`` falls in one of ``ranges`` ([from, to) seconds); a plain loop, not
    ``any()`` over a generator: this runs once per duty of a page (12.9 % of a staff list's
    CPU as a generator, bench/results/http.md fourth round)."""
    for lo, hi in ranges:  # noqa: SIM110 (any() over a generator is what this replaced)
        if lo <= start < hi:
            return True
    return False


@dataclass(frozen=True)
class _Window:
    """The months a staff view covers and the monthly minimum it checks (a cache key part)."""

    first: Month
    last: Month
    minimum: int


@_FIELDS.remember
def _person_fields(
    duty_rows: str,
    spells: tuple[tuple[dt.date, dt.date | None], ...],
    balance: Balance | None,
    wanted: tuple[bool, bool, bool],
    window: _Window,
) -> dict[str, Any]:
    """One person's hours fields (``wanted``: summary, training, detail) from what this request
    read: their current duty versions in the window (the JSON text of their rows, as the
    database sent it: a repeated read costs hashing that text, not decoding it), their jobs with
    the employer and their leave balance (itself computed from committed state,
    :func:`_simulated`).

    A pure function of its arguments, so it is remembered on all of them: a new, corrected or
    cancelled duty, a changed job or leave is a different key, and a reused answer is never
    older than the request. Spans, monthly totals, the summary and the duty records were about
    a third of a staff list's CPU, recomputed on every read of the same people
    (bench/results/http.md, fifth round). The duty records are kept encoded
    (:class:`EncodedJSON`): the response splices them in rather than encoding them again.
    What is remembered is the person's data: kept :data:`REMEMBER_FOR` at most, and forgotten
    when anyone is erased (``portal.memo``).
    """
    summary, training, detail = wanted
    duties = _sorted(_decode_json(duty_rows))
    first, last = window.first, window.last
    period = f"{first.year}"
    spell_list = list(spells)
    fields: dict[str, Any] = {}
    if summary or training:
        person = _Person("", (), employment=spell_list)
        person.spans = clip_to_employment(_spans(duties), spell_list)
        person.balance = balance
        person.totals = monthly_totals(person.spans, first, last)
        if summary:
            fields["hours_summary"] = {
                "period": period,
                **_summary_fields(person, first, last, window.minimum),
            }
        if training:
            minutes = sum(t.training_minutes for t in person.totals)
            fields["training"] = {"training_hours": float(hours(minutes))}
    if detail:
        records = _detail(duties, spell_list, int(first.start().timestamp()))
        # Written by the serializer the response models use (``model_dump_json``), with the
        # same settings: the bytes are what the response would have held.
        fields["hours_detail"] = {
            "period": period,
            "duties": EncodedJSON(to_json(records, inf_nan_mode="null").decode()),
        }
    return fields


def year_to_date_fields(
    organisation_id: str, settings: Settings, today: dt.date | None = None
) -> FieldProvider:
    """A field provider for this London year so far, for the recipient organisation.

    The same figures as the yearly employer report for that year (``portal.hours.reports``) and
    the duty records for ``hours.detail``, from one read for the whole page of staff.
    """
    day = today or local_date(utcnow())
    last = Month.of_date(day)
    first = Month(last.year, 1)
    minimum = minutes_of(settings.monthly_minimum_hours)
    lo = int(first.start().timestamp())
    hi = int(last.end().timestamp())
    window_lo = lo - int(MAX_DUTY.total_seconds())

    async def provide(
        subjects: Sequence[tuple[str, tuple[str, ...]]],
    ) -> Mapping[str, Mapping[str, Any]]:
        if not any(set(cats).intersection(HOURS_CATEGORIES) for _v, cats in subjects):
            return {}  # nothing asked for here needs hours: no queries
        volunteers = [v for v, _cats in subjects]
        erased_before = memo.erasures()
        (row,) = await _FACTS.rows(
            organisation_id,
            volunteers,
            volunteers,
            window_lo,
            hi,
            organisation_id,
            organisation_id,
            volunteers,
            long=len(volunteers) > 1,
        )
        facts = _Facts(row, volunteers)
        wanted = [v for v, cats in subjects if "hours.summary" in cats or "training" in cats]
        found = _balances(facts, wanted, day, first, last) if wanted else {}
        provided: dict[str, dict[str, Any]] = {}
        for volunteer, categories in subjects:
            fields = _person_fields(
                facts.duties.get(volunteer, "[]"),
                tuple(facts.jobs.get(volunteer, ())),
                found.get(volunteer),
                (
                    "hours.summary" in categories,
                    "training" in categories,
                    "hours.detail" in categories,
                ),
                _Window(first, last, minimum),
            )
            # The cached answer is shared: each caller gets its own dicts.
            provided[volunteer] = {name: dict(value) for name, value in fields.items()}
        # Someone erased while this read was under way may have been remembered again.
        memo.forget_if_erased_since(erased_before)
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
