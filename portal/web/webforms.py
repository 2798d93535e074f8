"""Declared page forms: each form once, over the API's pydantic schema, and one way to post it.

A form lists its fields (name, length, kind) with the GOV.UK message for a blank answer next to
each, and the schema the answers are checked against. :func:`handle_form` does what every form
post does: read the fields, check the required ones (and any cross-field rule the page adds),
build the schema, call the service, and then either go on (post/redirect/get) or show the page
again with the errors against their inputs and every answer as typed.

Why not hand-written reads per handler: the same field was read, checked and mapped in three
places per form, and the error wording drifted from the field it belonged to.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Generic, Literal, TypeVar

from litestar import Response
from pydantic import BaseModel, ValidationError

from portal.auth.requests import AppRequest
from portal.errors import Conflict, InvalidInput
from portal.web.dates import DateAnswer, read_date
from portal.web.forms import add_service_errors, field_list, field_text, html_id
from portal.web.pages import FormErrors

__all__ = ["Answers", "Field", "FormFields", "WebForm", "handle_form"]

FieldKind = Literal["text", "secret", "choices", "groups", "date"]


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a form.

    ``name`` is the input's name on the page and ``key`` (default: the name) the schema's field.
    ``kind``: ``text`` (trimmed), ``secret`` (kept as typed: passwords), ``choices`` (repeated
    checkboxes, a list), ``groups`` (one checkbox group per option, named ``<name>:<option>``,
    read as a mapping of option to its ticked values), ``date`` (GOV.UK day, month, year boxes).
    ``required`` is the message for a blank answer; ``label`` names a date in its messages;
    ``default`` is the value of a blank text answer; ``clean`` tidies a text answer as typed
    (spaces out of a code); ``rules`` are the field's own checks of a given answer, each with
    its message, the first failing one reported.
    """

    name: str
    max_length: int = 200
    required: str | None = None
    default: str = ""
    kind: FieldKind = "text"
    key: str = ""
    max_items: int = 20
    label: str = ""
    options: tuple[str, ...] = ()
    input_id: str = ""
    clean: Callable[[str], str] | None = None
    rules: tuple[tuple[Callable[[str], bool], str], ...] = ()

    @property
    def schema_key(self) -> str:
        return self.key or self.name

    @property
    def anchor(self) -> str:
        """The id of the input the error summary links to for this field."""
        if self.input_id:
            return self.input_id
        if self.kind == "groups" and self.options:
            return html_id(self.name, self.options[0])
        return self.name


@dataclass
class Answers:
    """What a form post said: values by schema key, the date answers, and what is wrong."""

    values: dict[str, Any] = dataclass_field(default_factory=dict)
    errors: FormErrors = dataclass_field(default_factory=FormErrors)
    dates: dict[str, DateAnswer] = dataclass_field(default_factory=dict)
    anchors: dict[str, str] = dataclass_field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        """An error against the field whose schema key is ``key`` (or an input id)."""
        self.errors.add(self.anchors.get(key, key), message)


M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


@dataclass(frozen=True)
class FormFields:
    """Fields read together, for a form that has no schema of its own (sign-in, a reason)."""

    fields: tuple[Field, ...]

    def parse(self, form: Mapping[str, Any]) -> Answers:
        """Read every field and check the required ones, in the order they are declared."""
        answers = Answers()
        for spec in self.fields:
            answers.anchors[spec.schema_key] = spec.anchor
            _read(spec, form, answers)
        return answers

    async def read(self, request: AppRequest) -> Answers:
        return self.parse(await request.form())


@dataclass(frozen=True)
class WebForm(FormFields, Generic[M]):
    """A page form declared over a pydantic schema.

    ``invalid_at`` is the field (schema key) that an error naming no field of the form is shown
    against; ``service_errors_at`` the same for the service's errors, when it differs.
    ``blank_as_none`` gives the schema None for blank answers (so its defaults apply).
    """

    schema: type[M]
    invalid_at: str
    service_errors_at: str = ""
    blank_as_none: bool = False

    def body(self, answers: Answers, **extra: Any) -> dict[str, Any]:
        """What the schema is given: the answers (blank as None if so declared) and ``extra``."""
        values = answers.values
        if self.blank_as_none:
            values = {key: value or None for key, value in values.items()}
        return {**extra, **values}

    def validate(self, answers: Answers, body: Mapping[str, Any]) -> M | None:
        """The schema built from ``body``, or None with its errors added to ``answers``."""
        try:
            return self.schema.model_validate(dict(body))
        except ValidationError as exc:
            fallback = answers.anchors.get(self.invalid_at, self.invalid_at)
            for item in exc.errors():
                location = [str(part) for part in item.get("loc", ())]
                name = location[0] if location else ""
                message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
                label = name.replace("_", " ") if name else "this answer"
                answers.errors.add(answers.anchors.get(name, fallback), f"Check {label}: {message}")
            return None

    def refused(self, answers: Answers, exc: InvalidInput | Conflict) -> None:
        """A service's refusal, shown against the fields it names."""
        problem = (
            exc
            if isinstance(exc, InvalidInput)
            else InvalidInput(exc.detail, errors=list(exc.extra.get("errors") or []))
        )
        at = self.service_errors_at or self.invalid_at
        add_service_errors(answers.errors, problem, answers.anchors, answers.anchors.get(at, at))


def _read(spec: Field, form: Mapping[str, Any], answers: Answers) -> None:
    key = spec.schema_key
    if spec.kind == "date":
        answer = read_date(form, spec.name, spec.label, required=spec.required, id=spec.input_id)
        answers.dates[spec.input_id or spec.name] = answer
        answers.anchors[key] = answer.anchor
        answers.values[key] = answer.iso
        answer.report(answers.errors)
        return
    value = _value(spec, form)
    answers.values[key] = value
    problem = _problem(spec, value)
    if problem:
        answers.errors.add(spec.anchor, problem)


def _value(spec: Field, form: Mapping[str, Any]) -> Any:
    """The answer as typed: a list of ticks, a mapping of ticks per option, or text."""
    if spec.kind == "choices":
        return field_list(form, spec.name, spec.max_items, spec.max_length)
    if spec.kind == "groups":
        ticks = {
            option: field_list(form, f"{spec.name}:{option}", spec.max_items, spec.max_length)
            for option in spec.options
        }
        return {option: ticked for option, ticked in ticks.items() if ticked}
    text = field_text(form, spec.name, spec.max_length, strip=spec.kind != "secret")
    return (spec.clean(text) if spec.clean else text) or spec.default


def _problem(spec: Field, value: Any) -> str | None:
    """The field's own message for this answer: blank when required, or its first broken rule."""
    if not value:
        return spec.required
    return next((message for rule, message in spec.rules if not rule(value)), None)


async def handle_form(
    request: AppRequest,
    form: WebForm[M],
    *,
    act: Callable[[M], Awaitable[R]],
    done: Callable[[R], Response[Any] | Awaitable[Response[Any]]],
    again: Callable[[Answers], Awaitable[Response[Any]]],
    check: Callable[[Answers], None] | None = None,
    body: Callable[[Answers], Mapping[str, Any]] | None = None,
) -> Response[Any]:
    """Read ``form`` from the request, check it, act on it, and answer.

    ``check`` adds the page's cross-field errors; ``body`` builds what the schema is given
    (default: the answers). On success the result of ``act`` goes to ``done`` (usually a
    redirect); otherwise ``again`` shows the page with the errors and the answers as typed.
    """
    answers = await form.read(request)
    if check is not None:
        check(answers)
    if not answers.errors:
        data = form.validate(answers, body(answers) if body else form.body(answers))
        if data is not None:
            try:
                result = await act(data)
            except (InvalidInput, Conflict) as exc:
                form.refused(answers, exc)
            else:
                response = done(result)
                return await response if inspect.isawaitable(response) else response
    return await again(answers)
