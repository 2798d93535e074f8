"""What erasing one volunteer removes or reduces, table by table, in one order for both engines.

Each step is one statement about one table. Placeholders: ``<V>`` the volunteer id where a column
holds it as an id, ``<VT>`` the same where a column holds it as text, ``<S>`` the volunteer's
ledger pseudonym, ``<T>`` a fresh random token (what an erased id becomes in a released report
cohort, so later differencing checks still count the person who was there).

The order deletes dependent rows before the rows they reference (every foreign key to a volunteer
is ``ON DELETE RESTRICT``, on purpose: nothing disappears by cascade without being listed here).
PostgreSQL runs these statements inside ``esp_portal_erase_volunteer`` (a ``SECURITY DEFINER``
function the owner created in the erasure migration, which holds a frozen copy of them; a test
checks the copy matches); SQLite runs them from here (:mod:`portal.erasure.procedure`).

What is kept, reduced: refused disclosure attempts stay (they are evidence about the recipient
that asked) with the subject and the id asked for emptied; released report cohorts keep their
size with the id replaced by ``<T>``. Everything else about the person is deleted: the ledger,
which is pseudonymous and cannot change, is the lasting record of the consents and disclosures.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: Prefix of a volunteer digest, so it is never mistaken for a hash of anything else.
DIGEST_LABEL = "esp-portal-erasure/1:"


def volunteer_digest(volunteer_id: str) -> str:
    """The erasure record's handle on a volunteer: SHA-256 of the label and the id."""
    return hashlib.sha256((DIGEST_LABEL + volunteer_id.lower()).encode()).hexdigest()


@dataclass(frozen=True)
class Step:
    """One statement: the table it changes, and its SQL (per engine when they differ)."""

    table: str
    sqlite: str
    postgres: str

    @property
    def operation(self) -> str:
        """``DELETE`` or ``UPDATE``: what the step does to its table's rows."""
        return self.sqlite.split(None, 1)[0].upper()


def _both(table: str, sql: str) -> Step:
    return Step(table, sql, sql)


_USERS = "(SELECT id FROM user_account WHERE volunteer = <V>)"
_NOTICES = "(SELECT id FROM withdrawal_notice WHERE volunteer = <V>)"
_REQUESTS = "(SELECT id FROM leave_request WHERE volunteer = <V>)"
_OUTBOX = (
    "DELETE FROM outbox WHERE volunteer = <VT>"
    " OR EXISTS (SELECT 1 FROM withdrawal_notice n WHERE n.volunteer = <V>"
    " AND outbox.idempotency_key LIKE 'withdrawal_notice:' || CAST(n.id AS TEXT) || ':%')"
    " OR EXISTS (SELECT 1 FROM leave_request r WHERE r.volunteer = <V>"
    " AND (outbox.idempotency_key LIKE 'leave_requested:' || CAST(r.id AS TEXT) || ':%'"
    " OR outbox.idempotency_key LIKE 'leave_decided:' || CAST(r.id AS TEXT) || ':%'))"
    ' OR EXISTS (SELECT 1 FROM invitation i WHERE i."user" IN '
    "(SELECT id FROM user_account WHERE volunteer = <V>)"
    " AND outbox.idempotency_key IN ('invitation:' || CAST(i.id AS TEXT),"
    " 'password_reset:' || CAST(i.id AS TEXT)))"
)

#: How an erasure request is reduced, by an erasure of its person and by the retention schedule
#: alike (``erasure-requests`` in records.json): the person, their words and their own account go;
#: the dates, the status and the decision stay.
REQUEST_REDUCED = (
    "volunteer = NULL, statement = '', "
    "recorded_by = CASE WHEN made_by = 'volunteer' THEN '' ELSE recorded_by END"
)

STEPS: tuple[Step, ...] = (
    _both(
        "objection_decision",
        "DELETE FROM objection_decision WHERE objection IN "
        "(SELECT id FROM objection WHERE volunteer = <V>)",
    ),
    _both("objection", "DELETE FROM objection WHERE volunteer = <V>"),
    _both("outbox", _OUTBOX),
    _both("withdrawal_notice_ack", f"DELETE FROM withdrawal_notice_ack WHERE notice IN {_NOTICES}"),  # noqa: S608
    _both("withdrawal_notice", "DELETE FROM withdrawal_notice WHERE volunteer = <V>"),
    _both("consent_event", "DELETE FROM consent_event WHERE volunteer = <V>"),
    _both("leave_request_event", f"DELETE FROM leave_request_event WHERE request IN {_REQUESTS}"),  # noqa: S608
    _both("leave_request", "DELETE FROM leave_request WHERE volunteer = <V>"),
    _both("duty_record", "DELETE FROM duty_record WHERE volunteer = <V>"),
    Step(
        "hours_report_release",
        "UPDATE hours_report_release SET cohort = (SELECT json_group_array("
        "CASE WHEN value = <VT> THEN <T> ELSE value END) "
        "FROM json_each(hours_report_release.cohort)) "
        "WHERE EXISTS (SELECT 1 FROM json_each(hours_report_release.cohort) WHERE value = <VT>)",
        "UPDATE hours_report_release SET cohort = (SELECT json_agg("
        "CASE WHEN e = <VT> THEN <T> ELSE e END) FROM json_array_elements_text(cohort) e) "
        "WHERE cohort::jsonb ? <VT>",
    ),
    _both("volunteer_status_change", "DELETE FROM volunteer_status_change WHERE volunteer = <V>"),
    _both("application_milestone", "DELETE FROM application_milestone WHERE volunteer = <V>"),
    _both("award", "DELETE FROM award WHERE volunteer = <V>"),
    _both("employment", "DELETE FROM employment WHERE volunteer = <V>"),
    _both(
        "disclosure_refusal",
        "UPDATE disclosure_refusal SET subject = '', requested_id = '' "
        "WHERE subject = <S> OR requested_id IN (<VT>, <S>)",
    ),
    _both("user_session", f'DELETE FROM user_session WHERE "user" IN {_USERS}'),  # noqa: S608
    _both(
        "invitation",
        f'DELETE FROM invitation WHERE "user" IN {_USERS} OR created_by IN {_USERS}',  # noqa: S608
    ),
    _both("account_action", f'DELETE FROM account_action WHERE "user" IN {_USERS}'),  # noqa: S608
    _both("user_account", "DELETE FROM user_account WHERE volunteer = <V>"),
    Step(
        "retention_run",
        "UPDATE retention_run SET persons_due = replace(persons_due, <VT>, <T>) "
        "WHERE instr(persons_due, <VT>) > 0",
        "UPDATE retention_run SET persons_due = replace(persons_due::text, <VT>, <T>)::json "
        "WHERE strpos(persons_due::text, <VT>) > 0",
    ),
    _both(
        "erasure_request",
        f"UPDATE erasure_request SET {REQUEST_REDUCED} WHERE volunteer = <V>",  # noqa: S608
    ),
    _both("volunteer", "DELETE FROM volunteer WHERE id = <V>"),
)

#: Tables whose append-only triggers the plan changes: on SQLite each trigger lets a change through
#: only while a marker row for its table and operation exists (:mod:`portal.erasure.procedure`).
GUARDED = frozenset(
    {
        "objection_decision",
        "objection",
        "withdrawal_notice_ack",
        "withdrawal_notice",
        "consent_event",
        "leave_request_event",
        "leave_request",
        "duty_record",
        "hours_report_release",
        "volunteer_status_change",
        "disclosure_refusal",
        "account_action",
    }
)


def lifted_by_plan() -> list[tuple[str, str]]:
    """(table, operation) of each step that changes an append-only table, once each, in order."""
    pairs: list[tuple[str, str]] = []
    for step in STEPS:
        pair = (step.table, step.operation)
        if step.table in GUARDED and pair not in pairs:
            pairs.append(pair)
    return pairs


_TOKEN = re.compile(r"<(V|VT|S|T)>")
#: How the PostgreSQL procedure spells each placeholder (its parameters and variables).
POSTGRES_NAMES = {"V": "p_volunteer", "VT": "p_volunteer::text", "S": "v_subject", "T": "p_token"}


def for_postgres(sql: str) -> str:
    """A step as the PostgreSQL procedure holds it."""
    return _TOKEN.sub(lambda m: POSTGRES_NAMES[m.group(1)], sql)


def for_piccolo(sql: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """A step as a Piccolo raw query: ``{}`` placeholders and their values in order."""
    args: list[str] = []

    def one(match: re.Match[str]) -> str:
        args.append(values[match.group(1)])
        return "{}"

    return _TOKEN.sub(one, sql), args
