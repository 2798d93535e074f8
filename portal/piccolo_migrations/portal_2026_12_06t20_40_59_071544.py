from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-06T20:40:59:071544"
VERSION = "1.38.0"
DESCRIPTION = "recipient organisations of kind police_force and partner, and the roles of their users"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Organisation",
        tablename="organisation",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "OrganisationKind",
                {
                    "FORCE": "force",
                    "EMPLOYER": "employer",
                    "PROVIDER": "provider",
                    "POLICE_FORCE": "police_force",
                    "PARTNER": "partner",
                },
            )
        },
        old_params={
            "choices": Enum(
                "OrganisationKind",
                {
                    "FORCE": "force",
                    "EMPLOYER": "employer",
                    "PROVIDER": "provider",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="UserAccount",
        tablename="user_account",
        column_name="role",
        db_column_name="role",
        params={
            "choices": Enum(
                "Role",
                {
                    "VOLUNTEER": "volunteer",
                    "EMPLOYER": "employer",
                    "DPO": "dpo",
                    "COORDINATOR": "coordinator",
                    "POLICE_FORCE": "police_force",
                    "PARTNER": "partner",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Role",
                {
                    "VOLUNTEER": "volunteer",
                    "EMPLOYER": "employer",
                    "DPO": "dpo",
                    "COORDINATOR": "coordinator",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
