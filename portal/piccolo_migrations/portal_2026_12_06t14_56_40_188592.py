from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-06T14:56:40:188592"
VERSION = "1.38.0"
DESCRIPTION = "disclosure refusal reasons as the code has them (no_data)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
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
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
