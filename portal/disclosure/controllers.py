"""``/api/volunteer/disclosures``: every disclosure of the caller's data, and an evidence bundle."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from ledger import Ledger
from portal.accounts.roles import Role
from portal.apisupport import MAX_INDEX
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.schemas import DisclosurePage, EvidenceBundle
from portal.disclosure.services import VolunteerLedgerService

VOLUNTEER = requires_role(Role.VOLUNTEER)


def provide_volunteer_ledger(ledger: NamedDependency[Ledger]) -> VolunteerLedgerService:
    return VolunteerLedgerService(ledger)


class VolunteerDisclosureController(Controller):
    path = "/api/volunteer/disclosures"
    tags = ["volunteer"]
    dependencies = {"volunteer_ledger": Provide(provide_volunteer_ledger, sync_to_thread=False)}

    @get("/", guards=[VOLUNTEER], summary="Every disclosure of your data, newest first")
    async def list_disclosures(
        self,
        request: AppRequest,
        volunteer_ledger: NamedDependency[VolunteerLedgerService],
        before: Annotated[
            int | None, QueryParameter(ge=0, le=MAX_INDEX, description="next_cursor of a page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> DisclosurePage:
        identity = caller(request)
        return await volunteer_ledger.disclosures(identity, before=before, limit=limit)

    @get(
        "/bundle",
        guards=[VOLUNTEER],
        summary="Evidence bundle: your ledger entries with inclusion proofs, checkable offline",
    )
    async def bundle(
        self,
        request: AppRequest,
        volunteer_ledger: NamedDependency[VolunteerLedgerService],
        limit: Annotated[int, QueryParameter(ge=1, le=10_000, description="newest entries")] = 1000,
    ) -> Response[EvidenceBundle]:
        identity = caller(request)
        bundle = await volunteer_ledger.bundle(identity, limit=limit)
        return Response(
            bundle,
            headers={"Content-Disposition": 'attachment; filename="esp-evidence-bundle.json"'},
        )


CONTROLLERS = [VolunteerDisclosureController]
