"""The purpose vocabulary and notice versions are data, validated on load; no special category."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from portal.vocabulary import (
    CATEGORY_CODES,
    PURPOSES_FILE,
    LawfulBasis,
    load_notices,
    load_vocabulary,
    notices,
    vocabulary,
)

REQUIRED = {
    "esp.leave-verification",
    "esp.programme-management",
    "esp.application-progress",
    "esp.recognition",
    "dpo.audit",
    "communication.notification",
}


def test_the_repository_vocabulary_has_the_spec_purposes_and_categories() -> None:
    v = vocabulary()
    assert {p.code for p in v.purposes} >= REQUIRED
    assert (
        {c.code for c in v.categories}
        == set(CATEGORY_CODES)
        == {
            "identity",
            "status",
            "application",
            "hours.summary",
            "hours.detail",
            "training",
            "recognition",
            "contact.email",
            "contact.phone",
        }
    )
    for purpose in v.purposes:
        assert purpose.text and purpose.label
        assert purpose.consent_required == (purpose.lawful_basis is LawfulBasis.CONSENT)
        assert set(purpose.categories) <= set(CATEGORY_CODES)
        assert purpose.article.startswith("UK GDPR Art. 6(1)(")
        assert purpose.dpv_purpose is None or purpose.dpv_purpose.startswith("dpv:")
    assert v.purpose("dpo.audit").audience == "force"  # type: ignore[union-attr]
    notification = v.purpose("communication.notification")
    assert notification is not None and notification.audience == "provider"
    assert notification.lawful_basis is LawfulBasis.PUBLIC_TASK
    assert notification.dpv_purpose == "dpv:CommunicationManagement"
    assert notification.categories == ("contact.email", "contact.phone")
    assert v.fields_of(["status", "identity"]) == ["display_name", "status"]


@pytest.mark.parametrize(
    "name", ["health", "medical.history", "vetting", "criminal-record", "ethnicity", "religion"]
)
def test_special_category_data_can_never_be_a_category(tmp_path: Path, name: str) -> None:
    data = json.loads(PURPOSES_FILE.read_text())
    data["categories"].append(
        {"code": name, "label": "x", "text": "x", "fields": [name.replace(".", "_")]}
    )
    path = tmp_path / "purposes.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValidationError, match="special category"):
        load_vocabulary(path)


def test_a_field_releasing_special_category_data_is_refused(tmp_path: Path) -> None:
    data = json.loads(PURPOSES_FILE.read_text())
    data["categories"][1]["fields"].append("health_notes")
    path = tmp_path / "purposes.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValidationError, match="special category"):
        load_vocabulary(path)


def test_inconsistent_vocabularies_are_refused(tmp_path: Path) -> None:
    base = json.loads(PURPOSES_FILE.read_text())
    broken = [
        lambda d: d["purposes"][0].update(categories=["identity", "shoe-size"]),
        lambda d: d["purposes"][0].update(consent_required=False),
        lambda d: d["purposes"].append(dict(d["purposes"][0])),
        lambda d: d["categories"].pop(),
        lambda d: d["purposes"][0].update(lawful_basis="because"),
    ]
    for number, damage in enumerate(broken):
        data = json.loads(json.dumps(base))
        damage(data)
        path = tmp_path / f"broken{number}.json"
        path.write_text(json.dumps(data))
        with pytest.raises(ValidationError):
            load_vocabulary(path)


def test_notices_current_is_the_latest_published(tmp_path: Path) -> None:
    n = notices()
    assert n.current(dt.date(2026, 11, 23)).version == "2026-11"
    assert n.current(dt.date(2026, 12, 1)).version == "2026-12"
    assert n.current(dt.date(2026, 1, 1)).version == "2025-04"
    path = tmp_path / "notices.json"
    path.write_text(
        json.dumps({"notices": list(reversed(json.loads(n.model_dump_json())["notices"]))})
    )
    with pytest.raises(ValidationError, match="oldest first"):
        load_notices(path)


def test_every_ledger_entry_kind_has_a_label_for_the_dpo_pages():
    from ledger.entries import KIND_MODELS
    from portal.web.labels import KINDS

    assert set(KINDS) == set(KIND_MODELS)
