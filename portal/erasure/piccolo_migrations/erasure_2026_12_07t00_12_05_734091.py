"""Erasure requests (UK GDPR Art. 17): their table's grants, and the erasure procedure reducing
a request's row when its person is erased.

``erasure_request`` is a workflow row (pending, approved, erased, refused): the application role
may SELECT, INSERT and UPDATE it, never DELETE. It names the volunteer, their own account (when
they made the request) and their words; erasing the person empties those three and keeps the
decision, its reasons and the dates, so the list of requests and what became of each survives.

PostgreSQL: the procedure is re-created from this frozen copy of ``portal.erasure.plan.STEPS``
(a test compares them, in order). SQLite runs the plan from Python; the table has no append-only
triggers, so nothing is needed here.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-07T00:12:05:734091"
VERSION = "1.38.0"
DESCRIPTION = "erasure request grants; the erasure procedure reduces a request's row"

TABLE = "erasure_request"

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
        'retention_run',
        'UPDATE retention_run SET persons_due = replace(persons_due::text, p_volunteer::text, p_token)::json WHERE strpos(persons_due::text, p_volunteer::text) > 0',
    ),
    (
        'erasure_request',
        "UPDATE erasure_request SET volunteer = NULL, statement = '', recorded_by = CASE WHEN made_by = 'volunteer' THEN '' ELSE recorded_by END WHERE volunteer = p_volunteer",
    ),
    (
        'volunteer',
        'DELETE FROM volunteer WHERE id = p_volunteer',
    ),
)


def _procedure(steps: tuple[tuple[str, str], ...]) -> str:
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
    for table, statement in steps:
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


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="erasure",
        description=DESCRIPTION,
        forwards={
            "sqlite": [],
            "postgres": [
                f"REVOKE ALL ON {TABLE} FROM PUBLIC",
                f"GRANT SELECT, INSERT, UPDATE ON {TABLE} TO esp_portal_app",
                _procedure(STEPS),
            ],
        },
        backwards={
            "sqlite": [],
            "postgres": [
                _procedure(tuple(s for s in STEPS if s[0] != TABLE)),
                f"REVOKE ALL ON {TABLE} FROM esp_portal_app",
            ],
        },
    )
