"""The web foundation in a real browser: sign in and out, the code step, activation, session
expiry, GOV.UK errors, error pages, keyboard only, 320 px, no JavaScript. Both databases."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.webharness import (
    PASSWORD,
    Served,
    axe_check,
    make_user,
    no_horizontal_scroll,
    sign_in,
    tab_to,
    totp_code,
    totp_secret,
)


async def _volunteer_user(served: Served, email: str = "special@example.org") -> str:
    from portal.organisations.tables import Volunteer

    volunteer = Volunteer(display_name="Sam Special", email="sam.special@example.org")
    await volunteer.save()
    return await make_user(served.settings, email, "volunteer", volunteer_id=str(volunteer.id))


async def _employer_user(served: Served, email: str = "hr@example.org") -> str:
    from portal.organisations.tables import Organisation

    org = Organisation(name="Acme Logistics", kind="employer")
    await org.save()
    return await make_user(served.settings, email, "employer", organisation_id=str(org.id))


def test_sign_in_errors_the_gov_uk_way(served: Served, page: Any) -> None:
    served.run(_volunteer_user(served))
    page.goto(served.url("/sign-in"))
    axe_check(page, "sign in")
    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error: Sign in")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    links = summary.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#email",
        "#password",
    ]
    assert page.locator("#email-error").inner_text().endswith("Enter your email address")
    axe_check(page, "sign in with errors")
    # The summary's link takes the user to the field.
    links.nth(1).click()
    assert page.evaluate("document.activeElement.id") == "password"

    page.get_by_label("Email address").fill("special@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Continue").click()
    assert "not correct" in page.locator(".govuk-error-summary").inner_text()
    # The user's input is kept (not the password).
    assert page.get_by_label("Email address").input_value() == "special@example.org"
    assert page.get_by_label("Password", exact=True).input_value() == ""


def test_volunteer_signs_in_and_out(served: Served, page: Any) -> None:
    served.run(_volunteer_user(served))
    sign_in(page, served, "special@example.org")
    assert page.url == served.url("/volunteer")
    assert page.locator(".app-header").inner_text().count("Sign out") == 1
    page.goto(served.url("/accessibility"))
    assert "Accessibility" in page.title()
    axe_check(page, "accessibility")
    page.get_by_role("button", name="Sign out").click()
    assert "You have signed out" in page.inner_text("main")
    page.goto(served.url("/volunteer"))
    assert page.url.startswith(served.url("/sign-in?next=/volunteer"))


def test_dpo_signs_in_with_the_code_step(served: Served, page: Any) -> None:
    user_id = served.run(make_user(served.settings, "dpo@example.org", "dpo"))
    secret = served.run(totp_secret(user_id))
    page.goto(served.url("/sign-in"))
    page.get_by_label("Email address").fill("dpo@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    assert page.url == served.url("/sign-in/code")
    axe_check(page, "code step")
    page.get_by_label("Enter the code from your authenticator app").fill("12")
    page.get_by_role("button", name="Sign in").click()
    assert "6 digits" in page.locator(".govuk-error-summary").inner_text()
    axe_check(page, "code step with an error")
    page.get_by_label("Enter the code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    assert page.url == served.url("/dpo")
    # The password never reaches the page, and the pending sign-in cookie is gone.
    assert PASSWORD not in page.content()
    assert not [c for c in page.context.cookies() if c["name"] == "esp_signin" and c["value"]]


def test_session_expiry_returns_to_the_page(served: Served, page: Any) -> None:
    from portal.accounts.tables import UserSession

    served.run(_employer_user(served))
    sign_in(page, served, "hr@example.org")
    page.goto(served.url("/employer?from=bookmark"))

    async def expire() -> None:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        await UserSession.update({UserSession.last_seen_at: past}).where(
            UserSession.revoked_at.is_null()
        )

    served.run(expire())
    page.reload()
    assert page.url.startswith(served.url("/sign-in?next="))
    assert "Your session has ended" in page.inner_text("main")
    axe_check(page, "sign in after expiry")
    page.get_by_label("Email address").fill("hr@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    assert page.url == served.url("/employer?from=bookmark")


def test_activation_from_an_invitation_link(served: Served, page: Any) -> None:
    from portal.accounts.passwords import PasswordHashing
    from portal.accounts.services import AccountService
    from portal.accounts.tables import Role

    async def invite() -> str:
        service = AccountService(served.settings, PasswordHashing(served.settings))
        created = await service.create_user("coord@example.org", Role.COORDINATOR)
        assert created.invitation_token
        return created.invitation_token

    token = served.run(invite())
    page.goto(served.url(f"/activate?token={token}"))
    axe_check(page, "activation")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Type your password again").fill("something else entirely")
    page.get_by_role("button", name="Save password").click()
    assert "do not match" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Password", exact=True).fill("password1234")
    page.get_by_label("Type your password again").fill("password1234")
    page.get_by_role("button", name="Save password").click()
    assert "Choose a different password" in page.locator("#password-error").inner_text()
    axe_check(page, "activation with an error")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type your password again").fill(PASSWORD)
    page.get_by_role("button", name="Save password").click()
    assert "Your account is ready" in page.inner_text("main")
    uri = page.locator("#otpauth-uri").inner_text()
    assert uri.startswith("otpauth://totp/")
    axe_check(page, "activated")
    secret = re.search(r"secret=([A-Z2-7]+)", uri)
    assert secret is not None
    # The link works once only, and says so at once: no password form to fill in vain.
    used = page.goto(served.url(f"/activate?token={token}"))
    assert used is not None and used.status == 404
    assert "This link has already been used" in page.inner_text("main")
    assert page.locator("input[type='password']").count() == 0
    axe_check(page, "activation link already used")
    # And the new coordinator signs in with the app code.
    sign_in(page, served, "coord@example.org", code=totp_code(secret.group(1)))
    assert page.url == served.url("/coordinator")


def test_error_pages_leak_nothing(served: Served, page: Any) -> None:
    served.run(_employer_user(served))
    response = page.goto(served.url("/no/such/page?secret=abc"))
    assert response is not None and response.status == 404
    assert page.title().startswith("Page not found")
    assert "secret" not in page.content() and "Traceback" not in page.content()
    axe_check(page, "404")
    sign_in(page, served, "hr@example.org")
    response = page.goto(served.url("/volunteer"))
    assert response is not None and response.status == 403
    assert page.title().startswith("You cannot see this page")
    axe_check(page, "403")
    # API paths keep their problem+json answers.
    api = httpx.get(served.url("/api/no-such-route"))
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


def test_keyboard_only_sign_in_with_visible_focus(served: Served, page: Any) -> None:
    served.run(_volunteer_user(served))
    page.goto(served.url("/sign-in"))
    tab_to(page, ".govuk-skip-link")
    tab_to(page, "#email")
    page.keyboard.type("special@example.org")
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(served.url("/volunteer"))
    tab_to(page, ".govuk-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    page.goto(served.url("/volunteer"))
    tab_to(page, "button.app-header__button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/sign-in\?signed_out=1$"))


def test_pages_fit_320_px_and_work_without_javascript(served: Served, chromium: Any) -> None:
    served.run(_volunteer_user(served))
    context = chromium.new_context(
        viewport={"width": 320, "height": 640}, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(served.url("/sign-in"))
        no_horizontal_scroll(page)
        page.get_by_label("Email address").fill("special@example.org")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        assert page.url == served.url("/volunteer")
        no_horizontal_scroll(page)
        page.goto(served.url("/accessibility"))
        no_horizontal_scroll(page)
    finally:
        context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_security_headers_and_csrf(served: Served) -> None:
    with httpx.Client(base_url=served.base_url) as client:
        for path in ("/sign-in", "/static/dist/portal.css", "/nope", "/health"):
            response = client.get(path)
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
            assert "frame-ancestors 'none'" in csp, path
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert response.headers["referrer-policy"] == "no-referrer", path
            assert "strict-transport-security" not in response.headers, path
        page = client.get("/sign-in")
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and "style=" not in page.text
        # A form post without the token is refused, with a page, before any handler runs.
        refused = client.post("/sign-in", data={"email": "x@example.org", "password": "y"})
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        accepted = client.post(
            "/sign-in",
            data={"email": "x@example.org", "password": "y", "csrf_token": token.group(1)},
        )
        assert accepted.status_code == 400
        assert "not correct" in accepted.text


def test_hsts_when_served_over_https(database: Any, tmp_path: Any) -> None:
    from litestar.testing import TestClient

    from portal.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(database, tmp_path / "d", base_url="https://esp.police.example")
    with TestClient(app=create_app(settings, configure_logs=False)) as client:
        response = client.get("/sign-in")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_assets_are_built_unbranded(served: Served) -> None:
    css = httpx.get(served.url("/static/dist/portal.css"))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "GDS Transport" not in css.text and "@font-face" not in css.text
    script = httpx.get(served.url("/static/portal.js"))
    assert script.status_code == 200 and "initAll" in script.text
    page = httpx.get(served.url("/sign-in")).text
    assert "govuk-logo" not in page and "Crown copyright" not in page and "GOV.UK" not in page


def test_500_page_leaks_nothing(tmp_path: Any) -> None:
    from litestar import Litestar, Router, get
    from litestar.datastructures import State
    from litestar.testing import TestClient

    from portal.settings import load_settings
    from portal.web.errors import PAGE_EXCEPTION_HANDLERS
    from portal.web.plugin import WebPlugin

    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail about sam.special@example.org")

    settings = load_settings(data_dir=tmp_path, log_format="json")
    app = Litestar(
        route_handlers=[
            Router(path="/", route_handlers=[boom], exception_handlers=PAGE_EXCEPTION_HANDLERS)
        ],
        plugins=[WebPlugin()],
        state=State({"settings": settings}),
    )
    with TestClient(app=app) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in response.text
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_every_unsafe_page_route_checks_the_form_token(database: Any, tmp_path: Any) -> None:
    """Fail closed: the auth middleware leaves header-less form posts on page paths to
    portal.web.csrf, so every unsafe route outside the API must run its check first."""
    from litestar.routes import HTTPRoute

    from portal.app import create_app
    from portal.web.csrf import check_csrf, is_page_path
    from tests.conftest import make_settings

    app = create_app(make_settings(database, tmp_path / "d"), configure_logs=False)
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not is_page_path(route.path):
            continue
        for handler in route.route_handlers:
            if set(handler.http_methods) - {"GET", "HEAD", "OPTIONS"}:
                hook = handler.resolve_before_request()
                wrapped = getattr(hook, "func", getattr(hook, "__wrapped__", hook))
                assert wrapped is check_csrf, f"{route.path} has no CSRF check: {hook!r}"
                checked += 1
    assert checked >= 20
    import portal.auth.middleware as middleware
    from portal.web.csrf import API_PREFIXES

    # The middleware's list of header-checked paths and the pages' list agree.
    if hasattr(middleware, "HEADER_CSRF_PREFIXES"):
        assert tuple(middleware.HEADER_CSRF_PREFIXES) == API_PREFIXES
