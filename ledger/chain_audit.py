"""The full audit's check of subject chains and subject map commitments (``ledger verify``).

A completeness proof trusts the map root the log committed to; this is where that root is
earned: replaying every entry in order, the audit rebuilds the map and checks each entry's
``prev_subject_index`` and each batch's ``subject_map`` against it. Memory grows with the number
of subjects, not of entries.
"""

from __future__ import annotations

import base64
from typing import Any

from .entries import PREV_SUBJECT_INDEX, SUBJECT_MAP
from .subjectmap import SubjectMap, subject_key

__all__ = ["ChainAudit", "ChainProblem"]


class ChainProblem(Exception):
    """An entry contradicts the chains or the map; carries what was expected and found."""

    def __init__(
        self, index: int, kind: str, message: str, expected: Any = None, found: Any = None
    ) -> None:
        super().__init__(message)
        self.index = index
        self.kind = kind
        self.message = message
        self.expected = None if expected is None else str(expected)
        self.found = None if found is None else str(found)


class ChainAudit:
    """Replays entries in index order; :meth:`check` raises :class:`ChainProblem`."""

    def __init__(self) -> None:
        self._map = SubjectMap()
        self._since: int | None = None
        self._first_chained: int | None = None
        self._last_unchained = -1

    def check(self, index: int, document: dict[str, Any], batch_end: int) -> None:
        subject = document.get("subject") or ""
        chained = PREV_SUBJECT_INDEX in document
        if subject and isinstance(subject, str):
            self._link(index, subject, document, chained)
        elif chained:
            raise ChainProblem(
                index, "subject-chain", f"entry {index} names a previous entry but no subject"
            )
        stated = document.get(SUBJECT_MAP)
        if index != batch_end - 1:
            if stated is not None:
                raise ChainProblem(
                    index, "subject-map", f"entry {index} commits to a map mid-batch"
                )
            return
        if stated is None:
            if self._since is not None or self._first_chained is not None:
                raise ChainProblem(
                    index,
                    "subject-map",
                    f"entry {index} ends a batch after chains started but commits to no map",
                )
            return
        self._commitment(index, stated)

    def _link(self, index: int, subject: str, document: dict[str, Any], chained: bool) -> None:
        key = subject_key(subject)
        expected = self._map.get(key)
        if chained:
            found = document[PREV_SUBJECT_INDEX]
            if found != expected or isinstance(found, bool):
                raise ChainProblem(
                    index,
                    "subject-chain",
                    f"entry {index}'s {PREV_SUBJECT_INDEX} is not the previous entry about its "
                    "subject",
                    "null" if expected is None else expected,
                    "null" if found is None else found,
                )
            if self._first_chained is None:
                self._first_chained = index
        else:
            if self._since is not None:
                raise ChainProblem(
                    index,
                    "subject-chain",
                    f"entry {index} has no {PREV_SUBJECT_INDEX} though chains start at "
                    f"{self._since}",
                )
            self._last_unchained = index
        self._map.put(key, index)

    def _commitment(self, index: int, stated: Any) -> None:
        since = stated.get("since") if isinstance(stated, dict) else None
        root = stated.get("root") if isinstance(stated, dict) else None
        if not isinstance(since, int) or isinstance(since, bool) or not isinstance(root, str):
            raise ChainProblem(index, "subject-map", f"entry {index}'s subject map is malformed")
        if self._since is None:
            first = self._first_chained if self._first_chained is not None else index
            if not self._last_unchained < since <= first:
                raise ChainProblem(
                    index,
                    "subject-map",
                    f"entry {index} says chains start at {since}, but entries say otherwise",
                    f"{self._last_unchained} < since <= {first}",
                    since,
                )
            self._since = since
        elif since != self._since:
            raise ChainProblem(
                index, "subject-map", "the chains' start changed", self._since, since
            )
        computed = base64.b64encode(self._map.root()).decode("ascii")
        if root != computed:
            raise ChainProblem(
                index,
                "subject-map",
                f"entry {index} commits to a subject map that is not the one its log makes",
                computed,
                root,
            )
