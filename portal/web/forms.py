"""Reading HTML form fields safely, and turning service errors into GOV.UK field errors."""

from __future__ import annotations

from typing import Any

from portal.errors import InvalidInput
from portal.web.pages import FormErrors


def field_text(form: Any, name: str, max_length: int, *, strip: bool = True) -> str:
    """One text field of a form, as a string no longer than ``max_length`` (files are ignored)."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if "\x00" in value:  # no database column may hold one (PostgreSQL refuses it)
        raise InvalidInput(
            f"{name}: must not contain a NUL character",
            errors=[{"field": name, "message": "must not contain a NUL character"}],
        )
    value = value[:max_length]
    return value.strip() if strip else value


def field_list(form: Any, name: str, max_items: int = 100, max_length: int = 200) -> list[str]:
    """Every value of a repeated field (checkboxes), de-duplicated, in the order sent."""
    getall = getattr(form, "getall", None)
    values = getall(name, []) if getall else [form.get(name)]
    seen: list[str] = []
    for value in values[:max_items]:
        if isinstance(value, str) and value and value[:max_length] not in seen:
            seen.append(value[:max_length])
    return seen


def add_service_errors(
    errors: FormErrors, exc: InvalidInput, fields: dict[str, str], default_field: str
) -> None:
    """Map an ``InvalidInput``'s ``{field, message}`` items onto the page's input ids.

    ``fields`` maps the service's field names to the ids of the inputs on the page; anything
    unmapped is reported against ``default_field``.
    """
    items = exc.extra.get("errors") or []
    if not items:
        errors.add(default_field, _sentence(exc.detail))
        return
    for item in items:
        name = str(item.get("field", ""))
        target = fields.get(name) or fields.get(name.split(".")[0]) or default_field
        errors.add(target, _sentence(str(item.get("message", exc.detail))))


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] if text else "Check this answer"


def query_int(request: Any, name: str, default: int | None, low: int, high: int) -> int | None:
    """A query parameter as an int within [low, high], or ``default`` when absent or bad.

    Pages are lenient with their own links' parameters: a mangled one shows the default view
    rather than an error page.
    """
    raw = request.query_params.get(name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


def query_text(request: Any, name: str, max_length: int = 200) -> str:
    raw = request.query_params.get(name)
    return raw.strip()[:max_length] if isinstance(raw, str) else ""


def html_id(*parts: str) -> str:
    """An element id from codes and UUIDs (dots and other punctuation become hyphens)."""
    text = "-".join(parts)
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)
