"""The record kinds held about a person (portal/vocabulary/records.json): data, checked on load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from portal.vocabulary import vocabulary
from portal.vocabulary.records import RECORDS_FILE, load_records, records_held

ART15 = {
    "identity", "contact", "status", "application", "employment", "duties", "leave",
    "consents", "objections", "accounts", "messages", "disclosures", "refusals",
    "erasure-requests",
}  # fmt: skip


def _write(tmp_path: Path, change: Any) -> Path:
    data = json.loads(RECORDS_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "records.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _record(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in data["records"] if r["code"] == code)


def test_every_art15_category_has_purposes_retention_and_source() -> None:
    held = records_held()
    assert {r.code for r in held.records} >= ART15
    shared = [c for r in held.records for c in r.shared_as]
    assert sorted(shared) == sorted(vocabulary().category_map)
    for record in held.records:
        assert held.purposes_of(record), record.code
        assert record.retention.reason and record.source
        words = held.retention_in_words(record)
        assert words and (record.retention.period is None) == (words.startswith("for as long"))
    assert held.retention_in_words(held.get("messages")) == "90 days after the record is made"
    assert held.retention_in_words(held.get("refusals")).startswith("2 years after")
    requests = held.get("erasure-requests")
    assert held.retention_in_words(requests) == "2 years after the request is decided"
    assert "Information Commissioner" in requests.retention.reason


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _record(d, "leave")["purposes"].append("esp.gossip"), "unknown purposes"),
        (lambda d: _record(d, "duties")["shared_as"].remove("training"), "no record kind"),
        (lambda d: _record(d, "status")["shared_as"].append("identity"), "is shared as"),
        (lambda d: _record(d, "identity")["purposes"].remove("esp.recognition"), "list them"),
        (lambda d: d["from"].pop("decision"), "must word each"),
    ],
)
def test_records_that_disagree_with_the_vocabulary_are_refused(
    tmp_path: Path, change: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_records(_write(tmp_path, change))


@pytest.mark.parametrize(
    "retention",
    [
        {"period": "6 years", "from": "leaving", "reason": "Twenty characters or more here."},
        {"period": None, "from": "leaving", "reason": "Twenty characters or more here."},
        {"period": "P6Y", "from": "ledger", "reason": "Twenty characters or more here."},
        {"period": "P6Y", "from": "leaving", "reason": "short"},
    ],
)
def test_a_retention_rule_needs_a_period_an_event_and_a_reason(
    tmp_path: Path, retention: dict[str, Any]
) -> None:
    def change(data: dict[str, Any]) -> None:
        _record(data, "leave")["retention"] = retention

    with pytest.raises(ValidationError):
        load_records(_write(tmp_path, change))
