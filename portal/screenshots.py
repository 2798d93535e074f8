"""Screenshots of each main page at 320 px (a phone) and 1280 px wide.

    python -m portal.screenshots OUTDIR [--chromium /usr/bin/chromium]

Needs the test extras (``pip install -e ".[test]"``: Playwright) and Debian's Chromium
(``apt-get install chromium``); no browser is downloaded. It builds a throw-away SQLite portal in
a temporary directory, loads the demo data set (``esp-portal demo``'s), adds an agreement for
every demo employer without one and a consent for the demo volunteer (through the same services
as the pages, so the pages have something to show), serves it on 127.0.0.1 at a free port, signs
in as each demo role and writes ``OUTDIR/<role>-<page>-<width>.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from portal.clock import utcnow
from portal.demo.data import OTHER_FORCE, PARTNER, demo_id

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (320, 1280)

#: The first page of each list whose first person's page is shot too.
STAFF_LIST = "/employer/staff?purpose=esp.leave-verification"
FORCE_LIST = "/police-force/people?purpose=force.service-transfer"
PARTNER_LIST = "/partner/applicants?purpose=partner.application-processing"
#: One employer and purpose of the DPO's volume pages: the demo hospital's reads for ESP leave.
VOLUME_SERIES = f"/dpo/volume/{demo_id('organisation', 'nhs')}/esp.leave-verification"
FIRST_OF = {
    "staff_member": STAFF_LIST,
    "force_person": FORCE_LIST,
    "partner_applicant": PARTNER_LIST,
}

#: The pages shot for each role: (file name part, path).
PAGES: dict[str, list[tuple[str, str]]] = {
    "anonymous": [
        ("sign-in", "/sign-in"),
        ("privacy", "/privacy"),
        ("privacy-2026-11", "/privacy/2026-11"),
        ("privacy-2025-04", "/privacy/2025-04"),
        ("cookies", "/cookies"),
    ],
    "volunteer": [
        ("home", "/volunteer"),
        ("hours", "/volunteer/hours"),
        ("leave", "/volunteer/leave"),
        ("sharing", "/volunteer/sharing"),
        ("disclosures", "/volunteer/disclosures"),
        ("contact", "/volunteer/contact"),
        ("objections", "/volunteer/objections"),
        ("erasure", "/volunteer/erasure"),
        ("messages", "/volunteer/messages"),
    ],
    "employer": [
        ("home", "/employer"),
        ("staff", "/employer/staff?purpose=esp.programme-management"),
        ("staff-hours", "/employer/staff?purpose=esp.leave-verification"),
        ("staff-member", "{staff_member}"),
        ("leave", "/employer/leave"),
        ("reports", "/employer/reports"),
        ("notices", "/employer/notices"),
    ],
    "police_force": [
        ("home", "/police-force"),
        ("people", FORCE_LIST),
        ("person", "{force_person}"),
        ("notices", "/police-force/notices"),
    ],
    "partner": [
        ("home", "/partner"),
        ("applicants", PARTNER_LIST),
        ("applicant", "{partner_applicant}"),
        ("notices", "/partner/notices"),
    ],
    "dpo": [
        ("home", "/dpo"),
        ("ledger", "/dpo/ledger"),
        ("subjects", "/dpo/subjects"),
        ("subject-report", "/dpo/subjects?volunteer={volunteer}"),
        ("search", "/dpo/search"),
        ("refusals", "/dpo/refusals"),
        ("agreements", "/dpo/agreements"),
        ("integrity", "/dpo/integrity"),
        ("retention", "/dpo/retention"),
        ("messages", "/dpo/messages"),
        ("notices", "/dpo/notices"),
        ("objections", "/dpo/objections"),
        ("erasure", "/dpo/erasure"),
        ("statistics", "/dpo/statistics"),
        ("volume", "/dpo/volume"),
        ("volume-series", VOLUME_SERIES),
        ("alerts", "/dpo/alerts"),
    ],
    "coordinator": [
        ("home", "/coordinator"),
        ("employers", "/coordinator/employers"),
        ("employer", "{employer}"),
        ("volunteers", "/coordinator/volunteers"),
        ("volunteers-search", "/coordinator/volunteers?name=patel"),
        ("volunteer", "/coordinator/volunteers/" + str(demo_id("volunteer", 3))),
        ("organisations", "/coordinator/organisations"),
        ("other-force", f"/coordinator/organisations/{OTHER_FORCE.id}"),
        ("partner", f"/coordinator/organisations/{PARTNER.id}"),
        ("volunteer-import", "/coordinator/volunteers/import"),
        ("duty-import", "/coordinator/duties/import"),
        ("milestone-import", "/coordinator/applications/import"),
        ("users", "/coordinator/users"),
        ("calls", "/coordinator/calls"),
        ("tokens", "/coordinator/tokens"),
        ("statistics", "/coordinator/statistics"),
    ],
}

#: Pages reached by filling in a form (the DPO's search is posted, never in the URL): per role,
#: (file name part, form page, the field's label, what to type, the button).
FORM_PAGES: dict[str, list[tuple[str, str, str, str, str]]] = {
    "dpo": [("search-results", "/dpo/search", "Find a person", "{first_name}", "Search")],
}


def _shoot_forms(page: Any, base: str, role: str, outdir: Path) -> tuple[list[Path], list[str]]:
    """Fill in each form page of ``role`` and shoot what it answers, at each width."""
    from portal.demo import data

    first_name = data.volunteers()[0].display_name.split()[0]
    written: list[Path] = []
    failures: list[str] = []
    for name, path, label, typed, button in FORM_PAGES.get(role, []):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(base + path)
        page.get_by_label(label, exact=True).fill(typed.format(first_name=first_name))
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name=button, exact=True).click()
        problem = _not_shown(navigation.value, page.url, base + path)
        if problem:
            failures.append(f"{role} {path} (form): {problem}")
            continue
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            out = outdir / f"{role}-{name}-{width}.png"
            page.screenshot(path=str(out), full_page=True)
            written.append(out)
    return written, failures


class _Server:
    """The app served by uvicorn in a thread with its own event loop."""

    def __init__(self, settings: Any, sock: socket.socket) -> None:
        import uvicorn

        from portal.app import create_app

        self.app = create_app(settings)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on")
        )
        self.loop = asyncio.new_event_loop()
        self.sock = sock
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve(sockets=[self.sock]))

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(120)


async def _enrich(ledger: Any, volunteer_user: str | None) -> tuple[str | None, str | None]:
    """Agreements for demo employers without one; a consent for the demo volunteer. Returns an
    employer id to show on the coordinator's employer page and the demo volunteer's id (whose
    subject access report the DPO's pages show)."""
    from portal.accounts.tables import UserAccount
    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.consent.schemas import ConsentGive
    from portal.consent.services import ConsentService
    from portal.organisations.services import OrganisationService
    from portal.organisations.status import VolunteerStatus
    from portal.organisations.status_changes import StatusChanges
    from portal.vocabulary import notices

    agreements = AgreementService(ledger)
    employers = await OrganisationService().list_employers(100, 0)
    today = utcnow().date()
    # A trainee attested ten days ago: the coordinator's volunteer page shows the history.
    trainee = str(demo_id("volunteer", 3))
    if (await OrganisationService().get_volunteer(trainee)).status is VolunteerStatus.IN_TRAINING:
        await StatusChanges().change(
            trainee,
            VolunteerStatus.ACTIVE,
            today - dt.timedelta(days=10),
            recorded_by="screenshots",
            channel="web",
        )
    for employer in employers.items:
        current = await agreements.list_current(1, 0, employer_id=employer.id)
        if current.items:
            continue
        await agreements.record(
            AgreementCreate.model_validate(
                {
                    "employer_id": employer.id,
                    "version": 1,
                    "purposes": {
                        "esp.leave-verification": [
                            "identity",
                            "status",
                            "hours.summary",
                            "hours.detail",
                        ],
                        "esp.programme-management": ["identity", "status"],
                    },
                    "starts_on": today - dt.timedelta(days=60),
                    "ends_on": today + dt.timedelta(days=20),
                    "signed_by": "Demo signatories",
                }
            ),
            recorded_by="screenshots",
            request_id="screenshots",
            channel="web",
        )
    volunteer_id = None
    if volunteer_user:
        row = await UserAccount.select().where(UserAccount.email == volunteer_user).first()
        volunteer_id = str(row["volunteer"]) if row and row["volunteer"] else None
        if row and row["volunteer"]:
            from portal.accounts.tables import Role
            from portal.auth.identity import Identity

            identity = Identity(
                user_id=str(row["id"]),
                role=Role.VOLUNTEER,
                via="session",
                volunteer_id=str(row["volunteer"]),
            )
            me = await OrganisationService().get_volunteer(str(row["volunteer"]))
            for link in me.employments[:1]:
                # Best effort: the pages still render without it.
                with contextlib.suppress(Exception):
                    await ConsentService(ledger).give(
                        identity,
                        ConsentGive.model_validate(
                            {
                                "employer_id": link.employer_id,
                                "purpose": "esp.leave-verification",
                                "categories": ["identity", "status", "hours.summary"],
                                "notice_version": notices().current(today).version,
                            }
                        ),
                        request_id="screenshots",
                        channel="web",
                    )
    return (employers.items[0].id if employers.items else None), volunteer_id


def _sign_in(page: Any, base: str, login: Any) -> None:
    import pyotp

    page.goto(base + "/sign-in")
    if not page.get_by_label("Email address").count():
        raise RuntimeError(f"no sign-in form at {page.url}: {page.inner_text('body')[:300]}")
    page.get_by_label("Email address").fill(login.email)
    page.get_by_label("Password", exact=True).fill(login.password)
    page.get_by_role("button", name="Continue").click()
    if login.totp_secret:
        page.get_by_label("Enter the code from your authenticator app").fill(
            pyotp.TOTP(login.totp_secret).now()
        )
        page.get_by_role("button", name="Sign in").click()


def _first_person(page: Any, base: str, list_path: str) -> str:
    """The page of the first person on a list (the employer's staff for checking ESP leave, the
    purpose that shows duty records; the other force's people; the partner's applicants)."""
    page.goto(base + list_path)
    link = page.locator("main table a").first
    return str(link.get_attribute("href")) if link.count() else list_path.split("?")[0]


def _target(page: Any, base: str, path: str, employer_id: Any, volunteer_id: Any) -> str:
    """A page's path with its placeholders filled in."""
    firsts = {
        name: _first_person(page, base, list_path) if "{" + name + "}" in path else ""
        for name, list_path in FIRST_OF.items()
    }
    return path.format(
        employer=f"/coordinator/employers/{employer_id}", volunteer=volunteer_id, **firsts
    )


def _not_shown(response: Any, landed: str, wanted: str) -> str | None:
    """Why the page asked for was not the page shown (an error, or sent to sign in), or None."""
    if response is None:
        return "no response"
    if response.status >= 400:
        return f"answered {response.status}"
    if landed.split("?")[0] != wanted.split("?")[0]:
        return f"ended at {landed}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.screenshots",
        description="Screenshot each main page at 320 and 1280 px wide.",
    )
    parser.add_argument("outdir", type=Path, help="where to write the PNG files")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"browser (default {CHROMIUM})")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(  # noqa: T201
            f"error: no Chromium at {args.chromium}; install it with `apt-get install -y chromium`",
            file=sys.stderr,
        )
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print(  # noqa: T201
            'error: Playwright is missing; install the test extras: pip install -e ".[test]"',
            file=sys.stderr,
        )
        return 2
    from portal.demo import load_demo
    from portal.migrate import migrate
    from portal.settings import load_settings

    args.outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="esp-screens-") as tmp:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = load_settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'portal.sqlite3'}",
            base_url=base,
            log_format="json",
            log_level="warning",
        )
        # Piccolo's migration manager prints its progress: stdout is only the list of files.
        with contextlib.redirect_stdout(sys.stderr):
            asyncio.run(migrate(settings))
            demo = asyncio.run(load_demo(settings))
        logins = {login.role: login for login in demo.logins}
        written: list[Path] = []
        failures: list[str] = []
        with _Server(settings, sock) as served:
            volunteer = logins.get("volunteer")
            employer_id, volunteer_id = served.run(
                _enrich(served.app.state.ledger, volunteer.email if volunteer else None)
            )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, args=CHROMIUM_ARGS
                )
                for role, pages in PAGES.items():
                    login = logins.get(role)
                    if role != "anonymous" and login is None:
                        continue
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    if login is not None:
                        _sign_in(page, base, login)
                    for name, path in pages:
                        target = _target(page, base, path, employer_id, volunteer_id)
                        response = page.goto(base + target)
                        problem = _not_shown(response, page.url, base + target)
                        if problem:
                            failures.append(f"{role} {target}: {problem}")
                            continue
                        for width in WIDTHS:
                            page.set_viewport_size({"width": width, "height": 900})
                            out = args.outdir / f"{role}-{name}-{width}.png"
                            page.screenshot(path=str(out), full_page=True)
                            written.append(out)
                    shots, failed = _shoot_forms(page, base, role, args.outdir)
                    written += shots
                    failures += failed
                    context.close()
                browser.close()
    for shot in written:
        print(shot)  # noqa: T201
    if failures:
        # A screenshot of an error page or of the sign-in form would pass for the real page.
        for failure in failures:
            print(f"error: {failure}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
