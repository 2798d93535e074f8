"""GOV.UK pagination for long lists: numbered pages around the current one, with ellipses.

One home for the page links every long list shows, so a list of thousands is paged the same way
everywhere (previous, 1 … 4 5 6 … 120, next), each link keeping the list's other query
parameters (a search, a filter).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

#: Pages shown on each side of the current one.
AROUND = 1


def _href(params: dict[str, Any], page: int) -> str:
    kept = {k: v for k, v in {**params, "page": page}.items() if v not in (None, "")}
    return "?" + urlencode(kept)


def page_numbers(current: int, pages: int) -> list[int | None]:
    """The page numbers to link, None where an ellipsis stands for the pages left out."""
    wanted = {1, pages, *range(current - AROUND, current + AROUND + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= pages)
    out: list[int | None] = []
    previous = 0
    for number in shown:
        if previous and number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


def pagination(params: dict[str, Any], current: int, pages: int) -> dict[str, Any]:
    """The ``govukPagination`` parameters for page ``current`` of ``pages``."""
    items: list[dict[str, Any]] = []
    for number in page_numbers(current, pages):
        if number is None:
            items.append({"ellipsis": True})
        else:
            items.append(
                {"number": number, "href": _href(params, number), "current": number == current}
            )
    return {
        "previous": {"href": _href(params, current - 1)} if current > 1 else None,
        "next": {"href": _href(params, current + 1)} if current < pages else None,
        "items": items,
        "landmarkLabel": "Pages",
    }
