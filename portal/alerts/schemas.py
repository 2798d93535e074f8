"""What the volume pages and API show (the edge)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from portal.receipts import ReceiptOut


class AlertOut(BaseModel):
    id: str
    employer_id: str
    employer_name: str
    purpose: str
    day: dt.date
    disclosures: int
    usual: float = Field(description="median disclosures per day over the window before the day")
    expected: float | None = Field(description="the agreement's expectation for one day, if any")
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class AlertAcknowledged(BaseModel):
    alert: AlertOut
    receipt: ReceiptOut


class VolumeRow(BaseModel):
    """One recipient and purpose on the overview: today so far against usual and expected."""

    employer_id: str
    employer_name: str
    purpose: str
    today: int
    yesterday: int
    usual: float
    expected: float | None
    open_alerts: int


class VolumePage(BaseModel):
    day: dt.date
    items: list[VolumeRow]
    total: int
    limit: int
    offset: int


class DayOut(BaseModel):
    day: dt.date
    disclosures: int
    usual: float
    expected: float | None
    alert: bool = Field(description="the day meets the alert rule")


class VolumeSeries(BaseModel):
    employer_id: str
    employer_name: str
    purpose: str
    days: list[DayOut] = Field(description="newest first")
    alerts: list[AlertOut]
