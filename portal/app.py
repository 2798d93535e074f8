"""The application factory: ``create_app(settings)`` binds one database and one ledger.

A test builds an app for its own database by passing its own settings; nothing reads globals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from ledger import Ledger
from ledger.cosignature import CosignatureVerifier
from ledger.witness.client import WitnessClient
from ledger.witnessing import Witnessing
from portal import memo
from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.apibody import StrictBodyPlugin
from portal.auth.login import LoginService
from portal.auth.middleware import AuthMiddleware
from portal.auth.sessions import SessionStore
from portal.db import bind_engine, build_engine, close_engine, open_engine
from portal.disclosure.gate import DisclosureGate
from portal.errors import EXCEPTION_HANDLERS
from portal.gates import build_gate
from portal.jobs import periodic_jobs
from portal.jsonedge import TYPE_ENCODERS
from portal.ledgering import build_ledger
from portal.logging import configure_logging
from portal.messages.inprocess import in_process_worker
from portal.openapi_problems import ProblemResponsesPlugin
from portal.request_context import RequestContextMiddleware
from portal.routes import route_handlers
from portal.settings import Settings
from portal.web.plugin import WebPlugin

log = structlog.get_logger(__name__)

API_VERSION = "0.1.0"


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="ESP Portal API",
        version=API_VERSION,
        path="/schema",
        # Only the JSON document: the interactive viewers load scripts from public CDNs, which
        # this product never does at run time (and its Content Security Policy would refuse).
        render_plugins=[JsonRenderPlugin()],
        description=(
            "Cookie-authenticated unsafe requests must send the session's CSRF token (returned "
            "by POST /api/auth/login) in the X-CSRF-Token header. Integrations use "
            "'Authorization: Bearer <token>'. Errors are RFC 9457 problem details."
        ),
        components=Components(
            security_schemes={
                "session": SecurityScheme(
                    type="apiKey", name="esp_session", security_scheme_in="cookie"
                ),
                "csrf": SecurityScheme(
                    type="apiKey", name="X-CSRF-Token", security_scheme_in="header"
                ),
                "bearer": SecurityScheme(type="http", scheme="bearer"),
            }
        ),
    )


def create_app(settings: Settings, *, configure_logs: bool = True) -> Litestar:
    if configure_logs:
        configure_logging(settings)
    engine = build_engine(settings.database_url)
    bind_engine(engine)
    hashing = PasswordHashing(settings)
    ledger = build_ledger(settings, engine)
    gate = build_gate(ledger, settings)
    witnessing = Witnessing(
        ledger,
        [WitnessClient(w.url, CosignatureVerifier.from_key(w.key)) for w in settings.witnesses],
        interval=settings.witness_interval_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        bind_engine(engine)
        await open_engine(engine)
        await ledger.start()
        witnessing.start()
        log.info("app.started", engine=settings.engine_kind, witnesses=len(settings.witnesses))
        try:
            async with (
                memo.sweeping(),
                in_process_worker(settings, periodic_jobs(settings), gate),
            ):
                yield
        finally:
            await witnessing.close()
            await ledger.close()
            await close_engine(engine)

    def provide_ledger() -> Ledger:
        return ledger

    def provide_gate() -> DisclosureGate:
        return gate

    def provide_settings() -> Settings:
        return settings

    def provide_login() -> LoginService:
        return LoginService(settings, hashing)

    def provide_accounts() -> AccountService:
        return AccountService(settings, hashing)

    dependencies: dict[str, Any] = {
        "settings": Provide(provide_settings, sync_to_thread=False),
        "ledger": Provide(provide_ledger, sync_to_thread=False),
        "gate": Provide(provide_gate, sync_to_thread=False),
        "login_service": Provide(provide_login, sync_to_thread=False),
        "account_service": Provide(provide_accounts, sync_to_thread=False),
    }
    app = Litestar(
        route_handlers=route_handlers(),
        dependencies=dependencies,
        middleware=[AuthMiddleware(SessionStore(settings), settings.base_url)],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_openapi(),
        plugins=[StrictBodyPlugin(), WebPlugin(), ProblemResponsesPlugin()],
        lifespan=[lifespan],
        type_encoders=TYPE_ENCODERS,
        state=State(
            {
                "settings": settings,
                "ledger": ledger,
                "gate": gate,
                "engine": engine,
                "witnessing": witnessing,
                "password_hashing": hashing,
            }
        ),
        debug=False,
    )
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app
