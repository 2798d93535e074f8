"""Sign in (password, then a code for dpo and coordinator), sign out, activation, start page.

The pages call the same services as ``/api/auth``: ``LoginService.login`` and
``AccountService.activate``; the session cookie is the API's own (``session_cookie``).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import structlog
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from portal.accounts.recovery import PasswordRecovery
from portal.accounts.services import AccountService, LinkState
from portal.auth.controllers import session_cookie
from portal.auth.login import LoginFailed, LoginService, OtpRequired, SignedIn
from portal.auth.requests import AppRequest
from portal.auth.sessions import SessionStore
from portal.errors import InvalidInput, NotFound, TooManyRequests
from portal.settings import Settings
from portal.web import pending
from portal.web.csrf import session_identity
from portal.web.pages import ROLE_HOMES, home_for, render, safe_next, see_other
from portal.web.webforms import Field, FormFields

log = structlog.get_logger(__name__)

MAX_EMAIL = 254
MAX_PASSWORD = 1024


def _email_shaped(text: str) -> bool:
    """Only the shape: the sign-in itself says whether the account exists."""
    return "@" in text and not text.startswith("@") and not text.endswith("@")


def _six_digits(code: str) -> bool:
    return code.isdigit() and len(code) == 6


SIGN_IN_FORM = FormFields(
    (
        Field(
            "email",
            MAX_EMAIL,
            required="Enter your email address",
            rules=(
                (
                    _email_shaped,
                    "Enter an email address in the correct format, like name@example.com",
                ),
            ),
        ),
        Field("password", MAX_PASSWORD, kind="secret", required="Enter your password"),
        Field("next", 2000),
    )
)
CODE_FORM = FormFields(
    (
        Field(
            "code",
            20,
            clean=lambda typed: "".join(typed.split()),
            required="Enter the 6-digit code from your authenticator app",
            rules=((_six_digits, "The code must be 6 digits, like 123456"),),
        ),
    )
)
FORGOT_FORM = FormFields(
    (
        Field(
            "email",
            MAX_EMAIL,
            required="Enter your email address",
            rules=(
                (
                    _email_shaped,
                    "Enter an email address in the correct format, like name@example.com",
                ),
            ),
        ),
    )
)
ACTIVATION_FORM = FormFields(
    (
        Field("token", 200),
        Field("password", MAX_PASSWORD, kind="secret", required="Enter a password"),
        Field("confirm", MAX_PASSWORD, kind="secret"),
    )
)


def _within(path: str, section: str) -> bool:
    return path == section or path.startswith(section + "/") or path.startswith(section + "?")


def _client(request: AppRequest) -> str:
    return request.client.host if request.client else "unknown"


async def _start_session(
    request: AppRequest,
    settings: Settings,
    sessions: SessionStore,
    signed_in: SignedIn,
    next_path: str | None,
) -> Redirect:
    current = session_identity(request)
    if current is not None and current.session_id:
        await sessions.revoke(current.session_id)
    cookie = session_cookie(
        settings, signed_in.session.token, settings.session_absolute_hours * 3600
    )
    role_home = ROLE_HOMES[signed_in.role]
    target = role_home
    # Back to the page they were on, unless it belongs to another role's section.
    if next_path and (
        _within(next_path, role_home)
        or not any(_within(next_path, home) for home in ROLE_HOMES.values())
    ):
        target = next_path
    return see_other(target, cookies=[cookie, pending.clear(request)])


class AccountPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="web.start")
    async def start(self, request: AppRequest) -> Redirect:
        return see_other(home_for(session_identity(request)))

    @get("/sign-in", name="web.sign_in")
    async def sign_in_page(
        self,
        request: AppRequest,
        next: FromQuery[str | None] = None,
        expired: FromQuery[str | None] = None,
        signed_out: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        identity = session_identity(request)
        if identity is not None and not next:
            return see_other(home_for(identity))
        return await render(
            request,
            "account/sign_in.html",
            next=safe_next(next),
            expired=bool(expired),
            signed_out=bool(signed_out),
            email="",
        )

    @post("/sign-in", name="web.sign_in_post")
    async def sign_in(
        self,
        request: AppRequest,
        login_service: NamedDependency[LoginService],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        answers = await SIGN_IN_FORM.read(request)
        email, password = answers.values["email"], answers.values["password"]
        next_path = safe_next(answers.values["next"])
        errors = answers.errors
        if not errors:
            try:
                signed_in = await login_service.login(email, password, None, _client(request))
            except OtpRequired:
                cookie = pending.seal(request, pending.PendingSignIn(email, password, next_path))
                return see_other("/sign-in/code", cookies=[cookie])
            except LoginFailed:
                errors.add(
                    "email",
                    "The email address or password is not correct. After 5 wrong attempts "
                    "the account is locked for a while",
                )
            except TooManyRequests:
                errors.add(
                    "email",
                    "There have been too many attempts to sign in from here. "
                    "Wait a minute, then try again",
                )
            else:
                return await _start_session(request, settings, sessions, signed_in, next_path)
        return await render(
            request,
            "account/sign_in.html",
            status=400,
            errors=errors,
            next=next_path,
            expired=False,
            signed_out=False,
            email=email,
        )

    @get("/sign-in/code", name="web.sign_in_code")
    async def code_page(self, request: AppRequest) -> Template | Redirect:
        if pending.unseal(request) is None:
            return see_other("/sign-in")
        return await render(request, "account/code.html")

    @post("/sign-in/code", name="web.sign_in_code_post")
    async def code(
        self,
        request: AppRequest,
        login_service: NamedDependency[LoginService],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        waiting = pending.unseal(request)
        if waiting is None:
            return see_other("/sign-in?expired=1")
        answers = await CODE_FORM.read(request)
        code, errors = answers.values["code"], answers.errors
        if not errors:
            try:
                signed_in = await login_service.login(
                    waiting.email, waiting.password, code, _client(request)
                )
            except (LoginFailed, OtpRequired):
                errors.add(
                    "code",
                    "The code is not correct or has been used already. "
                    "Wait for a new code and try again",
                )
            except TooManyRequests:
                errors.add(
                    "code", "There have been too many attempts. Wait a minute, then try again"
                )
            else:
                return await _start_session(request, settings, sessions, signed_in, waiting.next)
        return await render(request, "account/code.html", status=400, errors=errors)

    @post("/sign-out", name="web.sign_out")
    async def sign_out(
        self,
        request: AppRequest,
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Redirect:
        identity = session_identity(request)
        if identity is not None and identity.session_id:
            await sessions.revoke(identity.session_id)
            log.info("web.signed_out", user_id=identity.user_id)
        return see_other("/sign-in?signed_out=1", cookies=[session_cookie(settings, "", 0)])

    @get("/activate", name="web.activate")
    async def activate_page(
        self,
        request: AppRequest,
        account_service: NamedDependency[AccountService],
        token: FromQuery[str | None] = None,
    ) -> Template:
        if not token or len(token) > 200:
            return await _link_unusable(request, "unknown")
        state = await account_service.link_state(token)
        if state != "usable":  # said at once, before anyone chooses a password
            return await _link_unusable(request, state)
        return await render(request, "account/activate.html", token=token)

    @post("/activate", name="web.activate_post")
    async def activate(
        self,
        request: AppRequest,
        account_service: NamedDependency[AccountService],
    ) -> Template:
        answers = await ACTIVATION_FORM.read(request)
        token, password = answers.values["token"], answers.values["password"]
        errors = answers.errors
        if password and password != answers.values["confirm"]:
            errors.add("confirm", "The passwords do not match")
        if not errors:
            try:
                user_id, otpauth_uri = await account_service.activate(token, password)
            except NotFound:
                return await _link_unusable(request, await account_service.link_state(token))
            except InvalidInput as exc:
                found = exc.extra.get("errors") or [{"message": exc.detail}]
                message = str(found[0].get("message", "")).removeprefix("the password ")
                errors.add("password", f"Choose a different password: it {message}")
            else:
                log.info("web.account_activated", user_id=user_id)
                return await render(
                    request,
                    "account/activated.html",
                    otpauth_uri=otpauth_uri,
                    totp_secret=_secret_of(otpauth_uri),
                )
        return await render(
            request, "account/activate.html", status=400, errors=errors, token=token
        )

    @get("/forgot-password", name="web.forgot_password")
    async def forgot_password_page(self, request: AppRequest) -> Template:
        return await render(request, "account/forgot_password.html")

    @post("/forgot-password", name="web.forgot_password_post")
    async def forgot_password(
        self, request: AppRequest, recovery: NamedDependency[PasswordRecovery]
    ) -> Template:
        """The same page whether or not the address has an account (no enumeration)."""
        answers = await FORGOT_FORM.read(request)
        if answers.errors:
            return await render(
                request,
                "account/forgot_password.html",
                status=400,
                errors=answers.errors,
                email=answers.values["email"],
            )
        await recovery.request_reset(answers.values["email"])
        return await render(request, "account/reset_sent.html")

    @get("/accessibility", name="web.accessibility")
    async def accessibility(self, request: AppRequest) -> Template:
        return await render(request, "accessibility.html")


async def _link_unusable(request: AppRequest, state: LinkState) -> Template:
    """The page for a link that cannot be used (404), saying why: used, expired or unknown."""
    return await render(
        request,
        "account/activation_invalid.html",
        status=404,
        state=state,
    )


def _secret_of(uri: str | None) -> str | None:
    """The base32 secret inside an otpauth URI, grouped in fours for typing it in by hand."""
    if not uri:
        return None
    secret = parse_qs(urlsplit(uri).query).get("secret", [""])[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) or None
