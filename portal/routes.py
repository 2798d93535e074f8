"""Every route handler the app serves, in one list (the route x role test walks the app).

Plain imports on purpose: a domain whose module is renamed or mistyped fails at start-up rather
than silently dropping its routes.
"""

from __future__ import annotations

from typing import Any

from portal.agreements.controllers import CONTROLLERS as AGREEMENTS
from portal.alerts.controllers import CONTROLLERS as ALERTS
from portal.applications.controllers import CONTROLLERS as APPLICATIONS
from portal.auth.controllers import AuthController
from portal.consent.controllers import CONTROLLERS as CONSENT
from portal.coordinator.controllers import CONTROLLERS as COORDINATOR
from portal.disclosure.controllers import CONTROLLERS as DISCLOSURE
from portal.dpo.controllers import CONTROLLERS as DPO
from portal.employer.controllers import CONTROLLERS as EMPLOYER
from portal.erasure.controllers import CONTROLLERS as ERASURE
from portal.health import health, ready
from portal.hours.controllers import CONTROLLERS as HOURS
from portal.ledger_http.controllers import LedgerController
from portal.recipients.controllers import CONTROLLERS as RECIPIENTS
from portal.recognition.controllers import CONTROLLERS as RECOGNITION
from portal.vocabulary.controllers import CONTROLLERS as VOCABULARY
from portal.web.routes import ROUTERS as WEB

#: Each domain's handlers, in the order they are registered (the OpenAPI document keeps it).
DOMAIN_CONTROLLERS: tuple[list[Any], ...] = (
    [LedgerController],
    list(COORDINATOR),
    list(AGREEMENTS),
    list(CONSENT),
    list(DISCLOSURE),
    list(EMPLOYER),
    list(RECIPIENTS),
    list(DPO),
    list(ALERTS),
    list(ERASURE),
    list(VOCABULARY),
    list(HOURS),
    list(RECOGNITION),
    list(APPLICATIONS),
    list(WEB),
)


def route_handlers() -> list[Any]:
    handlers: list[Any] = [health, ready, AuthController]
    for domain in DOMAIN_CONTROLLERS:
        handlers.extend(domain)
    return handlers
