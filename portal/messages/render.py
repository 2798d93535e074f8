"""Message wording from the templates in ``portal/messages/templates``.

Each message kind has a subject, a plain-text body and an HTML body for email, optionally a
text-message body of at most 160 characters, and for a phone call what the coordinator says.
Undefined values are errors, so a template never goes out with a blank where a link should be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
SMS_LIMIT = 160

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=False,
)


class MessageTooLong(ValueError):
    """A text message rendered longer than one SMS."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_email(kind: str, context: dict[str, Any]) -> Rendered:
    """The email for ``kind``: subject (one line), plain text and HTML."""
    subject = _env.get_template(f"{kind}.subject.txt").render(context).strip()
    text = _env.get_template(f"{kind}.txt").render(context).strip() + "\n"
    html = _env.get_template(f"{kind}.html").render(context)
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)


def render_call(kind: str, context: dict[str, Any]) -> str:
    """What the coordinator tells the person on the phone (``<kind>.call.txt``; else the SMS)."""
    if not (TEMPLATES / f"{kind}.call.txt").exists():
        return render_sms(kind, context)
    return " ".join(_env.get_template(f"{kind}.call.txt").render(context).split())


def render_sms(kind: str, context: dict[str, Any]) -> str:
    """The text message for ``kind``; refused if it would not fit one SMS."""
    body = " ".join(_env.get_template(f"{kind}.sms.txt").render(context).split())
    if len(body) > SMS_LIMIT:
        raise MessageTooLong(f"{kind}: {len(body)} characters, the limit is {SMS_LIMIT}")
    return body
