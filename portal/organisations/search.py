"""Finding a volunteer for the force: by name (typos and accents forgiven), email address,
volunteer id or ledger subject id.

This is the force reading its own records to find whom a request is about; it returns ids and
scores only. Whoever shows the people found to someone (the DPO's search) passes them through
the disclosure gate, which ledgers the access first.

How a name is found, on either database:

1. Rows whose ``search_key`` is not computed yet (written by code that did not fold the name, or
   whose name changed) are folded first (:func:`fold_pending`), so every person is findable.
2. Candidates: names sharing trigrams with the folded query, from the engine's trigram index
   (PostgreSQL ``pg_trgm``'s ``%`` with a low similarity threshold, so two typos in a short name
   still qualify, most similar first; SQLite: the FTS5 trigram index's ``fts5vocab`` instance
   table, names sharing the most of the query's trigrams first, which is pg_trgm's measure and
   several times cheaper than ranking the matches by BM25), at most :data:`CANDIDATES`.
3. Order: :func:`portal.organisations.ranking.name_score` in Python, the same on both engines;
   names below :data:`~portal.organisations.ranking.MIN_SCORE` are left out.

Emails, ids and subject ids are exact look-ups on their unique indexes (a subject id may be
given by its first 8 or more hex digits, as read out over the phone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from piccolo.querystring import QueryString

from portal.fielderrors import field_error
from portal.ids import parse_id
from portal.organisations.folding import fold, trigrams
from portal.organisations.ranking import MIN_SCORE, NameScorer
from portal.organisations.tables import Volunteer

log = structlog.get_logger(__name__)

#: Most candidates a name query takes from the index before ranking them.
CANDIDATES = 300
#: pg_trgm similarity a PostgreSQL candidate needs ("jonh smtih" shares 4 of 18 trigrams with
#: "john smith": 0.22); the ranking decides what is a match.
PG_THRESHOLD = 0.1
#: Rows folded per batch when catching up.
FOLD_BATCH = 500
MIN_NAME_LETTERS = 2
MAX_QUERY = 200
_SUBJECT_PREFIX = re.compile(r"^sub_[0-9a-f]{8,32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
#: The padded key per volunteer (SQLite), which the FTS5 index is built over.
FTS_DOCS = "volunteer_name_doc"
#: Its fts5vocab "instance" table: one row per trigram of each name, looked up by term.
FTS_TERMS = "volunteer_name_trigram_terms"


class MatchedOn(StrEnum):
    NAME = "name"
    EMAIL = "email"
    VOLUNTEER_ID = "volunteer_id"
    SUBJECT = "subject"


@dataclass(frozen=True)
class PersonQuery:
    """What the searcher typed, read: how to look, and the value to look for (folded name,
    normalised email, canonical id or subject id). Never logged: it may be a name."""

    kind: MatchedOn
    value: str


@dataclass(frozen=True)
class Found:
    volunteer_id: str
    score: float
    matched_on: MatchedOn


def read_query(text: str, field: str = "q") -> PersonQuery:
    """Read a search box; an empty or unusable one is a 422 naming ``field``."""
    typed = text.strip()
    if not typed:
        raise field_error(field, "enter a name, email address, volunteer id or subject id (sub_…)")
    if len(typed) > MAX_QUERY:
        raise field_error(field, f"must be {MAX_QUERY} characters or fewer")
    if "\x00" in typed:
        raise field_error(field, "must not contain a NUL character")
    lowered = typed.lower()
    if _SUBJECT_PREFIX.match(lowered):
        return PersonQuery(MatchedOn.SUBJECT, lowered)
    if lowered.startswith("sub_"):
        raise field_error(field, "a subject id is sub_ followed by at least 8 of its 32 hex digits")
    volunteer_id = parse_id(typed)
    if volunteer_id is not None:
        return PersonQuery(MatchedOn.VOLUNTEER_ID, volunteer_id)
    if "@" in typed:
        if not _EMAIL.match(typed):
            raise field_error(field, "an email address looks like name@example.org")
        return PersonQuery(MatchedOn.EMAIL, lowered)  # stored lower case (schemas)
    folded = fold(typed)
    if sum(ch.isalnum() for ch in folded) < MIN_NAME_LETTERS:
        raise field_error(field, f"enter at least {MIN_NAME_LETTERS} letters of the name")
    return PersonQuery(MatchedOn.NAME, folded)


def _engine() -> Any:
    return Volunteer._meta.db


async def _run(template: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await _engine().run_querystring(QueryString(template, *args))
    return rows


async def fold_pending(batch: int = FOLD_BATCH) -> int:
    """Compute ``search_key`` for every volunteer still without one; how many were folded.

    Each row is written only if its name is still the one folded (a rename in between leaves
    it NULL for the next search). A batch is one statement joining the values to the table
    (arrays on PostgreSQL, a VALUES list on SQLite), so the write lock is held briefly."""
    done = 0
    while True:
        rows = await (
            Volunteer.select(Volunteer.id, Volunteer.display_name)
            .where(Volunteer.search_key.is_null())
            .limit(batch)
        )
        if not rows:
            return done
        folded = [(str(r["id"]), str(r["display_name"]), fold(r["display_name"])) for r in rows]
        await _write_keys(folded)
        done += len(rows)
        if len(rows) < batch:
            log.info("volunteer.search_keys_folded", volunteers=done)
            return done


#: SQLite names the columns of a VALUES list column1, column2, column3.
_SET_KEY = (
    "UPDATE volunteer SET search_key = d.column3 FROM (VALUES {rows}) AS d "
    "WHERE volunteer.id = d.column1 AND volunteer.display_name = d.column2 "
    "AND volunteer.search_key IS NULL"
)
_SET_KEYS = (
    "UPDATE volunteer AS v SET search_key = d.key "
    "FROM unnest({}::uuid[], {}::text[], {}::text[]) AS d(id, name, key) "
    "WHERE v.id = d.id AND v.display_name = d.name AND v.search_key IS NULL"
)


async def _write_keys(folded: list[tuple[str, str, str]]) -> None:
    """Store each (id, name, key) whose name is unchanged and key still NULL."""
    if _engine().engine_type != "sqlite":
        ids, names, keys = (list(column) for column in zip(*folded, strict=True))
        await _run(_SET_KEYS, ids, names, keys)
        return
    rows = ", ".join("({}, {}, {})" for _ in folded)
    values = [value for row in folded for value in row]
    await _run(_SET_KEY.format(rows=rows), *values)


async def _name_candidates(folded: str) -> list[dict[str, Any]]:
    """Volunteers whose folded name shares trigrams with ``folded``, best first."""
    engine = _engine()
    if engine.engine_type == "sqlite":
        grams = sorted(trigrams(folded))
        return await _run(
            "SELECT v.id AS id, v.search_key AS search_key FROM ("  # noqa: S608 (constants)
            f"SELECT doc, count(*) AS shared FROM {FTS_TERMS} "
            f"WHERE term IN ({', '.join('{}' for _ in grams)}) "
            "GROUP BY doc ORDER BY shared DESC LIMIT {}"
            f") m JOIN {FTS_DOCS} d ON d.id = m.doc "
            "JOIN volunteer v ON v.id = d.volunteer_id ORDER BY m.shared DESC",
            *grams,
            CANDIDATES,
        )
    async with engine.transaction():
        await _run(f"SET LOCAL pg_trgm.similarity_threshold = {PG_THRESHOLD}")
        return await _run(
            "SELECT id, search_key FROM volunteer WHERE search_key % {} "
            "ORDER BY similarity(search_key, {}) DESC, id LIMIT {}",
            folded,
            folded,
            CANDIDATES,
        )


async def _by_name(folded: str, limit: int) -> list[Found]:
    await fold_pending()
    scored = []
    scorer = NameScorer(folded)
    for row in await _name_candidates(folded):
        key = str(row["search_key"] or "")
        score = scorer.score(key)
        if score >= MIN_SCORE:
            scored.append((-score, key, str(row["id"])))
    scored.sort()
    return [Found(vid, round(-neg, 3), MatchedOn.NAME) for neg, _, vid in scored[:limit]]


async def find_volunteers(query: PersonQuery, limit: int) -> list[Found]:
    """The volunteers ``query`` finds, best first, at most ``limit``."""
    if query.kind is MatchedOn.NAME:
        return await _by_name(query.value, limit)
    if query.kind is MatchedOn.SUBJECT and len(query.value) < 36:
        where: Any = Volunteer.subject.like(query.value + "%")
    elif query.kind is MatchedOn.SUBJECT:
        where = Volunteer.subject == query.value
    elif query.kind is MatchedOn.EMAIL:
        where = Volunteer.email == query.value
    else:
        where = Volunteer.id == query.value
    query_rows = Volunteer.select(Volunteer.id).where(where).limit(limit)
    if query.kind is MatchedOn.SUBJECT and len(query.value) < 36:
        # Only a prefix can match several. Ordering the unique look-ups by id would let SQLite
        # scan the primary key instead of using the unique index.
        query_rows = query_rows.order_by(Volunteer.id)
    rows = await query_rows
    return [Found(str(r["id"]), 1.0, query.kind) for r in rows]
