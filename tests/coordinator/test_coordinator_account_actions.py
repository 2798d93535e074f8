"""Every account administration action leaves a stored record (who, whom, when, what, where):
from the pages, the command line, in the action's own transaction; the coordinator reads them
through the API, newest first; nobody can edit them (both databases)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from portal.accounts.admin import AccountAdministration
from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role
from portal.errors import Conflict
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support.auth import create_user, serve, sign_in_as
from tests.support.cli import cli_env

API = "/api/coordinator/account-actions"


async def test_account_actions_are_recorded_and_listed(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any, owner_sql: Any
) -> None:
    coordinator = await create_user(settings, "coord@example.org", Role.COORDINATOR)
    dpo = await create_user(settings, "dpo@example.org", Role.DPO)
    record = Volunteer(display_name="Val Volunteer", email="vol@example.org")
    await record.save()
    volunteer = await create_user(
        settings, "vol@example.org", Role.VOLUNTEER, volunteer_id=str(record.id)
    )
    admin = AccountAdministration(AccountService(settings, PasswordHashing(settings)))

    await admin.set_active(volunteer.id, False, by=coordinator.id, channel="web")
    with pytest.raises(Conflict):  # a disabled account is not reset: nothing recorded
        await admin.reset_password(volunteer.id, by=coordinator.id, channel="web")
    await admin.set_active(volunteer.id, True, by=coordinator.id, channel="web")
    await admin.reset_password(volunteer.id, by=coordinator.id, channel="web")
    with pytest.raises(Conflict):  # a volunteer has no authenticator
        await admin.reset_totp(volunteer.id, by=coordinator.id, channel="web")
    reset = run_cli("user", "reset-totp", "DPO@example.org", env=cli_env(database, tmp_path))
    assert reset.returncode == 0, reset.stderr

    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        response = await client.get(API)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == 4
        got = [
            (a["action"], a["user_email"], a["acted_by_email"], a["channel"]) for a in page["items"]
        ]
        assert got == [
            ("reset_totp", "dpo@example.org", None, "cli"),
            ("reset_password", "vol@example.org", "coord@example.org", "web"),
            ("enable", "vol@example.org", "coord@example.org", "web"),
            ("disable", "vol@example.org", "coord@example.org", "web"),
        ]
        assert page["items"][0]["acted_by"] == "cli"
        assert page["items"][0]["user_id"] == dpo.id
        times = [a["acted_at"] for a in page["items"]]
        assert times == sorted(times, reverse=True)
        second = (await client.get(API, params={"limit": 2, "offset": 2})).json()
        assert [a["id"] for a in second["items"]] == [a["id"] for a in page["items"][2:]]

    attempts = ["UPDATE account_action SET action = 'enable'", "DELETE FROM account_action"]
    if database.kind == "postgres":
        attempts.append("TRUNCATE account_action CASCADE")
    for statement in attempts:
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)):
            await owner_sql(statement)
        if database.kind == "postgres":
            with pytest.raises(asyncpg.PostgresError):
                await owner_sql(statement, app_role=True)
    assert (await owner_sql("SELECT count(*) FROM account_action"))[0][0][0] == 4
