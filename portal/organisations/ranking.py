"""How well a folded name matches a folded query: one score, the same on both databases.

The databases only find candidates (names sharing trigrams with the query); this module orders
them, so the order a DPO sees never depends on the engine. The score is between 0 and 1:

- per query word, the best of the name's words: 1 for the same word, a little less for a word
  the query word begins ("smith" for "smith-jones" typed as "smi"), else one minus the
  optimal-string-alignment distance (an insertion, deletion, substitution or swap of two
  neighbours costs 1: "jonh" for "john" is one edit) over the longer word's length;
- the mean over the query's words, weighted 85 %, plus 15 % of the trigram similarity of the
  whole strings (shared trigrams over all trigrams, as pg_trgm's ``similarity``), which
  prefers "John Smith" to "John Paul Smith" for the query "john smith".

A name scoring below :data:`MIN_SCORE` is not a match: two typos in a four-letter word are
another name.
"""

from __future__ import annotations

from functools import lru_cache

from portal.organisations.folding import trigrams, words

MIN_SCORE = 0.55
WORD_WEIGHT = 0.85
#: A query word of at least this many letters that begins a name word counts as a near match.
MIN_PREFIX = 3


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two adjacent letters each cost 1 (Damerau-Levenshtein without re-editing a swapped pair)."""
    if a == b:
        return 0
    if not a or not b:
        return max(len(a), len(b))
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i, *([0] * len(b))]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        before, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=1 << 16)
def word_similarity(typed: str, held: str) -> float:
    """How well one typed word matches one word of a name, 0 to 1."""
    if typed == held:
        return 1.0
    if len(typed) >= MIN_PREFIX and held.startswith(typed):
        return 0.7 + 0.25 * len(typed) / len(held)
    longer = max(len(typed), len(held))
    return max(0.0, 1.0 - edit_distance(typed, held) / longer)


class NameScorer:
    """Scores names against one folded query (its words and trigrams worked out once; word
    pairs are cached across queries, as a force's names share few distinct words)."""

    def __init__(self, query: str) -> None:
        self.typed = words(query)
        self.grams = trigrams(query)

    def score(self, name: str) -> float:
        """The score of a folded ``name``, 0 to 1 (1: the same as the query)."""
        held = words(name)
        if not self.typed or not held:
            return 0.0
        per_word = sum(max(word_similarity(t, h) for h in held) for t in self.typed)
        grams = trigrams(name)
        union = len(self.grams | grams)
        shared = len(self.grams & grams) / union if union else 0.0
        return WORD_WEIGHT * per_word / len(self.typed) + (1 - WORD_WEIGHT) * shared


def name_score(query: str, name: str) -> float:
    """The score of a folded ``name`` for a folded ``query``, 0 to 1 (1: the same)."""
    return NameScorer(query).score(name)
