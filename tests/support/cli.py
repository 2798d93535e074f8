"""Environment for running the real ``esp-portal`` command against a test database."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FAST_HASHING, TestDatabase


def cli_env(database: TestDatabase, data_dir: Path, **extra: str) -> dict[str, str]:
    """``ESP_*`` variables pointing the command at ``database`` (cheap Argon2, JSON logs)."""
    env = {
        "ESP_DATABASE_URL": database.url,
        "ESP_MIGRATION_DATABASE_URL": database.owner_url,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_FORMAT": "json",
    }
    env.update({f"ESP_{key.upper()}": str(value) for key, value in FAST_HASHING.items()})
    env.update(extra)
    return env
