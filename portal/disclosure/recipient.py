"""Who is asking the disclosure gate: an employer, the force (the DPO) or an integration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ledger.entries import Channel
from portal.accounts.roles import Role
from portal.apisupport import API_CHANNEL
from portal.auth.identity import Identity
from portal.errors import Forbidden

#: ``recipient_org`` recorded when the recipient is the force itself (the DPO).
FORCE_RECIPIENT = "force"

RecipientKind = Literal["employer", "force", "integration", "provider"]


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    organisation_id: str
    user_id: str
    channel: Channel

    @property
    def audience(self) -> str:
        if self.kind in ("employer", "provider"):
            return self.kind
        return "force"

    @classmethod
    def of(cls, identity: Identity, channel: Channel | None = None) -> Recipient:
        chosen = channel or API_CHANNEL
        if identity.via == "token":
            return cls(
                "integration", FORCE_RECIPIENT, identity.token_id or identity.user_id, chosen
            )
        if identity.role is Role.EMPLOYER:
            if not identity.organisation_id:
                raise Forbidden("This employer account is not linked to an organisation")
            return cls("employer", identity.organisation_id, identity.user_id, chosen)
        if identity.role is Role.DPO:
            return cls("force", FORCE_RECIPIENT, identity.user_id, chosen)
        raise Forbidden("Your role may not read volunteer data through the disclosure gate")
