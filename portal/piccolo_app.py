"""Piccolo app for the portal's own tables; its migrations live in ``migrations/portal``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

import migrations
from portal.accounts.tables import (
    IntegrationToken,
    Invitation,
    LoginAttempt,
    UserAccount,
    UserSession,
)
from portal.agreements.tables import DataSharingAgreement
from portal.consent.tables import ConsentEvent, WithdrawalAcknowledgement, WithdrawalNotice
from portal.disclosure.tables import DisclosureRefusal
from portal.organisations.tables import Employment, Organisation, Volunteer

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(migrations.__file__).parent / "portal"),
    table_classes=[
        Organisation,
        Volunteer,
        Employment,
        UserAccount,
        Invitation,
        UserSession,
        LoginAttempt,
        IntegrationToken,
        DataSharingAgreement,
        ConsentEvent,
        WithdrawalNotice,
        WithdrawalAcknowledgement,
        DisclosureRefusal,
    ],
    migration_dependencies=["ledger.piccolo_app"],
    commands=[],
)
