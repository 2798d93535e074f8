"""Names folded for search: "siobhan oconnor" finds "Siobhán O'Connor".

One rule for writing the volunteer's ``name_key`` and for reading the search box, so the two
always agree. The fold is Unicode compatibility decomposition without combining marks (accents
dropped), case-folded, hyphens as spaces, other punctuation removed, spaces collapsed. The
backfill migration carries a frozen copy of this function (migrations import no ``portal``).
"""

from __future__ import annotations

import re
import unicodedata

_HYPHENS = re.compile(r"[-\u2010-\u2015]")
_PUNCTUATION = re.compile(r"[^\w\s]")


def name_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_PUNCTUATION.sub("", _HYPHENS.sub(" ", bare)).split())[:200]
