"""The disclosure gate, built once with every registered category source.

``portal.disclosure`` knows the volunteer record; other domains register the sources of their own
fields here (hours: ``portal.hours.staff_fields.register_sources``). The app builds the gate at
start-up and hands it to API controllers and pages as the ``gate`` dependency; the demo loader
builds its own with the same function, so no caller can leave a source out.
"""

from __future__ import annotations

from ledger import Ledger
from portal.applications import staff_fields as milestone_fields
from portal.clock import Clock, utcnow
from portal.disclosure.gate import DisclosureGate
from portal.disclosure.sources import CategorySources
from portal.hours import staff_fields
from portal.recognition import staff_fields as recognition_fields
from portal.settings import Settings


def category_sources(settings: Settings) -> CategorySources:
    """Every source of a field outside the volunteer record."""
    sources = CategorySources()
    staff_fields.register_sources(sources, settings)
    recognition_fields.register_sources(sources)
    milestone_fields.register_sources(sources)
    return sources


def build_gate(ledger: Ledger, settings: Settings, clock: Clock = utcnow) -> DisclosureGate:
    """The one disclosure gate of an app (or of the demo loader)."""
    return DisclosureGate(ledger, category_sources(settings), clock)
