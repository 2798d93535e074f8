"""Volume alerts: the periodic check that raises them, the DPO's views, and acknowledgement.

The check (a periodic job, :mod:`portal.jobs`) counts every recipient's disclosures per day in one
aggregate query (:mod:`portal.alerts.counts`), applies the rule (:mod:`portal.alerts.rule`) to
yesterday and today, and raises each new alert in a transaction that also writes its email to the
DPO and coordinators, so an alert is never raised without its message. Acknowledging an alert
is recorded append-only with its ``alert.acknowledged`` ledger entry, as an employer's
acknowledgement of a withdrawal notice is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from ledger import Ledger, VolumeAlertAcknowledgedDraft
from ledger.entries import Channel
from ledger.kinds import VolumeAlertDetails
from portal.agreements.rules import current_version, in_force
from portal.agreements.tables import DataSharingAgreement
from portal.alerts.counts import Counts, daily_counts
from portal.alerts.rule import DayFigures, Thresholds, expected_per_day, figures, usual_level
from portal.alerts.schemas import (
    AlertAcknowledged,
    AlertOut,
    AlertPage,
    DayOut,
    VolumePage,
    VolumeRow,
    VolumeSeries,
)
from portal.alerts.tables import VolumeAlert, VolumeAlertAcknowledgement
from portal.clock import Clock, local_date, utcnow
from portal.dbutil import as_date, json_value, write_transaction
from portal.errors import Conflict, NotFound
from portal.ids import parse_id
from portal.ledgering import recording
from portal.organisations.tables import Organisation, OrganisationKind
from portal.receipts import ReceiptOut
from portal.settings import Settings
from portal.staffmail import tell_force_staff
from portal.vocabulary import vocabulary

log = structlog.get_logger(__name__)

#: Days the series page shows for one recipient and purpose.
SERIES_DAYS = 28

Expected = dict[tuple[str, str], dict[dt.date, float | None]]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def purpose_label(code: str) -> str:
    purpose = vocabulary().purpose(code)
    return purpose.label if purpose else code


async def _employers(ids: Iterable[str] | None = None) -> dict[str, str]:
    """Employer organisations by id: their names (only ids that are employers)."""
    query = Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.kind == OrganisationKind.EMPLOYER.value
    )
    if ids is not None:
        keys = [k for k in (parse_id(i) for i in ids) if k is not None]
        if not keys:
            return {}
        query = query.where(Organisation.id.is_in(keys))
    return {str(r["id"]): r["name"] for r in await query}


async def expectations(pairs: Iterable[tuple[str, str]], days: list[dt.date]) -> Expected:
    """Per pair and day: the expectation of the agreement version in force, per day (or None)."""
    wanted = list(pairs)
    employers = sorted({employer for employer, _ in wanted})
    versions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if employers:
        for row in await DataSharingAgreement.select(
            DataSharingAgreement.id,
            DataSharingAgreement.employer,
            DataSharingAgreement.version,
            DataSharingAgreement.starts_on,
            DataSharingAgreement.ends_on,
            DataSharingAgreement.expected,
        ).where(DataSharingAgreement.employer.is_in(employers)):
            row["starts_on"], row["ends_on"] = as_date(row["starts_on"]), as_date(row["ends_on"])
            versions[str(row["employer"])].append(row)
    out: Expected = {}
    for employer, purpose in wanted:
        per_day: dict[dt.date, float | None] = {}
        for day in days:
            version = current_version(versions.get(employer, []), day)
            stated = None
            if version is not None and in_force(version["starts_on"], version["ends_on"], day):
                stated = dict(json_value(version["expected"])).get(purpose)
            per_day[day] = expected_per_day(stated)
        out[(employer, purpose)] = per_day
    return out


def _alert_out(
    row: Mapping[str, Any], names: Mapping[str, str], ack: Mapping[str, Any] | None
) -> AlertOut:
    employer = str(row["employer"])
    return AlertOut(
        id=str(row["id"]),
        employer_id=employer,
        employer_name=names.get(employer, ""),
        purpose=row["purpose"],
        day=as_date(row["day"]),
        disclosures=int(row["disclosures"]),
        usual=float(row["usual"]),
        expected=None if row["expected"] is None else float(row["expected"]),
        raised_at=row["raised_at"],
        acknowledged_at=ack["acknowledged_at"] if ack else None,
        acknowledged_by=str(ack["acknowledged_by"]) if ack else None,
    )


class VolumeService:
    """Daily volumes per recipient and purpose, and the alerts the rule raises from them."""

    def __init__(self, settings: Settings, ledger: Ledger | None = None, clock: Clock = utcnow):
        self.settings = settings
        self.ledger = ledger
        self.clock = clock

    @property
    def limits(self) -> Thresholds:
        s = self.settings
        return Thresholds(
            s.volume_alert_multiplier, s.volume_alert_floor, s.volume_alert_window_days
        )

    # ----------------------------------------------------------------------------- the check

    async def check(self, now: dt.datetime | None = None) -> int:
        """Raise an alert for each pair whose yesterday or today meets the rule; how many new."""
        today = local_date(now or self.clock())
        days = [today - dt.timedelta(days=1), today]
        counts = await daily_counts(days[0] - dt.timedelta(days=self.limits.window_days), today)
        busy = {
            pair: series
            for pair, series in counts.items()
            if max(series.get(d, 0) for d in days) >= self.limits.floor
        }
        names = await _employers(employer for employer, _ in busy)
        busy = {pair: series for pair, series in busy.items() if pair[0] in names}
        expected = await expectations(busy, days)
        raised = 0
        for pair, series in sorted(busy.items()):
            for figure in figures(series, days, expected[pair], self.limits):
                if figure.alert and await self._raise(pair, figure, names[pair[0]]):
                    raised += 1
        return raised

    async def _raise(self, pair: tuple[str, str], figure: DayFigures, name: str) -> bool:
        employer, purpose = pair
        alert_id = uuid.uuid4()
        async with write_transaction(VolumeAlert):
            if await VolumeAlert.exists().where(
                (VolumeAlert.employer == employer)
                & (VolumeAlert.purpose == purpose)
                & (VolumeAlert.day == figure.day)
            ):
                return False
            await VolumeAlert.insert(
                VolumeAlert(
                    id=alert_id,
                    employer=employer,
                    purpose=purpose,
                    day=figure.day,
                    disclosures=figure.disclosures,
                    usual=figure.usual,
                    expected=figure.expected,
                    raised_at=self.clock(),
                )
            )
            await tell_force_staff(
                self.settings,
                kind="volume_alert",
                event_key=f"volume-alert:{alert_id}",
                context={
                    "employer": name,
                    "purpose": purpose_label(purpose),
                    "day": figure.day.strftime("%-d %B %Y"),
                    "disclosures": figure.disclosures,
                    "usual": f"{figure.usual:g}",
                    "expected": None if figure.expected is None else f"{figure.expected:g}",
                    "link": f"{self.settings.base_url}/dpo/volume/{employer}/{purpose}",
                },
            )
        log.info(
            "alert.raised",
            alert_id=str(alert_id),
            organisation_id=employer,
            purpose=purpose,
            disclosures=figure.disclosures,
        )
        return True

    # ----------------------------------------------------------------------------- views

    async def overview(self, limit: int, offset: int) -> VolumePage:
        """Each recipient and purpose with disclosures in the window: today against usual."""
        today = local_date(self.clock())
        counts = await daily_counts(today - dt.timedelta(days=self.limits.window_days), today)
        names = await _employers(employer for employer, _ in counts)
        pairs = sorted(
            (p for p in counts if p[0] in names), key=lambda p: (names[p[0]].lower(), p[1])
        )
        page = pairs[offset : offset + limit]
        expected = await expectations(page, [today])
        open_counts = await self._open_counts()
        items = [
            VolumeRow(
                employer_id=employer,
                employer_name=names[employer],
                purpose=purpose,
                today=counts[(employer, purpose)].get(today, 0),
                yesterday=counts[(employer, purpose)].get(today - dt.timedelta(days=1), 0),
                usual=usual_level(counts[(employer, purpose)], today, self.limits.window_days),
                expected=expected[(employer, purpose)][today],
                open_alerts=open_counts.get((employer, purpose), 0),
            )
            for employer, purpose in page
        ]
        return VolumePage(day=today, items=items, total=len(pairs), limit=limit, offset=offset)

    async def series(self, employer_id: str, purpose: str) -> VolumeSeries:
        """One recipient and purpose: the last days' counts against usual and expected."""
        names = await _employers([employer_id])
        if employer_id not in names or vocabulary().purpose(purpose) is None:
            raise NotFound("No employer with this id, or no such purpose")
        today = local_date(self.clock())
        days = _days(today - dt.timedelta(days=SERIES_DAYS - 1), today)
        counts: Counts = await daily_counts(
            days[0] - dt.timedelta(days=self.limits.window_days),
            today,
            recipient=employer_id,
            purpose=purpose,
        )
        pair = (employer_id, purpose)
        expected = await expectations([pair], days)
        shown = figures(counts.get(pair, {}), days, expected[pair], self.limits)
        alerts = await self._alerts(
            (VolumeAlert.employer == employer_id) & (VolumeAlert.purpose == purpose), 100, 0
        )
        return VolumeSeries(
            employer_id=employer_id,
            employer_name=names[employer_id],
            purpose=purpose,
            days=[
                DayOut(
                    day=f.day,
                    disclosures=f.disclosures,
                    usual=f.usual,
                    expected=f.expected,
                    alert=f.alert,
                )
                for f in reversed(shown)
            ],
            alerts=alerts.items,
        )

    async def _open_counts(self) -> dict[tuple[str, str], int]:
        acked = VolumeAlertAcknowledgement.select(VolumeAlertAcknowledgement.alert)
        rows = await VolumeAlert.select(VolumeAlert.employer, VolumeAlert.purpose).where(
            VolumeAlert.id.not_in(acked)
        )
        found: dict[tuple[str, str], int] = defaultdict(int)
        for row in rows:
            found[(str(row["employer"]), row["purpose"])] += 1
        return dict(found)

    async def _alerts(self, condition: Any, limit: int, offset: int) -> AlertPage:
        query = VolumeAlert.select().order_by(VolumeAlert.raised_at, ascending=False)
        total = VolumeAlert.count()
        if condition is not None:
            query, total = query.where(condition), total.where(condition)
        rows = await query.limit(limit).offset(offset)
        acks: dict[str, dict[str, Any]] = {}
        if rows:
            for ack in await VolumeAlertAcknowledgement.select().where(
                VolumeAlertAcknowledgement.alert.is_in([r["id"] for r in rows])
            ):
                acks[str(ack["alert"])] = ack
        names = await _employers({str(r["employer"]) for r in rows})
        return AlertPage(
            items=[_alert_out(r, names, acks.get(str(r["id"]))) for r in rows],
            total=await total,
            limit=limit,
            offset=offset,
        )

    async def alerts(self, *, open_only: bool, limit: int, offset: int) -> AlertPage:
        """Alerts newest first; ``open_only``: those not yet acknowledged."""
        acked = VolumeAlertAcknowledgement.select(VolumeAlertAcknowledgement.alert)
        condition = VolumeAlert.id.not_in(acked) if open_only else None
        return await self._alerts(condition, limit, offset)

    # ----------------------------------------------------------------------------- acknowledge

    async def acknowledge(
        self, alert_id: str, *, user_id: str, request_id: str, channel: Channel
    ) -> AlertAcknowledged:
        """Record the DPO's acknowledgement with its ledger entry (once per alert)."""
        assert self.ledger is not None, "acknowledging needs the ledger"
        key = parse_id(alert_id)
        row = None
        if key is not None:
            row = await VolumeAlert.select().where(VolumeAlert.id == key).first()
        if row is None:
            raise NotFound("No volume alert has this id")
        if await VolumeAlertAcknowledgement.exists().where(VolumeAlertAcknowledgement.alert == key):
            raise Conflict("This alert is already acknowledged")
        now = self.clock()
        draft = VolumeAlertAcknowledgedDraft(
            purpose=row["purpose"],
            recipient_org=str(row["employer"]),
            recipient_user=user_id,
            request_id=request_id,
            channel=channel,
            details=VolumeAlertDetails(
                alert_id=str(key),
                day=as_date(row["day"]).isoformat(),
                disclosures=int(row["disclosures"]),
                acknowledged_by=user_id,
            ),
        )
        async with recording(
            self.ledger,
            "alert.acknowledge_failed",
            unavailable="The acknowledgement could not be recorded in the ledger; try again later",
            on_duplicate=lambda: Conflict("This alert is already acknowledged"),
            alert_id=str(key),
        ) as tx:
            (receipt,) = await tx.append([draft])
            await VolumeAlertAcknowledgement.insert(
                VolumeAlertAcknowledgement(
                    id=uuid.uuid4(),
                    alert=key,
                    acknowledged_by=user_id,
                    acknowledged_at=now,
                    ledger_index=receipt.index,
                )
            )
        log.info(
            "alert.acknowledged", alert_id=str(key), user_id=user_id, ledger_index=receipt.index
        )
        names = await _employers([str(row["employer"])])
        ack = {"acknowledged_at": now, "acknowledged_by": user_id}
        return AlertAcknowledged(alert=_alert_out(row, names, ack), receipt=ReceiptOut.of(receipt))
