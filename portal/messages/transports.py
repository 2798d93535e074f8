"""Transports: how a message leaves the portal, chosen by ``ESP_MESSAGES_TRANSPORT``.

- ``file`` (the embedded default): each message is written to ``$ESP_DATA_DIR/outbox-files/`` as
  an ``.eml`` (email) or ``.sms.txt`` file, so a demo shows real messages with nothing installed.
  The file is named after the idempotency key and created exclusively, so a message delivered
  twice (a worker killed between sending and recording) is still one file.
- ``smtp``: an SMTP server through ``aiosmtplib`` (STARTTLS verified against the system's CAs or
  ``ESP_SMTP_CA_FILE``, optional authentication). The
  idempotency key becomes the ``Message-ID``, which receiving systems use to drop duplicates.
- ``notify``: GOV.UK Notify (``notifications-python-client``), email and text. Notify sends from
  templates held in the Notify service: one per channel, whose ``((subject))`` and ``((body))``
  placeholders the portal's own rendered wording fills; the digest of the idempotency key is the
  ``reference``.

A transport raises :class:`TransportError`; ``permanent`` says whether trying again can help.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

import aiosmtplib

from portal.messages.outgoing import Outgoing as Outgoing  # re-exported
from portal.messages.outgoing import TransportError as TransportError  # re-exported
from portal.settings import Settings


class Transport(Protocol):
    #: The channels it can deliver (``email``, ``sms``).
    channels: frozenset[str]

    async def send(self, message: Outgoing) -> str:
        """Deliver ``message``; return the provider's reference for it."""
        ...


def email_message(message: Outgoing, sender: str) -> EmailMessage:
    """A MIME email: plain text, with the HTML as an alternative when there is one."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "esp-portal.local"
    mail["Message-ID"] = f"<{message.key_digest}@{domain}>"
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class FileTransport:
    """Writes each message to a folder; the idempotency key makes a second write a no-op."""

    channels = frozenset({"email", "sms"})

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, message: Outgoing) -> str:
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: Outgoing) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        if message.channel == "email":
            name = f"{message.key_digest}.eml"
            data = bytes(email_message(message, self.sender))
        else:
            name = f"{message.key_digest}.sms.txt"
            data = f"To: {message.recipient}\n\n{message.text}\n".encode()
        final = self.folder / name
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".writing-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            # exclusive: an existing file means the message was already delivered
            with contextlib.suppress(FileExistsError):
                os.link(tmp, final)
        finally:
            Path(tmp).unlink()
        return name


class SmtpTransport:
    """Sends email through an SMTP server (STARTTLS and authentication when configured)."""

    channels = frozenset({"email"})

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: Outgoing) -> str:
        if message.channel != "email":
            raise TransportError("the SMTP transport sends email only", permanent=True)
        s = self.settings
        mail = email_message(message, s.messages_sender)
        tls = ssl.create_default_context(cafile=s.smtp_ca_file) if s.smtp_ca_file else None
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                start_tls=s.smtp_starttls,
                tls_context=tls,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            # the portal's own credentials: an operator can fix them, so the message waits
            raise TransportError(f"SMTP {exc.code} authentication refused") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise TransportError("recipient refused", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise TransportError(f"SMTP {exc.code}", permanent=500 <= exc.code < 600) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransportError(type(exc).__name__) from exc
        return str(mail["Message-ID"])


def transport_for(settings: Settings) -> Transport:
    """The transport the settings name."""
    if settings.messages_transport == "smtp":
        return SmtpTransport(settings)
    if settings.messages_transport == "notify":
        # imported when chosen: the Notify client brings requests and PyJWT, which a portal
        # on SMTP or the file transport need not load at start-up
        from portal.messages.notify import NotifyTransport

        return NotifyTransport(settings)
    return FileTransport(settings.outbox_files_dir, settings.messages_sender)


def provider_name(settings: Settings) -> str:
    """The configured transport as the recipient organisation a volunteer's address goes to."""
    if settings.messages_transport == "smtp":
        return f"Email relay {settings.smtp_host}"
    if settings.messages_transport == "notify":
        return "GOV.UK Notify"
    return "ESP Portal message folder (demo file transport)"
