"""Tampering behind the database's back is caught by verify, which names the first bad index.

The owner drops the append-only triggers and edits rows directly, as an attacker with the database
files or superuser access could; some scenarios also hold the signing key. The log is built in
batches so checkpoints exist at sizes 3, 8, 9, 16 and 20, and every entry states the size its
batch was checkpointed at.
"""

from __future__ import annotations

import base64
import inspect

import pytest

from ledger import merkle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.note import NoteSigner
from ledger.tables import node_key
from tests.conftest import run_cli

BATCHES = [3, 5, 1, 7, 4]  # 20 entries
ORIGIN = "esp-portal.local/ledger"


def drop_triggers(kind: str) -> list[str]:
    tables = ("ledger_entry", "ledger_node", "ledger_checkpoint")
    if kind == "sqlite":
        return [
            *(f"DROP TRIGGER {t}_no_{a}" for t in tables for a in ("update", "delete")),
            "DROP TRIGGER ledger_head_only_grows",
        ]
    return [
        *(f"DROP TRIGGER {t}_append_only ON {t}" for t in tables),
        "DROP TRIGGER ledger_head_only_grows ON ledger_head",
    ]


def blob(kind: str, data: bytes) -> str:
    return f"X'{data.hex()}'" if kind == "sqlite" else f"'\\x{data.hex()}'::bytea"


def text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@pytest.fixture
async def log(ledger, draft):
    n = 0
    for size in BATCHES:
        await ledger.append([draft(n + k) for k in range(size)])
        n += size
    return ledger


async def body_of(ledger, index):
    return (await ledger.get_entry(index)).body


async def tamper_body(kind, ledger):
    body = (await body_of(ledger, 5)).replace(b"req-5", b"req-X")
    return [f"UPDATE ledger_entry SET body = {blob(kind, body)} WHERE idx = 5"], 5, "leaf-hash"


async def rewrite_body_as_text(kind, ledger):
    """An edit with SQL string functions: on SQLite the column then holds TEXT, not a BLOB."""
    if kind == "sqlite":
        value = "replace(CAST(body AS TEXT), 'req-5', 'req-X')"
    else:
        value = "convert_to(replace(convert_from(body, 'UTF8'), 'req-5', 'req-X'), 'UTF8')"
    return [f"UPDATE ledger_entry SET body = {value} WHERE idx = 5"], 5, "leaf-hash"


async def tamper_node_with_text(kind, ledger):
    value = "'not a hash'" if kind == "sqlite" else "'not a hash'::bytea"
    return [f"UPDATE ledger_node SET hash = {value} WHERE key = {node_key(2, 2)}"], 11, "node"


async def tamper_body_and_leaf_hash(kind, ledger):
    body = (await body_of(ledger, 6)).replace(b"req-6", b"req-X")
    leaf = merkle.leaf_hash(body)
    sql = (
        f"UPDATE ledger_entry SET body = {blob(kind, body)}, leaf_hash = {blob(kind, leaf)} "
        "WHERE idx = 6"
    )
    return [sql], 7, "node"  # caught where node (1, 3) over entries 6..7 is rebuilt


async def tamper_node(kind, ledger):
    sql = f"UPDATE ledger_node SET hash = {blob(kind, bytes(32))} WHERE key = {node_key(2, 2)}"
    return [sql], 11, "node"  # node (2, 2) covers entries 8..11


async def delete_node(kind, ledger):
    return [f"DELETE FROM ledger_node WHERE key = {node_key(1, 1)}"], 3, "missing-node"


async def tamper_checkpoint_signature(kind, ledger):
    forged = sign_checkpoint(Checkpoint(ORIGIN, 9, bytes(32)), NoteSigner.generate(ORIGIN))
    sql = f"UPDATE ledger_checkpoint SET note = {text(forged)} WHERE size = 9"
    return [sql], 8, "checkpoint-signature"


async def tamper_checkpoint_root(kind, ledger):
    sql = f"UPDATE ledger_checkpoint SET root_hash = {blob(kind, bytes(32))} WHERE size = 16"
    return [sql], 15, "checkpoint-root"


async def delete_entry(kind, ledger):
    return ["DELETE FROM ledger_entry WHERE idx = 12"], 12, "missing-entry"


async def delete_last_entry(kind, ledger):
    return ["DELETE FROM ledger_entry WHERE idx = 19"], 19, "missing-entry"


async def roll_head_back(kind, ledger):
    """The head set back to size 16 with the right root for 16: consistent by itself, but
    entries and checkpoints beyond it are stored (and were served)."""
    root = merkle.root_hash([(await ledger.get_entry(i)).leaf_hash for i in range(16)])
    sql = f"UPDATE ledger_head SET size = 16, root_hash = {blob(kind, root)} WHERE id = 1"
    return [sql], 16, "head-behind"


async def delete_middle_checkpoint(kind, ledger):
    """Checkpoint 9 was issued (entry 8 says its batch ended there); its row is removed. The
    checkpoints either side are still consistent with each other, so only the batch marker in the
    hashed entries shows it."""
    return ["DELETE FROM ledger_checkpoint WHERE size = 9"], 8, "missing-checkpoint"


async def forge_checkpoint_between_batches(kind, ledger, signer):
    """With the real key, a checkpoint at size 12 (the right root) is slipped in: no batch
    ended there, so the server never issued it."""
    root = merkle.root_hash([(await ledger.get_entry(i)).leaf_hash for i in range(12)])
    note = sign_checkpoint(Checkpoint(ORIGIN, 12, root), signer)
    sql = (
        "INSERT INTO ledger_checkpoint (size, root_hash, note, created_at) VALUES "
        f"(12, {blob(kind, root)}, {text(note)}, CURRENT_TIMESTAMP)"
    )
    return [sql], 11, "checkpoint-unexpected"


async def cut_tail_inside_a_batch(kind, ledger):
    """The last batch (entries 16..19) cut to its first entry: entries, their nodes and
    checkpoint 20 removed, the head set back to 17 with the right root. Entry 16 still says its
    batch ends at 20."""
    root = merkle.root_hash([(await ledger.get_entry(i)).leaf_hash for i in range(17)])
    nodes = ", ".join(str(node_key(level, i)) for level, i in ((1, 8), (1, 9), (2, 4)))
    return (
        [
            "DELETE FROM ledger_entry WHERE idx > 16",
            f"DELETE FROM ledger_node WHERE key IN ({nodes})",
            "DELETE FROM ledger_checkpoint WHERE size = 20",
            f"UPDATE ledger_head SET size = 17, root_hash = {blob(kind, root)} WHERE id = 1",
        ],
        17,
        "missing-entry",
    )


async def move_an_entry_to_another_batch(kind, ledger):
    """Entry 6's batch marker rewritten (and its leaf hash with it): caught at the entry itself,
    before the node above it is rebuilt."""
    body = await body_of(ledger, 6)
    assert b'"checkpoint_size":8' in body
    body = body.replace(b'"checkpoint_size":8', b'"checkpoint_size":9')
    leaf = merkle.leaf_hash(body)
    sql = (
        f"UPDATE ledger_entry SET body = {blob(kind, body)}, leaf_hash = {blob(kind, leaf)} "
        "WHERE idx = 6"
    )
    return [sql], 6, "batch-marker"


async def swap_two_entries(kind, ledger):
    """Entries 10 and 11 swapped, each with its own (correct) leaf hash."""
    ten, eleven = await ledger.get_entry(10), await ledger.get_entry(11)
    return (
        [
            "DELETE FROM ledger_entry WHERE idx IN (10, 11)",
            *(
                "INSERT INTO ledger_entry (idx, leaf_hash, body, logged_at, kind) VALUES "
                f"({idx}, {blob(kind, e.leaf_hash)}, {blob(kind, e.body)}, CURRENT_TIMESTAMP, "
                f"{text(e.kind)})"
                for idx, e in ((10, eleven), (11, ten))
            ),
        ],
        10,
        "entry-index",
    )


def change_column(column, sqlite_value, pg_value):
    """A search column of entry 4 changed behind the log's back: the entry's bytes, leaf hash
    and tree are intact, but searches by that column would miss or misfile it."""

    async def scenario(kind, ledger):
        value = sqlite_value if kind == "sqlite" else pg_value
        return [f"UPDATE ledger_entry SET {column} = {value} WHERE idx = 4"], 4, "entry-column"

    scenario.__name__ = f"change_{column}_column"
    return scenario


COLUMN_SCENARIOS = [
    change_column("subject", "'sub_someone_else'", "'sub_someone_else'"),
    change_column("kind", "'consent_given'", "'consent_given'"),
    change_column("purpose", "'esp.other'", "'esp.other'"),
    change_column("recipient_org", "'org-2'", "'org-2'"),
    change_column("recipient_user", "''", "''"),
    change_column("channel", "'web'", "'web'"),
    change_column(
        "logged_at", "'2001-01-01T00:00:00.000000+00:00'", "logged_at - interval '1 day'"
    ),
]

SCENARIOS = [
    *COLUMN_SCENARIOS,
    roll_head_back,
    tamper_body,
    rewrite_body_as_text,
    tamper_body_and_leaf_hash,
    tamper_node,
    tamper_node_with_text,
    delete_node,
    tamper_checkpoint_signature,
    tamper_checkpoint_root,
    delete_entry,
    delete_last_entry,
    delete_middle_checkpoint,
    forge_checkpoint_between_batches,
    cut_tail_inside_a_batch,
    move_an_entry_to_another_batch,
    swap_two_entries,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
async def test_verify_names_the_first_bad_index(database, log, owner_sql, signer, scenario):
    assert (await log.verify()).ok
    with_key = "signer" in inspect.signature(scenario).parameters
    statements, index, what = await (
        scenario(database.kind, log, signer) if with_key else scenario(database.kind, log)
    )
    await owner_sql(*drop_triggers(database.kind), *statements)
    result = await log.verify()
    assert not result.ok
    assert result.problem is not None
    assert (result.problem.index, result.problem.what) == (index, what), result.problem


async def test_verify_reports_evidence(database, log, owner_sql):
    statements, _, _ = await tamper_body(database.kind, log)
    original = await log.get_entry(5)
    await owner_sql(*drop_triggers(database.kind), *statements)
    problem = (await log.verify()).problem
    assert problem is not None
    assert problem.found == base64.b64encode(original.leaf_hash).decode()
    assert problem.expected != problem.found
    assert "5" in str(problem)


async def test_cli_verify_exits_non_zero_naming_the_index(database, log, owner_sql, data_dir):
    env = {"ESP_DATABASE_URL": database.url, "ESP_DATA_DIR": str(data_dir)}
    statements, _, _ = await tamper_node(database.kind, log)
    await owner_sql(*drop_triggers(database.kind), *statements)
    broken = run_cli("ledger", "verify", env=env)
    assert broken.returncode == 1
    assert "first bad index 11" in broken.stderr
    assert "node (level 2, index 2)" in broken.stderr
