"""structlog set-up: JSON in production, console on a TTY, and no personal data ever.

The masking processor is the last line of defence for rule 7: events should only carry ids,
purposes and counts, but any key that names personal data, and any value that looks like an
email address or a phone number, is masked before it is rendered.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from portal.settings import Settings

SENSITIVE_KEYS = frozenset(
    {
        "name",
        "display_name",
        "email",
        "phone",
        "password",
        "new_password",
        "token",
        "otp",
        "totp",
        "code",
        "cookie",
        "cookies",
        "authorization",
        "secret",
        "session",
        "csrf",
        "csrf_token",
        "hours",
        "address",
        "body",
        "headers",
    }
)
MASK = "***"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])\+?\d[\d ()-]{8,}\d(?![\w-])")


def _mask_text(text: str) -> str:
    return _PHONE.sub(MASK, _EMAIL.sub(MASK, text))


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 4:
        return MASK
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, Mapping):
        return {
            k: (MASK if str(k).lower() in SENSITIVE_KEYS else _scrub(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v, depth + 1) for v in value]
    return value


def mask_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Drop values of sensitive keys and mask emails/phone numbers anywhere in the event."""
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = MASK
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


class PerRequestLogger:
    """A logger for an event written on every request, bound once per logging configuration.

    ``structlog.get_logger()`` returns a proxy that assembles a new bound logger on every call
    (``cache_logger_on_first_use`` is off here: tests and CLI commands reconfigure logging, and
    a logger cached for good would keep the old stream and level). On the request path that
    assembly cost more than the event itself when the level filters it out. This keeps the
    assembled logger while structlog's configuration is the one it was built from, and builds a
    new one as soon as anything reconfigures (:func:`configure_logging`, ``structlog.configure``).
    """

    def __init__(self, name: str) -> None:
        self._proxy = structlog.get_logger(name)
        self._built_from: tuple[Any, Any, Any] | None = None
        self._bound: Any = None

    def get(self) -> Any:
        """The bound logger for the current configuration."""
        config = structlog.get_config()
        key = (config["processors"], config["wrapper_class"], config["logger_factory"])
        built = self._built_from
        if (
            built is None
            or built[0] is not key[0]
            or built[1] is not key[1]
            or built[2] is not key[2]
        ):
            self._bound, self._built_from = self._proxy.bind(), key
        return self._bound


def _is_terminal(stream: Any) -> bool:
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def configure_logging(settings: Settings, stream: Any = None, *, watched: Any = None) -> None:
    """Configure structlog and route stdlib logging (uvicorn, piccolo) through it.

    With ``log_format=auto`` the logs are JSON for machines and the console format when a person
    is reading: when the log stream is a terminal, or ``watched`` (the CLI's stdout) is. So a
    command run at a terminal with its logs sent elsewhere never mixes JSON into what it shows.
    """
    out = stream or sys.stderr
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not (_is_terminal(out) or _is_terminal(watched))
    )
    level = getattr(logging, settings.log_level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
