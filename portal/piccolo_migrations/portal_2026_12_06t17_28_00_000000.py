"""Portal: the indexes the DPO's person search reads, one per engine.

``volunteer.search_key`` holds the folded name (lower case, accents and punctuation gone),
written by the application, because both engines must fold a name the same way and neither can
do it in SQL alike. What each engine builds on it:

- PostgreSQL: the trusted ``pg_trgm`` extension and a GIN trigram index on ``search_key`` (the
  ``%`` similarity operator uses it). A trusted extension needs only CREATE on the database, which
  the schema owner has. The undo drops the index and leaves the extension (another object may use
  it by then).
- SQLite: a document table (one row per volunteer with a key: the key with its words padded as
  pg_trgm pads them, two spaces before and one after, so a query's trigrams are the same on
  both engines) and an external-content FTS5 index over it with the ``trigram`` tokenizer.
  Triggers keep both equal to ``search_key`` on every insert, update and delete, whoever
  writes. The document table has its own integer key and a unique ``volunteer_id``: a change
  finds its row by index, and nothing depends on the volunteer's rowid, which VACUUM may
  renumber. The index's ``fts5vocab`` table in ``instance`` mode lists each name's trigrams,
  so the search counts the trigrams a name shares with the query (pg_trgm's measure) by index
  look-ups.

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
PADDED = "'  ' || replace(NEW.search_key, ' ', '  ') || ' '"
DOC = "volunteer_name_doc"
FTS = "volunteer_name_trigrams"
TERMS = "volunteer_name_trigram_terms"

SQLITE = [
    PENDING,
    f"CREATE TABLE {DOC} (id INTEGER PRIMARY KEY, volunteer_id TEXT NOT NULL UNIQUE, "
    "name TEXT NOT NULL)",
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(name, content = '{DOC}', content_rowid = 'id', "
    "tokenize = 'trigram')",
    f"CREATE VIRTUAL TABLE {TERMS} USING fts5vocab({FTS}, instance)",
    # The document table feeds the FTS index (SQLite's external-content recipe).
    f"CREATE TRIGGER {DOC}_insert AFTER INSERT ON {DOC} BEGIN "
    f"INSERT INTO {FTS} (rowid, name) VALUES (NEW.id, NEW.name); END",
    f"CREATE TRIGGER {DOC}_delete AFTER DELETE ON {DOC} BEGIN "
    f"INSERT INTO {FTS} ({FTS}, rowid, name) VALUES ('delete', OLD.id, OLD.name); END",
    # The volunteer's key feeds the document table, by volunteer id (a unique index).
    "CREATE TRIGGER volunteer_search_insert AFTER INSERT ON volunteer "
    "WHEN NEW.search_key IS NOT NULL BEGIN "
    f"INSERT INTO {DOC} (volunteer_id, name) VALUES (NEW.id, {PADDED}); END",
    "CREATE TRIGGER volunteer_search_update AFTER UPDATE OF search_key ON volunteer "
    "WHEN NEW.search_key IS NOT OLD.search_key BEGIN "
    f"DELETE FROM {DOC} WHERE volunteer_id = OLD.id; "
    f"INSERT INTO {DOC} (volunteer_id, name) SELECT NEW.id, {PADDED} "
    "WHERE NEW.search_key IS NOT NULL; END",
    "CREATE TRIGGER volunteer_search_delete AFTER DELETE ON volunteer BEGIN "
    f"DELETE FROM {DOC} WHERE volunteer_id = OLD.id; END",
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
                f"DROP TRIGGER IF EXISTS {DOC}_delete",
                f"DROP TRIGGER IF EXISTS {DOC}_insert",
                f"DROP TABLE IF EXISTS {TERMS}",
                f"DROP TABLE IF EXISTS {FTS}",
                f"DROP TABLE IF EXISTS {DOC}",
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
