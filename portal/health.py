"""Liveness and readiness for orchestrators."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from ledger.tables import LedgerHead

log = structlog.get_logger(__name__)


@get("/health", tags=["health"], summary="The process is up")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    tags=["health"],
    summary="The database is reachable and the ledger writable",
    responses={
        503: ResponseSpec(
            data_container=dict[str, Any], description="Not ready: the checks say which part"
        )
    },
)
async def ready(state: State) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        head = await LedgerHead.select(LedgerHead.size).where(LedgerHead.id == 1).first()
        checks["database"] = "ok"
        writable = head is not None and await state.ledger.check_writable()
        checks["ledger"] = "ok" if writable else "unavailable"
    except Exception as exc:
        log.error("ready.database_unreachable", error=type(exc).__name__)
        checks["database"] = "unreachable"
        checks["ledger"] = "unavailable"
    ok = all(value == "ok" for value in checks.values())
    return Response(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
    )
