"""What every command shares: settings loaded once with a clear error, and running coroutines."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from portal.db import bind_engine, build_engine, close_engine, open_engine
from portal.logging import configure_logging
from portal.settings import Settings, SettingsError, get_settings

T = TypeVar("T")


def cli_settings() -> Settings:
    """The settings, or exit 2 naming the bad variable."""
    try:
        settings = get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    # Logs go to stderr; stdout is the command's own output. A person at a terminal gets the
    # console format, never JSON lines beside the answer they asked for.
    configure_logging(settings, watched=sys.stdout)
    return settings


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(_as_coroutine(coro))


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def with_app_engine(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with every table bound to the application database."""
    engine = build_engine(settings.database_url)
    bind_engine(engine)
    await open_engine(engine)
    try:
        return await work()
    finally:
        await close_engine(engine)


def fail(message: str, code: int = 1) -> Any:
    """Print ``message`` to stderr and exit non-zero."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


def report_rejection(detail: str, errors: list[dict[str, Any]]) -> Any:
    """An import rejected whole: the reason and every bad line on stderr, then exit 1."""
    click.echo(f"Error: {detail}", err=True)
    for error in errors:
        where = f"line {error['line']}" if error.get("line") else "file"
        click.echo(f"  {where}, {error['field']}: {error['message']}", err=True)
    raise SystemExit(1)
