"""``esp-portal witness serve|key``: run a C2SP tlog-witness for one or more logs.

A witness is meant to be run by another organisation (a police and crime commissioner's office,
a regulator, another force): it shares nothing with the portal but the logs' public keys. It has
its own Ed25519 key (created on first start, mode 0600) and its own small SQLite file, and needs
no portal settings or database.
"""

from __future__ import annotations

from pathlib import Path

import click

from ledger.cosignature import load_or_create_cosigner_key
from ledger.note import NoteError, NoteVerifier


@click.group("witness")
def witness() -> None:
    """A transparency-log witness (C2SP tlog-witness) for logs you trust."""


_name = click.option(
    "--name",
    required=True,
    envvar="ESP_WITNESS_NAME",
    help="The witness's key name, a schema-less URL such as witness.example.org/w1.",
)
_key_file = click.option(
    "--key-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ESP_WITNESS_KEY_FILE",
    help="Where the witness's private key lives (created on first use, mode 0600).",
)


@witness.command("key")
@_name
@_key_file
def key(name: str, key_file: Path) -> None:
    """Print the witness's public cosignature/v1 verifier key (creating the key if needed)."""
    try:
        signer = load_or_create_cosigner_key(key_file, name)
    except (NoteError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(signer.verifier_key())


@witness.command("serve")
@_name
@_key_file
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ESP_WITNESS_DB",
    help="The witness's own SQLite file (latest cosigned tree per log).",
)
@click.option(
    "--log",
    "log_keys",
    multiple=True,
    required=True,
    help="A log's signed-note verifier key (its name is the log origin). Repeat for more logs.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=click.IntRange(1, 65535))
@click.option("--prefix", default="", help="URL prefix of add-checkpoint, e.g. /witness.")
def serve(
    name: str,
    key_file: Path,
    db_path: Path,
    log_keys: tuple[str, ...],
    host: str,
    port: int,
    prefix: str,
) -> None:
    """Serve POST <prefix>/add-checkpoint for the logs given with --log."""
    import uvicorn

    from ledger.witness.app import create_witness_app
    from ledger.witness.core import Witness
    from ledger.witness.state import WitnessState

    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise click.BadParameter("must start with '/' and not end with one", param_hint="--prefix")
    logs = []
    for text in log_keys:
        try:
            logs.append(NoteVerifier.from_key(text))
        except NoteError as exc:
            raise click.BadParameter(str(exc), param_hint="--log") from None
    try:
        signer = load_or_create_cosigner_key(key_file, name)
    except (NoteError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    state = WitnessState(db_path)
    app = create_witness_app(Witness(signer, logs, state), signer.verifier_key(), prefix)
    click.echo(f"witness {signer.verifier_key()} for {len(logs)} log(s)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
