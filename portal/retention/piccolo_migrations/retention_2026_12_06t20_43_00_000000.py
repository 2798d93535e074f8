"""Retention: grants, one step per record kind and run, and the owner's erasure procedure.

``disclosure_refusal`` is append-only: the application role may never delete from it. Refused
attempts still go after two years, so this migration defines, as the owner, the one way they
can: a step of an approved retention run, moved to ``erasing``, deletes the refusals older than
its cutoff. The append-only trigger is redefined to let a row go only then.

PostgreSQL: ``esp_portal_retention_erase(step)`` is SECURITY DEFINER (it runs as the owner who
ran this migration), checks the step is ``found`` and its run approved, moves it through
``erasing`` to ``erased`` and returns how many rows went; the application role may EXECUTE it
and nothing more. The trigger also requires the current user to be the table's owner, so the
application role cannot delete even while a step is erasing.

SQLite has no roles or procedures: the same procedure is a trigger on ``retention_step`` that
runs when a step of an approved run is moved to ``erasing`` (the application's only move), and
the refusal trigger lets a row go only while such a step is erasing and only if it is older
than the step's cutoff. Anyone who can write the file can change the schema; what the triggers
guarantee is that no code path of the application can remove a refusal the schedule keeps.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T20:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "retention grants, step index, owner erasure procedure for refusals"

STEP_INDEX = "CREATE UNIQUE INDEX retention_step_kind ON retention_step (run, record_kind)"

#: A refusal covered by a step of an approved run that is erasing it now.
COVERED = (
    "EXISTS (SELECT 1 FROM retention_step s JOIN retention_run r ON r.id = s.run "
    "WHERE s.record_kind = 'refusals' AND s.state = 'erasing' "
    "AND r.approved_at IS NOT NULL AND OLD.occurred_at < s.cutoff)"
)

SQLITE_FORWARDS = [
    STEP_INDEX,
    "DROP TRIGGER IF EXISTS disclosure_refusal_no_delete",
    f"CREATE TRIGGER disclosure_refusal_no_delete BEFORE DELETE ON disclosure_refusal "
    f"WHEN NOT {COVERED} "
    "BEGIN SELECT RAISE(ABORT, 'disclosure_refusal is append-only'); END",
    "CREATE TRIGGER retention_step_not_approved BEFORE UPDATE OF state ON retention_step "
    "WHEN NEW.state = 'erasing' AND (OLD.state != 'found' OR NOT EXISTS "
    "(SELECT 1 FROM retention_run r WHERE r.id = NEW.run AND r.approved_at IS NOT NULL)) "
    "BEGIN SELECT RAISE(ABORT, 'retention step is not found in an approved run'); END",
    "CREATE TRIGGER retention_erase_refusals AFTER UPDATE OF state ON retention_step "
    "WHEN NEW.state = 'erasing' AND NEW.record_kind = 'refusals' BEGIN "
    "UPDATE retention_step SET erased = (SELECT COUNT(*) FROM disclosure_refusal "
    "WHERE occurred_at < NEW.cutoff) WHERE id = NEW.id; "
    "DELETE FROM disclosure_refusal WHERE occurred_at < NEW.cutoff; "
    "UPDATE retention_step SET state = 'erased' WHERE id = NEW.id; "
    "END",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS retention_erase_refusals",
    "DROP TRIGGER IF EXISTS retention_step_not_approved",
    "DROP TRIGGER IF EXISTS disclosure_refusal_no_delete",
    "CREATE TRIGGER disclosure_refusal_no_delete BEFORE DELETE ON disclosure_refusal "
    "BEGIN SELECT RAISE(ABORT, 'disclosure_refusal is append-only'); END",
    "DROP INDEX IF EXISTS retention_step_kind",
]

POSTGRES_FORWARDS = [
    STEP_INDEX,
    "REVOKE ALL ON retention_run FROM PUBLIC",
    "REVOKE ALL ON retention_step FROM PUBLIC",
    "GRANT SELECT, INSERT, UPDATE ON retention_run TO esp_portal_app",
    # the app records what it erased itself (messages, contact details, accounts); a refusals
    # step it may mark as it likes, and still no refusal goes: the trigger wants the owner
    "GRANT SELECT, INSERT, UPDATE ON retention_step TO esp_portal_app",
    f"""
    CREATE FUNCTION esp_portal_refusal_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND current_user = (SELECT tableowner FROM pg_tables
                               WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME)
           AND {COVERED} THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS disclosure_refusal_append_only ON disclosure_refusal",
    "CREATE TRIGGER disclosure_refusal_append_only BEFORE UPDATE OR DELETE ON disclosure_refusal "
    "FOR EACH ROW EXECUTE FUNCTION esp_portal_refusal_append_only()",
    """
    CREATE FUNCTION esp_portal_retention_erase(step_id uuid) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        step_kind text;
        step_cutoff timestamptz;
        gone integer;
    BEGIN
        SELECT s.record_kind, s.cutoff INTO step_kind, step_cutoff
            FROM retention_step s JOIN retention_run r ON r.id = s.run
            WHERE s.id = step_id AND s.state = 'found' AND r.approved_at IS NOT NULL
            FOR UPDATE OF s;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'retention step % is not found in an approved run', step_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF step_kind <> 'refusals' THEN
            RAISE EXCEPTION 'no owner procedure erases %', step_kind
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        UPDATE retention_step SET state = 'erasing' WHERE id = step_id;
        DELETE FROM disclosure_refusal WHERE occurred_at < step_cutoff;
        GET DIAGNOSTICS gone = ROW_COUNT;
        UPDATE retention_step SET state = 'erased', erased = gone WHERE id = step_id;
        RETURN gone;
    END
    $$
    """,
    "REVOKE ALL ON FUNCTION esp_portal_retention_erase(uuid) FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION esp_portal_retention_erase(uuid) TO esp_portal_app",
]
POSTGRES_BACKWARDS = [
    "DROP FUNCTION IF EXISTS esp_portal_retention_erase(uuid)",
    "DROP TRIGGER IF EXISTS disclosure_refusal_append_only ON disclosure_refusal",
    "CREATE TRIGGER disclosure_refusal_append_only BEFORE UPDATE OR DELETE ON disclosure_refusal "
    "FOR EACH ROW EXECUTE FUNCTION esp_portal_reject_change()",
    "DROP FUNCTION IF EXISTS esp_portal_refusal_append_only()",
    "REVOKE ALL ON retention_step FROM esp_portal_app",
    "REVOKE ALL ON retention_run FROM esp_portal_app",
    "DROP INDEX IF EXISTS retention_step_kind",
]


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="retention",
        description=DESCRIPTION,
        forwards={"sqlite": SQLITE_FORWARDS, "postgres": POSTGRES_FORWARDS},
        backwards={"sqlite": SQLITE_BACKWARDS, "postgres": POSTGRES_BACKWARDS},
    )
