"""Duty imports, all or nothing: CSV files (CLI and upload) and integration batches.

Every line is checked; if any is bad, the whole file is rejected with every bad line named
(line number, column, reason) and nothing is written. Otherwise every new duty is written in one
transaction. How, so that memory stays flat in the size of the file:

1. The file's SHA-256 is computed in a first, streaming pass; a file already imported is reported
   as such (it adds nothing) without going further.
2. Inside one transaction holding the duty-write lock, lines are parsed and checked one at a time
   (``portal.hours.csvformat``) and the good ones are bulk-loaded, a few thousand at a time, into a
   temporary staging table (``COPY`` on PostgreSQL, ``executemany`` on SQLite).
3. Set-based SQL over the staging table then finds what needs the database: unknown volunteers,
   lines that repeat a duty already recorded (skipped: re-sending a duty adds nothing), lines that
   correct a recorded duty by its ``external_ref`` (a new version, with the reason given), and
   overlaps with recorded duties or between lines of the file.
4. Any problem at all: the transaction is rolled back (nothing was written) and every problem is
   reported. None: the batch row and all new duty versions are written with one
   ``INSERT ... SELECT``, and the transaction commits.

Log events carry ids and counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import structlog

from portal.clock import UTC, utcnow
from portal.csvimport import ImportRejected, LineError, ParseOutcome, file_digest
from portal.dbutil import as_moment
from portal.hours.csvformat import DutyLine, parse_duty_file
from portal.hours.ids import uuid7_many
from portal.hours.periods import MAX_DUTY, london_iso
from portal.hours.rawdb import RawConnection, duty_write_transaction
from portal.hours.tables import DutyBatch, DutyRecord, DutySource

log = structlog.get_logger(__name__)

CHUNK_ROWS = 5000
_STAGE = "hours_stage"

_STAGE_COLUMNS = (
    "line_no",
    "id",
    "volunteer",
    "start_s",
    "end_s",
    "duty_type",
    "esp_leave",
    "external_ref",
    "reason",
)

_STAGE_SQLITE = """
CREATE TEMP TABLE hours_stage (
    line_no INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    duty_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    volunteer TEXT NOT NULL,
    start_s INTEGER NOT NULL,
    end_s INTEGER NOT NULL,
    duty_type TEXT NOT NULL,
    esp_leave BOOLEAN NOT NULL,
    external_ref TEXT NOT NULL,
    reason TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    supersedes TEXT
)
"""

_STAGE_POSTGRES = """
CREATE TEMP TABLE hours_stage (
    line_no integer PRIMARY KEY,
    id uuid NOT NULL,
    duty_id uuid,
    version integer NOT NULL DEFAULT 1,
    volunteer uuid NOT NULL,
    start_s bigint NOT NULL,
    end_s bigint NOT NULL,
    duty_type varchar(20) NOT NULL,
    esp_leave boolean NOT NULL,
    external_ref varchar(100) NOT NULL,
    reason varchar(500) NOT NULL,
    status smallint NOT NULL DEFAULT 0,
    supersedes uuid
) ON COMMIT DROP
"""

#: Seconds a duty may last at most: two duties can only overlap if they start this close.
_WINDOW = int(MAX_DUTY.total_seconds())

#: Staged line states.
NEW, UNCHANGED, CORRECTION = 0, 1, 2


@dataclass
class ImportResult:
    status: str  # "imported" | "already_imported"
    batch_id: str
    lines: int
    added: int = 0
    unchanged: int = 0
    corrected: int = 0
    imported_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "batch_id": self.batch_id,
            "lines": self.lines,
            "added": self.added,
            "unchanged": self.unchanged,
            "corrected": self.corrected,
            "imported_at": self.imported_at.isoformat() if self.imported_at else None,
        }


def _stage_chunks(lines: Iterable[DutyLine], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Staging rows, ``size`` at a time (only one chunk is ever held)."""
    iterator = iter(lines)
    while True:
        chunk = list(itertools.islice(iterator, size))
        if not chunk:
            return
        ids = uuid7_many(len(chunk))
        yield [
            (
                item.line,
                key,
                item.volunteer_id,
                item.start_s,
                item.end_s,
                item.duty_type,
                item.esp_leave,
                item.external_ref,
                item.reason,
            )
            for key, item in zip(ids, chunk, strict=True)
        ]


_WRITE = (
    "INSERT INTO duty_record (id, duty_id, version, volunteer, starts_at, ends_at, "
    "start_s, end_s, minutes, duty_type, esp_leave, is_cancelled, source, batch, "
    "line_no, external_ref, supersedes, reason, recorded_by, recorded_at) "
    "SELECT id, COALESCE(duty_id, id), version, volunteer, {starts_at}, {ends_at}, "
    "start_s, end_s, (end_s - start_s + 30) / 60, duty_type, esp_leave, FALSE, "
    "?, ?, line_no, external_ref, supersedes, reason, ?, ? "
    "FROM hours_stage WHERE status IN (0, 2)"
)
SQL_WRITE_POSTGRES = _WRITE.format(starts_at="to_timestamp(start_s)", ends_at="to_timestamp(end_s)")
# Piccolo's SQLite adapter stores an aware datetime as str() of it in UTC; produce exactly that.
SQL_WRITE_SQLITE = _WRITE.format(
    starts_at="(strftime('%Y-%m-%d %H:%M:%S', start_s, 'unixepoch') || '+00:00')",
    ends_at="(strftime('%Y-%m-%d %H:%M:%S', end_s, 'unixepoch') || '+00:00')",
)


def _when(seconds: Any) -> str:
    return london_iso(dt.datetime.fromtimestamp(int(seconds), UTC))


# The checks, as plain SQL over the staging table ``hours_stage``. Line states (``status``):
# 0 new, 1 unchanged (already recorded), 2 correction (a new version of a recorded duty).
# ``?`` parameters: the longest duty in seconds, where an overlap needs a start window.
SQL_UNKNOWN_VOLUNTEERS = (
    "SELECT s.line_no FROM hours_stage s WHERE NOT EXISTS "
    "(SELECT 1 FROM volunteer v WHERE v.id = s.volunteer) ORDER BY s.line_no"
)
SQL_ALREADY_RECORDED = (
    "UPDATE hours_stage SET status = 1 WHERE status = 0 "
    "AND supersedes IS NULL AND reason = '' AND EXISTS (SELECT 1 FROM duty_record d "
    "WHERE d.volunteer = hours_stage.volunteer AND d.start_s = hours_stage.start_s "
    "AND d.end_s = hours_stage.end_s AND d.duty_type = hours_stage.duty_type "
    "AND d.esp_leave = hours_stage.esp_leave AND d.is_cancelled = FALSE "
    "AND NOT EXISTS (SELECT 1 FROM duty_record x WHERE x.supersedes = d.id))"
)
SQL_OVERLAPS_RECORDED = (
    "SELECT s.line_no, d.start_s, d.end_s FROM hours_stage s JOIN duty_record d "
    "ON d.volunteer = s.volunteer AND d.start_s > s.start_s - ? AND d.start_s < s.end_s "
    "WHERE s.status IN (0, 2) AND d.end_s > s.start_s AND d.is_cancelled = FALSE "
    "AND NOT EXISTS (SELECT 1 FROM duty_record x WHERE x.supersedes = d.id) "
    "AND NOT EXISTS (SELECT 1 FROM hours_stage c WHERE c.supersedes = d.id AND c.status = 2) "
    "ORDER BY s.line_no"
)
SQL_OVERLAPS_IN_FILE = (
    "SELECT line_no FROM (SELECT line_no, start_s, MAX(end_s) OVER (PARTITION BY "
    "volunteer ORDER BY start_s, line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 "
    "PRECEDING) AS prev_end FROM hours_stage WHERE status IN (0, 2)) t "
    "WHERE prev_end > start_s"
)
SQL_OVERLAP_PARTNERS = (
    "SELECT a.line_no AS a_line, MIN(b.line_no) AS b_line FROM hours_stage a "
    "JOIN hours_stage b ON b.volunteer = a.volunteer AND b.start_s > a.start_s - ? "
    "AND b.start_s <= a.start_s AND b.line_no <> a.line_no "
    "WHERE a.line_no IN ({marks}) AND b.status IN (0, 2) "
    "AND b.end_s > a.start_s GROUP BY a.line_no"
)
SQL_REPEATED_REFERENCES = (
    "SELECT s.line_no, f.first_line FROM hours_stage s JOIN ("
    "SELECT volunteer, external_ref, MIN(line_no) AS first_line FROM hours_stage "
    "WHERE external_ref <> '' GROUP BY volunteer, external_ref HAVING COUNT(*) > 1"
    ") f ON f.volunteer = s.volunteer AND f.external_ref = s.external_ref "
    "WHERE s.line_no <> f.first_line"
)
# At most one current version of a duty carries a given reference for a volunteer (a line
# naming a recorded reference always becomes that duty's next version), so a join suffices.
SQL_MATCH_REFERENCES = (
    "UPDATE hours_stage SET supersedes = d.id FROM duty_record d "
    "WHERE hours_stage.external_ref <> '' AND d.volunteer = hours_stage.volunteer "
    "AND d.external_ref = hours_stage.external_ref "
    "AND NOT EXISTS (SELECT 1 FROM duty_record x WHERE x.supersedes = d.id)"
)
SQL_REFERENCE_UNCHANGED = (
    "UPDATE hours_stage SET status = 1, supersedes = NULL "
    "WHERE supersedes IS NOT NULL AND EXISTS (SELECT 1 FROM duty_record d "
    "WHERE d.id = hours_stage.supersedes AND d.start_s = hours_stage.start_s "
    "AND d.end_s = hours_stage.end_s AND d.duty_type = hours_stage.duty_type "
    "AND d.esp_leave = hours_stage.esp_leave AND d.is_cancelled = FALSE)"
)
SQL_REFERENCE_CHANGED_WITHOUT_REASON = (
    "SELECT s.line_no, s.external_ref, d.start_s, d.end_s FROM hours_stage s "
    "JOIN duty_record d ON d.id = s.supersedes WHERE s.status = 0 AND s.reason = ''"
)
SQL_MARK_CORRECTIONS = (
    "UPDATE hours_stage SET status = 2, "
    "duty_id = (SELECT d.duty_id FROM duty_record d WHERE d.id = hours_stage.supersedes), "
    "version = (SELECT d.version + 1 FROM duty_record d WHERE d.id = hours_stage.supersedes) "
    "WHERE status = 0 AND supersedes IS NOT NULL AND reason <> ''"
)
SQL_CORRECTION_WITHOUT_DUTY = (
    "SELECT line_no, external_ref FROM hours_stage "
    "WHERE status = 0 AND supersedes IS NULL AND reason <> ''"
)


async def _check_staged(raw: RawConnection, with_refs: bool) -> list[LineError]:
    """Everything that needs the database; marks unchanged lines and corrections."""
    errors: list[LineError] = []
    for row in await raw.fetch(SQL_UNKNOWN_VOLUNTEERS):
        errors.append(LineError(row["line_no"], "volunteer_id", "no volunteer has this id"))
    if with_refs:
        errors += await _check_references(raw)
    # The same duty sent again (same volunteer, times, type and kind): nothing to add.
    await raw.execute(SQL_ALREADY_RECORDED)
    # Overlaps with recorded duties (a duty being corrected by this file no longer counts).
    seen: set[int] = set()
    for row in await raw.fetch(SQL_OVERLAPS_RECORDED, _WINDOW):
        if row["line_no"] in seen:
            continue
        seen.add(row["line_no"])
        errors.append(
            LineError(
                row["line_no"],
                "start",
                "overlaps a duty already recorded for this volunteer "
                f"({_when(row['start_s'])} to {_when(row['end_s'])})",
            )
        )
    # Overlaps between lines of the file: a running maximum of end times per volunteer flags
    # each line that starts before an earlier-starting line has ended (usually none); only
    # those are then paired with the line they overlap.
    flagged = [int(row["line_no"]) for row in await raw.fetch(SQL_OVERLAPS_IN_FILE)]
    pairs: dict[int, int] = {}
    for start in range(0, len(flagged), 500):
        part = flagged[start : start + 500]
        marks = ", ".join("?" for _ in part)
        for row in await raw.fetch(SQL_OVERLAP_PARTNERS.format(marks=marks), _WINDOW, *part):
            pairs.setdefault(row["a_line"], row["b_line"])
            pairs.setdefault(row["b_line"], row["a_line"])
    for line, other in sorted(pairs.items()):
        errors.append(
            LineError(line, "start", f"overlaps the duty on line {other} for the same volunteer")
        )
    return errors


async def _check_references(raw: RawConnection) -> list[LineError]:
    """Lines naming a duty by ``external_ref``: unchanged, corrections, or problems."""
    errors: list[LineError] = []
    for row in await raw.fetch(SQL_REPEATED_REFERENCES):
        errors.append(
            LineError(
                row["line_no"],
                "external_ref",
                f"the same volunteer and reference are already on line {row['first_line']}",
            )
        )
    # A reference already recorded for the volunteer: the same duty (unchanged), or a correction.
    await raw.execute(SQL_MATCH_REFERENCES)
    await raw.execute(SQL_REFERENCE_UNCHANGED)
    for row in await raw.fetch(SQL_REFERENCE_CHANGED_WITHOUT_REASON):
        errors.append(
            LineError(
                row["line_no"],
                "external_ref",
                f"duty '{row['external_ref']}' is already recorded for this volunteer with "
                f"different details ({_when(row['start_s'])} to {_when(row['end_s'])}); "
                "to correct it, give a correction_reason",
            )
        )
    await raw.execute(SQL_MARK_CORRECTIONS)
    for row in await raw.fetch(SQL_CORRECTION_WITHOUT_DUTY):
        errors.append(
            LineError(
                row["line_no"],
                "correction_reason",
                f"there is no recorded duty '{row['external_ref']}' for this volunteer to correct",
            )
        )
    return errors


async def run_import(
    lines: Iterable[DutyLine],
    parse_errors: list[LineError],
    *,
    source: DutySource,
    content_hash: str,
    created_by: str,
    filename: str = "",
    idempotency_key: str | None = None,
    what: str = "file",
    total_lines: Callable[[], int] = lambda: 0,
    on_progress: Callable[[int], None] | None = None,
    remember: Callable[[ImportResult], dict[str, Any]] | None = None,
) -> ImportResult:
    """Stage, check and (when nothing is wrong) write ``lines`` in one transaction.

    ``lines`` may be a lazy parser that appends to ``parse_errors`` as it goes. Raises
    :class:`ImportRejected` (nothing written) when anything at all is wrong.
    """
    try:
        result = await _import_in_transaction(
            lines,
            parse_errors,
            source=source,
            content_hash=content_hash,
            created_by=created_by,
            filename=filename,
            idempotency_key=idempotency_key,
            total_lines=total_lines,
            on_progress=on_progress,
            remember=remember,
        )
    except _Rollback as rollback:
        log.info(
            "hours.import.rejected",
            source=source.value,
            lines=total_lines(),
            problems=len(rollback.problems),
        )
        raise ImportRejected(rollback.problems, total_lines(), what) from None
    if result.status == "imported":
        log.info(
            "hours.import.committed",
            batch_id=result.batch_id,
            source=source.value,
            lines=result.lines,
            added=result.added,
            unchanged=result.unchanged,
            corrected=result.corrected,
        )
    else:
        log.info("hours.import.repeated", batch_id=result.batch_id, source=source.value)
    return result


async def _import_in_transaction(
    lines: Iterable[DutyLine],
    parse_errors: list[LineError],
    *,
    source: DutySource,
    content_hash: str,
    created_by: str,
    filename: str,
    idempotency_key: str | None,
    total_lines: Callable[[], int],
    on_progress: Callable[[int], None] | None,
    remember: Callable[[ImportResult], dict[str, Any]] | None,
) -> ImportResult:
    batch_id = str(uuid.uuid4())
    result: ImportResult | None = None
    async with duty_write_transaction(DutyRecord, bulk=True) as raw:
        if source is DutySource.IMPORT:
            earlier = await _earlier_import(raw, content_hash)
            if earlier is not None:
                return earlier
        await raw.execute("DROP TABLE IF EXISTS hours_stage")
        await raw.execute(_STAGE_POSTGRES if raw.postgres else _STAGE_SQLITE)
        # Parsing the next chunk overlaps with the database writing this one.
        staged = 0
        writing: asyncio.Future[None] | None = None
        try:
            for chunk in _stage_chunks(lines, CHUNK_ROWS):
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(raw.bulk_insert(_STAGE, _STAGE_COLUMNS, chunk))
                await asyncio.sleep(0)  # let it hand the rows to the driver
                staged += len(chunk)
                if on_progress is not None:
                    on_progress(staged)
        except BaseException:
            if writing is not None:  # the connection must be idle before rolling back
                with contextlib.suppress(BaseException):
                    await writing
            raise
        if writing is not None:
            await writing
        await raw.execute("CREATE INDEX hours_stage_volunteer ON hours_stage (volunteer, start_s)")
        with_refs = bool(
            await raw.fetchval("SELECT COUNT(*) FROM hours_stage WHERE external_ref <> ''")
        )
        problems = list(parse_errors) + await _check_staged(raw, with_refs)
        if not problems:
            counts = await raw.fetch(
                "SELECT status, COUNT(*) AS n FROM hours_stage GROUP BY status"
            )
            by_status = {int(r["status"]): int(r["n"]) for r in counts}
            now = utcnow()
            result = ImportResult(
                status="imported",
                batch_id=batch_id,
                lines=total_lines() or staged,
                added=by_status.get(NEW, 0),
                unchanged=by_status.get(UNCHANGED, 0),
                corrected=by_status.get(CORRECTION, 0),
                imported_at=now,
            )
            await DutyBatch.insert(
                DutyBatch(
                    id=batch_id,
                    source=source.value,
                    content_hash=content_hash,
                    idempotency_key=idempotency_key,
                    filename=filename[:255],
                    lines=result.lines,
                    added=result.added,
                    unchanged=result.unchanged,
                    corrected=result.corrected,
                    result=remember(result) if remember else result.as_dict(),
                    created_by=created_by[:64],
                    created_at=now,
                )
            )
            await raw.execute(
                SQL_WRITE_POSTGRES if raw.postgres else SQL_WRITE_SQLITE,
                source.value,
                batch_id,
                created_by[:64],
                now,
            )
        else:
            raise _Rollback(problems)
    assert result is not None
    return result


class _Rollback(Exception):
    """Leaves the transaction so that it rolls back; turned into :class:`ImportRejected`."""

    def __init__(self, problems: list[LineError]) -> None:
        super().__init__("rejected")
        self.problems = problems


async def _earlier_import(raw: RawConnection, content_hash: str) -> ImportResult | None:
    rows = await raw.fetch(
        "SELECT id, lines, created_at FROM duty_batch WHERE source = ? AND content_hash = ? "
        "ORDER BY created_at LIMIT 1",
        DutySource.IMPORT.value,
        content_hash,
    )
    if not rows:
        return None
    row = rows[0]
    created = as_moment(row["created_at"])
    return ImportResult(
        status="already_imported",
        batch_id=str(row["id"]),
        lines=int(row["lines"]),
        imported_at=created,
    )


async def import_csv(
    stream: IO[bytes],
    *,
    created_by: str,
    filename: str = "",
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a duty CSV file, all or nothing. ``on_progress`` receives bytes read so far."""
    content_hash = file_digest(stream)
    errors: list[LineError] = []
    outcome = ParseOutcome()
    reader = _ByteLines(stream, on_progress)
    lines = parse_duty_file(reader, outcome, errors)
    return await run_import(
        lines,
        errors,
        source=DutySource.IMPORT,
        content_hash=content_hash,
        created_by=created_by,
        filename=filename,
        total_lines=lambda: outcome.rows,
    )


class _ByteLines:
    """Lines of a binary stream, reporting progress in bytes."""

    def __init__(self, stream: IO[bytes], on_progress: Callable[[int], None] | None) -> None:
        self.stream = stream
        self.on_progress = on_progress
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        for step, raw in enumerate(self.stream, start=1):
            self.read += len(raw)
            if self.on_progress is not None and step % 2000 == 0:
                self.on_progress(self.read)
            yield raw
        if self.on_progress is not None:
            self.on_progress(self.read)
