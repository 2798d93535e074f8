"""The volunteer's evidence bundle proves it lists every entry about them, and the CLI checks it.

The bundle from the API carries an ``esp-portal-subject-map/1`` proof; the test's own verifier
(written from docs/VERIFY.md §5) accepts it; ``esp-portal ledger verify-bundle`` says it is
complete, and fails, naming the entry, when one is left out, added or moved.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from portal.cli.bundle_commands import verify_bundle
from portal.settings import Settings
from tests.conftest import run_cli
from tests.support.disclosure_scene import PM, Scene, build_scene, consent
from tests.support.spec_completeness import spec_check


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=2)


async def _bundle(client: AsyncTestClient[Any], scene: Scene) -> dict[str, Any]:
    alex, sam = scene.staff_a
    await scene.as_volunteer(client, alex)
    await consent(client, scene.employer_a, ["identity"])
    await scene.as_user(client, scene.hr_a)
    for person in (alex, sam, alex, sam):
        response = await client.get(f"/api/employer/staff/{person.id}", params={"purpose": PM})
        assert response.status_code == 200
    await scene.as_volunteer(client, alex)
    response = await client.get("/api/volunteer/disclosures/bundle")
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    return bundle


async def _someone_elses(ledger: Any, subject: str, tree_size: int) -> dict[str, Any]:
    """A real entry of the tree about another volunteer, with its inclusion proof."""
    for index in range(tree_size):
        stored = await ledger.get_entry(index)
        document = json.loads(stored.body)
        if document.get("subject") not in ("", subject):
            proof = await ledger.inclusion_proof(index, tree_size)
            return {
                "index": index,
                "entry_b64": base64.b64encode(stored.body).decode(),
                "entry": document,
                "leaf_hash": base64.b64encode(stored.leaf_hash).decode(),
                "inclusion_path": [base64.b64encode(h).decode() for h in proof.inclusion_path],
            }
    raise AssertionError("no entry about anyone else")


async def test_bundle_is_proven_complete_and_each_change_is_named(
    client: AsyncTestClient[Any], scene: Scene, ledger: Any, tmp_path: Path
) -> None:
    bundle = await _bundle(client, scene)
    assert bundle["completeness"]["format"] == "esp-portal-subject-map/1"
    assert len(bundle["entries"]) == 3
    complete, since = spec_check(bundle)
    assert complete and since == 0
    # The map names no one: the key is a hash of the pseudonym, which the proof does not spell.
    assert scene.staff_a[0].subject not in json.dumps(bundle["completeness"]["map_path"])

    key = scene.verifier().verifier_key()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    ok = CliRunner().invoke(verify_bundle, [str(path), "--key", key, "--require-complete"])
    assert ok.exit_code == 0, ok.output
    assert "Complete: these are all the entries about the subject" in ok.output
    command = run_cli("ledger", "verify-bundle", str(path), "--key", key, "--require-complete")
    assert command.returncode == 0, command.stderr
    assert "Complete:" in command.stdout

    entries = bundle["entries"]
    other = await _someone_elses(ledger, bundle["subject"], bundle["tree_size"])
    changes = [
        ("missing", [entries[0], entries[2]]),
        ("missing", entries[1:]),
        ("order", [entries[1], entries[0], entries[2]]),
        ("order", [*entries, entries[2]]),
        ("foreign", sorted([*entries, other], key=lambda e: -e["index"])),
    ]
    for reason, changed in changes:
        path.write_text(json.dumps(dict(bundle, entries=changed)))
        bad = CliRunner().invoke(verify_bundle, [str(path), "--key", key])
        assert bad.exit_code == 1, (reason, bad.output)
        assert f"completeness ({reason})" in bad.output, bad.output

    # A bundle without a proof verifies as before, unless completeness is required.
    path.write_text(json.dumps(dict(bundle, completeness=None)))
    plain = CliRunner().invoke(verify_bundle, [str(path), "--key", key])
    assert plain.exit_code == 0 and "no completeness proof" in plain.output
    required = CliRunner().invoke(verify_bundle, [str(path), "--key", key, "--require-complete"])
    assert required.exit_code == 1 and "no completeness proof" in required.output


async def test_the_dpo_builds_the_same_bundle_from_the_pseudonym_alone(
    client: AsyncTestClient[Any], scene: Scene, tmp_path: Path
) -> None:
    """``esp-portal ledger bundle SUBJECT`` needs no person (it still works once erasure has cut
    the pseudonym from the volunteer) and gives the bundle the volunteer would download."""
    downloaded = await _bundle(client, scene)
    env = {
        "ESP_DATABASE_URL": scene.settings.database_url,
        "ESP_DATA_DIR": str(scene.settings.data_dir),
    }
    built = run_cli("ledger", "bundle", downloaded["subject"], env=env)
    assert built.returncode == 0, built.stderr
    bundle = json.loads(built.stdout)
    assert [e["index"] for e in bundle["entries"]] == [e["index"] for e in downloaded["entries"]]
    assert bundle["completeness"] == downloaded["completeness"]
    assert spec_check(bundle) == (True, 0)
    path = tmp_path / "dpo-bundle.json"
    path.write_text(built.stdout)
    key = scene.verifier().verifier_key()
    checked = run_cli("ledger", "verify-bundle", str(path), "--key", key, "--require-complete")
    assert checked.returncode == 0, checked.stderr
    # A pseudonym nobody has: an empty list, proven complete (no entry about it exists).
    nobody = run_cli("ledger", "bundle", "sub_nobody", env=env)
    assert nobody.returncode == 0, nobody.stderr
    assert spec_check(json.loads(nobody.stdout)) == (True, 0)
    refused = run_cli("ledger", "bundle", "Alex Smith", env=env)
    assert refused.returncode == 2 and "not a subject pseudonym" in refused.stderr
