"""``/api/auth/me`` answers from the session read alone, and stays fresh.

The account's email is read in the same statement as the session (it used to be a second query
per call). It is still the committed email at the time of the request, and an identity never
prints it (logs that show an identity must not carry an email).
"""

from __future__ import annotations

from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role, UserAccount
from portal.app import create_app
from portal.auth.identity import Identity
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.support.served import serve_app

PASSWORD = "correct horse battery staple"


async def test_me_shows_the_committed_email_on_the_very_next_request(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, "http://portal.test") as client:
        service = AccountService(settings, PasswordHashing(settings))
        volunteer = Volunteer(display_name="Test Person", email="tp@example.org")
        await volunteer.save()
        created = await service.create_user(
            "hr@example.org", Role.VOLUNTEER, volunteer_id=str(volunteer.id), password=PASSWORD
        )
        signed = await client.post(
            "/api/auth/login", json={"email": "hr@example.org", "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        me = await client.get("/api/auth/me")
        assert me.status_code == 200
        assert (me.json()["id"], me.json()["email"]) == (created.id, "hr@example.org")
        await UserAccount.update({UserAccount.email: "hr.new@example.org"}).where(
            UserAccount.id == created.id
        )
        assert (await client.get("/api/auth/me")).json()["email"] == "hr.new@example.org"
        await UserAccount.update({UserAccount.is_active: False}).where(UserAccount.id == created.id)
        assert (await client.get("/api/auth/me")).status_code == 401


def test_an_identity_never_prints_its_email() -> None:
    identity = Identity("u1", Role.EMPLOYER, "session", email="someone@example.org")
    assert "someone@example.org" not in repr(identity)
    assert "someone@example.org" not in str(identity)
