"""Why a volunteer is linked to another police force or a partner: the link's reasons.

A job with an employer is its own reason: every employer purpose its agreement names may read
through it. A link to another police force or to a partner is made for something particular (a
special transferring, an applicant who applied to that force too, an application the partner
processes), so it records the purposes it was made for, and the disclosure gate releases
through it only for those (``purpose_not_for_link`` otherwise). One rule for every path that
makes a link (the API, the pages), so none can record a reason of the wrong kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from portal.vocabulary import vocabulary

#: The organisation kinds whose links record their reasons (purposes of that kind).
REASONED_KINDS = frozenset({"police_force", "partner"})

_WORDS = {"police_force": "a police force", "partner": "a partner"}


def reason_codes(kind: str) -> list[str]:
    """The purposes a link to an organisation of ``kind`` may be made for, in code order."""
    return sorted(p.code for p in vocabulary().purposes if p.audience == kind)


def reasons_problem(kind: str, reasons: Sequence[str] | None) -> str | None:
    """What is wrong with ``reasons`` for a link to an organisation of ``kind`` (``None``:
    nothing): a force or a partner needs one or more purposes of its kind, an employer none."""
    given = list(dict.fromkeys(reasons or ()))
    if kind not in REASONED_KINDS:
        return "a job with an employer records no reasons; leave reasons out" if given else None
    usable = reason_codes(kind)
    if not given:
        return f"say what the link is for: one or more of {', '.join(usable)}"
    wrong = [code for code in given if code not in usable]
    if wrong:
        return f"{', '.join(wrong)}: not a purpose for {_WORDS[kind]}; use {', '.join(usable)}"
    return None


def recorded_reasons(reasons: Sequence[str] | None) -> list[str]:
    """The reasons as stored: each once, in code order (checked by :func:`reasons_problem`)."""
    return sorted(set(reasons or ()))


def link_reasons(kind: str, recorded: Iterable[str] | None) -> frozenset[str] | None:
    """The fact the gate's rule needs: the purposes a link of ``kind`` serves, or ``None`` when
    links of that kind are not bound to reasons (a job with an employer)."""
    if kind not in REASONED_KINDS:
        return None
    return frozenset(recorded or ())
