"""Hours data through the one disclosure gate (``portal.disclosure.gate``).

Every read of hours data by an employer goes through here, and from here only through the gate.
The hours values are computed by a :data:`~portal.disclosure.gate.FieldProvider` that the gate
calls after it has decided who and which categories may be released, and before it appends the
disclosure entries; the gate then projects the provided values to exactly the released
categories, and returns them only once the ledger append is durable (if it fails, nothing
leaves). The fields each category releases (``portal/vocabulary/purposes.json``):

==================  ===================  ==============================================
category            gate field           provided value
==================  ===================  ==============================================
``hours.summary``   ``hours_summary``    totals, monthly minimum, leave used / allowance
``hours.detail``    ``hours_detail``     individual duty records, or leave request(s)
``training``        ``training``         training hours
==================  ===================  ==============================================

The staff views get this London year so far from the source hours registers on the gate when
the app is built (``portal.hours.staff_fields.register_sources``). Reports and leave requests,
which know their own period or request, hand the gate their own provider for that call. Every
provider receives only the subjects the gate is about to release, with their released
categories, and computes only what those categories need.
"""

from __future__ import annotations

from portal.disclosure.gate import Released

HOURS_CATEGORIES = ("hours.summary", "hours.detail", "training")


def permits(released: Released, category: str) -> bool:
    return category in released.categories
