"""The GOV.UK Notify transport: email and text messages through ``notifications-python-client``.

Notify sends only from templates kept in the Notify service. The portal keeps its own wording
(``portal/messages/templates``), so each channel has one Notify template made of placeholders:
email ``((subject))`` as its subject and ``((body))`` as its body, text ``((body))``. The
portal's rendered plain text fills them. The ``reference`` is the digest of the message's
idempotency key, so a message retried after a crash can be matched to the one Notify has.

The client is synchronous (``requests``), so each call runs in a worker thread. Notify's answers
decide whether to try again: 400 (a bad address or number, a template problem) is permanent;
403 (a key the operator must fix), 429 (rate limit) and 5xx are retried with backoff. The client
logs the URL of a failed call, never the body, so no address reaches the logs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from portal.messages.outgoing import Outgoing, TransportError
from portal.settings import Settings


class NotifyTransport:
    """Sends through GOV.UK Notify with the configured API key and templates."""

    channels = frozenset({"email", "sms"})

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _client(self) -> NotificationsAPIClient:
        return NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self.settings.notify_api_key,
            base_url=self.settings.notify_base_url,
            timeout=self.settings.notify_timeout_seconds,
        )

    def _post(self, message: Outgoing) -> dict[str, Any]:
        s = self.settings
        client = self._client()
        if message.channel == "email":
            response = client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=message.recipient,
                template_id=s.notify_email_template_id,
                personalisation={"subject": message.subject, "body": message.text},
                reference=message.key_digest,
                email_reply_to_id=s.notify_email_reply_to_id or None,
            )
        else:
            response = client.send_sms_notification(  # type: ignore[no-untyped-call]
                phone_number=message.recipient,
                template_id=s.notify_sms_template_id,
                personalisation={"body": message.text},
                reference=message.key_digest,
            )
        return dict(response)

    async def send(self, message: Outgoing) -> str:
        if message.channel not in self.channels:
            raise TransportError(f"Notify does not send {message.channel}", permanent=True)
        try:
            response = await asyncio.to_thread(self._post, message)
        except HTTPError as exc:
            status = int(exc.status_code or 0)
            raise TransportError(f"Notify {status}", permanent=status == 400) from None
        except Exception as exc:
            raise TransportError(f"Notify {type(exc).__name__}") from None
        return str(response.get("id", ""))
