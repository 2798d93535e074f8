"""Plain-English words for codes: purposes, categories, lawful bases, states, statuses."""

from __future__ import annotations

from portal.vocabulary import LawfulBasis, vocabulary

LAWFUL_BASIS = {
    LawfulBasis.CONSENT.value: "Your consent",
    LawfulBasis.CONTRACT.value: "A contract",
    LawfulBasis.LEGAL_OBLIGATION.value: "A legal obligation of the force",
    LawfulBasis.VITAL_INTERESTS.value: "Someone's vital interests",
    LawfulBasis.PUBLIC_TASK.value: "The force's public task",
    LawfulBasis.LEGITIMATE_INTERESTS.value: "Legitimate interests",
}

VOLUNTEER_STATUS = {
    "applicant": "Applicant",
    "in_training": "In training",
    "active": "Serving",
    "leaver": "Left",
}

CONSENT_STATE = {
    "given": "Given",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}

KINDS = {
    "disclosure": "Disclosure",
    "consent.given": "Consent given",
    "consent.withdrawn": "Consent withdrawn",
    "notice.withdrawal": "Withdrawal notice",
    "notice.acknowledged": "Notice acknowledged",
    "objection.raised": "Objection raised",
    "objection.decided": "Objection decided",
    "alert.acknowledged": "Volume alert acknowledged",
    "agreement.recorded": "Agreement recorded",
}


def basis(code: str) -> str:
    label = LAWFUL_BASIS.get(code, code.replace("_", " ").capitalize())
    try:
        return f"{label} ({LawfulBasis(code).article})"
    except ValueError:
        return label


def purpose_label(code: str) -> str:
    purpose = vocabulary().purpose(code)
    return purpose.label if purpose else code


def category_label(code: str) -> str:
    category = vocabulary().category_map.get(code)
    return category.label if category else code


def kind_label(code: str) -> str:
    return KINDS.get(code, code.replace(".", " ").replace("_", " ").capitalize())


def field_label(name: str) -> str:
    return {
        "display_name": "Name",
        "status": "Status",
        "application_stage": "Application stage",
        "application_milestones": "Application steps",
        "training_milestones": "Training course",
        "hours_summary": "Hours",
        "hours_detail": "Duty records",
        "training": "Training",
        "recognition": "Recognition",
    }.get(name, name.replace("_", " ").capitalize())
