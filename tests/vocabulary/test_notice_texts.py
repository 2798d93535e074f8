"""Privacy-notice versions carry their full text and say what changed; checked on load."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from portal.consent.reconfirm import needs_confirming
from portal.consent.schemas import ConsentCurrent
from portal.vocabulary import NOTICES_FILE, load_notices, notices, vocabulary


def test_every_version_has_its_full_text_and_names_known_purposes() -> None:
    every = notices()
    for notice in every.notices:
        assert notice.sections and all(s.paragraphs for s in notice.sections)
        for code in notice.purposes + notice.purposes_changed:
            assert vocabulary().purpose(code) is not None, code
    first, *later = every.notices
    assert first.changes == () and every.previous(first.version) is None
    for before, notice in zip(every.notices, later, strict=False):
        assert notice.changes and every.previous(notice.version) == before


def _write(tmp_path: Path, edit: dict[str, object], at: int) -> Path:
    data = json.loads(NOTICES_FILE.read_text(encoding="utf-8"))
    data["notices"][at].update(edit)
    path = tmp_path / "notices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "at", "message"),
    [
        ({"changes": []}, 1, "say what changed"),
        ({"changes": ["something"]}, 0, "nothing changed before it"),
        ({"sections": []}, 1, "at least 1"),
        ({"purposes": []}, 2, "at least 1"),
        ({"purposes": ["esp.recognition", "esp.recognition"]}, 1, "listed twice"),
        ({"purposes": ["esp.leave-verification"]}, 2, "does not describe it"),
    ],
)
def test_a_notice_without_text_or_changes_is_refused(
    tmp_path: Path, edit: dict[str, object], at: int, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        load_notices(_write(tmp_path, edit, at))


def test_every_consent_purpose_is_described_by_the_current_notice() -> None:
    """The notice in force describes every purpose a volunteer can be asked to consent to,
    so no offered consent is refused for want of words."""
    current = notices().current(dt.datetime.now(dt.UTC).date())
    wanting = [
        p.code
        for p in vocabulary().purposes
        if p.consent_required and not current.describes(p.code)
    ]
    assert wanting == []


def test_december_asks_again_only_for_what_it_changed() -> None:
    """2026-12 adds the force and partner purposes; employer consent is not asked again. A
    multi-force consent recorded under 2026-11 (which never described it) is asked again."""
    today = dt.date(2026, 12, 6)
    stood = [
        ConsentCurrent(
            employer_id="org",
            employer_name=None,
            purpose=purpose,
            purpose_label=None,
            category="identity",
            state="given",
            since=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
            expires_at=None,
            notice_version="2026-11",
            consent_id="c",
        )
        for purpose in ("esp.leave-verification", "force.multi-force-application")
    ]
    for code in ("esp.leave-verification", "esp.application-progress", "esp.recognition"):
        assert needs_confirming(code, [r for r in stood if r.purpose == code], today) is None
    multi = needs_confirming(
        "force.multi-force-application",
        [r for r in stood if r.purpose == "force.multi-force-application"],
        today,
    )
    assert multi is not None and multi.changed_in.version == "2026-12"
    assert multi.agreed_under == "2026-11"
    # Before 2026-12 is published nothing asks: a notice changes nothing until it is in force.
    early = [r for r in stood if r.purpose == "force.multi-force-application"]
    assert needs_confirming("force.multi-force-application", early, dt.date(2026, 11, 25)) is None
