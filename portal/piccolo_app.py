"""Piccolo app for the portal's own tables; its migrations live in ``portal/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.accounts.tables import (
    AccountAction,
    IntegrationToken,
    Invitation,
    LoginAttempt,
    UserAccount,
    UserSession,
)
from portal.agreements.tables import DataSharingAgreement
from portal.alerts.tables import VolumeAlert, VolumeAlertAcknowledgement
from portal.consent.objection_tables import Objection, ObjectionDecision
from portal.consent.tables import ConsentEvent, WithdrawalAcknowledgement, WithdrawalNotice
from portal.disclosure.tables import DisclosureRefusal
from portal.organisations.tables import (
    Employment,
    Organisation,
    Volunteer,
    VolunteerStatusChange,
)
from portal.statistics.tables import PageViewCount

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
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
        Objection,
        ObjectionDecision,
        PageViewCount,
        VolumeAlert,
        VolumeAlertAcknowledgement,
        VolunteerStatusChange,
        AccountAction,
    ],
    migration_dependencies=["ledger.piccolo_app"],
    commands=[],
)
