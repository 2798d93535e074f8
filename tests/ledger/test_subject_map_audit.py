"""``ledger verify`` reads back the stored subject map and names any row that was changed.

A completeness proof is read from the stored map rows; a changed row used to slow proofs down
(they fall back to rebuilding the map) while verify stayed green. Now verify hashes every row
reachable from the latest checkpoints' root rows. Systematically, on both engines: every row
of the table, changed in each way an attacker or a broken disk could (a flipped first, middle
or last byte, a byte cut off or added, the row deleted), makes the audit fail, naming that row
(or, when the change was to a reference, the row holding it) with the hash expected and found.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from ledger import Ledger
from ledger.store import LedgerStore
from ledger.verify import audit_stored_maps
from tests.conftest import run_cli
from tests.ledger.conftest import make_draft


@pytest.fixture
def map_store_every() -> int:
    """These tests are about the map stored at every version: every batch stores it (a log
    storing one batch's in several is tests/ledger/test_subject_map_sparse_store.py)."""
    return 1


TABLE = "ledger_subject_node"
SUBJECTS = [f"sub_{n:03d}" for n in range(70)]  # paths of 7-8 levels: tiles below the root


def _unguard(kind: str) -> list[str]:
    if kind == "sqlite":
        return [f"DROP TRIGGER {TABLE}_no_{action}" for action in ("update", "delete", "replace")]
    return [f"DROP TRIGGER {TABLE}_append_only ON {TABLE}"]


def _blob(kind: str, data: bytes) -> str:
    return f"X'{data.hex()}'" if kind == "sqlite" else f"'\\x{data.hex()}'::bytea"


async def _grow(ledger: Ledger, batches: int) -> None:
    rng = random.Random(20)
    n = 0
    for _ in range(batches):
        drafts = []
        for _ in range(rng.randint(1, 9)):
            drafts.append(make_draft(n, subject=rng.choice(SUBJECTS)))
            n += 1
        await ledger.append(drafts)


async def _rows(owner_sql: Any) -> list[tuple[bytes, bytes]]:
    [rows] = await owner_sql(f"SELECT key, body FROM {TABLE} ORDER BY key")
    return [(bytes(key), bytes(body)) for key, body in rows]


def _corruptions(kind: str, key: bytes, body: bytes) -> list[tuple[str, list[str]]]:
    where = f"WHERE key = {_blob(kind, key)}"

    def set_body(data: bytes) -> list[str]:
        return [f"UPDATE {TABLE} SET body = {_blob(kind, data)} {where}"]

    def flip(at: int) -> bytes:
        return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]

    return [
        ("first byte flipped", set_body(flip(0))),
        ("middle byte flipped", set_body(flip(len(body) // 2))),
        ("last byte flipped", set_body(flip(len(body) - 1))),
        ("cut short", set_body(body[:-1])),
        ("byte added", set_body(body + b"\x00")),
        ("deleted", [f"DELETE FROM {TABLE} {where}"]),
    ]


async def test_every_changed_row_fails_the_audit_naming_it(
    database: Any, ledger: Ledger, owner_sql: Any
) -> None:
    await _grow(ledger, 16)
    store = LedgerStore(ledger.engine)
    sizes = [c.size for c in await store.checkpoints_between(0, await ledger.size(), 1000)]
    read, problem = await audit_stored_maps(store, sizes)
    assert problem is None and read > len(sizes)
    rows = await _rows(owner_sql)
    assert any(int.from_bytes(key[8:10], "big") >= 4 for key, _ in rows), "tiles below the root"
    await owner_sql(*_unguard(database.kind))
    checked = 0
    for key, body in rows:
        for name, statements in _corruptions(database.kind, key, body):
            await owner_sql(*statements)
            try:  # every row is reachable from the root row of the version it was stored as
                _, problem = await audit_stored_maps(store, [int.from_bytes(key[:8], "big")])
            finally:
                await owner_sql(
                    f"DELETE FROM {TABLE} WHERE key = {_blob(database.kind, key)}",
                    f"INSERT INTO {TABLE} (key, body) VALUES "
                    f"({_blob(database.kind, key)}, {_blob(database.kind, body)})",
                )
            assert problem is not None, (key.hex(), name)
            assert problem.what.startswith("subject-map-"), (key.hex(), name)
            assert key.hex() in problem.detail, (key.hex(), name, problem.detail)
            assert problem.expected is not None and problem.expected != problem.found
            checked += 1
    assert checked == 6 * len(rows)
    assert (await audit_stored_maps(store, sizes))[1] is None  # every row put back


async def test_verify_audits_the_latest_map_and_the_cli_fails_loudly(
    database: Any, ledger: Ledger, owner_sql: Any, data_dir: Any
) -> None:
    await _grow(ledger, 12)
    size = await ledger.size()
    result = await ledger.verify()
    assert result.ok and result.map_rows > 1
    env = {"ESP_DATABASE_URL": database.url, "ESP_DATA_DIR": str(data_dir)}
    intact = run_cli("ledger", "verify", env=env)
    assert intact.returncode == 0, intact.stderr
    assert f"{result.map_rows} stored subject map rows" in intact.stdout
    # A row of the latest map below its root: its leaf value changed by one.
    latest = [
        (key, body)
        for key, body in await _rows(owner_sql)
        if int.from_bytes(key[:8], "big") == size and key[8:10] != b"\x00\x00"
    ]
    key, body = latest[0]
    forged = body[:-1] + bytes([body[-1] ^ 0x01])
    await owner_sql(
        *_unguard(database.kind),
        f"UPDATE {TABLE} SET body = {_blob(database.kind, forged)} "
        f"WHERE key = {_blob(database.kind, key)}",
    )
    problem = (await ledger.verify()).problem
    assert problem is not None and problem.what.startswith("subject-map-")
    assert problem.index == size - 1 and key.hex() in problem.detail
    assert problem.expected != problem.found
    base64.b64decode(problem.expected or "", validate=True)
    broken = run_cli("ledger", "verify", env=env)
    assert broken.returncode == 1
    assert f"[{problem.what}]" in broken.stderr and key.hex() in broken.stderr
    assert f"expected {problem.expected}, found {problem.found}" in broken.stderr
    skipped = run_cli("ledger", "verify", "--map-checkpoints", "0", env=env)
    assert skipped.returncode == 0 and "0 stored subject map rows" in skipped.stdout
