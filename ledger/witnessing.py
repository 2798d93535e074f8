"""The log's side of witnessing: submit new checkpoints to witnesses, keep their cosignatures.

:class:`Witnessing` is a background task. Every ``interval`` seconds (or sooner when nudged with
:meth:`Witnessing.notify`) it reads the log size and, if the tree grew since a witness last
cosigned, sends that witness the latest checkpoint with a consistency proof (C2SP tlog-witness).
Verified cosignature lines are stored append-only in ``ledger_cosignature``. Nothing here is on
the path of a disclosure: the receipt is the log's own checkpoint, and a witness that is down or
refuses is logged and retried at the next round, never raised to an appender.

:class:`CosignatureStore` reads them back: the lines for a tree size (served with the checkpoint
as extra signature lines) and, per witness, the latest size cosigned and when.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from .cosignature import Cosignature
from .service import Ledger
from .witness.client import WitnessClient, WitnessError

__all__ = ["CosignatureStore", "WitnessStatus", "Witnessing", "with_cosignatures"]

log = structlog.get_logger("ledger.witnessing")


@dataclass(frozen=True)
class WitnessStatus:
    """What the log holds from one witness: the latest tree size it cosigned, and when."""

    witness: str
    key_id: str
    tree_size: int
    cosigned_at: int


def with_cosignatures(note: str, lines: Sequence[str]) -> str:
    """``note`` with the cosignature ``lines`` appended as further signature lines (no repeats)."""
    present = set(note.split("\n"))
    extra = [line if line.endswith("\n") else line + "\n" for line in lines]
    return note + "".join(line for line in dict.fromkeys(extra) if line[:-1] not in present)


class CosignatureStore:
    """Append-only storage of cosignature lines (table ``ledger_cosignature``).

    Like :class:`~ledger.store.LedgerStore`, it runs SQL through the engine it is handed and never
    binds a table to an engine.
    """

    def __init__(self, engine: Engine[Any]) -> None:
        self._engine = engine

    async def _fetch(self, template: str, *args: Any) -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = await self._engine.run_querystring(
            QueryString(template, *args)
        )
        return rows

    async def add(self, tree_size: int, cosignature: Cosignature, line: str) -> None:
        await self._fetch(
            "INSERT INTO ledger_cosignature "
            "(tree_size, witness, key_id, cosigned_at, line, received_at) "
            "VALUES ({}, {}, {}, {}, {}, {})",
            tree_size,
            cosignature.name,
            cosignature.key_id.hex(),
            cosignature.timestamp,
            line.rstrip("\n"),
            datetime.now(UTC),
        )

    async def lines_for(self, tree_size: int) -> list[str]:
        """Every stored cosignature line for the checkpoint of ``tree_size``, oldest first."""
        rows = await self._fetch(
            "SELECT line FROM ledger_cosignature WHERE tree_size = {} ORDER BY id", tree_size
        )
        return [str(row["line"]) + "\n" for row in rows]

    async def latest_cosigned_size(
        self, at_least: int = 0, at_most: int | None = None
    ) -> int | None:
        """The largest tree size a witness cosigned within ``[at_least, at_most]`` (or None)."""
        upper = (1 << 62) if at_most is None else at_most
        rows = await self._fetch(
            "SELECT MAX(tree_size) AS size FROM ledger_cosignature "
            "WHERE tree_size >= {} AND tree_size <= {}",
            at_least,
            upper,
        )
        return int(rows[0]["size"]) if rows and rows[0]["size"] is not None else None

    async def status(self) -> list[WitnessStatus]:
        """Per witness (name and key ID), the latest size cosigned and its timestamp."""
        rows = await self._fetch(
            "SELECT witness, key_id, MAX(tree_size) AS tree_size, MAX(cosigned_at) AS cosigned_at "
            "FROM ledger_cosignature GROUP BY witness, key_id ORDER BY witness"
        )
        return [
            WitnessStatus(
                str(r["witness"]), str(r["key_id"]), int(r["tree_size"]), int(r["cosigned_at"])
            )
            for r in rows
        ]


class Witnessing:
    """Submits the log's newest checkpoint to each witness, in the background."""

    def __init__(
        self,
        ledger: Ledger,
        clients: Sequence[WitnessClient],
        *,
        interval: float = 5.0,
    ) -> None:
        self._ledger = ledger
        self._clients = list(clients)
        self._store = CosignatureStore(ledger.engine)
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._cosigned: dict[int, int] = {}  # client position -> size it last cosigned

    @property
    def store(self) -> CosignatureStore:
        return self._store

    def notify(self) -> None:
        """Ask for a round now (e.g. after a commit); cheap and never blocks."""
        self._wake.set()

    def start(self) -> None:
        if self._clients and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="ledger-witnessing")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in self._clients:
            await client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # never let a database hiccup end witnessing
                log.warning("witnessing.round_failed", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()

    async def run_once(self) -> int:
        """One round: every witness behind the log gets the latest checkpoint. Returns how many
        new cosignatures were stored."""
        size = await self._ledger.size()
        if size == 0:
            return 0
        note = await self._ledger.checkpoint_at(size)
        stored = 0
        for position, client in enumerate(self._clients):
            if self._cosigned.get(position) == size:
                continue
            try:
                line, cosignature = await client.cosign(note, size, self._proof)
            except WitnessError as exc:
                log.warning("witnessing.refused", witness=client.verifier.name, reason=str(exc))
                continue
            await self._store.add(size, cosignature, line)
            self._cosigned[position] = size
            stored += 1
            log.info("witnessing.cosigned", witness=client.verifier.name, tree_size=size)
        return stored

    async def _proof(self, old: int, new: int) -> list[bytes]:
        return list((await self._ledger.consistency_proof(old, new)).consistency_path)
