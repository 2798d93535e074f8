"""The services the pages use, provided by dependency injection (declared on the pages' router).

A page handler names what it needs (``organisations: NamedDependency[OrganisationService]``)
instead of building it inline, so each service is built one way for every page and a test or a
later change (a clock) swaps it in one place. The API controllers provide the same services the
same way; these providers only cover the pages' router. The disclosure gate is not here: the app
builds it once (``portal.gates.build_gate``) and provides it to pages and API alike as ``gate``.
"""

from __future__ import annotations

from typing import Any

from litestar.di import NamedDependency, Provide

from ledger import Ledger
from portal.accounts.admin import AccountAdministration
from portal.accounts.recovery import PasswordRecovery
from portal.accounts.services import AccountService
from portal.agreements.services import AgreementService
from portal.alerts.services import VolumeService
from portal.auth.sessions import SessionStore
from portal.consent.services import ConsentService
from portal.coordinator.services import TokenAdministration, UserAdministration
from portal.disclosure.gate import DisclosureGate
from portal.disclosure.notices import NoticeService
from portal.disclosure.services import VolunteerLedgerService
from portal.dpo.people import PersonSearchService
from portal.dpo.services import DpoService
from portal.erasure.for_retention import ScheduledErasure
from portal.organisations.services import OrganisationService
from portal.retention.services import RetentionService
from portal.settings import Settings

__all__ = ["PAGE_DEPENDENCIES"]


def provide_agreements(ledger: NamedDependency[Ledger]) -> AgreementService:
    return AgreementService(ledger)


def provide_consents(
    ledger: NamedDependency[Ledger], settings: NamedDependency[Settings]
) -> ConsentService:
    return ConsentService(ledger, settings=settings)


def provide_notices(
    ledger: NamedDependency[Ledger], gate: NamedDependency[DisclosureGate]
) -> NoticeService:
    return NoticeService(ledger, gate)


def provide_volunteer_ledger(ledger: NamedDependency[Ledger]) -> VolunteerLedgerService:
    return VolunteerLedgerService(ledger)


def provide_dpo(gate: NamedDependency[DisclosureGate]) -> DpoService:
    return DpoService(gate)


def provide_volume(
    settings: NamedDependency[Settings], ledger: NamedDependency[Ledger]
) -> VolumeService:
    return VolumeService(settings, ledger)


def provide_organisations() -> OrganisationService:
    return OrganisationService()


def provide_people(
    gate: NamedDependency[DisclosureGate], organisations: NamedDependency[OrganisationService]
) -> PersonSearchService:
    return PersonSearchService(gate, organisations)


def provide_sessions(settings: NamedDependency[Settings]) -> SessionStore:
    return SessionStore(settings)


def provide_users(
    account_service: NamedDependency[AccountService], settings: NamedDependency[Settings]
) -> UserAdministration:
    return UserAdministration(account_service, settings)


def provide_recovery(settings: NamedDependency[Settings]) -> PasswordRecovery:
    return PasswordRecovery(settings)


def provide_account_admin(
    account_service: NamedDependency[AccountService],
) -> AccountAdministration:
    return AccountAdministration(account_service)


def provide_retention(ledger: NamedDependency[Ledger]) -> RetentionService:
    return RetentionService(ledger, eraser=ScheduledErasure(ledger, "web"))


def provide_tokens() -> TokenAdministration:
    return TokenAdministration()


def _sync(provider: Any) -> Provide:
    return Provide(provider, sync_to_thread=False)


#: What the pages' router declares; names match the parameters page handlers take.
PAGE_DEPENDENCIES: dict[str, Provide] = {
    "agreements": _sync(provide_agreements),
    "consents": _sync(provide_consents),
    "notices": _sync(provide_notices),
    "volunteer_ledger": _sync(provide_volunteer_ledger),
    "dpo": _sync(provide_dpo),
    "volume": _sync(provide_volume),
    "organisations": _sync(provide_organisations),
    "people": _sync(provide_people),
    "sessions": _sync(provide_sessions),
    "users": _sync(provide_users),
    "tokens": _sync(provide_tokens),
    "recovery": _sync(provide_recovery),
    "account_admin": _sync(provide_account_admin),
    "retention": _sync(provide_retention),
}
