"""``esp-portal ledger verify-bundle FILE``: check a volunteer's evidence bundle offline.

No database and no network: the inclusion proofs are checked with ``ledger.merkle`` alone
(:func:`portal.disclosure.bundle.check_bundle`) and the checkpoint's Ed25519 signature with the
signed-note verifier. Pass ``--key`` with the force's published verifier key (``GET /ledger/key``)
to pin it; otherwise the key the bundle carries is used and a warning says so.

Exit status: 0 when every entry is proven and the checkpoint signature holds, 1 when anything
fails (each problem is named), 2 when the file cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ledger.checkpoint import CheckpointError, OriginMismatchError, open_checkpoint
from ledger.note import NoteError, NoteVerifier
from portal.disclosure.bundle import check_bundle


@click.command("verify-bundle")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "verifier_key",
    default=None,
    help="The force's verifier key (name+id+key) to check the checkpoint signature against.",
)
@click.option("--origin", default=None, help="The log origin expected in the checkpoint.")
def verify_bundle(file: Path, verifier_key: str | None, origin: str | None) -> None:
    """Check an evidence bundle (from GET /api/volunteer/disclosures/bundle) offline."""
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
    if result.note_body:
        try:
            verifier = NoteVerifier.from_key(str(key_text))
            open_checkpoint(str(bundle.get("checkpoint")), verifier, expected_origin)
            signature = f"valid, by {verifier.name}+{verifier.key_id.hex()}"
        except OriginMismatchError as exc:
            problems.append(f"checkpoint: {exc}")
        except (NoteError, CheckpointError) as exc:
            problems.append(f"checkpoint signature: {exc}")
    if problems:
        for problem in problems:
            click.echo(f"FAIL {problem}", err=True)
        click.echo(f"Bundle NOT verified: {len(problems)} problem(s).", err=True)
        raise SystemExit(1)
    click.echo(
        f"OK: {result.entries} entries proven in the tree of size {result.tree_size} "
        f"of {result.origin}; checkpoint signature {signature}."
    )
    if verifier_key is None:
        click.echo(
            "Note: the signature was checked with the key inside the bundle. Compare it with "
            "the force's published key (GET /ledger/key) or pass --key.",
            err=True,
        )


if __name__ == "__main__":
    verify_bundle()
