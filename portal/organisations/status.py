"""A volunteer's status in the Special Constabulary, and the moves it may make (one home).

Own module: controllers import no tables. The allowed moves are data (:data:`TRANSITIONS`): the
API, the pages, the CSV import and the demo all ask :func:`may_become`, and the pages offer
exactly :func:`next_statuses`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class VolunteerStatus(StrEnum):
    APPLICANT = "applicant"
    IN_TRAINING = "in_training"
    ACTIVE = "active"  # "serving" in the pages' words
    LEAVER = "leaver"  # "left"


#: From each status, the statuses a volunteer may move to. An applicant is accepted into
#: training, a trainee attested (serving); anyone may leave; a leaver who comes back applies
#: again. Skipping a stage (applicant straight to serving) is not a move the force makes.
TRANSITIONS: Mapping[VolunteerStatus, tuple[VolunteerStatus, ...]] = {
    VolunteerStatus.APPLICANT: (VolunteerStatus.IN_TRAINING, VolunteerStatus.LEAVER),
    VolunteerStatus.IN_TRAINING: (VolunteerStatus.ACTIVE, VolunteerStatus.LEAVER),
    VolunteerStatus.ACTIVE: (VolunteerStatus.LEAVER,),
    VolunteerStatus.LEAVER: (VolunteerStatus.APPLICANT,),
}


def next_statuses(current: VolunteerStatus) -> tuple[VolunteerStatus, ...]:
    """The statuses a volunteer with ``current`` may move to, in the order of the journey."""
    return TRANSITIONS[current]


def may_become(current: VolunteerStatus, wanted: VolunteerStatus) -> bool:
    return wanted in TRANSITIONS[current]
