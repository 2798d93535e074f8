"""The portal builds its ledger in one place, from settings: every setting reaches it.

``ESP_LEDGER_BATCH_MAX`` was documented but the app and the demo loader built the ledger
without it, so a group commit always took up to 256 entries whatever was configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.accounts.passwords import PasswordHashing
from portal.app import create_app
from portal.demo.context import DemoContext
from tests.conftest import TestDatabase, make_settings


def test_the_app_ledger_takes_the_configured_batch_max(
    database: TestDatabase, tmp_path: Path
) -> None:
    settings = make_settings(database, tmp_path / "data", ledger_batch_max=7)
    app = create_app(settings, configure_logs=False)
    assert app.state.ledger.batch_max == 7


async def test_the_demo_ledger_takes_the_configured_batch_max(
    database: TestDatabase, tmp_path: Path, engine: Any
) -> None:
    settings = make_settings(database, tmp_path / "data", ledger_batch_max=5)
    ctx = DemoContext(settings=settings, engine=engine, hashing=PasswordHashing(settings))
    try:
        ledger = await ctx.ledger()
        assert ledger.batch_max == 5
    finally:
        await ctx.close()
