"""The browser test harness: the real app served by uvicorn, driven by Debian's Chromium.

- The app is built by ``create_app`` for the test's own database (SQLite and PostgreSQL, from the
  ``database`` fixture) and served by uvicorn on 127.0.0.1 at a random free port, in a thread
  with its own event loop. Test data is written through the services *in that loop*
  (:meth:`Served.run`), so one engine serves the app and the set-up alike.
- Playwright drives ``/usr/bin/chromium`` (never a downloaded browser) headless.
- axe-core (bundled by the ``axe-playwright-python`` package, nothing fetched) checks every page
  against WCAG 2.2 A and AA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyotp
import pytest

from portal.settings import Settings

CHROMIUM = os.environ.get("ESP_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Paint holding keeps a new page unpainted for a while after it commits; input that lands
    # then may not count as a user's, so a key press on a file input can open no chooser (the
    # milestone import's keyboard test failed so in CI: "neither Space nor Enter opened the file
    # chooser"). Playwright traced the same missing Page.fileChooserOpened to this feature.
    "--disable-features=PaintHolding",
]
HOW_TO_RUN = (
    "Browser tests need Debian's Chromium at {path} (and the playwright and "
    "axe-playwright-python packages from the test extras). Install it with "
    "`apt-get update && apt-get install -y chromium` (as root), then run "
    "`python -m pytest tests/web`. They are mandatory when CI=true."
)
IN_CI = os.environ.get("CI", "").lower() == "true"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PASSWORD = "correct horse battery staple"

T = TypeVar("T")


def browser_available() -> str | None:
    """None when the browser tests can run, else the reason they cannot."""
    if not Path(CHROMIUM).exists():
        return HOW_TO_RUN.format(path=CHROMIUM)
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return HOW_TO_RUN.format(path=CHROMIUM)
    return None


def require_browser() -> None:
    reason = browser_available()
    if reason is None:
        return
    if IN_CI:
        pytest.fail("CI=true makes the browser tests mandatory. " + reason)
    pytest.skip(reason)


@dataclass
class Served:
    """A running portal: its URL, its settings, and a way to run coroutines in its loop."""

    base_url: str
    settings: Settings
    loop: asyncio.AbstractEventLoop
    app: Any = None
    users: dict[str, str] = field(default_factory=dict)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class _Server:
    served: Served
    stop: Any


def serve_app(settings_for: Any, extra_routes: Sequence[Any] = ()) -> Iterator[Served]:
    """Start the app for ``settings_for(base_url)`` and yield it; stop it afterwards.

    ``extra_routes`` (routers or handlers) are registered on this test's own app after
    ``create_app`` built it, e.g. a test-only route that fails, to see the real 500 page: nothing
    global is patched, and no other app sees them."""
    import uvicorn

    from portal.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    settings: Settings = settings_for(base_url)
    app = create_app(settings, configure_logs=False)
    for route in extra_routes:
        app.register(route)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", loop="asyncio"
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="portal-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if failure or not thread.is_alive():
            raise RuntimeError(f"the portal did not start: {failure!r}")
        if time.monotonic() > deadline:
            raise RuntimeError("the portal did not start within 30 s")
        time.sleep(0.02)
    try:
        yield Served(base_url=base_url, settings=settings, loop=loop, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


# ------------------------------------------------------------------------------------------
# Test data, through the services (run in the server's loop with ``served.run``).


async def make_user(
    settings: Settings,
    email: str,
    role: str,
    *,
    organisation_id: str | None = None,
    volunteer_id: str | None = None,
) -> str:
    from portal.accounts.passwords import PasswordHashing
    from portal.accounts.services import AccountService
    from portal.accounts.tables import Role

    service = AccountService(settings, PasswordHashing(settings))
    created = await service.create_user(
        email,
        Role(role),
        organisation_id=organisation_id,
        volunteer_id=volunteer_id,
        password=PASSWORD,
    )
    return created.id


async def totp_secret(user_id: str) -> str:
    from portal.accounts.tables import UserAccount

    row = await UserAccount.select(UserAccount.totp_secret).where(UserAccount.id == user_id).first()
    assert row is not None and row["totp_secret"]
    return str(row["totp_secret"])


def totp_code(secret: str, offset_steps: int = 0) -> str:
    """A valid code; ``offset_steps=1`` gives the next one (a second sign-in in the same 30 s)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


@dataclass(frozen=True)
class World:
    """A small, realistic set-up: one employer with an agreement, one volunteer working there,
    and a user for every role."""

    employer_id: str
    volunteer_id: str
    coordinator_id: str
    dpo_id: str
    emails: dict[str, str]


async def seed_world(served: Served) -> World:
    import datetime as dt

    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.organisations.schemas import EmployerCreate, EmploymentCreate, VolunteerCreate
    from portal.organisations.services import OrganisationService

    settings = served.settings
    organisations = OrganisationService()
    employer = await organisations.create_employer(
        EmployerCreate(name="Acme Logistics", sector="Logistics")
    )
    other = await organisations.create_employer(EmployerCreate(name="Borough Council"))
    volunteer = await organisations.create_volunteer(
        VolunteerCreate(display_name="Sam Special", email="sam.special@example.org")
    )
    today = dt.datetime.now(dt.UTC).date()
    await organisations.create_employment(
        EmploymentCreate.model_validate(
            {
                "volunteer_id": volunteer.id,
                "employer_id": employer.id,
                "starts_on": today - dt.timedelta(days=400),
            }
        )
    )
    emails = {
        "volunteer": "special@example.org",
        "employer": "hr@acme.example",
        "other_employer": "hr@borough.example",
        "dpo": "dpo@force.example",
        "coordinator": "coordinator@force.example",
    }
    coordinator_id = await make_user(settings, emails["coordinator"], "coordinator")
    dpo_id = await make_user(settings, emails["dpo"], "dpo")
    await make_user(settings, emails["volunteer"], "volunteer", volunteer_id=volunteer.id)
    await make_user(settings, emails["employer"], "employer", organisation_id=employer.id)
    await make_user(settings, emails["other_employer"], "employer", organisation_id=other.id)
    await AgreementService(served.app.state.ledger).record(
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
                "starts_on": today - dt.timedelta(days=30),
                "ends_on": today + dt.timedelta(days=335),
                "signed_by": "A. Director (Acme) and C. Constable (force)",
            }
        ),
        recorded_by=coordinator_id,
        request_id="seed",
        channel="web",
    )
    return World(
        employer_id=employer.id,
        volunteer_id=volunteer.id,
        coordinator_id=coordinator_id,
        dpo_id=dpo_id,
        emails=emails,
    )


async def seed_duties_and_policy(world: World) -> None:
    """An ESP leave policy of 8 hours a month at the employer, and 15 five-hour duties of the
    volunteer over the last three months (all but the latest on ESP leave)."""
    import io

    from portal.hours import leave
    from portal.hours.imports import import_csv
    from portal.hours.schemas import LeavePolicyIn

    today = dt.datetime.now(dt.UTC).date()
    await leave.record_policy(
        LeavePolicyIn(
            employer_id=world.employer_id,
            unit="hours_per_month",
            amount=8,
            starts_on=today.replace(day=1) - dt.timedelta(days=200),
        ),
        world.coordinator_id,
    )
    lines = ["volunteer_id,start,end,duty_type,esp_leave"]
    start = dt.datetime.combine(today.replace(day=1), dt.time(9), tzinfo=dt.UTC)
    for back in range(0, 90, 6):
        begin = start - dt.timedelta(days=back)
        lines.append(
            f"{world.volunteer_id},{begin.isoformat()},"
            f"{(begin + dt.timedelta(hours=5)).isoformat()},patrol,{'yes' if back else 'no'}"
        )
    await import_csv(
        io.BytesIO(("\n".join(lines) + "\n").encode()), created_by=world.coordinator_id
    )


# ------------------------------------------------------------------------------------------
# Browser helpers.


def axe_check(page: Any, label: str = "") -> None:
    """0 axe-core violations at WCAG 2.2 A and AA on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    # After a click that navigates, the old document may be gone before the new one has loaded
    # (seen once: axe found no documentElement right after signing in).
    page.wait_for_load_state("load")
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    if results.violations_count:
        raise AssertionError(
            f"axe-core found violations on {label or page.url}:\n{results.generate_report()}"
        )


def no_horizontal_scroll(page: Any) -> None:
    page.wait_for_load_state("load")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        culprits = page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width)
                .slice(-5)
                .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`);
            }"""
        )
        raise AssertionError(f"{page.url} scrolls sideways by {overflow}px: {culprits}")


def sign_in(page: Any, served: Served, email: str, *, code: str | None = None) -> None:
    page.goto(served.url("/sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    if code is not None:
        page.get_by_label("Enter the code from your authenticator app").fill(code)
        page.get_by_role("button", name="Sign in").click()


def sign_in_as_dpo(page: Any, served: Served, world: World, step: int = 0) -> None:
    """Sign in as the seeded DPO with their authenticator's code ``step`` periods ahead (a code
    is accepted once: a test signing in again takes the next)."""
    code = totp_code(served.run(totp_secret(world.dpo_id)), step)
    sign_in(page, served, world.emails["dpo"], code=code)


def axe_at_both_widths(page: Any, label: str) -> None:
    """0 axe-core violations at 1280 and at 320 px wide, no sideways scrolling at 320; the page
    is left at 1280 x 900."""
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        axe_check(page, f"{label} at {width} px")
        if width == 320:
            no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def focus_is_visible(page: Any) -> bool:
    """The focused element shows the GOV.UK focus style (outline, box shadow or yellow fill)."""
    return bool(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              if (!el || el === document.body) return false;
              const s = getComputedStyle(el);
              const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
              const shadow = s.boxShadow && s.boxShadow !== 'none';
              const fill = s.backgroundColor === 'rgb(255, 221, 0)';
              return outline || shadow || fill;
            }"""
        )
    )


def tab_to(page: Any, target: Any, limit: int = 60, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab when ``backwards``) until ``target`` (a CSS selector or a locator)
    has focus, checking that focus is visible at every stop."""
    handle = None if isinstance(target, str) else target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate("document.activeElement === document.body"):
            continue  # past the last element: the browser's own UI, then the page again
        focused = page.evaluate("document.activeElement.outerHTML")[:200]
        assert focus_is_visible(page), f"focus not visible on {focused}"
        if handle is None:
            if page.evaluate("(s) => document.activeElement.matches(s)", target):
                return
        elif page.evaluate("(el) => document.activeElement === el", handle):
            return
    raise AssertionError(f"never reached {target} with Tab")


def choose_option(page: Any, select: Any, label: str, limit: int = 60) -> None:
    """With the ``select`` focused, move to the option called ``label`` with the arrow keys (as a
    keyboard user does: on Linux and Windows a closed select changes on ArrowDown/ArrowUp)."""
    assert page.evaluate("(el) => document.activeElement === el", select.element_handle())
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(limit):
            if select.evaluate("(s) => s.options[s.selectedIndex].text.trim()") == label:
                assert focus_is_visible(page), "focus not visible on the select"
                return
            before = select.evaluate("(s) => s.selectedIndex")
            page.keyboard.press(key)
            if select.evaluate("(s) => s.selectedIndex") == before:
                break  # the end of the list: try the other way
    raise AssertionError(f"no option {label!r} reachable with the arrow keys")


def type_date(page: Any, value: dt.date) -> None:
    """Type a date into a GOV.UK date input whose day box has focus, as a keyboard user does:
    day, Tab, month, Tab, year, each box checked to hold what was typed, with focus visible."""
    for position, text in enumerate((str(value.day), str(value.month), str(value.year))):
        if position:
            page.keyboard.press("Tab")
        page.keyboard.type(text)
        held = page.evaluate("document.activeElement.value")
        assert held == text, f"typed {text!r} into a date box, it holds {held!r}"
        assert focus_is_visible(page), "focus not visible on a date box"


def fill_date(page: Any, field_id: str, value: dt.date) -> None:
    """Fill the three boxes of the GOV.UK date input ``field_id`` (day, month, year)."""
    page.fill(f"#{field_id}-day", str(value.day))
    page.fill(f"#{field_id}-month", str(value.month))
    page.fill(f"#{field_id}-year", str(value.year))


def press_and_wait(page: Any, key: str = "Enter") -> None:
    """Press ``key`` on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def sign_in_by_keyboard(page: Any, served: Served, email: str, *, code: str | None = None) -> None:
    """Sign in with Tab and typing only, focus visible at every stop."""
    page.goto(served.url("/sign-in"))
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_role("button", name="Continue"))
    press_and_wait(page)
    if code is not None:
        assert page.url == served.url("/sign-in/code"), page.url
        tab_to(page, "#code")
        page.keyboard.type(code)
        tab_to(page, page.get_by_role("button", name="Sign in"))
        press_and_wait(page)
    assert "/sign-in" not in page.url, f"still signing in at {page.url}"


def sign_out_by_keyboard(page: Any) -> None:
    tab_to(page, "button.app-header__button")
    press_and_wait(page)
    assert page.url.endswith("/sign-in?signed_out=1"), page.url


def follow_link_by_keyboard(page: Any, name: str, *, limit: int = 60) -> None:
    """Tab to the first link called ``name`` (a menu item, a back link) and press Enter."""
    tab_to(page, page.get_by_role("link", name=name, exact=True).first, limit=limit)
    press_and_wait(page)


def open_file_chooser_by_keyboard(page: Any, path: Path) -> None:
    """With the file input focused, open the operating system's file chooser from the keyboard
    and answer it with ``path``.

    Space is what a keyboard user presses on a file input, Enter the other key that activates
    it. Headless Chromium under load sometimes drops an activation (no chooser event at all:
    CI saw it about once in 1,900 tests, always on a second upload after the page re-rendered
    the form with its errors, never reproduced on demand), so the pair is tried in up to three
    rounds, the page brought to the front and two animation frames let by before each; every
    attempt's state is kept for the failure message. Only a key press ever opens the chooser.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    assert page.evaluate("document.activeElement.type") == "file"
    attempts: list[str] = []
    for _round in range(3):
        for key in ("Space", "Enter"):
            page.bring_to_front()
            # Two animation frames: the page has painted since it loaded, so the key press is
            # input to a shown page (a press before the first paint may open nothing).
            state = page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r("
                "`${document.activeElement.id || document.activeElement.tagName} `"
                "+ `focus=${document.hasFocus()} ${document.visibilityState}`))))"
            )
            try:
                with page.expect_file_chooser(timeout=5_000) as chooser:
                    page.keyboard.press(key)
            except PlaywrightTimeoutError:
                attempts.append(f"{key} on {state}")
                continue
            chooser.value.set_files(str(path))
            assert page.locator("input[type=file]").evaluate("(i) => i.files[0].name") == path.name
            return
    raise AssertionError(f"no key press opened the file chooser: {attempts}")


def choose_file_by_keyboard(page: Any, path: Path) -> None:
    """Tab to the file input and open the file chooser, as a keyboard user does."""
    tab_to(page, "input[type=file]")
    open_file_chooser_by_keyboard(page, path)
