"""The subject access report as CSV: one header, every row the same width, every value under its
own column.

Each row is built by naming its cells (:func:`row`), never by position, and a name that is not a
column is a programming error: a value can no longer slide under a neighbour's heading. The
``section`` column says what a row is:

- ``report``: one ``field`` / ``value`` pair about the report (who, when, the checkpoint);
- ``category``: one per category of data held and purpose (lawful basis, retention, source);
- ``held``: the copy, one ``field`` / ``value`` per field of each record (``record_id``);
- ``recipient``: one per recipient organisation (purposes, categories, first and last time);
- ``disclosure``: one per disclosure, with its receipt (``ledger_index``, ``leaf_hash``,
  ``tree_size``, ``inclusion_path`` proving against the ``checkpoint`` of the ``report`` rows);
- ``refusal``: one per refused attempt (``value`` is the reason).

Cells pass :func:`portal.csvcells.safe_cell`: a value a spreadsheet would run as a formula (a leaf
hash starting with ``+``) gets a leading ``'``, and lists are joined by ``;``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.csvcells import csv_line
from portal.dpo.schemas import HeldCategory, SubjectAccessReport

REPORT_CSV_COLUMNS = (
    "section",
    "category",
    "record_id",
    "field",
    "value",
    "when",
    "purpose",
    "lawful_basis",
    "recipient_org",
    "recipient_name",
    "recipient_kind",
    "recipient_user",
    "categories",
    "retention",
    "retention_reason",
    "source",
    "ledger_index",
    "leaf_hash",
    "tree_size",
    "inclusion_path",
)
_POSITION = {name: at for at, name in enumerate(REPORT_CSV_COLUMNS)}


def row(section: str, **cells: Any) -> str:
    """One CSV line with each value under the column it is named for."""
    unknown = sorted(set(cells) - set(_POSITION))
    if unknown:
        raise KeyError(f"not report CSV columns: {', '.join(unknown)}")
    values: list[Any] = [""] * len(REPORT_CSV_COLUMNS)
    values[0] = section
    for name, value in cells.items():
        values[_POSITION[name]] = value
    return csv_line(values)


def _about(report: SubjectAccessReport) -> Iterator[str]:
    for field, value in (
        ("volunteer_id", report.volunteer_id),
        ("subject", report.subject),
        ("generated_at", report.generated_at.isoformat()),
        ("checkpoint", report.checkpoint),
    ):
        yield row("report", field=field, value=value)
    audit = report.audit_receipt
    yield row(
        "report",
        field="audit_entry",
        value="this report's own dpo.audit entry",
        ledger_index=audit.index,
        leaf_hash=audit.leaf_hash,
        tree_size=audit.tree_size,
        inclusion_path=audit.inclusion_path,
    )


def _category(category: HeldCategory) -> Iterator[str]:
    for purpose in category.purposes:
        yield row(
            "category",
            category=category.code,
            field="purpose",
            value=category.label,
            purpose=purpose.code,
            lawful_basis=purpose.lawful_basis,
            categories=category.shared_as,
            retention=category.retention.in_words,
            retention_reason=category.retention.reason,
            source=category.source,
        )
    for number, item in enumerate(category.items, start=1):
        record_id = item.get("id") or f"{category.code}-{number}"
        for field, value in item.items():
            if field != "id":
                yield row(
                    "held", category=category.code, record_id=record_id, field=field, value=value
                )


def report_csv(report: SubjectAccessReport) -> Iterator[str]:
    """The whole report, section by section, a line at a time."""
    yield csv_line(REPORT_CSV_COLUMNS)
    yield from _about(report)
    for category in report.categories:
        yield from _category(category)
    for r in report.recipients:
        yield row(
            "recipient",
            value=r.disclosures,
            when=f"{r.first_at} to {r.last_at}",
            purpose=r.purposes,
            recipient_org=r.recipient_org,
            recipient_name=r.name,
            recipient_kind=r.recipient_kind,
            categories=r.categories,
        )
    for d in report.disclosures:
        receipt = d["receipt"]
        yield row(
            "disclosure",
            record_id=d["request_id"],
            field="relied_on",
            value=[*d["consent_ids"], *d["agreement_ids"]],
            when=d["logged_at"],
            purpose=d["purpose"],
            lawful_basis=d["lawful_basis"],
            recipient_org=d["recipient_org"],
            recipient_name=d["recipient_name"],
            recipient_kind=d["recipient_kind"],
            recipient_user=d["recipient_user"],
            categories=d["categories"],
            ledger_index=receipt["index"],
            leaf_hash=receipt["leaf_hash"],
            tree_size=receipt["tree_size"],
            inclusion_path=receipt["inclusion_path"],
        )
    for f in report.refusals:
        yield row(
            "refusal",
            record_id=f.id,
            field="reason",
            value=f.reason,
            when=f.occurred_at.isoformat(),
            purpose=f.purpose,
            recipient_org=f.recipient_org,
            recipient_user=f.recipient_user,
            categories=f.categories,
        )
