"""The witness as an ASGI app (Litestar): ``POST <prefix>/add-checkpoint`` and its public key.

Routes: ``POST {prefix}/add-checkpoint`` (C2SP tlog-witness) and ``GET {prefix}/key`` (the
witness's ``cosignature/v1`` verifier key, for operators to publish). The decision itself is in
:class:`ledger.witness.core.Witness`; this module only moves bytes, off the event loop since the
database write is synchronous.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Litestar, Request, Response, get, post

from .core import Witness

__all__ = ["create_witness_app"]


def create_witness_app(witness: Witness, verifier_key: str, prefix: str = "") -> Litestar:
    """A Litestar app serving ``witness`` under ``prefix`` (e.g. ``""`` or ``"/witness"``)."""

    @post(f"{prefix}/add-checkpoint", status_code=200)
    async def add_checkpoint(request: Request[Any, Any, Any]) -> Response[str]:
        body = await request.body()
        answer = await anyio.to_thread.run_sync(witness.add_checkpoint, body)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    @get(f"{prefix}/key", media_type="text/plain; charset=utf-8")
    async def key() -> str:
        return verifier_key + "\n"

    return Litestar(route_handlers=[add_checkpoint, key], openapi_config=None)
