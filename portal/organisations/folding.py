"""How a name is spelt for search: one folding, in Python, for both databases.

A person is found whatever the accents, case and punctuation of the name as typed: "Zoë" and
"Zoe", "SIOBHÁN" and "Siobhan", "O'Brien" and "OBrien", "Smith-Jones" and "Smith Jones" are the
same. Neither SQLite nor PostgreSQL (without ``unaccent``, whose rules differ) folds accents the
same way, so the application folds, stores the result in ``volunteer.search_key`` and folds the
query with the same function; the databases only index and compare the folded text. Both name
searches read that one column: the DPO's person search (trigrams, typos forgiven) and the
coordinator's volunteer list (``portal.organisations.services.name_search``: every word typed
contained in the folded name). They once kept two folds in two columns, which disagreed
("Søren" was "soren" for one and "søren" for the other).

Folding: Unicode compatibility decomposition (NFKD), combining marks dropped, case folded, the
few Latin letters that do not decompose (ø, ł, đ, æ, œ, ß, þ…) spelt in plain letters,
apostrophes dropped (they join a name), every other run of non-letters and non-digits one space.

Trigrams are pg_trgm's: each word padded with two spaces before and one after, every three
characters of it. The SQLite index stores the same padded words, so both engines look for the
same trigrams.
"""

from __future__ import annotations

import re
import unicodedata

#: Latin letters NFKD leaves whole, in the plain letters a person would type instead.
_PLAIN = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "n",
    }
)
_APOSTROPHES = re.compile(r"['’‘`ʼ]")
_SEPARATORS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` lower case, without accents or punctuation, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = bare.casefold().translate(_PLAIN)
    return _SEPARATORS.sub(" ", _APOSTROPHES.sub("", plain)).strip()


def words(folded: str) -> list[str]:
    return folded.split()


def trigrams(folded: str) -> set[str]:
    """pg_trgm's trigrams of folded text: per word, padded ``'  ' + word + ' '``."""
    grams: set[str] = set()
    for word in words(folded):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams
