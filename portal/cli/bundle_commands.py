"""``esp-portal ledger verify-bundle FILE``: check a volunteer's evidence bundle offline.

No database and no network: the inclusion proofs are checked with ``ledger.merkle`` alone
(:func:`portal.disclosure.bundle.check_bundle`) and the checkpoint's Ed25519 signature with the
signed-note verifier. Pass ``--key`` with the force's published verifier key (``GET /ledger/key``)
to pin it; otherwise the key the bundle carries is used and a warning says so.

With ``--policy FILE`` (a C2SP ``tlog-policy`` file: ``log``, ``witness``, ``group``,
``quorum``) the checkpoint must also be signed by a log of the policy and carry valid
``cosignature/v1`` lines from enough witnesses to meet its quorum: that is what rules out a
checkpoint shown to this volunteer alone (a split view).

The bundle's completeness proof (docs/VERIFY.md §5), when it carries one, must hold too: it shows
that the entries are every entry about the subject in the tree. ``--require-complete`` also fails
a bundle that carries none (one whose tree was signed before subject maps were committed).

Exit status: 0 when every entry is proven and the checkpoint signature holds (and the policy's
quorum, if given, and completeness), 1 when anything fails (each problem is named), 2 when a file
cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ledger.checkpoint import CheckpointError, OriginMismatchError, open_checkpoint
from ledger.note import NoteError, NoteVerifier
from ledger.policy import Policy, PolicyError, check_checkpoint, parse_policy
from portal.disclosure.bundle import BundleCheck, check_bundle


@click.command("verify-bundle")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "verifier_key",
    default=None,
    help="The force's verifier key (name+id+key) to check the checkpoint signature against.",
)
@click.option("--origin", default=None, help="The log origin expected in the checkpoint.")
@click.option(
    "--policy",
    "policy_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A C2SP tlog-policy file: the log key and the witnesses whose quorum must cosign.",
)
@click.option(
    "--require-complete",
    is_flag=True,
    help="Fail unless the bundle proves it lists every entry about its subject.",
)
def verify_bundle(
    file: Path,
    verifier_key: str | None,
    origin: str | None,
    policy_file: Path | None,
    require_complete: bool,
) -> None:
    """Check an evidence bundle (from GET /api/volunteer/disclosures/bundle) offline."""
    policy = _load_policy(policy_file) if policy_file is not None else None
    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        click.echo(f"Error: cannot read {file}: {type(exc).__name__}: {exc}", err=True)
        raise SystemExit(2) from None
    result = check_bundle(bundle)
    problems = list(result.problems)
    key_text = verifier_key or (bundle.get("verifier_key") if isinstance(bundle, dict) else None)
    expected_origin = origin or result.origin
    signature = "not checked"
    if result.note_body and policy is not None:
        signature = _check_with_policy(str(bundle.get("checkpoint")), policy, origin, problems)
    elif result.note_body:
        try:
            verifier = NoteVerifier.from_key(str(key_text))
            open_checkpoint(str(bundle.get("checkpoint")), verifier, expected_origin)
            signature = f"valid, by {verifier.name}+{verifier.key_id.hex()}"
        except OriginMismatchError as exc:
            problems.append(f"checkpoint: {exc}")
        except (NoteError, CheckpointError) as exc:
            problems.append(f"checkpoint signature: {exc}")
    if require_complete and not result.has_completeness:
        problems.append("completeness: the bundle carries no completeness proof")
    if problems:
        for problem in problems:
            click.echo(f"FAIL {problem}", err=True)
        click.echo(f"Bundle NOT verified: {len(problems)} problem(s).", err=True)
        raise SystemExit(1)
    click.echo(
        f"OK: {result.entries} entries proven in the tree of size {result.tree_size} "
        f"of {result.origin}; checkpoint signature {signature}."
    )
    _report_completeness(result)
    if verifier_key is None and policy is None:
        click.echo(
            "Note: the signature was checked with the key inside the bundle. Compare it with "
            "the force's published key (GET /ledger/key) or pass --key.",
            err=True,
        )


def _report_completeness(result: BundleCheck) -> None:
    """Say how far the bundle proves it lists every entry about its subject."""
    proven = result.completeness
    if proven is None:
        click.echo(
            "Note: this bundle carries no completeness proof (its tree predates subject maps): "
            "entries left out of it would not be detected.",
            err=True,
        )
    elif proven.complete:
        click.echo(
            f"Complete: these are all the entries about the subject in the tree of size "
            f"{proven.tree_size} ({proven.chained} chained)."
        )
    else:
        click.echo(
            f"Complete from index {proven.since}: {proven.chained} chained entries are all those "
            f"about the subject from there on; entry {proven.legacy_index} and older ones were "
            "written before back-pointers and cannot be proven complete."
        )


def _load_policy(policy_file: Path) -> Policy:
    """The parsed policy file, or exit 2 with the reason (unreadable, or the bad line)."""
    try:
        return parse_policy(policy_file.read_bytes())
    except OSError as exc:
        click.echo(f"Error: cannot read {policy_file}: {type(exc).__name__}", err=True)
    except PolicyError as exc:
        click.echo(f"Error: policy {policy_file}: {exc}", err=True)
    raise SystemExit(2)


def _check_with_policy(note: str, policy: Policy, origin: str | None, problems: list[str]) -> str:
    """Check the log signature and the witness quorum; add what fails to ``problems`` and
    return the words the OK line uses for the signature."""
    try:
        checked = check_checkpoint(note, policy, origin)
    except (NoteError, CheckpointError, PolicyError) as exc:
        problems.append(f"checkpoint against the policy: {exc}")
        return "not valid"
    names = ", ".join(sorted(checked.cosigned_by)) or "no witness"
    if not checked.quorum_met:
        problems.append(
            f"checkpoint: cosigned by {names}, which does not meet the policy's quorum "
            f"{policy.quorum!r}"
        )
    return f"valid, by a log of the policy; cosigned by {names} (quorum {policy.quorum!r} met)"


if __name__ == "__main__":
    verify_bundle()
