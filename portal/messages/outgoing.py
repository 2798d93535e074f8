"""A message as a transport sees it, and how a transport says it failed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    """One message as the transport sees it."""

    idempotency_key: str
    channel: str
    recipient: str
    subject: str
    text: str
    html: str
    #: The outbox row; the volunteer whose address the gate releases (empty: ``recipient``).
    message_id: str = ""
    volunteer_id: str = ""
    security: bool = False

    @property
    def key_digest(self) -> str:
        return hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:40]


class TransportError(Exception):
    """Delivery failed; ``permanent`` when retrying cannot succeed (e.g. address refused)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
