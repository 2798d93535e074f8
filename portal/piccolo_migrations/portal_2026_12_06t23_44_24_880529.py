from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import JSON
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T23:44:24:880529"
VERSION = "1.38.0"
DESCRIPTION = "links to a force or partner record their reasons; refusal purpose_not_for_link"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Employment",
        tablename="employment",
        column_name="reasons",
        db_column_name="reasons",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "[]",
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
                    "PURPOSE_NOT_FOR_LINK": "purpose_not_for_link",
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
                    "CHANNEL_NOT_CHOSEN": "channel_not_chosen",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
