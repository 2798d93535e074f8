"""``/api/auth``: sign in, sign out, who am I, and account activation."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from portal.accounts.services import AccountService
from portal.auth.guards import caller, requires_sign_in
from portal.auth.identity import Identity
from portal.auth.login import LoginService
from portal.auth.requests import AppRequest
from portal.auth.schemas import ActivateRequest, ActivateResponse, LoginRequest, LoginResponse, Me
from portal.auth.sessions import SESSION_COOKIE, SessionStore
from portal.errors import NotFound, ServiceUnavailable, TooManyRequests, Unauthenticated
from portal.settings import Settings


def _client(request: AppRequest) -> str:
    return request.client.host if request.client else "unknown"


def session_cookie(settings: Settings, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/login",
        status_code=HTTP_200_OK,
        summary="Sign in and start a session",
        opt={"raises": (TooManyRequests, ServiceUnavailable)},
    )
    async def login(
        self,
        request: AppRequest,
        data: JSONBody[LoginRequest],
        login_service: NamedDependency[LoginService],
        settings: NamedDependency[Settings],
    ) -> Response[LoginResponse]:
        signed_in = await login_service.login(data.email, data.password, data.otp, _client(request))
        # A session already presented with this request is ended: a new token on every sign-in.
        current = request.scope.get("user")
        if isinstance(current, Identity) and current.session_id:
            await SessionStore(settings).revoke(current.session_id)
        body = LoginResponse(
            user=Me(
                id=signed_in.user_id,
                email=data.email.strip().lower(),
                role=signed_in.role.value,
                organisation_id=signed_in.organisation_id,
                volunteer_id=signed_in.volunteer_id,
                via="session",
            ),
            csrf_token=signed_in.session.csrf_token,
            expires_at=signed_in.session.expires_at,
        )
        max_age = settings.session_absolute_hours * 3600
        return Response(body, cookies=[session_cookie(settings, signed_in.session.token, max_age)])

    @post(
        "/logout",
        status_code=HTTP_200_OK,
        guards=[requires_sign_in],
        summary="End the session, server-side",
    )
    async def logout(
        self, request: AppRequest, settings: NamedDependency[Settings]
    ) -> Response[dict[str, str]]:
        identity = caller(request)
        if identity.session_id:
            await SessionStore(settings).revoke(identity.session_id)
        return Response({"status": "signed out"}, cookies=[session_cookie(settings, "", 0)])

    @get(
        "/me",
        summary="The signed-in user or integration",
        opt={"credentials": ("session", "token")},
    )
    async def me(self, request: AppRequest) -> Me:
        identity = request.scope.get("user")
        if not isinstance(identity, Identity):
            raise Unauthenticated("Not signed in")
        email = identity.email if identity.via == "session" else None
        return Me(
            id=identity.user_id,
            email=email,
            role=identity.role.value if identity.role else None,
            organisation_id=identity.organisation_id,
            volunteer_id=identity.volunteer_id,
            via=identity.via,
            scopes=sorted(identity.scopes),
        )

    @post(
        "/activate",
        status_code=HTTP_200_OK,
        summary="Set your password from an invitation",
        opt={"raises": (NotFound,)},
    )
    async def activate(
        self, data: JSONBody[ActivateRequest], account_service: NamedDependency[AccountService]
    ) -> ActivateResponse:
        user_id, uri = await account_service.activate(data.token, data.password)
        return ActivateResponse(user_id=user_id, otpauth_uri=uri)
