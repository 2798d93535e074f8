"""The DPO's "Find a person" page: one box for a name, email address, volunteer id or subject id.

The form is posted, not sent in the URL: what is typed is often a name, and URLs end up in
browser history and proxy logs. The results come from :class:`PersonSearchService`, as on the
API: each person listed is recorded in the ledger (``dpo.audit``, channel ``web``) before the
page is built, and each links to that person's subject access report.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.gate import Recipient
from portal.dpo.people import PersonSearchService
from portal.errors import InvalidInput
from portal.organisations.search import MAX_QUERY
from portal.request_context import request_id
from portal.web.forms import add_service_errors, field_text
from portal.web.pages import FormErrors, NavItem, register_navigation, render

register_navigation(Role.DPO, NavItem("/dpo/search", "Find a person"))

#: People a results page lists; a narrower query finds fewer.
SHOWN = 20
BLANK = "Enter a name, email address, volunteer id or subject id"
#: How each result was found, in words.
MATCHED = {
    "name": "Name",
    "email": "Email address",
    "volunteer_id": "Volunteer id",
    "subject": "Subject id",
}


class DpoSearchPages(Controller):
    path = "/dpo/search"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/", name="web.dpo.search_form")
    async def form(self, request: AppRequest) -> Template:
        return await render(request, "dpo/search.html", value="", result=None, shown=SHOWN)

    @post("/", name="web.dpo.search")
    async def search(
        self, request: AppRequest, people: NamedDependency[PersonSearchService]
    ) -> Template:
        errors = FormErrors()
        typed, result = "", None
        try:
            typed = field_text(await request.form(), "q", MAX_QUERY + 1)
            if not typed:
                errors.add("q", BLANK)
            else:
                result = await people.search(
                    Recipient.of(caller(request), channel="web"),
                    typed,
                    limit=SHOWN,
                    request_id=request_id(request),
                )
        except InvalidInput as exc:
            add_service_errors(errors, exc, {"q": "q"}, "q")
        return await render(
            request,
            "dpo/search.html",
            status=400 if errors else 200,
            errors=errors,
            value=typed,
            result=result,
            shown=SHOWN,
            matched_labels=MATCHED,
        )
