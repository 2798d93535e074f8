"""``esp-portal ledger``: audit the log, print its checkpoint, export its entries, build a bundle.

``verify`` is what an operator or auditor runs to check that nobody rewrote the log behind the
database's back; its exit status is the answer (0 intact, 1 not, 2 could not run), and on failure
it names the first bad index. ``export`` streams, so a DPO can export millions of entries without
the command holding them in memory.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, NoReturn, TextIO, TypeVar

import asyncpg
import click

from ledger import Ledger
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.merkle import EMPTY_ROOT
from ledger.note import NoteError, NoteSigner, NoteVerifier, load_signing_key
from ledger.proofs import b64
from ledger.store import LedgerStore, StoredEntry
from ledger.tables import LedgerHead
from ledger.verify import VerifyResult, verify
from portal.cli.common import cli_settings, fail, run, with_app_engine
from portal.csvcells import ENTRY_CSV_COLUMNS, entry_csv_values
from portal.disclosure.services import build_bundle
from portal.moments import MomentError, parse_moment
from portal.settings import Settings

T = TypeVar("T")

EXIT_NOT_INTACT = 1
EXIT_USAGE = 2

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _usage_error(message: str) -> NoReturn:
    """The command could not run as asked: exit 2, as click does for bad options."""
    fail(message, EXIT_USAGE)
    raise SystemExit(EXIT_USAGE)  # fail() has exited already; this tells the type checker


@click.group("ledger")
def ledger() -> None:
    """The tamper-evident disclosure ledger: verify, checkpoint, export."""


def _signer(settings: Settings) -> NoteSigner:
    """The portal's existing key: these commands check and show, so they never make one."""
    path = settings.signing_key_path
    try:
        return load_signing_key(path, settings.ledger_key_name)
    except FileNotFoundError:
        _usage_error(
            f"no ledger signing key at {path} (ESP_LEDGER_SIGNING_KEY_FILE); run this where "
            "the portal runs, or pass --key with the published verifier key (GET /ledger/key)"
        )
    except (NoteError, OSError) as exc:
        _usage_error(f"cannot load the ledger signing key: {exc}")


def _run_on_ledger(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` on the app database; a database that cannot be read is a usage error (2),
    never "not intact" (1)."""
    try:
        return run(with_app_engine(settings, work))
    except LookupError as exc:
        _usage_error(f"{exc}; check ESP_DATABASE_URL and run `esp-portal migrate`")
    except (sqlite3.Error, asyncpg.PostgresError, OSError) as exc:
        _usage_error(
            f"cannot read the ledger ({type(exc).__name__}); check ESP_DATABASE_URL and run "
            "`esp-portal migrate`"
        )


def _engine() -> Any:
    """The engine ``with_app_engine`` bound to every table."""
    return LedgerHead._meta.db


class _Progress:
    """A progress bar on a terminal only; logs and pipes get no control characters."""

    def __init__(self, stream: TextIO) -> None:
        self._enabled = stream.isatty()
        self._stream = stream
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="Verifying", file=self._stream)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@ledger.command("verify")
@click.option(
    "--key",
    "verifier_key",
    default=None,
    help="Check checkpoints against this published verifier key instead of the local key.",
)
@click.option(
    "--map-checkpoints",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Also read back and hash the latest stored subject maps, this many of them.",
)
def verify_command(verifier_key: str | None, map_checkpoints: int) -> None:
    """Re-hash every entry, rebuild the tree, check every node and signed checkpoint, and hash
    the stored subject map rows of the latest checkpoint(s).

    Exit 0 when the log is intact (printing its size and root); 1 naming the first bad index.
    """
    settings = cli_settings()
    if verifier_key is not None:
        try:
            verifier = NoteVerifier.from_key(verifier_key)
        except NoteError as exc:
            _usage_error(f"--key: {exc}")
    else:
        verifier = _signer(settings).verifier()
    progress = _Progress(sys.stderr)

    async def work() -> VerifyResult:
        return await verify(
            _engine(), verifier, settings.ledger_origin, progress, map_checkpoints=map_checkpoints
        )

    try:
        result = _run_on_ledger(settings, work)
    finally:
        progress.close()
    problem = result.problem
    if problem is not None:
        evidence = ""
        if problem.expected is not None or problem.found is not None:
            evidence = f" (expected {problem.expected}, found {problem.found})"
        fail(
            f"ledger NOT intact: first bad index {problem.index}: [{problem.what}] "
            f"{problem.detail}{evidence}",
            EXIT_NOT_INTACT,
        )
    click.echo(
        f"Ledger intact: size {result.size}, root {b64(result.root_hash)} "
        f"({result.entries} entries re-hashed; {result.nodes} nodes and "
        f"{result.checkpoints} signed checkpoints and {result.map_rows} stored subject map rows "
        "checked)"
    )


@ledger.command("checkpoint")
def checkpoint_command() -> None:
    """Print the latest signed checkpoint (a C2SP signed note)."""
    settings = cli_settings()

    async def work() -> str | None:
        stored = await LedgerStore(_engine()).latest_checkpoint()
        return stored.note if stored is not None else None

    note = _run_on_ledger(settings, work)
    if note is None:  # an empty log: the checkpoint of size 0, signed with the portal's key
        note = sign_checkpoint(Checkpoint(settings.ledger_origin, 0, EMPTY_ROOT), _signer(settings))
    click.echo(note, nl=False)


def _parse_moment(option: str, value: str | None, *, end_of_day: bool) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_moment(value, end_of_day=end_of_day)
    except MomentError as exc:
        _usage_error(f"{option} {value!r} {exc}")


def _csv_writer(out: TextIO) -> Callable[[StoredEntry], None]:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ENTRY_CSV_COLUMNS)

    def write(entry: StoredEntry) -> None:
        writer.writerow(entry_csv_values(entry.document(), b64(entry.leaf_hash)))

    return write


def _jsonl_writer(out: TextIO) -> Callable[[StoredEntry], None]:
    def write(entry: StoredEntry) -> None:
        line = {"index": entry.index, "entry": entry.document(), "leaf_hash": b64(entry.leaf_hash)}
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")

    return write


@ledger.command("bundle")
@click.argument("subject")
@click.option(
    "--limit",
    type=click.IntRange(1, 1_000_000),
    default=100_000,
    show_default=True,
    help="Newest entries to include (a bundle cut short does not prove complete).",
)
def bundle_command(subject: str, limit: int) -> None:
    """Print the evidence bundle of a subject pseudonym (sub_…) as JSON, for the DPO to hand over.

    The same bundle a volunteer downloads (entries, inclusion proofs, the witnessed checkpoint,
    the completeness proof), built from the pseudonym alone: it works after erasure has cut
    the pseudonym from the person. Check it with 'esp-portal ledger verify-bundle'.
    """
    if not _SUBJECT.fullmatch(subject):
        _usage_error(f"{subject!r} is not a subject pseudonym (sub_ followed by letters/digits)")
    settings = cli_settings()
    signer = _signer(settings)

    async def work() -> str:
        ledger = Ledger(_engine(), signer, settings.ledger_origin)
        bundle = await build_bundle(ledger, subject, limit=limit)
        return bundle.model_dump_json(indent=2)

    click.echo(_run_on_ledger(settings, work))


_SUBJECT = re.compile(r"^sub_[A-Za-z0-9_-]{1,60}$")


@ledger.command("export")
@click.option("--since", default=None, help="From this date (YYYY-MM-DD) or RFC 3339 time.")
@click.option(
    "--until",
    default=None,
    help="Up to and including this date (YYYY-MM-DD), or before this RFC 3339 time.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl"]),
    default="jsonl",
    show_default=True,
)
def export_command(since: str | None, until: str | None, output_format: str) -> None:
    """Stream the entries logged in a period to stdout, in index order."""
    start = _parse_moment("--since", since, end_of_day=False)
    stop = _parse_moment("--until", until, end_of_day=True)
    if start is not None and stop is not None and start >= stop:
        _usage_error(f"--since {since} is not before --until {until}")
    settings = cli_settings()
    out = sys.stdout
    write = _csv_writer(out) if output_format == "csv" else _jsonl_writer(out)

    async def work() -> int:
        count = 0
        async for entry in LedgerStore(_engine()).iter_entries(start, stop):
            write(entry)
            count += 1
        return count

    _run_on_ledger(settings, work)
    out.flush()
