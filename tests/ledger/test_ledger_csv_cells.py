"""Every cell of the ledger's CSV export is neutralised the same way, the leaf hash too."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from typing import Any

from ledger import EntryDraft, Ledger
from tests.conftest import run_cli

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def test_a_leaf_hash_that_reads_as_a_formula_is_neutralised(
    ledger: Ledger, draft: Callable[..., EntryDraft], database: Any, data_dir: Any
) -> None:
    # About one leaf hash in 64 begins with "+" in standard base64: append until one does.
    plus: str | None = None
    index = 0
    while plus is None and index < 4096:
        receipts = await ledger.append([draft(index + i) for i in range(64)])
        for receipt in receipts:
            text = base64.b64encode(receipt.leaf_hash).decode()
            if text.startswith("+"):
                plus = text
                break
        index += 64
    assert plus is not None, "no leaf hash began with '+'"

    env = {"ESP_DATABASE_URL": database.url, "ESP_DATA_DIR": str(data_dir)}
    exported = run_cli("ledger", "export", "--format", "csv", env=env)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert len(rows) == index + 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_START), row
    assert [row[-1] for row in rows if row[-1] == "'" + plus]
