from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T17:26:34:832110"
VERSION = "1.38.0"
DESCRIPTION = "messaging providers as organisations; refusal channel_not_chosen; the volunteer opt-in disclosure digest"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Volunteer",
        tablename="volunteer",
        column_name="disclosure_digest",
        db_column_name="disclosure_digest",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
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
                },
            )
        },
        old_params={
            "choices": Enum(
                "OrganisationKind", {"FORCE": "force", "EMPLOYER": "employer"}
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="DisclosureRefusal",
        tablename="disclosure_refusal",
        column_name="reason",
        db_column_name="reason",
        params={
            "choices": Enum(
                "RefusalReason",
                {
                    "OUTSIDE_ORGANISATION": "outside_organisation",
                    "UNKNOWN_PURPOSE": "unknown_purpose",
                    "PURPOSE_NOT_FOR_RECIPIENT": "purpose_not_for_recipient",
                    "NO_AGREEMENT": "no_agreement",
                    "AGREEMENT_EXPIRED": "agreement_expired",
                    "PURPOSE_NOT_IN_AGREEMENT": "purpose_not_in_agreement",
                    "CATEGORY_NOT_IN_AGREEMENT": "category_not_in_agreement",
                    "NO_CONSENT": "no_consent",
                    "CONSENT_EXPIRED": "consent_expired",
                    "CONSENT_WITHDRAWN": "consent_withdrawn",
                    "NO_DATA": "no_data",
                    "OBJECTION_UPHELD": "objection_upheld",
                    "CHANNEL_NOT_CHOSEN": "channel_not_chosen",
                },
            )
        },
        old_params={
            "choices": Enum(
                "RefusalReason",
                {
                    "OUTSIDE_ORGANISATION": "outside_organisation",
                    "UNKNOWN_PURPOSE": "unknown_purpose",
                    "PURPOSE_NOT_FOR_RECIPIENT": "purpose_not_for_recipient",
                    "NO_AGREEMENT": "no_agreement",
                    "AGREEMENT_EXPIRED": "agreement_expired",
                    "PURPOSE_NOT_IN_AGREEMENT": "purpose_not_in_agreement",
                    "CATEGORY_NOT_IN_AGREEMENT": "category_not_in_agreement",
                    "NO_CONSENT": "no_consent",
                    "CONSENT_EXPIRED": "consent_expired",
                    "CONSENT_WITHDRAWN": "consent_withdrawn",
                    "NO_DATA": "no_data",
                    "OBJECTION_UPHELD": "objection_upheld",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
