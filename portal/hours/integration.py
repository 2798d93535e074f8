"""Duty batches pushed by the duty management system (``POST /api/integrations/duties``).

A batch is checked and written exactly like an imported file (all or nothing, every bad item
named; an item is numbered from 1 in the order sent). ``Idempotency-Key`` makes retries safe:

- the same key with the same body (same SHA-256 of its canonical JSON) gets the first answer
  again, and nothing is written a second time;
- the same key with a different body is refused (409): a key names one batch;
- keys are scoped to the integration token that sent them.

Two requests with the same new key at the same moment: the batch row's unique key makes the
second transaction fail; it then finds the first one's batch and answers as a retry.
A rejected batch is not remembered: retrying it re-checks it (and fails the same way).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import structlog

from portal.csvimport import LineError
from portal.dbutil import is_unique_violation, json_value
from portal.errors import Conflict, InvalidInput
from portal.hours.csvformat import DutyLine, check_values
from portal.hours.imports import ImportResult, run_import
from portal.hours.schemas import IntegrationBatchIn
from portal.hours.tables import DutyBatch, DutySource

log = structlog.get_logger(__name__)

MAX_KEY = 200


def body_hash(batch: IntegrationBatchIn) -> str:
    canonical = json.dumps(batch.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _items(batch: IntegrationBatchIn, errors: list[LineError]) -> list[DutyLine]:
    lines = []
    for number, item in enumerate(batch.duties, start=1):
        checked = check_values(
            number,
            item.volunteer_id.strip(),
            item.starts_at,
            item.ends_at,
            item.duty_type,
            item.esp_leave,
            item.external_ref.strip(),
            item.correction_reason.strip(),
        )
        if isinstance(checked, list):
            errors.extend(checked)
        else:
            lines.append(checked)
    return lines


async def _replay(scoped_key: str, digest: str) -> dict[str, Any] | None:
    row = (
        await DutyBatch.select(DutyBatch.content_hash, DutyBatch.result)
        .where(DutyBatch.idempotency_key == scoped_key)
        .first()
    )
    if row is None:
        return None
    if row["content_hash"] != digest:
        raise Conflict(
            "This Idempotency-Key was already used for a different batch; use a new key for "
            "new data"
        )
    result = json_value(row["result"])
    return {**dict(result), "replayed": True}


async def push_batch(
    batch: IntegrationBatchIn, idempotency_key: str | None, token_id: str
) -> dict[str, Any]:
    """Write a batch (or replay the answer to its earlier identical request)."""
    digest = body_hash(batch)
    scoped = None
    if idempotency_key is not None:
        key = idempotency_key.strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            raise InvalidInput(
                "Idempotency-Key: not a usable key",
                errors=[
                    {
                        "field": "Idempotency-Key",
                        "message": f"use 1 to {MAX_KEY} printable characters, e.g. a UUID",
                    }
                ],
            )
        scoped = f"{token_id}:{key}"
        earlier = await _replay(scoped, digest)
        if earlier is not None:
            log.info("hours.integration.replayed", token_id=token_id)
            return earlier
    errors: list[LineError] = []
    lines = _items(batch, errors)

    def remember(result: ImportResult) -> dict[str, Any]:
        return _answer(result)

    try:
        result = await run_import(
            lines,
            errors,
            source=DutySource.INTEGRATION,
            content_hash=digest,
            created_by=f"token:{token_id}",
            idempotency_key=scoped,
            what="batch",
            total_lines=lambda: len(batch.duties),
            remember=remember,
        )
    except Exception as exc:
        if scoped is not None and is_unique_violation(exc):
            earlier = await _replay(scoped, digest)
            if earlier is not None:
                return earlier
        raise
    return {**_answer(result), "replayed": False}


def _answer(result: ImportResult) -> dict[str, Any]:
    return {
        "status": "accepted",
        "batch_id": result.batch_id,
        "items": result.lines,
        "added": result.added,
        "unchanged": result.unchanged,
        "corrected": result.corrected,
    }
