"""Shared fixtures: a migrated template per database engine, copied for every test.

Every database test runs twice, on SQLite and on PostgreSQL. The template is migrated once per
session by the real ``esp-portal migrate`` command; each test gets its own copy (a file copy for
SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so tests commit for real and the
append-only triggers stay in force. On PostgreSQL the app connects as a restricted role, exactly as
in production.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from portal.settings import Settings, load_settings
from tests.support import signatures

#: Fixtures shared by test folders that have no conftest in common.
pytest_plugins = ("tests.support.hand_offs",)

# Litestar's per-app parse of every handler's signature, done once per test process instead:
# most of what a test that serves the app spends in ``create_app`` (tests/support/signatures.py).
signatures.install()

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("ESP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_APP_ROLE = "esp_test_app"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_HOW_TO = (
    "PostgreSQL is not reachable at {url}: the PostgreSQL half of the suite is skipped. "
    "Start a server (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main "
    "start`) or point ESP_TEST_PG_URL at a superuser URL to run it."
)

#: Cheap Argon2 parameters so tests that sign in many times stay fast.
FAST_HASHING = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 64,
    "password_hash_parallelism": 1,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first, each group in its collection order.

    pytest-xdist hands tests out in collection order, and the longest ones (the screenshot
    command, every page at 320 px, demo loads) sit in the last folders: run last, one of them
    kept a worker busy minutes after the other had run out of work. Started first, they run
    beside the short ones instead (longest-first scheduling). Every worker sorts the same
    collection the same way, as xdist requires."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@dataclass(frozen=True)
class TestDatabase:
    """One test's private database: the app URL (restricted role) and the owner URL."""

    __test__ = False

    kind: str
    url: str
    owner_url: str


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _with_user(url: str, user: str) -> str:
    scheme, rest = url.split("://", 1)
    hostpart = rest.split("@", 1)[1] if "@" in rest else rest
    return f"{scheme}://{user}@{hostpart}"


def run_cli(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """Run the real ``esp-portal`` command in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "portal.cli.main", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def _migrate(database_url: str, owner_url: str, data_dir: Path) -> None:
    result = run_cli(
        "migrate",
        env={
            "ESP_DATABASE_URL": database_url,
            "ESP_MIGRATION_DATABASE_URL": owner_url,
            "ESP_DATA_DIR": str(data_dir),
            "ESP_LOG_FORMAT": "json",
        },
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")


async def _pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _pg_available() -> bool:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.sqlite3"
    url = f"sqlite:///{path}"
    _migrate(url, url, base)
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not _pg_available():
        message = PG_HOW_TO.format(url=PG_ADMIN_URL)
        if IN_CI:
            pytest.fail("CI=true makes the PostgreSQL tests mandatory. " + message)
        pytest.skip(message)
    name = f"esp_tmpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    owner_url = _with_db(PG_ADMIN_URL, name)
    _migrate(_with_user(owner_url, PG_APP_ROLE), owner_url, Path("/tmp"))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class PgCopies:
    """This worker's PostgreSQL test databases: copies of the migrated template, each made while
    the test before it runs and dropped in the background after its test.

    On PostgreSQL 15 ``DROP DATABASE`` forces an immediate checkpoint (every dirty buffer of the
    server written and synced) and ``CREATE DATABASE ... TEMPLATE`` writes the whole copy: 0.5-5 s
    a test on a shared 2-core machine, spent waiting on the disk while the worker sat idle. The
    copies are the same, private to one test and made from the same template; only the waiting
    moves off the test's path. Errors of a background create surface in the test that takes
    the copy, errors of a drop when the worker's session ends."""

    def __init__(self, template: str) -> None:
        self._template = template
        # One thread each: a drop (a checkpoint) must not hold up the next test's copy.
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-create")
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self._next: Future[str] | None = None
        self._drops: list[Future[None]] = []

    def take(self) -> str:
        """A fresh copy of the template for one test (the next one is started meanwhile)."""
        ready = self._next or self._maker.submit(self._create)
        self._next = self._maker.submit(self._create)
        return ready.result(timeout=300)

    def discard(self, name: str) -> None:
        """Drop a test's copy, without waiting for it."""
        self._drops.append(self._dropper.submit(self._drop, name))

    def close(self) -> None:
        """Drop the copy made for a test that never came, and wait for every drop."""
        try:
            if self._next is not None:
                self.discard(self._next.result(timeout=300))
        finally:
            self._maker.shutdown(wait=True)
            self._dropper.shutdown(wait=True)
        for drop in self._drops:
            drop.result()  # a drop that failed is an error of the session, not lost

    def _create(self) -> str:
        name = f"esp_t_{uuid.uuid4().hex[:16]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"'))
        return name

    @staticmethod
    def _drop(name: str) -> None:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_copies(pg_template: str) -> Iterator[PgCopies]:
    """Copies of this worker's PostgreSQL template, made ahead and dropped in the background."""
    copies = PgCopies(pg_template)
    try:
        yield copies
    finally:
        copies.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A private, migrated database for one test, on each engine in turn."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        yield TestDatabase("sqlite", url, url)
        return
    copies: PgCopies = request.getfixturevalue("pg_copies")
    name = copies.take()
    owner_url = _with_db(PG_ADMIN_URL, name)
    try:
        yield TestDatabase("postgres", _with_user(owner_url, PG_APP_ROLE), owner_url)
    finally:
        copies.discard(name)


def make_settings(database: TestDatabase, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "migration_database_url": database.owner_url,
        "data_dir": data_dir,
        "log_format": "json",
        **FAST_HASHING,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(database: TestDatabase, tmp_path: Path) -> Settings:
    return make_settings(database, tmp_path / "data")


@pytest.fixture
async def engine(database: TestDatabase) -> AsyncIterator[Any]:
    """An engine on the test database, bound to every table (for service-level tests)."""
    from portal.db import bind_engine, build_engine, close_engine, open_engine

    eng = build_engine(database.url)
    bind_engine(eng)
    await open_engine(eng)
    try:
        yield eng
    finally:
        await close_engine(eng)
