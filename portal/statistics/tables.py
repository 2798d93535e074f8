"""Site usage, only in aggregate: page views per route template, day and role.

A row holds a count and nothing else: no cookie, session, address, user id or full URL (the
route template, e.g. ``/employer/staff/{volunteer_id:str}``, never the ids in a path). So the
counts cannot identify or follow a visitor, which is why there is nothing to consent to.
It is a counter, not history: the row for a day, route and role is incremented in place.
"""

from __future__ import annotations

from piccolo.columns import Date, Integer, Serial, Varchar
from piccolo.table import Table


class PageViewCount(Table, tablename="page_view_count"):
    id = Serial(primary_key=True)
    day = Date(index=True)
    route = Varchar(length=200)
    role = Varchar(length=20)
    views = Integer(default=0)
