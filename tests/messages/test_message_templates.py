"""Every template: plain English with the sender and where to change preferences on every email,
a text message within 160 characters at its longest, nothing personal in employer messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.messages.outbox import common_context
from portal.messages.render import SMS_LIMIT, TEMPLATES, render_call, render_email, render_sms
from portal.settings import load_settings

#: The longest values each template can be given (sender and links at realistic lengths).
LONGEST = {
    "decision": "declined",
    "link": "https://esp-portal.thames-valley.police.uk/volunteer/leave",
    "minutes": 1440,
    "hours": 720,
    "day": "30 September 2026",
    "count": 99999,
    "organisations": 999,
    "received_on": "30 September 2026",
    "due_on": "31 October 2026",
    "ground": "The data is needed to establish, exercise or defend legal claims (Article 17(3)(e))",
    "explanation": "Your duty records are evidence in an open claim.",
}
#: The messages of events and account security (staff messages have their own tests and values).
EMAILS = (
    "disclosure_digest",
    "erasure_received",
    "erasure_refused",
    "invitation",
    "leave_decided",
    "leave_requested",
    "password_reset",
    "withdrawal_notice",
)
TEXTS = sorted({p.name.split(".")[0] for p in TEMPLATES.glob("*.sms.txt")})
#: Messages to an employer's contacts: they name no volunteer and hold no volunteer data.
TO_EMPLOYERS = ("leave_requested", "withdrawal_notice")


def _context(tmp_path: Path) -> dict[str, object]:
    settings = load_settings(
        data_dir=tmp_path,
        base_url="https://esp-portal.thames-valley.police.uk",
        messages_sender="Thames Valley Police ESP <esp@thamesvalley.police.uk>",
    )
    return {**common_context(settings), **LONGEST}


def test_every_kind_has_all_its_parts() -> None:
    assert set(EMAILS) >= {
        "leave_requested",
        "leave_decided",
        "withdrawal_notice",
        "password_reset",
        "invitation",
        "disclosure_digest",
    }
    assert set(TEXTS) >= {"leave_decided", "disclosure_digest"}
    for kind in EMAILS:
        for part in (".txt", ".html"):
            assert (TEMPLATES / f"{kind}{part}").exists(), kind


@pytest.mark.parametrize("kind", EMAILS)
def test_every_email_names_its_sender_and_where_to_change_preferences(
    kind: str, tmp_path: Path
) -> None:
    context = _context(tmp_path)
    email = render_email(kind, context)
    assert email.subject and "\n" not in email.subject
    for body in (email.text, email.html):
        assert "From Thames Valley Police ESP" in body
        assert "https://esp-portal.thames-valley.police.uk/account" in body
        assert "change how we contact you" in body
    assert email.html.startswith("<!doctype html>") and '<html lang="en">' in email.html


@pytest.mark.parametrize("kind", TEXTS)
def test_a_text_fits_one_sms_at_its_longest(kind: str, tmp_path: Path) -> None:
    body = render_sms(kind, _context(tmp_path))
    assert 0 < len(body) <= SMS_LIMIT, (len(body), body)
    assert "ESP Portal" in body


def test_a_call_says_why_in_a_sentence(tmp_path: Path) -> None:
    said = render_call("leave_decided", _context(tmp_path))
    assert said.startswith("Tell them their employer has declined their ESP leave request")


@pytest.mark.parametrize("kind", TO_EMPLOYERS)
def test_employer_messages_carry_no_volunteer_data(kind: str, tmp_path: Path) -> None:
    for part in (f"{kind}.txt", f"{kind}.html", f"{kind}.subject.txt"):
        source = (TEMPLATES / part).read_text()
        # the only values are the common sender/preferences and a link to sign in
        names = {token.split("}}")[0].strip() for token in source.split("{{")[1:]}
        assert names <= {"sender", "preferences_url", "link"}, (part, names)
