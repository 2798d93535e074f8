"""The rules under the person search: folding, trigrams, edit distance, scores, reading the box.

The folding and the trigrams are what both engines index; the trigrams must be pg_trgm's own (the
PostgreSQL case asks ``show_trgm``), and SQLite's FTS index must hold the same padded words.
"""

from __future__ import annotations

from typing import Any

import pytest

from portal.errors import InvalidInput
from portal.organisations.folding import fold, trigrams
from portal.organisations.ranking import MIN_SCORE, edit_distance, name_score
from portal.organisations.search import MatchedOn, fold_pending, read_query
from portal.organisations.tables import Volunteer
from tests.conftest import TestDatabase


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Zoë", "zoe"),
        ("SIOBHÁN Ní Bhriain", "siobhan ni bhriain"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("  Łukasz   Wiśniewski ", "lukasz wisniewski"),
        ("Søren Æsir", "soren aesir"),
        ("Straße", "strasse"),
        ("Ｊｏｈｎ", "john"),  # full-width letters, as some keyboards type them
        ("Anaïs Lefèvre-Núñez", "anais lefevre nunez"),
    ],
)
def test_folding(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("john", "john", 0),
        ("jonh", "john", 1),
        ("smtih", "smith", 1),
        ("smyth", "smith", 1),
        ("jon", "john", 1),
        ("kitten", "sitting", 3),
        ("ca", "abc", 3),  # optimal string alignment: a swapped pair is not edited again
        ("", "abc", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_scores_order_names_as_a_person_would() -> None:
    query = fold("John Smith")
    scores = {
        name: name_score(query, fold(name))
        for name in ("John Smith", "John Paul Smith", "John Smithson", "Jon Smyth", "Joan Smart")
    }
    assert scores["John Smith"] == 1.0
    assert (
        scores["John Smith"]
        > scores["John Paul Smith"]
        > scores["John Smithson"]
        > scores["Jon Smyth"]
        >= MIN_SCORE
        > scores["Joan Smart"]
    )
    assert name_score(fold("Jonh Smtih"), fold("John Smith")) >= MIN_SCORE
    assert name_score(fold("Mary Jones"), fold("John Smith")) < MIN_SCORE
    assert name_score("", "john") == 0.0


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("John Smith", MatchedOn.NAME, "john smith"),
        ("  Zoë ", MatchedOn.NAME, "zoe"),
        ("Sam.Example@Example.ORG", MatchedOn.EMAIL, "sam.example@example.org"),
        (
            "0B6F3C1E-0000-4000-8000-000000000001",
            MatchedOn.VOLUNTEER_ID,
            "0b6f3c1e-0000-4000-8000-000000000001",
        ),
        ("SUB_0123456789ABCDEF", MatchedOn.SUBJECT, "sub_0123456789abcdef"),
        ("sub_" + "a" * 32, MatchedOn.SUBJECT, "sub_" + "a" * 32),
    ],
)
def test_reading_the_box(typed: str, kind: MatchedOn, value: str) -> None:
    query = read_query(typed)
    assert (query.kind, query.value) == (kind, value)


@pytest.mark.parametrize(
    "typed", ["", "   ", "a", "- ' -", "sub_1234", "a@b@c", "x" * 201, "a\x00b"]
)
def test_an_unusable_box_names_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_query(typed)
    assert [e["field"] for e in raised.value.extra["errors"]] == ["q"]


NAMES = ("Siobhán Ní Bhriain", "John Smith-Jones", "Zoë O'Brien", "Ｊｏｈｎ Li")


async def test_both_engines_index_the_trigrams_python_computes(
    database: TestDatabase, engine: Any
) -> None:
    rows = [Volunteer(display_name=n, email=f"p{i}@example.org") for i, n in enumerate(NAMES)]
    await Volunteer.insert(*rows)
    assert await fold_pending() == len(NAMES)
    assert await fold_pending() == 0
    for name in NAMES:
        key = fold(name)
        if database.kind == "postgres":
            shown = await Volunteer.raw("SELECT show_trgm({}) AS t", key)
            assert set(shown[0]["t"]) == trigrams(key), name
        else:
            held = await Volunteer.raw(
                "SELECT d.name AS name FROM volunteer_name_doc d "
                "JOIN volunteer v ON v.id = d.volunteer_id WHERE v.display_name = {}",
                name,
            )
            padded = held[0]["name"]
            grams = {padded[i : i + 3] for i in range(len(padded) - 2)}
            # The stored text's trigrams are pg_trgm's, plus those spanning two words.
            assert trigrams(key) <= grams, name
            assert all(g in trigrams(key) or g.endswith("  ") or g.startswith(" ") for g in grams)

    # Deleting a person takes them out of the index too.
    await Volunteer.delete().where(Volunteer.display_name == NAMES[0])
    if database.kind == "sqlite":
        indexed = await Volunteer.raw(
            "SELECT count(DISTINCT doc) AS n FROM volunteer_name_trigram_terms"
        )
        assert indexed[0]["n"] == len(NAMES) - 1
        integrity = "INSERT INTO volunteer_name_trigrams (volunteer_name_trigrams) VALUES ({})"
        await Volunteer.raw(integrity, "integrity-check")  # raises if index and table differ
