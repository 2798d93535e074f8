"""Privacy-notice versions carry their full text and say what changed; checked on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from portal.vocabulary import NOTICES_FILE, load_notices, notices, vocabulary


def test_every_version_has_its_full_text_and_names_known_purposes() -> None:
    every = notices()
    for notice in every.notices:
        assert notice.sections and all(s.paragraphs for s in notice.sections)
        for code in notice.purposes_changed:
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
    ],
)
def test_a_notice_without_text_or_changes_is_refused(
    tmp_path: Path, edit: dict[str, object], at: int, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        load_notices(_write(tmp_path, edit, at))
