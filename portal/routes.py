"""Every route handler the app serves, in one list (the route x role test walks the app)."""

from __future__ import annotations

import importlib
from typing import Any

from portal.auth.controllers import AuthController
from portal.health import health, ready

#: Controllers of each domain, imported by module path so a domain stays self-contained.
DOMAIN_CONTROLLERS = (
    "portal.ledger_http.controllers:LedgerController",
    "portal.coordinator.controllers:CONTROLLERS",
    "portal.agreements.controllers:CONTROLLERS",
    "portal.consent.controllers:CONTROLLERS",
    "portal.disclosure.controllers:CONTROLLERS",
    "portal.employer.controllers:CONTROLLERS",
    "portal.dpo.controllers:CONTROLLERS",
    "portal.vocabulary.controllers:CONTROLLERS",
    "portal.hours.controllers:CONTROLLERS",
    "portal.web.routes:ROUTERS",
)


def route_handlers() -> list[Any]:
    handlers: list[Any] = [health, ready, AuthController]
    for spec in DOMAIN_CONTROLLERS:
        module_name, attr = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue
        found = getattr(module, attr)
        handlers.extend(found if isinstance(found, list | tuple) else [found])
    return handlers
