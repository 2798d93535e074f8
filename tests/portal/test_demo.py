"""``esp-portal demo``: realistic, deterministic data, loaded once; every role signs in."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from portal.accounts.tables import UserAccount
from portal.organisations.tables import Employment, Organisation, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support.auth import in_app, serve, sign_in, sign_out
from tests.support.cli import cli_env

LOGIN_BLOCK = re.compile(
    r"^- role: (?P<role>\w+).*\n"
    r"  email: +(?P<email>\S+)\n"
    r"  password: +(?P<password>\S+)\n"
    r"(?:  totp secret: +(?P<secret>[A-Z2-7]+)\n)?",
    re.MULTILINE,
)


def _logins(stdout: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in LOGIN_BLOCK.finditer(stdout)]


async def _snapshot() -> dict[str, Any]:
    organisations = await Organisation.select().order_by(Organisation.id)
    volunteers = await Volunteer.select().order_by(Volunteer.id)
    employments = await Employment.select().order_by(Employment.id)
    users = await UserAccount.select(UserAccount.id, UserAccount.email, UserAccount.role)
    return {
        "organisations": organisations,
        "volunteers": volunteers,
        "employments": employments,
        "users": sorted(users, key=lambda u: str(u["id"])),
    }


async def test_demo_is_realistic_idempotent_and_every_role_signs_in(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, settings.data_dir)
    first = run_cli("demo", env=env)
    assert first.returncode == 0, first.stderr
    loaded = await _snapshot()
    second = run_cli("demo", env=env)
    assert second.returncode == 0, second.stderr
    assert await _snapshot() == loaded  # nothing added, nothing changed
    for line in second.stdout.splitlines():
        if "(added" in line:
            assert "(added 0)" in line, line

    employers = [o for o in loaded["organisations"] if o["kind"] == "employer"]
    forces = [o for o in loaded["organisations"] if o["kind"] == "force"]
    assert len(forces) == 1 and len(employers) >= 8
    assert len({o["sector"] for o in employers}) >= 8
    assert {o["size_band"] for o in employers} >= {"micro", "small", "medium", "large"}
    volunteers = loaded["volunteers"]
    assert len(volunteers) >= 60
    assert set(Counter(v["status"] for v in volunteers)) == {
        "applicant",
        "in_training",
        "active",
        "leaver",
    }
    emails = [v["email"] for v in volunteers] + [o["contact_email"] for o in employers]
    emails += [u["email"] for u in loaded["users"]]
    assert all(e.rsplit("@", 1)[1] in {"example.org", "example.com"} for e in emails), emails
    assert all(re.fullmatch(r"07700 900\d{3}", v["phone"]) for v in volunteers)
    assert len({v["subject"] for v in volunteers}) == len(volunteers)
    open_links = Counter(e["volunteer"] for e in loaded["employments"] if e["ends_on"] is None)
    assert max(open_links.values()) >= 2  # some volunteers have two employers at once
    assert any(e["ends_on"] is not None for e in loaded["employments"])
    assert {u["role"] for u in loaded["users"]} == {"coordinator", "dpo", "employer", "volunteer"}

    logins = _logins(second.stdout)
    assert _logins(first.stdout) == logins  # same accounts, same TOTP secrets
    assert {login["role"] for login in logins} == {"coordinator", "dpo", "employer", "volunteer"}
    for login in logins:
        assert bool(login["secret"]) == (login["role"] in {"coordinator", "dpo"}), login
    assert "pyotp.TOTP(" in second.stdout

    async with serve(settings) as client:
        for login in logins:
            body = await sign_in(client, login["email"], login["password"], login["secret"])
            assert body["user"]["role"] == login["role"]
            if login["role"] == "coordinator":
                listing = await client.get("/api/coordinator/volunteers", params={"limit": 1})
                assert listing.status_code == 200 and listing.json()["total"] == len(volunteers)
            await sign_out(client)

        async def sessions() -> int:
            from portal.accounts.tables import UserSession

            return int(await UserSession.count())

        assert await in_app(client, sessions) == len(logins)


async def test_demo_refuses_a_database_with_real_accounts(
    database: TestDatabase, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, tmp_path)
    added = run_cli(
        "user",
        "add",
        "real.dpo@example.org",
        "--role",
        "dpo",
        "--password-stdin",
        env=env,
        input="a real and private passphrase",
    )
    assert added.returncode == 0, added.stderr
    refused = run_cli("demo", env=env)
    assert refused.returncode != 0
    assert "published passwords" in refused.stderr and "Traceback" not in refused.stderr
    assert await Volunteer.count() == 0
    allowed = run_cli("demo", "--allow-existing-accounts", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert await Volunteer.count() >= 60
