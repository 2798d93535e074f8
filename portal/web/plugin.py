"""Wires the web pages into the app: templates, security headers, HTML errors on page paths.

``create_app`` adds ``WebPlugin()`` to ``Litestar(plugins=[...])``; the page routes themselves are
registered like every domain's, through ``DOMAIN_CONTROLLERS`` (``portal.web.routes:ROUTERS``).
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar.config.app import AppConfig
from litestar.plugins import InitPlugin

from portal.settings import Settings
from portal.web import assetbuild
from portal.web.errors import html_for_pages
from portal.web.security import security_headers_hook
from portal.web.templating import template_config

log = structlog.get_logger(__name__)


class WebPlugin(InitPlugin):
    """Adds what only the app level can hold; reads the settings from the app's state."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings: Any = app_config.state.get("settings") if app_config.state else None
        https = isinstance(settings, Settings) and settings.secure_cookies
        app_config.template_config = template_config()
        app_config.before_send = [
            *app_config.before_send,
            security_headers_hook(https_base_url=https),
        ]
        app_config.exception_handlers = {
            key: html_for_pages(handler) for key, handler in app_config.exception_handlers.items()
        }
        if not assetbuild.is_built():
            log.warning("web.assets_missing", hint="run: python -m portal.web.assetbuild")
        return app_config
