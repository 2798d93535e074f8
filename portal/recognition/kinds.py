"""The kinds of recognition a force gives its Special Constables, with their plain names."""

from __future__ import annotations

from enum import StrEnum


class AwardKind(StrEnum):
    COMMENDATION = "commendation"
    LONG_SERVICE = "long_service"
    CERTIFICATE = "certificate"
    OTHER = "other"


#: What a person reads for each kind (pages, the Art. 15 report).
AWARD_KIND_LABELS: dict[str, str] = {
    AwardKind.COMMENDATION: "Commendation",
    AwardKind.LONG_SERVICE: "Long-service award",
    AwardKind.CERTIFICATE: "Certificate",
    AwardKind.OTHER: "Other recognition",
}
