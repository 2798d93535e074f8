"""The milestones of an application and their outcomes, with their plain names (one home)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Each step, in the order an application goes through them."""

    RECEIVED = "received"
    ELIGIBILITY = "eligibility"
    ASSESSMENT = "assessment"
    VETTING = "vetting"
    MEDICAL = "medical"
    TRAINING_BOOKED = "training_booked"
    TRAINING_COMPLETED = "training_completed"
    ATTESTED = "attested"
    INDEPENDENT_PATROL = "independent_patrol"


class Outcome(StrEnum):
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    NOT_PASSED = "not_passed"
    WITHDRAWN = "withdrawn"


STAGE_LABELS: dict[str, str] = {
    Stage.RECEIVED: "Application received",
    Stage.ELIGIBILITY: "Eligibility checked",
    Stage.ASSESSMENT: "Assessment",
    Stage.VETTING: "Vetting",
    Stage.MEDICAL: "Medical",
    Stage.TRAINING_BOOKED: "Training course booked",
    Stage.TRAINING_COMPLETED: "Training course completed",
    Stage.ATTESTED: "Attested (appointed)",
    Stage.INDEPENDENT_PATROL: "Independent patrol status",
}
OUTCOME_LABELS: dict[str, str] = {
    Outcome.IN_PROGRESS: "In progress",
    Outcome.PASSED: "Passed",
    Outcome.NOT_PASSED: "Not passed",
    Outcome.WITHDRAWN: "Withdrawn",
}
#: Steps whose outcome is never given to anyone outside the force: the employer learns only that
#: the step is in progress or complete (a pass, a fail or a withdrawal during the step would hint
#: at a finding).
CONFIDENTIAL_STAGES = frozenset({Stage.VETTING, Stage.MEDICAL})
#: The training steps, which the ``training`` category releases too.
TRAINING_STAGES = frozenset({Stage.TRAINING_BOOKED, Stage.TRAINING_COMPLETED})


def released_state(stage: str, outcome: str) -> str:
    """What a recipient outside the force learns of one step's outcome: for vetting and medical
    only ``in_progress`` or ``complete`` (every outcome that ends the step, a withdrawal too)."""
    if stage in CONFIDENTIAL_STAGES and outcome != Outcome.IN_PROGRESS:
        return "complete"
    return outcome
