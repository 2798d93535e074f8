"""Counting the calls handed to an aiosqlite connection's thread (each is a thread switch and an
event-loop wake-up: what the SQLite hop tests in tests/portal and tests/ledger count)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiosqlite
import pytest


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every call handed to an aiosqlite connection's thread, by function name."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    yield seen
