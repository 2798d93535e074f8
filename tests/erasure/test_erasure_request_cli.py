"""``esp-portal erasure request / requests / decide / complete`` on both databases: the DPO
records a request received by letter, lists it with its due date, refuses it (bad input first:
a clear message naming the field, a non-zero exit, nothing changed), and approves another, which
tells the volunteer (the file transport) and erases them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from portal.accounts.roles import Role
from portal.erasure.tables import ErasureRequest
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support import disclosure_world as world
from tests.support.auth import create_user
from tests.support.cli import cli_env

UNKNOWN = "00000000-0000-4000-8000-000000000000"


async def test_the_dpo_records_lists_refuses_and_approves_from_the_command_line(
    database: TestDatabase, settings: Settings, engine: Any
) -> None:
    kept = await world.volunteer("Cli Kept")
    gone = await world.volunteer("Cli Gone")
    dpo = await create_user(settings, "dpo.cli@force.example", Role.DPO)
    env = cli_env(database, Path(settings.data_dir))

    unknown = run_cli("erasure", "request", UNKNOWN, "--dpo", dpo.email, env=env)
    assert unknown.returncode == 1 and "volunteer_id" in unknown.stderr
    made = run_cli(
        "erasure", "request", kept.id, "--dpo", dpo.email, "--received-on", "2026-01-31",
        "--statement", "Letter of 31 January", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "due 2026-02-28" in made.stdout
    request_id = made.stdout.split()[0]

    listed = run_cli("erasure", "requests", env=env)
    assert request_id in listed.stdout and "OVERDUE" in listed.stdout

    both = run_cli("erasure", "decide", request_id, "--dpo", dpo.email, "--approve",
                   "--refuse", "legal_claims", env=env)  # fmt: skip
    assert both.returncode == 2 and "exactly one of" in both.stderr
    no_why = run_cli("erasure", "decide", request_id, "--dpo", dpo.email,
                     "--refuse", "legal_claims", env=env)  # fmt: skip
    assert no_why.returncode == 1 and "explanation" in no_why.stderr
    row = await ErasureRequest.select(ErasureRequest.status).where(ErasureRequest.id == request_id)
    assert row[0]["status"] == "pending"

    refused = run_cli(
        "erasure", "decide", request_id, "--dpo", dpo.email, "--refuse", "legal_claims",
        "--explanation", "Needed for an open claim.", env=env,
    )  # fmt: skip
    assert refused.returncode == 0, refused.stderr
    assert re.search(r"refused .* ground legal_claims", refused.stdout)

    other = run_cli("erasure", "request", gone.id, "--dpo", dpo.email, env=env)
    approved = run_cli(
        "erasure", "decide", other.stdout.split()[0], "--dpo", dpo.email, "--approve", env=env
    )
    assert approved.returncode == 0, approved.stderr
    assert " erased " in approved.stdout
    assert not await Volunteer.exists().where(Volunteer.id == gone.id)
    assert await Volunteer.exists().where(Volunteer.id == kept.id)
    assert "0 of 0" in run_cli("erasure", "complete", env=env).stdout
