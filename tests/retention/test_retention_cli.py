"""``esp-portal retention run`` on both databases: the dry run prints the counts per record kind
and erases nothing; ``--approve RUN_ID --dpo EMAIL`` erases what the run found; the ledger still
verifies; bad input (no --dpo, an unknown or malformed run, an account that is not a DPO, a
second approval) is a clear message and a non-zero exit that changes nothing.

The command's clock is the real one, so the world is built two years and a day in the past."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from portal.clock import utcnow
from portal.disclosure.tables import DisclosureRefusal
from portal.retention.tables import RetentionRun
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.retention.retention_world import MOVED, build_world
from tests.support.cli import cli_env


def counts(output: str) -> dict[str, int]:
    rows = re.findall(r"^([\w-]+(?:\.\w+)?)\s+(\d+)", output, flags=re.MULTILINE)
    return {kind: int(n) for kind, n in rows}


async def test_the_command_dry_runs_then_erases_on_a_dpos_approval(
    database: TestDatabase, settings: Settings, engine: Any, tmp_path: Path
) -> None:
    world = await build_world(settings, base=utcnow().replace(microsecond=0) - MOVED)
    env = cli_env(database, Path(settings.data_dir))

    dry = run_cli("retention", "run", env=env)

    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing erased" in dry.stdout
    assert counts(dry.stdout) == {
        "refusals": 1,
        "messages": 1,
        "contact": 3,
        "accounts": 2,
        "erasure-requests": 1,
        "persons.application": 1,
        "persons.identity": 1,
    }
    assert world.volunteers["applicant"] in dry.stdout  # listed as erasure due, by id
    run_id = re.search(r"--approve (\S+) --dpo", dry.stdout)
    assert run_id is not None
    assert await DisclosureRefusal.count() == 2

    for args, message in [
        (["--approve", run_id[1]], "--approve needs --dpo EMAIL"),
        (["--dpo", world.dpo.email], "--dpo is only for --approve"),
        (["--approve", "nonsense", "--dpo", world.dpo.email], "The run id is not valid"),
        (
            ["--approve", "6f1c1d2e-0000-4000-8000-000000000000", "--dpo", world.dpo.email],
            "No retention run has this id",
        ),
        (["--approve", run_id[1], "--dpo", "nobody@force.example"], "No account has this email"),
        (
            ["--approve", run_id[1], "--dpo", world.coordinator.email],
            "Only an active data protection officer",
        ),
    ]:
        refused = run_cli("retention", "run", *args, env=env)
        assert refused.returncode != 0, args
        assert message in refused.stderr, (args, refused.stderr)
    assert await DisclosureRefusal.count() == 2
    assert (await RetentionRun.select().first())["approved_at"] is None

    approved = run_cli(
        "retention", "run", "--approve", run_id[1], "--dpo", world.dpo.email, env=env
    )

    assert approved.returncode == 0, approved.stderr
    assert "erased on approval" in approved.stdout
    assert "persons handed to erasure: 2." in approved.stdout  # the CLI wires erasure in
    assert re.search(r"^refusals\s+1\s+1\s", approved.stdout, flags=re.MULTILINE)
    assert re.search(r"^contact\s+3\s+3\s", approved.stdout, flags=re.MULTILINE)
    assert await DisclosureRefusal.count() == 1
    again = run_cli("retention", "run", "--approve", run_id[1], "--dpo", world.dpo.email, env=env)
    assert again.returncode != 0 and "already approved" in again.stderr
    verified = run_cli("ledger", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
