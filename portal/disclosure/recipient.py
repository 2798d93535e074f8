"""Who is asking the disclosure gate: a recipient organisation (an employer, another police
force, a partner processing applications), the force (the DPO), an integration or a messaging
provider."""

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

RecipientKind = Literal["employer", "police_force", "partner", "force", "integration", "provider"]

#: Recipient kinds that are organisations under an agreement with the force: the gate asks for
#: their agreement in force and the volunteer's link with them (``employment`` rows).
ORGANISATION_KINDS: frozenset[str] = frozenset({"employer", "police_force", "partner"})

#: The role whose users read for each organisation kind.
_ROLE_KIND: dict[Role, RecipientKind] = {
    Role.EMPLOYER: "employer",
    Role.POLICE_FORCE: "police_force",
    Role.PARTNER: "partner",
}


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    organisation_id: str
    user_id: str
    channel: Channel

    @property
    def audience(self) -> str:
        if self.kind in ORGANISATION_KINDS or self.kind == "provider":
            return self.kind
        return "force"

    @property
    def is_organisation(self) -> bool:
        """An organisation under an agreement (employer, police force, partner)."""
        return self.kind in ORGANISATION_KINDS

    @classmethod
    def of(cls, identity: Identity, channel: Channel | None = None) -> Recipient:
        chosen = channel or API_CHANNEL
        if identity.via == "token":
            return cls(
                "integration", FORCE_RECIPIENT, identity.token_id or identity.user_id, chosen
            )
        kind = _ROLE_KIND.get(identity.role) if identity.role is not None else None
        if kind is not None:
            if not identity.organisation_id:
                raise Forbidden(f"This {kind} account is not linked to an organisation")
            return cls(kind, identity.organisation_id, identity.user_id, chosen)
        if identity.role is Role.DPO:
            return cls("force", FORCE_RECIPIENT, identity.user_id, chosen)
        raise Forbidden("Your role may not read volunteer data through the disclosure gate")
