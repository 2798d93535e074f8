"""The volunteer's evidence bundle checks offline (ledger.merkle alone) and with the CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from portal.cli.bundle_commands import verify_bundle
from portal.disclosure.bundle import check_bundle
from portal.settings import Settings
from tests.conftest import run_cli
from tests.support.disclosure_scene import PM, Scene, build_scene, consent


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=2)


async def test_bundle_proves_every_entry_offline_and_the_cli_agrees(
    client: AsyncTestClient[Any], scene: Scene, tmp_path: Path
) -> None:
    alex, sam = scene.staff_a
    await scene.as_volunteer(client, alex)
    await consent(client, scene.employer_a, ["identity"])
    await scene.as_user(client, scene.hr_a)
    for person in (alex, sam, alex):
        assert (
            await client.get(f"/api/employer/staff/{person.id}", params={"purpose": PM})
        ).status_code == 200
    await scene.as_volunteer(client, alex)
    response = await client.get("/api/volunteer/disclosures/bundle")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    bundle = response.json()
    assert bundle["subject"] == alex.subject
    assert [e["entry"]["kind"] for e in bundle["entries"]] == [
        "disclosure",
        "disclosure",
        "consent.given",
    ]
    assert all(e["entry"]["subject"] == alex.subject for e in bundle["entries"])
    result = check_bundle(bundle)
    assert result.ok, result.problems
    assert result.entries == 3 and result.tree_size == bundle["tree_size"]

    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    key = scene.verifier().verifier_key()
    ok = CliRunner().invoke(verify_bundle, [str(path), "--key", key])
    assert ok.exit_code == 0, ok.output
    assert "3 entries proven" in ok.output
    # The installed command, as a volunteer or auditor would run it.
    command = run_cli("ledger", "verify-bundle", str(path), "--key", key)
    assert command.returncode == 0, command.stderr
    assert "3 entries proven" in command.stdout

    # Tampering with an entry's bytes is caught and named.
    forged = json.loads(json.dumps(bundle))
    entry = json.loads(base64.b64decode(forged["entries"][0]["entry_b64"]))
    entry["recipient_org"] = "someone-else"
    forged["entries"][0]["entry_b64"] = base64.b64encode(
        json.dumps(entry, separators=(",", ":"), sort_keys=True).encode()
    ).decode()
    path.write_text(json.dumps(forged))
    bad = CliRunner().invoke(verify_bundle, [str(path), "--key", key])
    assert bad.exit_code == 1
    assert f"index {bundle['entries'][0]['index']}" in bad.output

    # A checkpoint signed by another key is refused when the force's key is pinned.
    other = json.loads(json.dumps(bundle))
    from ledger.checkpoint import Checkpoint, sign_checkpoint
    from ledger.note import NoteSigner

    impostor = NoteSigner.generate(scene.settings.ledger_key_name)
    cp = Checkpoint.parse(other["checkpoint"].split("\n\n")[0] + "\n")
    other["checkpoint"] = sign_checkpoint(cp, impostor)
    other["verifier_key"] = impostor.verifier_key()
    path.write_text(json.dumps(other))
    assert CliRunner().invoke(verify_bundle, [str(path)]).exit_code == 0  # self-consistent...
    pinned = CliRunner().invoke(verify_bundle, [str(path), "--key", key])
    assert pinned.exit_code == 1 and "signature" in pinned.output  # ...but not the force's

    path.write_text("{not json")
    assert CliRunner().invoke(verify_bundle, [str(path)]).exit_code == 2


def test_check_bundle_never_raises_on_garbage() -> None:
    for garbage in (None, [], {"format": "x"}, {"format": "esp-portal-evidence-bundle/1"}):
        assert not check_bundle(garbage).ok
    broken = {
        "format": "esp-portal-evidence-bundle/1",
        "checkpoint": "o\n1\n" + base64.b64encode(b"\0" * 32).decode() + "\n\n",
        "tree_size": 1,
        "entries": [{"index": 0, "entry_b64": "!!", "leaf_hash": 3, "inclusion_path": None}],
    }
    assert check_bundle(broken).problems == ["entry at index 0: malformed base64"]
