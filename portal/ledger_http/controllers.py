"""``/ledger``: the signed checkpoint, the verifier key, RFC 9162 proofs and single entries.

Thin: parameters are validated by Litestar (non-integers are a 400 before the handler runs), the
ledger checks them against the log, and :mod:`portal.ledger_http.services` maps its errors and
decides who may read an entry.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ledger import Ledger
from ledger.checkpoint import Checkpoint
from ledger.cosignature import split_note
from ledger.errors import LedgerNotFoundError
from ledger.witnessing import CosignatureStore, with_cosignatures
from portal.auth.middleware import identity_of
from portal.auth.requests import AppRequest
from portal.errors import NotFound, ServiceUnavailable
from portal.ledger_http.schemas import (
    ConsistencyProofOut,
    InclusionProofOut,
    LedgerEntryDocumentOut,
)
from portal.ledger_http.services import ledger_errors, readable_entry

#: Litestar appends "; charset=utf-8" to text types itself.
TEXT = "text/plain"
#: The checkpoint moves with every append; proofs for given sizes never change.
_FRESH = CacheControlHeader(no_cache=True)
_IMMUTABLE = CacheControlHeader(public=True, max_age=86400)
_PRIVATE = CacheControlHeader(no_store=True)


class LedgerController(Controller):
    path = "/ledger"
    tags = ["ledger"]
    #: Read by portal.openapi_problems: a proof may name what the log does not hold, and a
    #: ledger that cannot answer safely fails closed.
    opt = {"raises": (NotFound, ServiceUnavailable)}

    @get("/checkpoint", media_type=TEXT, cache_control=_FRESH, summary="Latest signed checkpoint")
    async def checkpoint(self, ledger: NamedDependency[Ledger]) -> Response[str]:
        """The C2SP tlog-checkpoint of the latest tree, as a C2SP signed note (Ed25519).

        Cosignatures that witnesses have returned for this tree follow the log's signature as
        further signature lines (C2SP tlog-cosignature, ``cosignature/v1``). The newest tree is
        often not cosigned yet: ``/ledger/checkpoint/witnessed`` gives the newest one that is.
        """
        async with ledger_errors():
            note = await ledger.latest_checkpoint()
            size = Checkpoint.parse(split_note(note)[0]).size
            lines = await CosignatureStore(ledger.engine).lines_for(size)
        return Response(with_cosignatures(note, lines), media_type=TEXT)

    @get(
        "/checkpoint/witnessed",
        media_type=TEXT,
        cache_control=_FRESH,
        summary="Latest checkpoint cosigned by at least one witness",
    )
    async def witnessed_checkpoint(self, ledger: NamedDependency[Ledger]) -> Response[str]:
        """The newest checkpoint that carries witness cosignatures, with all of them (404 if
        no witness has cosigned yet)."""
        async with ledger_errors():
            store = CosignatureStore(ledger.engine)
            size = await store.latest_cosigned_size()
            if size is None:
                raise LedgerNotFoundError("no witness has cosigned a checkpoint of this log yet")
            note = await ledger.checkpoint_at(size)
            lines = await store.lines_for(size)
        return Response(with_cosignatures(note, lines), media_type=TEXT)

    @get("/key", media_type=TEXT, summary="Signed-note verifier key")
    async def key(self, ledger: NamedDependency[Ledger]) -> Response[str]:
        """``name+hexkeyid+base64(0x01||pubkey)``: what verifies the checkpoint's signature."""
        return Response(ledger.verifier_key(), media_type=TEXT)

    @get("/proof/inclusion", cache_control=_IMMUTABLE, summary="RFC 9162 inclusion proof")
    async def inclusion(
        self,
        ledger: NamedDependency[Ledger],
        index: Annotated[int, QueryParameter(description="Leaf index (from 0)")],
        tree_size: Annotated[int, QueryParameter(description="Size of the tree to prove in")],
    ) -> InclusionProofOut:
        async with ledger_errors():
            proof = await ledger.inclusion_proof(index, tree_size)
        return InclusionProofOut.of(proof)

    @get("/proof/consistency", cache_control=_IMMUTABLE, summary="RFC 9162 consistency proof")
    async def consistency(
        self,
        ledger: NamedDependency[Ledger],
        first: Annotated[int, QueryParameter(description="Size of the older tree")],
        second: Annotated[int, QueryParameter(description="Size of the newer tree")],
    ) -> ConsistencyProofOut:
        async with ledger_errors():
            proof = await ledger.consistency_proof(first, second)
        return ConsistencyProofOut.of(proof)

    @get(
        # A str path parameter, parsed by the service: "/entries/abc" is a 400 naming the
        # field, not a route that does not exist.
        "/entries/{index:str}",
        cache_control=_PRIVATE,
        summary="One ledger entry (the DPO, or the volunteer it is about)",
        opt={"credentials": ("session",), "raises": (NotFound, ServiceUnavailable)},
    )
    async def entry(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        index: FromPath[str],
    ) -> LedgerEntryDocumentOut:
        stored = await readable_entry(identity_of(request.scope), ledger, index)
        return LedgerEntryDocumentOut.of(stored)
