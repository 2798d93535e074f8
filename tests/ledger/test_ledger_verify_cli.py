"""``esp-portal ledger checkpoint | export | verify`` against a real database, in a subprocess."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.note import NoteSigner
from ledger.store import LedgerStore
from portal.cli.ledger_commands import ledger as ledger_group
from tests.conftest import ROOT, run_cli

ORIGIN = "esp-portal.local/ledger"


@pytest.fixture
def cli_env(database, data_dir):
    return {"ESP_DATABASE_URL": database.url, "ESP_DATA_DIR": str(data_dir)}


async def test_checkpoint_and_export(ledger, draft, cli_env, signer):
    await ledger.append([draft(i) for i in range(3)])
    [receipt] = await ledger.append([draft(3, request_id="=HYPERLINK(1)")])

    checkpoint = run_cli("ledger", "checkpoint", env=cli_env)
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert checkpoint.stdout == receipt.checkpoint
    assert open_checkpoint(checkpoint.stdout, signer.verifier(), ORIGIN).size == 4

    today = str(datetime.now(UTC).date())
    jsonl = run_cli(
        "ledger", "export", "--since", today, "--until", today, "--format", "jsonl", env=cli_env
    )
    assert jsonl.returncode == 0, jsonl.stderr
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3]
    for line in lines:
        stored = await ledger.get_entry(line["index"])
        assert line["entry"] == json.loads(stored.body)
        assert base64.b64decode(line["leaf_hash"]) == merkle.leaf_hash(stored.body)

    exported = run_cli("ledger", "export", "--format", "csv", env=cli_env)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [row["index"] for row in rows] == ["0", "1", "2", "3"]
    assert rows[0]["categories"] == "identity;status"
    assert rows[0]["subject"] == draft(0).subject
    assert rows[3]["request_id"] == "'=HYPERLINK(1)"
    assert [row["checkpoint_size"] for row in rows] == ["3", "3", "3", "4"]


async def test_store_iterates_by_time_window(ledger, draft):
    await ledger.append([draft(0), draft(1)])
    store = LedgerStore(ledger.engine)
    logged = (await ledger.get_entry(0)).logged_at
    second = timedelta(seconds=1)

    async def indexes(since, until, page_size=1000):
        return [e.index async for e in store.iter_entries(since, until, page_size)]

    assert await indexes(None, None, page_size=1) == [0, 1]
    assert await indexes(logged, logged + second) == [0, 1]
    assert await indexes(logged + second, None) == []
    assert await indexes(None, logged) == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--since", "31/01/2026"), "--since"),
        (("--until", "2026-02-30"), "--until"),
        (("--since", "2026-01-01T10:00:00"), "time zone"),
        (("--since", "2026-02-01", "--until", "2026-01-31"), "not before"),
        (("--format", "xml"), "xml"),
    ],
)
def test_export_rejects_bad_options_with_exit_2(args, fragment):
    result = CliRunner().invoke(ledger_group, ["export", *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


async def test_verify_against_a_published_key(ledger, draft, cli_env, signer):
    await ledger.append([draft(0)])
    good = run_cli("ledger", "verify", "--key", signer.verifier_key(), env=cli_env)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("Ledger intact: size 1, root ")
    assert "\x1b" not in good.stderr, "no progress bar without a terminal"
    other = NoteSigner.generate(ORIGIN).verifier_key()
    bad = run_cli("ledger", "verify", "--key", other, env=cli_env)
    assert bad.returncode == 1
    assert "first bad index 0" in bad.stderr and "checkpoint-signature" in bad.stderr


def test_verify_rejects_a_malformed_key_with_exit_2():
    result = CliRunner().invoke(ledger_group, ["verify", "--key", "not-a-key"])
    assert result.exit_code == 2
    assert "--key" in result.output


def test_verify_cannot_run_without_a_database_or_a_key(tmp_path):
    """Could not run is exit 2, never "not intact", and checking never mints a signing key."""
    data_dir = tmp_path / "auditor"
    env = {"ESP_DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3", "ESP_DATA_DIR": str(data_dir)}
    no_key = run_cli("ledger", "verify", env=env)
    assert no_key.returncode == 2, no_key.stderr
    assert "no ledger signing key" in no_key.stderr and "--key" in no_key.stderr
    key = NoteSigner.generate(ORIGIN).verifier_key()
    unmigrated = run_cli("ledger", "verify", "--key", key, env=env)
    assert unmigrated.returncode == 2, unmigrated.stderr
    assert "esp-portal migrate" in unmigrated.stderr
    assert "Traceback" not in unmigrated.stderr
    assert not (data_dir / "ledger-signing.key").exists()


async def test_verify_shows_a_progress_bar_on_a_terminal(ledger, draft, cli_env):
    """On a TTY the streaming verify draws a bar that advances page by page to 100 %."""
    for start in range(0, 2500, 500):
        await ledger.append([draft(n) for n in range(start, start + 500)])
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli.main", "ledger", "verify"],
            cwd=ROOT,
            env={**os.environ, **cli_env, "COLUMNS": "100"},
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
        )
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=120) == 0
    finally:
        os.close(leader)
    text = output.decode("utf-8", "replace")
    assert "Ledger intact: size 2500" in text
    assert "Verifying" in text
    shown = [int(p) for p in re.findall(r"(\d+)%", text)]
    assert shown and shown[-1] == 100 and any(p < 100 for p in shown), text
