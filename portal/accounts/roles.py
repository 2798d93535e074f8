"""The roles a user account can have.

Its own module, not ``tables.py``: guards and controllers need the roles, and controllers import
no tables (they go through services; checked by import-linter).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    EMPLOYER = "employer"
    DPO = "dpo"
    COORDINATOR = "coordinator"
    #: A user of another police force (an organisation of kind ``police_force``).
    POLICE_FORCE = "police_force"
    #: A user of a partner processing applications for the force (kind ``partner``).
    PARTNER = "partner"


#: The role of the users of each kind of recipient organisation (``Organisation.kind``): who
#: is told when a volunteer withdraws consent from that organisation.
ORGANISATION_ROLES: dict[str, Role] = {
    "employer": Role.EMPLOYER,
    "police_force": Role.POLICE_FORCE,
    "partner": Role.PARTNER,
}

#: Where each kind's users read their withdrawal notices (the link in a message to them).
NOTICE_PATHS: dict[str, str] = {
    "employer": "/employer/notices",
    "police_force": "/police-force/notices",
    "partner": "/partner/notices",
}
