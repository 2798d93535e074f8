"""Privacy notice 2026-12 in a browser: sharing with other police forces and with partners.

Anyone can read the sections the December 2026 notice adds (what the force shares with another
police force and why, with a partner processing applications and why, each with its lawful basis
and the right to object or the consent it needs), and the purposes it describes for the first
time; what it says about employers is word for word what 2026-11 said, so no employer consent
is asked again. axe-core finds nothing at 1280 px or 320 px, and nothing scrolls sideways at
320 px. Both databases, Debian's Chromium.
"""

from __future__ import annotations

from typing import Any

from portal.vocabulary import notices, vocabulary
from tests.web.webharness import Served, axe_check, no_horizontal_scroll

FORCES = "What the force shares with other police forces, and why"
PARTNERS = "What the force shares with partners that process your application"
NEW = ("force.service-transfer", "force.multi-force-application", "partner.application-processing")


def _read_december(page: Any, served: Served, label: str) -> str:
    response = page.goto(served.url("/privacy/2026-12"))
    assert response is not None and response.status == 200
    for heading in (FORCES, PARTNERS, "When you withdraw consent", "Your rights"):
        assert page.get_by_role("heading", name=heading, level=3).count() == 1, heading
    axe_check(page, label)
    return page.inner_text("main")


def test_the_december_notice_describes_forces_and_partners(served: Served, page: Any) -> None:
    main = _read_december(page, served, "privacy notice 2026-12")
    assert "ESP Portal privacy notice (December 2026)" in main
    assert "What changed from version 2026-11" in main
    # Sharing with another force: the transfer is public task and can be objected to; the
    # multi-force application needs consent, chosen kind by kind.
    assert "transfer your Special Constable service to another police force" in main
    assert "public task (UK GDPR Art. 6(1)(e)). You can object" in main
    assert "only with your consent (UK GDPR Art. 6(1)(a))" in main
    assert "never the result" in main
    # Partners: a processing contract, public task, objection.
    assert "processing contract" in main and "assessment provider" in main
    added = page.locator("#purposes-added li").all_inner_texts()
    labels = [vocabulary().purpose(code) for code in NEW]
    assert sorted(added) == sorted(
        f"{p.label}: {'only with your consent' if p.consent_required else 'public task'} "
        f"({p.article})"
        for p in labels
        if p is not None
    )
    # Employers: unchanged, so no employer purpose is listed as changed or new.
    december, november = notices().get("2026-12"), notices().get("2026-11")
    assert december is not None and november is not None
    employer = "What the force shares with your employer, and why"
    assert [s for s in december.sections if s.heading == employer] == [
        s for s in november.sections if s.heading == employer
    ]
    assert "This version changes what these purposes mean" not in main
    assert not [c for c in december.purposes_changed if c.startswith("esp.")]


def test_the_december_notice_fits_320_px(served: Served, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        _read_december(page, served, "privacy notice 2026-12 at 320 px")
        no_horizontal_scroll(page)
    finally:
        context.close()
