"""Fixtures for the ledger's storage tests: a signer, a started ledger, drafts, owner SQL.

``owner_sql`` runs statements as the database owner, behind the application's back, which is how
the tests play the part of someone tampering with the log or breaking the storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from ledger import DisclosureDraft, EntryDraft, Ledger
from ledger.note import NoteSigner, load_or_create_signing_key
from ledger.sequencer import MAP_STORE_EVERY
from tests.support.portal_ledger import owner_sql

ORIGIN = "esp-portal.local/ledger"


def make_draft(i: int = 0, **overrides: Any) -> EntryDraft:
    values: dict[str, Any] = {
        "purpose": "esp.programme-management",
        "lawful_basis": "consent",
        "subject": f"sub_{i:032x}",
        "recipient_org": "org-1",
        "recipient_user": "user-1",
        "categories": ["status", "identity"],
        "consent_ids": [f"consent-{i}"],
        "agreement_ids": ["dsa-1"],
        "request_id": f"req-{i}",
        "channel": "api",
        "details": {"fields": ["display_name", f"field_{i}"]},
    }
    values.update(overrides)
    return DisclosureDraft(**values)


@pytest.fixture
def draft() -> Callable[..., EntryDraft]:
    return make_draft


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def signer(data_dir: Path) -> NoteSigner:
    """The key the CLI will also load (same file, same name as the default origin)."""
    return load_or_create_signing_key(data_dir / "ledger-signing.key", ORIGIN)


@pytest.fixture
def map_store_every() -> int:
    """How often the ``ledger`` fixture's log stores its subject map's tiles: the product's
    default; a module about the map stored at every version overrides this with 1."""
    return MAP_STORE_EVERY


@pytest.fixture
async def ledger(engine: Any, signer: NoteSigner, map_store_every: int) -> AsyncIterator[Ledger]:
    instance = Ledger(engine, signer, ORIGIN, map_store_every=map_store_every)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


__all__ = ["owner_sql"]
