"""Fixtures of the application tests: the shared started ledger, owner SQL and served app, and
the scene (two employers and their staff) with an agreement for ``esp.application-progress``."""

from typing import Any

import pytest

from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.disclosure_scene import Scene, build_scene
from tests.support.portal_ledger import client, ledger, owner_sql

__all__ = ["client", "ledger", "owner_sql", "scene"]


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    built = await build_scene(settings, ledger, staff=2)
    await world.agreement(
        ledger,
        built.employer_a,
        {"esp.application-progress": ["identity", "application", "training"]},
        version=2,
    )
    return built
