"""CSV cells no spreadsheet runs as formulas, and the one column layout of a ledger export.

The DPO's download and ``esp-portal ledger export --format csv`` write the same file, so they share
the columns here; the hours reports share the cell rule. A cell that a spreadsheet would read as a
formula (CSV injection: ``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading quote.
Every cell of every CSV the portal writes passes :func:`safe_cell` (through :func:`safe_row`),
the leaf hash too: standard base64 can begin with ``+``, and a spreadsheet would take it for a
formula like any other cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.entries import canonical_json

__all__ = ["ENTRY_CSV_COLUMNS", "csv_line", "entry_csv_values", "safe_cell", "safe_row"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: One row per ledger entry: the entry object's fields, then its leaf hash (standard base64).
ENTRY_CSV_COLUMNS = (
    "index",
    "timestamp",
    "checkpoint_size",
    "kind",
    "purpose",
    "lawful_basis",
    "subject",
    "recipient_org",
    "recipient_user",
    "categories",
    "consent_ids",
    "agreement_ids",
    "request_id",
    "channel",
    "details",
    "leaf_hash",
)


def safe_cell(value: Any) -> str:
    """Lists joined by ``;``, objects as canonical JSON, ``None`` empty; never a formula."""
    if isinstance(value, list | tuple):
        text = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = canonical_json(value).decode("utf-8")
    elif value is None:
        text = ""
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def safe_row(values: Iterable[Any]) -> list[str]:
    """A row of :func:`safe_cell` cells: what every CSV writer in the portal writes."""
    return [safe_cell(v) for v in values]


def entry_csv_values(document: Mapping[str, Any], leaf_hash_b64: str) -> list[str]:
    """The cells of one ledger entry's row, in :data:`ENTRY_CSV_COLUMNS` order."""
    return safe_row([*(document.get(c) for c in ENTRY_CSV_COLUMNS[:-1]), leaf_hash_b64])


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line of safe cells."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(safe_row(values))
    return buffer.getvalue()
