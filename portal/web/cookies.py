"""The cookie statement, as data: every cookie the portal sets, why, and for how long.

The names come from the modules that set the cookies, and a browser test compares the cookies
set during a journey of every role with this list, so the statement cannot drift from what the
portal does. Every cookie here is strictly necessary (signing in, protecting forms): the portal
sets no analytics or tracking cookie, so there is nothing to consent to.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.auth.sessions import SESSION_COOKIE
from portal.settings import Settings
from portal.web.csrf import FORM_COOKIE
from portal.web.pending import LIFETIME_SECONDS as PENDING_SECONDS
from portal.web.pending import PENDING_COOKIE


@dataclass(frozen=True)
class StatedCookie:
    name: str
    purpose: str
    #: Seconds the browser keeps it, or None: until the browser is closed.
    max_age: int | None
    lifetime: str


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'' if hours == 1 else 's'}"
    minutes = seconds // 60
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def cookie_statement(settings: Settings) -> list[StatedCookie]:
    """The cookies this deployment sets, with lifetimes from its settings."""
    session = settings.session_absolute_hours * 3600
    return [
        StatedCookie(
            SESSION_COOKIE,
            "Keeps you signed in. Your session also ends after "
            f"{settings.session_idle_minutes} minutes without using the portal, and when you "
            "sign out.",
            session,
            _duration(session),
        ),
        StatedCookie(
            FORM_COOKIE,
            "Protects the forms you fill in before you sign in from being sent by another site.",
            None,
            "Until you close your browser",
        ),
        StatedCookie(
            PENDING_COOKIE,
            "Remembers, in encrypted form, that you entered your email and password, while you "
            "type the code from your authenticator app. Staff accounts only.",
            PENDING_SECONDS,
            _duration(PENDING_SECONDS),
        ),
    ]
