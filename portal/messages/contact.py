"""The contract between the outbox and the disclosure gate, declared here, where it is used.

A message to a volunteer carries their email address or phone number to a messaging provider:
a disclosure. The worker asks a :class:`ContactGate` (the app's ``DisclosureGate``) for the
address at the moment of sending; the gate decides, ledgers, and only then answers. The
outbox never imports the gate (the gate's domains enqueue messages), so the gate is handed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol


class ContactRefused(Exception):
    """The gate refused the contact data (and recorded why); the message is not sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Released(Protocol):
    """What the gate released: the address or number, and the ledger entry recording it."""

    @property
    def value(self) -> str: ...

    @property
    def ledger_index(self) -> int: ...

    @property
    def provider_id(self) -> str: ...


class ContactGate(Protocol):
    async def disclose_contact(
        self,
        provider_name: str,
        volunteer_id: str,
        channel: str,
        *,
        request_id: str,
        security: bool = False,
        address: str = "",
        record: Callable[[int], Awaitable[None]] | None = None,
    ) -> Released:
        """The volunteer's address for ``channel``, ledgered; :class:`ContactRefused` if not."""
        ...
