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
    "retention.run": "Retention run",
    "erasure.recorded": "Erasure recorded",
    "erasure.request": "Erasure request",
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


# ------------------------------------------------------------------------------------------
# The employer's words. The vocabulary's category labels speak to the volunteer ("Your name");
# an HR contact reads about someone else, so the employer pages use these.

#: As they read in a sentence; :func:`employer_category` starts one with a capital.
EMPLOYER_CATEGORY = {
    "identity": "name",
    "status": "Special Constable status",
    "application": "application progress",
    "hours.summary": "totals of duty hours",
    "hours.detail": "individual duty records",
    "training": "training hours",
    "recognition": "awards and recognition",
}

#: Purposes as the employer reads them (the vocabulary's labels address the volunteer:
#: "Sharing how your application is going").
EMPLOYER_PURPOSE = {
    "esp.leave-verification": "Checking ESP leave",
    "esp.programme-management": "Running the ESP scheme",
    "esp.application-progress": "Following their application",
    "esp.recognition": "Recognising their service",
    "force.service-transfer": "Transferring their service",
    "force.multi-force-application": "Their application to more than one force",
    "partner.application-processing": "Processing their application",
}

#: The kinds of recipient, as a volunteer or the DPO reads them.
RECIPIENT_KIND = {
    "employer": "Employer",
    "police_force": "Another police force",
    "partner": "Partner processing applications",
    "provider": "Messaging provider",
    "force": "The force",
}


#: What an agreement is called, by the kind of organisation it is with.
AGREEMENT_KIND = {
    "data_sharing_agreement": "Data sharing agreement",
    "information_sharing_agreement": "Information sharing agreement",
    "processing_contract": "Processing contract",
}


def agreement_kind(code: str) -> str:
    return AGREEMENT_KIND.get(code, "Agreement")


def recipient_kind(code: str) -> str:
    return RECIPIENT_KIND.get(code, code.replace("_", " ").capitalize())


APPLICATION_STAGE = {
    "application_in_progress": "Application in progress",
    "accepted_in_training": "Accepted, in training",
    "complete": "Application complete",
    "unknown": "Not known",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def employer_purpose(code: str) -> str:
    """A purpose as an employer reads it."""
    return EMPLOYER_PURPOSE.get(code) or purpose_label(code)


def employer_category(code: str) -> str:
    """A data category as an employer reads it: ``hours.summary`` -> "Totals of duty hours"."""
    return _capital(EMPLOYER_CATEGORY.get(code, category_label(code)))


def employer_categories(codes: list[str] | tuple[str, ...], start: bool = True) -> str:
    """Categories in words: "Name, Special Constable status and totals of duty hours";
    ``start=False`` for the middle of a sentence ("name, Special Constable status and ...").
    In the vocabulary's order (name first), whatever order the agreement lists them in."""
    order = list(vocabulary().category_map)
    ranked = sorted(codes, key=lambda c: order.index(c) if c in order else len(order))
    words = [EMPLOYER_CATEGORY.get(c, category_label(c)) for c in ranked]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return _capital(text) if start and words else text if words else ""


def hours_text(value: float | int | None) -> str:
    """``12.5`` -> "12.5 hours"; whole numbers without a decimal point."""
    if value is None:
        return "Not recorded"
    number = float(value)
    shown = f"{number:.0f}" if number == int(number) else f"{number:.1f}"
    return f"{shown} hour" if shown == "1" else f"{shown} hours"


def duty_hours_text(summary: dict[str, object]) -> str:
    """ "38 hours: 26 on ESP leave, 12 in own time"."""
    total = hours_text(_number(summary.get("total_hours")))
    leave = _number(summary.get("esp_leave_hours"))
    own = _number(summary.get("own_time_hours"))
    if leave is None or own is None:
        return total
    return f"{total}: {hours_text(leave)} on ESP leave, {hours_text(own)} in own time"


def minimum_text(summary: dict[str, object]) -> str:
    """ "Met in 3 of 11 months" (the months of the period counted so far)."""
    counted = int(_number(summary.get("months_counted")) or 0)
    met = int(_number(summary.get("months_minimum_met")) or 0)
    if not counted:
        return "No month counted yet"
    return f"Met in {met} of {counted} month{'' if counted == 1 else 's'}"


def leave_text(summary: dict[str, object]) -> str | None:
    """ "24 of 96 hours used, 72 hours left", or None without a leave policy."""
    granted = _number(summary.get("leave_granted"))
    used = _number(summary.get("leave_used"))
    if granted is None or used is None:
        return None
    unit = "days" if summary.get("leave_unit") == "days" else "hours"
    left = _number(summary.get("leave_available"))
    text = f"{figure(used)} of {figure(granted)} {unit} used"
    return text if left is None else f"{text}, {figure(left)} {unit} available now"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def figure(value: float) -> str:
    """``5.0`` -> "5", ``2.25`` -> "2.3": a figure without a needless decimal point."""
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
