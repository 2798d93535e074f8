"""The withdrawal-notices page of each kind of recipient organisation: one page, three wordings.

An employer, another police force and a partner each read the notices addressed to their own
organisation and acknowledge them (``/employer/notices``, ``/police-force/notices``,
``/partner/notices``). The listing, the names it may show (through the gate, ledgered) and the
acknowledgement are :class:`NoticeService`'s, the same service as the API; only the words and
paths differ, so no kind is told less than another.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.response import Redirect, Template

from portal.auth.guards import caller
from portal.auth.requests import AppRequest
from portal.disclosure.gate import Recipient
from portal.disclosure.notices import NoticeService
from portal.errors import Conflict
from portal.request_context import request_id
from portal.web.forms import query_int
from portal.web.pages import render, see_other

NOTICE_PAGE = 25


@dataclass(frozen=True)
class NoticeWords:
    """What differs between the kinds' notices pages: the path and who the person is to them."""

    path: str
    #: The person a notice is about, as the organisation knows them ("member of staff").
    person: str
    #: Who withdraws, in the page's opening sentence.
    who: str


EMPLOYER_NOTICES = NoticeWords("/employer/notices", "member of staff", "a member of staff")
FORCE_NOTICES = NoticeWords(
    "/police-force/notices",
    "person",
    "a Special Constable or applicant the force shared with you",
)
PARTNER_NOTICES = NoticeWords(
    "/partner/notices",
    "applicant",
    "an applicant whose application you process",
)


async def notices_page(request: AppRequest, notices: NoticeService, words: NoticeWords) -> Template:
    """A page of the caller's organisation's notices, naming whom each open one is about."""
    recipient = Recipient.of(caller(request), channel="web")
    page = query_int(request, "page", 1, 1, 100_000) or 1
    found, names = await notices.list_named(
        recipient,
        limit=NOTICE_PAGE,
        offset=(page - 1) * NOTICE_PAGE,
        request_id=request_id(request),
    )
    pages = max(1, -(-found.total // NOTICE_PAGE))
    return await render(
        request,
        "notices/withdrawals.html",
        words=words,
        notices=found.items,
        names=names,
        page=page,
        pages=pages,
        acknowledged=query_int(request, "acknowledged", None, 0, 2**62),
    )


async def acknowledge(
    request: AppRequest, notices: NoticeService, notice_id: str, words: NoticeWords
) -> Redirect:
    """Acknowledge one notice, back to the list with the ledger entry that records it."""
    recipient = Recipient.of(caller(request), channel="web")
    try:
        done = await notices.acknowledge(recipient, notice_id, request_id=request_id(request))
    except Conflict:
        return see_other(words.path)
    return see_other(f"{words.path}?acknowledged={done.receipt.index}")
