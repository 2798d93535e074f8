"""Portal: the indexes the DPO's person search reads, one per engine.

``volunteer.search_key`` holds the folded name (lower case, accents and punctuation gone),
written by the application, because both engines must fold a name the same way and neither can
do it in SQL alike. What each engine builds on it:

- PostgreSQL: the trusted ``pg_trgm`` extension and a GIN trigram index on ``search_key`` (the
  ``%`` similarity operator uses it). A trusted extension needs only CREATE on the database, which
  the schema owner has. The undo drops the index and leaves the extension (another object may use
  it by then).
- SQLite: an FTS5 table with the ``trigram`` tokenizer holding each volunteer's key, words padded
  as pg_trgm pads them (two spaces before, one after), so a query's trigrams are the same on both
  engines. Triggers keep it equal to ``search_key`` on every insert, update and delete, whoever
  writes. It is keyed by ``volunteer_id``, not by the volunteer's rowid, which VACUUM may
  renumber. Its ``fts5vocab`` table in ``instance`` mode lists each name's trigrams, so the
  search counts the trigrams a name shares with the query (pg_trgm's measure) by index look-ups.

Both engines: a partial index on the rows whose key is not computed yet (the search folds them
before it looks), and a trigger that sets the key back to NULL when the name changes without it,
so a key never holds a name the person no longer has (an erasure that blanks the name, say).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T17:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "person search indexes: pg_trgm on PostgreSQL, FTS5 trigram on SQLite"

PENDING = "CREATE INDEX volunteer_search_pending ON volunteer (id) WHERE search_key IS NULL"
#: The key with each word padded as pg_trgm pads it: '  john  smith '.
PADDED = "'  ' || replace({key}, ' ', '  ') || ' '"
FTS = "volunteer_name_trigrams"
TERMS = "volunteer_name_trigram_terms"

SQLITE = [
    PENDING,
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(volunteer_id UNINDEXED, name, tokenize = 'trigram')",
    f"CREATE VIRTUAL TABLE {TERMS} USING fts5vocab({FTS}, instance)",
    "CREATE TRIGGER volunteer_search_insert AFTER INSERT ON volunteer "
    "WHEN NEW.search_key IS NOT NULL BEGIN "
    f"INSERT INTO {FTS} (volunteer_id, name) "
    f"VALUES (NEW.id, {PADDED.format(key='NEW.search_key')}); END",
    "CREATE TRIGGER volunteer_search_update AFTER UPDATE OF search_key ON volunteer "
    "WHEN NEW.search_key IS NOT OLD.search_key BEGIN "
    f"DELETE FROM {FTS} WHERE OLD.search_key IS NOT NULL AND volunteer_id = OLD.id; "
    f"INSERT INTO {FTS} (volunteer_id, name) "
    f"SELECT NEW.id, {PADDED.format(key='NEW.search_key')} WHERE NEW.search_key IS NOT NULL; "
    "END",
    "CREATE TRIGGER volunteer_search_delete AFTER DELETE ON volunteer "
    f"WHEN OLD.search_key IS NOT NULL BEGIN DELETE FROM {FTS} WHERE volunteer_id = OLD.id; END",
    "CREATE TRIGGER volunteer_search_stale AFTER UPDATE OF display_name ON volunteer "
    "WHEN NEW.display_name IS NOT OLD.display_name AND NEW.search_key IS OLD.search_key "
    "AND NEW.search_key IS NOT NULL BEGIN "
    "UPDATE volunteer SET search_key = NULL WHERE id = NEW.id; END",
]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    PENDING,
    "CREATE INDEX volunteer_search_trigrams ON volunteer USING gin (search_key gin_trgm_ops)",
    "CREATE FUNCTION esp_portal_volunteer_search_stale() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF NEW.display_name IS DISTINCT FROM OLD.display_name "
    "AND NEW.search_key IS NOT DISTINCT FROM OLD.search_key THEN NEW.search_key := NULL; "
    "END IF; "
    "RETURN NEW; "
    "END $$",
    "CREATE TRIGGER volunteer_search_stale BEFORE UPDATE OF display_name ON volunteer "
    "FOR EACH ROW EXECUTE FUNCTION esp_portal_volunteer_search_stale()",
]


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={"sqlite": SQLITE, "postgres": POSTGRES},
        backwards={
            "sqlite": [
                "DROP TRIGGER IF EXISTS volunteer_search_stale",
                "DROP TRIGGER IF EXISTS volunteer_search_delete",
                "DROP TRIGGER IF EXISTS volunteer_search_update",
                "DROP TRIGGER IF EXISTS volunteer_search_insert",
                f"DROP TABLE IF EXISTS {TERMS}",
                f"DROP TABLE IF EXISTS {FTS}",
                "DROP INDEX IF EXISTS volunteer_search_pending",
            ],
            "postgres": [
                "DROP TRIGGER IF EXISTS volunteer_search_stale ON volunteer",
                "DROP FUNCTION IF EXISTS esp_portal_volunteer_search_stale()",
                "DROP INDEX IF EXISTS volunteer_search_trigrams",
                "DROP INDEX IF EXISTS volunteer_search_pending",
            ],
        },
    )
