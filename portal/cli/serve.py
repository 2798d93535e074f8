"""``esp-portal serve``: the portal under uvicorn, one or several worker processes.

Every worker builds its own app from the same settings (``portal.asgi:application``), so workers
share nothing but the database: on PostgreSQL run as many as the host has cores, or several hosts
behind a load balancer. Several workers on SQLite are allowed but warned about: they share one
database file, and WAL plus the busy timeout make that safe, but every write waits for the one
writer lock, so it suits a laptop or a demo, not a force in production.
"""

from __future__ import annotations

import click

from portal.cli.common import cli_settings, fail

FACTORY = "portal.asgi:application"

#: Seconds uvicorn's supervisor waits for a worker to answer its health ping before it SIGKILLs
#: and replaces it (uvicorn's default is 5). A new worker answers only once it has imported the
#: CLI and the app (multiprocessing's spawn re-imports ``__main__`` first): 2 s of CPU, which on
#: a loaded host took 39 s of wall time. With 5 s every new worker was killed before it could
#: answer and replaced, forever, and ``serve --workers 2`` never served. A worker that is truly
#: hung is still replaced, two minutes later.
WORKER_HEALTHCHECK_S = 120


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="ESP_HOST",
    show_envvar=True,
    help="Address to listen on (0.0.0.0 in a container).",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    envvar="ESP_PORT",
    show_envvar=True,
    help="TCP port.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="ESP_WORKERS",
    show_envvar=True,
    help="Worker processes (several on PostgreSQL; SQLite works but serialises writes).",
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    envvar="ESP_FORWARDED_ALLOW_IPS",
    show_envvar=True,
    help="Comma-separated proxy addresses whose X-Forwarded-For is trusted "
    "(default 127.0.0.1); the client address drives the sign-in rate limit.",
)
def serve(host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    """Serve the portal and its API with uvicorn (run `esp-portal migrate` first)."""
    import uvicorn

    from ledger.note import KeyFileError, load_or_create_signing_key

    settings = cli_settings()
    if workers > 1 and settings.engine_kind == "sqlite":
        click.echo(
            f"Warning: {workers} workers on SQLite share one database file; writes are "
            "serialised (WAL, busy timeout). Use PostgreSQL (ESP_DATABASE_URL) in production.",
            err=True,
        )
    try:
        # Create the ledger signing key once, here, before workers race to create it.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    except OSError as exc:
        fail(f"cannot prepare the data directory {settings.data_dir}: {exc.strerror or exc}")
    except KeyFileError as exc:
        fail(f"the ledger signing key is not usable: {exc}")
    click.echo(f"Serving on http://{host}:{port} with {workers} worker(s)", err=True)
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        timeout_graceful_shutdown=30,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )
