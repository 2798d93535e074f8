"""A volunteer's status in the Special Constabulary (own module: controllers import no tables)."""

from __future__ import annotations

from enum import StrEnum


class VolunteerStatus(StrEnum):
    APPLICANT = "applicant"
    IN_TRAINING = "in_training"
    ACTIVE = "active"
    LEAVER = "leaver"
