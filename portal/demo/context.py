"""What every demo loader step receives, and what it reports back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from portal.accounts.passwords import PasswordHashing
from portal.ledgering import build_ledger
from portal.settings import Settings


@dataclass(frozen=True)
class DemoLogin:
    """How a person signs in as one demo role (printed by ``esp-portal demo``)."""

    role: str
    email: str
    password: str
    totp_secret: str | None = None
    otpauth_uri: str | None = None
    note: str = ""


@dataclass
class DemoContext:
    """Shared by the steps: settings, the bound engine, and the report being built."""

    settings: Settings
    engine: Any
    hashing: PasswordHashing
    #: step-defined counts: name -> (rows now present, rows this run added)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The ledger's size when a step first asked for it, so the report can say what was added.
    ledger_size_at_start: int = 0
    #: ``--size``: volunteers wanted in all (0: the default demo only).
    size: int = 0

    _ledger: Any = field(default=None, repr=False)

    def count(self, name: str, present: int, added: int) -> None:
        self.counts[name] = (present, added)

    async def ledger(self) -> Any:
        """The ledger on this database, started on first use and closed after the last step.

        Steps that record agreements or consents append through it, as the portal would.
        """
        if self._ledger is None:
            ledger = build_ledger(self.settings, self.engine)
            await ledger.start()
            self._ledger = ledger
            self.ledger_size_at_start = int(await ledger.size())
        return self._ledger

    async def close(self) -> None:
        if self._ledger is not None:
            await self._ledger.close()
            self._ledger = None


@dataclass(frozen=True)
class Step:
    """One loader: idempotent (insert-if-absent with the stable ids of ``portal.demo.data``)."""

    name: str
    run: Callable[[DemoContext], Awaitable[None]]
