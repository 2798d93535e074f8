"""Why the gate refused a disclosure (its own module: controllers import no tables)."""

from __future__ import annotations

from enum import StrEnum


class RefusalReason(StrEnum):
    #: The id names no volunteer, or one outside the recipient's organisation (same answer: 404).
    OUTSIDE_ORGANISATION = "outside_organisation"
    UNKNOWN_PURPOSE = "unknown_purpose"
    PURPOSE_NOT_FOR_RECIPIENT = "purpose_not_for_recipient"
    #: The volunteer's link to the force or partner was not made for this purpose (a link for a
    #: multi-force application does not serve a service transfer, and the other way round).
    PURPOSE_NOT_FOR_LINK = "purpose_not_for_link"
    NO_AGREEMENT = "no_agreement"
    AGREEMENT_EXPIRED = "agreement_expired"
    PURPOSE_NOT_IN_AGREEMENT = "purpose_not_in_agreement"
    CATEGORY_NOT_IN_AGREEMENT = "category_not_in_agreement"
    NO_CONSENT = "no_consent"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    #: Everything permitted has no data to give (e.g. ``recognition`` for someone with no award).
    NO_DATA = "no_data"
    #: The DPO upheld the volunteer's objection to this (public-task) purpose.
    OBJECTION_UPHELD = "objection_upheld"
    #: A message by a channel (email, text) the volunteer did not choose in their preferences.
    CHANNEL_NOT_CHOSEN = "channel_not_chosen"
