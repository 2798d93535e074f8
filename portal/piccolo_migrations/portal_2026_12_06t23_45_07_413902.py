"""Portal: the links made before links recorded their reasons get every purpose of their kind.

Until now a link to another police force or a partner let every purpose of that kind read
through it. Which one it was made for was never recorded, so a migrated link keeps exactly what
it allowed: a force link serves ``force.multi-force-application`` and
``force.service-transfer``, a partner link ``partner.application-processing`` (the purposes of
those kinds when this migration was written; the codes are spelled here so it behaves the same
for ever). The coordinator narrows a link by ending it and recording a new one with its reason
(docs/RECIPIENTS.md). A job with an employer keeps no reasons. Going back empties them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T23:45:07:413902"
VERSION = "1.38.0"
DESCRIPTION = "links to a force or partner made before reasons: every purpose of their kind"

_OF_KIND = "WHERE employer IN (SELECT id FROM organisation WHERE kind = '{kind}')"
FILL = [
    "UPDATE employment SET reasons = "
    "'[\"force.multi-force-application\", \"force.service-transfer\"]' "
    + _OF_KIND.format(kind="police_force"),
    "UPDATE employment SET reasons = '[\"partner.application-processing\"]' "
    + _OF_KIND.format(kind="partner"),
]
EMPTY = ["UPDATE employment SET reasons = '[]'"]


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={"sqlite": FILL, "postgres": FILL},
        backwards={"sqlite": EMPTY, "postgres": EMPTY},
    )
