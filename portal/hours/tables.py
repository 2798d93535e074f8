"""Service hours and ESP leave: duty records, imports, leave policies, requests and releases.

History that must never be edited is append-only, enforced by the database (triggers in SQLite
and PostgreSQL, created by ``portal/hours/piccolo_migrations``; the PostgreSQL application role
has only SELECT and INSERT on it):

- ``duty_record``: every version of every duty. A correction is a new row whose ``supersedes``
  names the version it replaces (at most once: ``supersedes`` is unique); the *current* version
  of a duty is the one nothing supersedes. Nothing is ever changed in place.
- ``leave_request_event``: every state change of every leave request.
- ``esp_leave_policy``: each employer's leave policy, one row per version.
- ``hours_report_release``: which cohorts organisation figures were released over (the memory
  that defeats difference attacks, see ``portal/hours/reports.py``).

``leave_request`` holds the current state of a request; the database refuses any change to a
request that has been decided (approved, declined or withdrawn) and refuses deleting any.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Organisation, Volunteer


class DutyType(StrEnum):
    PATROL = "patrol"
    EVENT = "event"
    TRAINING = "training"
    ADMINISTRATION = "administration"
    OTHER = "other"


class DutySource(StrEnum):
    IMPORT = "import"
    INTEGRATION = "integration"
    COORDINATOR = "coordinator"


class LeaveUnit(StrEnum):
    HOURS_PER_MONTH = "hours_per_month"
    DAYS_PER_YEAR = "days_per_year"


class LeaveStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class LeaveEvent(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    #: An employer tried to approve but the disclosure gate refused to show the request.
    APPROVAL_REFUSED = "approval_refused"


class DutyBatch(Table, tablename="duty_batch"):
    """One accepted CSV import or integration batch (rejected ones leave nothing behind)."""

    id = UUID(primary_key=True)
    source = Varchar(length=20, choices=DutySource)
    #: SHA-256 of the file's bytes (imports) or of the canonical request body (integrations).
    content_hash = Varchar(length=64, index=True)
    #: ``<token id>:<Idempotency-Key>`` for integration batches sent with a key.
    idempotency_key = Varchar(length=300, null=True, default=None, unique=True)
    filename = Varchar(length=255, default="")
    lines = Integer(default=0)
    added = Integer(default=0)
    unchanged = Integer(default=0)
    corrected = Integer(default=0)
    #: The response given, replayed for a retried integration batch.
    result = JSON(default={})
    created_by = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class DutyRecord(Table, tablename="duty_record"):
    """One version of one duty. Append-only; ``supersedes`` links a correction to its original."""

    id = UUID(primary_key=True)
    #: The duty this is a version of (the first version's id).
    duty_id = UUID(index=True)
    version = Integer(default=1)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    #: ``starts_at`` and ``ends_at`` as POSIX seconds: portable, index-friendly interval
    #: arithmetic (overlaps, month splits) on both engines. Indexed with ``volunteer``.
    start_s = BigInt()
    end_s = BigInt()
    minutes = Integer()
    duty_type = Varchar(length=20, choices=DutyType)
    #: True: ESP leave (time the employer released); False: the volunteer's own time.
    esp_leave = Boolean(default=False)
    #: A correction may cancel a duty that should never have been recorded.
    is_cancelled = Boolean(default=False)
    source = Varchar(length=20, choices=DutySource)
    batch = ForeignKey(references=DutyBatch, on_delete=OnDelete.restrict, null=True, default=None)
    #: The line of the imported file (or the item of the batch) this version came from.
    line_no = Integer(null=True, default=None)
    #: The duty management system's own reference, if it sent one.
    external_ref = Varchar(length=100, default="")
    #: Unique when set (a partial unique index): a version is superseded at most once.
    supersedes = UUID(null=True, default=None)
    #: Why a correction was made (required for every version after the first).
    reason = Varchar(length=500, default="")
    recorded_by = Varchar(length=64, default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


class LeavePolicy(Table, tablename="esp_leave_policy"):
    """An employer's ESP leave policy, versioned (append-only): the latest version in force wins.

    ``amount`` is hours per month or days per year (``unit``). Unused allowance may be used for
    ``rollover_months`` months after the period it was granted for (0: no roll-over).
    """

    id = UUID(primary_key=True)
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    version = Integer()
    unit = Varchar(length=20, choices=LeaveUnit)
    amount = Numeric(digits=(7, 2))
    paid = Boolean(default=True)
    rollover_months = Integer(default=0)
    #: First month of the leave year, for ``days_per_year`` (1 = January).
    year_start_month = Integer(default=1)
    starts_on = Date()
    #: The data sharing agreement version this policy was taken from, when there is one.
    agreement_id = UUID(null=True, default=None)
    recorded_by = Varchar(length=64, default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


class LeaveRequest(Table, tablename="leave_request"):
    """A volunteer's request to an employer for ESP leave; immutable once decided."""

    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    #: The duty the leave is for, when it is already recorded.
    duty_id = UUID(null=True, default=None)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    unit = Varchar(length=20, choices=LeaveUnit)
    #: Hours (``hours_per_month``) or days (``days_per_year``) of allowance the leave uses.
    amount = Numeric(digits=(7, 2))
    paid = Boolean(default=True)
    status = Varchar(length=20, choices=LeaveStatus, default=LeaveStatus.PENDING.value, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=64, default="")


class LeaveRequestEvent(Table, tablename="leave_request_event"):
    """Every state change of a leave request, and every refused attempt to approve one."""

    id = UUID(primary_key=True)
    request = ForeignKey(references=LeaveRequest, on_delete=OnDelete.restrict, index=True)
    event = Varchar(length=30, choices=LeaveEvent)
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20, default="")
    actor_user = Varchar(length=64, default="")
    actor_role = Varchar(length=20, default="")
    #: Why: a refusal code, or the employer's short reason for declining.
    reason = Varchar(length=200, default="")
    #: The disclosure ledger entry the approval read the request under.
    ledger_index = BigInt(null=True, default=None)
    request_id = Varchar(length=64, default="")
    occurred_at = Timestamptz(default=TimestamptzNow())


class HoursReportRelease(Table, tablename="hours_report_release"):
    """An organisation figure released over a cohort of volunteers, for one period."""

    id = UUID(primary_key=True)
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    #: ``YYYY`` or ``YYYY-MM``.
    period = Varchar(length=7)
    cohort_hash = Varchar(length=64)
    cohort_size = Integer()
    #: Sorted volunteer ids (internal: never shown to the employer).
    cohort = JSON(default=[])
    released_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [
    DutyBatch,
    DutyRecord,
    LeavePolicy,
    LeaveRequest,
    LeaveRequestEvent,
    HoursReportRelease,
]
