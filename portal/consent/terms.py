"""Whether a consent could take effect: the employer's agreement must name what is consented to.

Consent for a purpose (or a category) the data sharing agreement with the employer does not name
can never release anything: the gate refuses every such disclosure. Accepting it would record a
consent the volunteer believes means something when it does not, so it is refused up front. The
agreement consulted is the one the volunteer's sharing page shows: the version in force today, or
the first one scheduled to start.
"""

from __future__ import annotations

from ledger import Ledger
from portal.agreements.services import AgreementService
from portal.fielderrors import field_error
from portal.vocabulary import Purpose, vocabulary


async def agreed_terms(ledger: Ledger, employer_id: str) -> dict[str, list[str]] | None:
    """Purpose -> categories of the agreement in force or scheduled, or None if there is none."""
    page = await AgreementService(ledger).list_current(1, 0, employer_id=employer_id)
    agreement = next((a for a in page.items if a.state in {"in_force", "scheduled"}), None)
    return agreement.purposes if agreement else None


def check_terms(
    terms: dict[str, list[str]] | None, purpose: Purpose, categories: list[str]
) -> None:
    """Raise a 422 naming the field when ``terms`` do not cover ``purpose`` and ``categories``."""
    if terms is None:
        raise field_error(
            "employer_id",
            "the force has no data sharing agreement with this employer, so consent could "
            "not take effect",
        )
    named = terms.get(purpose.code)
    if named is None:
        raise field_error(
            "purpose",
            f"the data sharing agreement with this employer does not include {purpose.code}, "
            "so consent for it could not take effect",
        )
    outside = sorted(set(categories) - set(named))
    if outside:
        labels = vocabulary().category_map
        raise field_error(
            "categories",
            f"the data sharing agreement with this employer does not include "
            f"{', '.join(outside)} for {purpose.code}, so consent for "
            f"{'it' if len(outside) == 1 else 'them'} could not take effect; it includes "
            + ", ".join(c for c in named if c in labels),
        )
