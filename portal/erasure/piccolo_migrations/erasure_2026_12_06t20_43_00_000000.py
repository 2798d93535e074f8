"""Erasure: the owner's procedure that removes one volunteer's rows, its record, and grants.

PostgreSQL: ``esp_portal_erase_volunteer(volunteer, token)`` is a ``SECURITY DEFINER`` function
owned by the schema owner; the application role may EXECUTE it and still holds no DELETE (or
UPDATE) privilege on any append-only table. The append-only trigger functions are replaced by
versions that let a change through only while the procedure runs (it sets the transaction-local
setting ``esp_portal.erasure``, and only a role with the table privilege gets as far as the
trigger: the owner, through the procedure). The steps are a frozen copy of
``portal.erasure.plan.STEPS`` (a test compares them).

SQLite has no roles: ``portal.erasure.procedure`` lifts the named tables' append-only triggers
inside the erasure's own write transaction and puts back their exact text before it commits.
Both: ``erasure_record`` is append-only.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T20:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "erasure procedure, erasure-aware append-only triggers, erasure record grants"

RECORD = "erasure_record"

#: (table, statement) in order: the procedure's body.
STEPS = (
    (
        'objection_decision',
        'DELETE FROM objection_decision WHERE objection IN (SELECT id FROM objection WHERE volunteer = p_volunteer)',
    ),
    (
        'objection',
        'DELETE FROM objection WHERE volunteer = p_volunteer',
    ),
    (
        'outbox',
        'DELETE FROM outbox WHERE volunteer = p_volunteer::text OR EXISTS (SELECT 1 FROM withdrawal_notice n WHERE n.volunteer = p_volunteer AND outbox.idempotency_key LIKE \'withdrawal_notice:\' || CAST(n.id AS TEXT) || \':%\') OR EXISTS (SELECT 1 FROM leave_request r WHERE r.volunteer = p_volunteer AND (outbox.idempotency_key LIKE \'leave_requested:\' || CAST(r.id AS TEXT) || \':%\' OR outbox.idempotency_key LIKE \'leave_decided:\' || CAST(r.id AS TEXT) || \':%\')) OR EXISTS (SELECT 1 FROM invitation i WHERE i."user" IN (SELECT id FROM user_account WHERE volunteer = p_volunteer) AND outbox.idempotency_key IN (\'invitation:\' || CAST(i.id AS TEXT), \'password_reset:\' || CAST(i.id AS TEXT)))',
    ),
    (
        'withdrawal_notice_ack',
        'DELETE FROM withdrawal_notice_ack WHERE notice IN (SELECT id FROM withdrawal_notice WHERE volunteer = p_volunteer)',
    ),
    (
        'withdrawal_notice',
        'DELETE FROM withdrawal_notice WHERE volunteer = p_volunteer',
    ),
    (
        'consent_event',
        'DELETE FROM consent_event WHERE volunteer = p_volunteer',
    ),
    (
        'leave_request_event',
        'DELETE FROM leave_request_event WHERE request IN (SELECT id FROM leave_request WHERE volunteer = p_volunteer)',
    ),
    (
        'leave_request',
        'DELETE FROM leave_request WHERE volunteer = p_volunteer',
    ),
    (
        'duty_record',
        'DELETE FROM duty_record WHERE volunteer = p_volunteer',
    ),
    (
        'hours_report_release',
        'UPDATE hours_report_release SET cohort = (SELECT json_agg(CASE WHEN e = p_volunteer::text THEN p_token ELSE e END) FROM json_array_elements_text(cohort) e) WHERE cohort::jsonb ? p_volunteer::text',
    ),
    (
        'volunteer_status_change',
        'DELETE FROM volunteer_status_change WHERE volunteer = p_volunteer',
    ),
    (
        'application_milestone',
        'DELETE FROM application_milestone WHERE volunteer = p_volunteer',
    ),
    (
        'award',
        'DELETE FROM award WHERE volunteer = p_volunteer',
    ),
    (
        'employment',
        'DELETE FROM employment WHERE volunteer = p_volunteer',
    ),
    (
        'disclosure_refusal',
        "UPDATE disclosure_refusal SET subject = '', requested_id = '' WHERE subject = v_subject OR requested_id IN (p_volunteer::text, v_subject)",
    ),
    (
        'user_session',
        'DELETE FROM user_session WHERE "user" IN (SELECT id FROM user_account WHERE volunteer = p_volunteer)',
    ),
    (
        'invitation',
        'DELETE FROM invitation WHERE "user" IN (SELECT id FROM user_account WHERE volunteer = p_volunteer) OR created_by IN (SELECT id FROM user_account WHERE volunteer = p_volunteer)',
    ),
    (
        'account_action',
        'DELETE FROM account_action WHERE "user" IN (SELECT id FROM user_account WHERE volunteer = p_volunteer)',
    ),
    (
        'user_account',
        'DELETE FROM user_account WHERE volunteer = p_volunteer',
    ),
    (
        'volunteer',
        'DELETE FROM volunteer WHERE id = p_volunteer',
    ),
)

#: Columns a pending leave request keeps when it is decided (as the hours migration has them).
_FIXED = (
    "id", "volunteer", "employer", "duty_id", "starts_at", "ends_at", "unit", "amount", "paid",
    "created_at",
)  # fmt: skip

_ERASING = "current_setting('esp_portal.erasure', true) = 'on'"


def _reject(name: str, erasable: bool) -> str:
    allow = (
        f"IF TG_OP = 'DELETE' AND {_ERASING} THEN RETURN OLD; END IF; "
        f"IF TG_OP = 'UPDATE' AND {_ERASING} THEN RETURN NEW; END IF; "
        if erasable
        else ""
    )
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{allow}"
        "RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )


def _leave_guard(erasable: bool) -> str:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED)
    allow = f"IF TG_OP = 'DELETE' AND {_ERASING} THEN RETURN OLD; END IF; " if erasable else ""
    return (
        "CREATE OR REPLACE FUNCTION hours_leave_request_guard() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"{allow}"
        "IF TG_OP <> 'UPDATE' THEN "
        "RAISE EXCEPTION 'leave_request rows cannot be deleted or truncated' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; "
        f"IF OLD.status <> 'pending' OR NEW.status = 'pending' OR {changed} THEN "
        "RAISE EXCEPTION 'leave_request: a decided request cannot change' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; "
        "RETURN NEW; END $$"
    )


def _procedure() -> str:
    lines = [
        "CREATE OR REPLACE FUNCTION esp_portal_erase_volunteer(p_volunteer uuid, p_token text) "
        "RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$",
        "DECLARE v_subject text; v_counts jsonb := jsonb_build_object(); v_rows bigint;",
        "BEGIN",
        "SELECT subject INTO v_subject FROM volunteer WHERE id = p_volunteer FOR UPDATE;",
        "IF NOT FOUND THEN RAISE EXCEPTION 'no volunteer has this id' "
        "USING ERRCODE = 'no_data_found'; END IF;",
        "PERFORM set_config('esp_portal.erasure', 'on', true);",
    ]
    for table, statement in STEPS:
        lines += [
            statement + ";",
            "GET DIAGNOSTICS v_rows = ROW_COUNT;",
            f"v_counts := v_counts || jsonb_build_object('{table}', v_rows);",
        ]
    lines += [
        "PERFORM set_config('esp_portal.erasure', 'off', true);",
        "RETURN v_counts;",
        "END $$",
    ]
    return "\n".join(lines)


SIGNATURE = "esp_portal_erase_volunteer(uuid, text)"

POSTGRES = [
    _reject("esp_portal_reject_change", erasable=True),
    _reject("hours_reject_change", erasable=True),
    _leave_guard(erasable=True),
    _procedure(),
    f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC",
    f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO esp_portal_app",
    f"CREATE TRIGGER {RECORD}_append_only BEFORE UPDATE OR DELETE ON {RECORD} "
    "FOR EACH ROW EXECUTE FUNCTION esp_portal_reject_change()",
    f"CREATE TRIGGER {RECORD}_no_truncate BEFORE TRUNCATE ON {RECORD} "
    "FOR EACH STATEMENT EXECUTE FUNCTION esp_portal_reject_change()",
    f"REVOKE ALL ON {RECORD} FROM PUBLIC",
    f"GRANT SELECT, INSERT ON {RECORD} TO esp_portal_app",
]

SQLITE = [
    f"CREATE TRIGGER {RECORD}_no_{action.lower()} BEFORE {action} ON {RECORD} "
    f"BEGIN SELECT RAISE(ABORT, '{RECORD} is append-only'); END"
    for action in ("UPDATE", "DELETE")
]


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="erasure",
        description=DESCRIPTION,
        forwards={"sqlite": SQLITE, "postgres": POSTGRES},
        backwards={
            "sqlite": [f"DROP TRIGGER IF EXISTS {RECORD}_no_{a}" for a in ("update", "delete")],
            "postgres": [
                f"DROP TRIGGER IF EXISTS {RECORD}_append_only ON {RECORD}",
                f"DROP TRIGGER IF EXISTS {RECORD}_no_truncate ON {RECORD}",
                f"REVOKE ALL ON {RECORD} FROM esp_portal_app",
                f"DROP FUNCTION IF EXISTS {SIGNATURE}",
                _reject("esp_portal_reject_change", erasable=False),
                _reject("hours_reject_change", erasable=False),
                _leave_guard(erasable=False),
            ],
        },
    )
