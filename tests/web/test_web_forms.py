"""Declared page forms: each form's GOV.UK wording against its input, the answers kept as typed
for the page shown again, and ``handle_form`` reading, checking, acting and re-rendering."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Response, post
from litestar.datastructures import FormMultiDict
from litestar.testing import create_test_client

from portal.auth.requests import AppRequest
from portal.errors import Conflict, InvalidInput
from portal.organisations.schemas import EmployerCreate
from portal.web.controllers.account import ACTIVATION_FORM, CODE_FORM, SIGN_IN_FORM
from portal.web.controllers.coordinator import (
    AGREEMENT_FORM,
    EMPLOYER_FORM,
    EMPLOYER_PURPOSES,
    EMPLOYMENT_FORM,
    TOKEN_FORM,
    USER_FORM,
    VOLUNTEER_FORM,
    _check_user,
    _end_form,
    _user_body,
)
from portal.web.controllers.dpo import SEARCH_FORM
from portal.web.controllers.employer import DECISION_FORM
from portal.web.controllers.volunteer import CONTACT_FORM, LEAVE_FORM
from portal.web.webforms import Answers, Field, WebForm, handle_form


def form(*pairs: tuple[str, str]) -> FormMultiDict:
    return FormMultiDict(list(pairs))


def summary(answers: Answers) -> list[tuple[str, str]]:
    return list(answers.errors.items)


# ----------------------------------------------------------------------------- each form's wording


def test_employer_form_blank_and_typed():
    blank = EMPLOYER_FORM.parse(form())
    assert summary(blank) == [("name", "Enter the employer's name")]
    typed = EMPLOYER_FORM.parse(form(("name", "  Acme  "), ("sector", "Retail")))
    assert not typed.errors
    assert typed.values == {
        "name": "Acme",
        "sector": "Retail",
        "size_band": "",
        "contact_email": "",
    }
    # Blank answers reach the schema as None, so its defaults apply.
    assert EMPLOYER_FORM.body(typed) == {
        "name": "Acme",
        "sector": "Retail",
        "size_band": None,
        "contact_email": None,
    }


def test_employer_form_schema_errors_land_on_their_field():
    answers = EMPLOYER_FORM.parse(form(("name", "Acme"), ("contact_email", "not-an-email")))
    assert EMPLOYER_FORM.validate(answers, EMPLOYER_FORM.body(answers)) is None
    [(field_id, message)] = summary(answers)
    assert field_id == "contact_email" and message.startswith("Check contact email: ")
    assert answers.values["contact_email"] == "not-an-email"  # shown back as typed


def test_agreement_form_errors_in_page_order():
    answers = AGREEMENT_FORM.parse(form(("version", "2")))
    first_purpose = f"purpose-{EMPLOYER_PURPOSES[0].code}".replace(".", "-")
    assert summary(answers) == [
        (first_purpose, "Select at least one purpose and what it may share"),
        ("starts_on-day", "Enter the date the agreement starts"),
        ("ends_on-day", "Enter the date the agreement ends"),
        ("signed_by", "Enter who signed for the employer and for the force"),
    ]
    assert answers.values["version"] == "2"


def test_agreement_form_reads_each_purpose_group_and_dates():
    code = EMPLOYER_PURPOSES[0].code
    answers = AGREEMENT_FORM.parse(
        form(
            (f"purpose:{code}", "identity.basic"),
            (f"purpose:{code}", "identity.basic"),
            ("starts_on-day", "1"),
            ("starts_on-month", "13"),
            ("starts_on-year", "2026"),
            ("ends_on-day", "31"),
            ("ends_on-month", "12"),
            ("ends_on-year", "2026"),
            ("signed_by", "A. Person"),
        )
    )
    assert answers.values["purposes"] == {code: ["identity.basic"]}
    assert summary(answers) == [
        ("starts_on-month", "The date the agreement starts must be a real date")
    ]
    assert answers.dates["starts_on"].month == "13"  # the boxes kept as typed
    assert answers.values["ends_on"] == "2026-12-31"
    body = AGREEMENT_FORM.body(answers, employer_id="e-1")
    assert body["employer_id"] == "e-1" and body["signed_by"] == "A. Person"


def test_volunteer_form_defaults_and_wording():
    answers = VOLUNTEER_FORM.parse(form())
    assert summary(answers) == [
        ("display_name", "Enter the volunteer's name"),
        ("email", "Enter the volunteer's email address"),
    ]
    assert answers.values["status"] == "applicant"


def test_employment_form_uses_the_link_date_boxes():
    answers = EMPLOYMENT_FORM.parse(form(("link_starts_on-day", "3")))
    assert summary(answers) == [
        ("employer_id", "Select the employer"),
        ("link_starts_on-month", "The date the job started must include a month and year"),
    ]
    assert answers.anchors["starts_on"] == "link_starts_on-month"
    assert "link_starts_on" in answers.dates


def test_end_form_has_one_id_per_link():
    employment = str(uuid.uuid4())
    answers = _end_form(employment).parse(form())
    [(field_id, message)] = summary(answers)
    assert field_id == f"ends_on-{employment}-day"
    assert message == "Enter the last day of the job"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ([], [("email", "Enter the person's email address")]),
        (
            [("email", "a@example.org")],
            [("role", "Select whether this is an employer contact or a volunteer")],
        ),
        (
            [("email", "a@example.org"), ("role", "employer")],
            [("employer_id", "Select the employer this contact works for")],
        ),
        (
            [("email", "a@example.org"), ("role", "volunteer")],
            [("volunteer_id", "Enter the volunteer's id, from their record")],
        ),
    ],
)
def test_user_form_wording(typed: list[tuple[str, str]], expected: list[tuple[str, str]]):
    answers = USER_FORM.parse(form(*typed))
    _check_user(answers)
    assert summary(answers)[: len(expected)] == expected


def test_user_body_sends_only_the_chosen_roles_link():
    answers = USER_FORM.parse(
        form(
            ("email", "a@example.org"),
            ("role", "employer"),
            ("employer_id", "x"),
            ("volunteer_id", "y"),
        )
    )
    assert _user_body(answers) == {
        "email": "a@example.org",
        "role": "employer",
        "employer_id": "x",
        "volunteer_id": None,
    }


def test_token_form_wording_default_and_unknown_scope():
    blank = TOKEN_FORM.parse(form())
    assert summary(blank) == [
        ("name", "Enter a name that says which system uses the token"),
        ("scopes", "Select what the token may do"),
    ]
    assert blank.values["valid_days"] == "90"
    typed = TOKEN_FORM.parse(form(("name", "HR"), ("scopes", "no.such.scope")))
    assert TOKEN_FORM.validate(typed, TOKEN_FORM.body(typed)) is None
    [(field_id, message)] = summary(typed)
    assert field_id == "scopes" and message.startswith("Check scopes: ")
    assert typed.values["scopes"] == ["no.such.scope"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ([], [("email", "Enter your email address"), ("password", "Enter your password")]),
        (
            [("email", "name@"), ("password", " secret ")],
            [("email", "Enter an email address in the correct format, like name@example.com")],
        ),
    ],
)
def test_sign_in_wording(typed: list[tuple[str, str]], expected: list[tuple[str, str]]):
    answers = SIGN_IN_FORM.parse(form(*typed))
    assert summary(answers) == expected


def test_sign_in_keeps_a_password_as_typed():
    answers = SIGN_IN_FORM.parse(form(("email", " a@b.c "), ("password", " pw ")))
    assert answers.values["email"] == "a@b.c" and answers.values["password"] == " pw "


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", [("code", "Enter the 6-digit code from your authenticator app")]),
        ("12 34", [("code", "The code must be 6 digits, like 123456")]),
        ("123 456", []),
    ],
)
def test_code_wording(typed: str, expected: list[tuple[str, str]]):
    answers = CODE_FORM.parse(form(("code", typed)))
    assert summary(answers) == expected
    if not expected:
        assert answers.values["code"] == "123456"


def test_activation_wording():
    assert summary(ACTIVATION_FORM.parse(form(("token", "t")))) == [
        ("password", "Enter a password")
    ]


def test_leave_contact_and_decision_forms():
    assert summary(LEAVE_FORM.parse(form())) == [
        ("employer_id", "Select the employer you are asking"),
        ("duty_id", "Select the duty the leave is for"),
    ]
    assert summary(CONTACT_FORM.parse(form())) == [
        ("contact", "Select at least one way the force may contact you")
    ]
    assert CONTACT_FORM.parse(form(("contact", "sms"), ("contact", "email"))).values["contact"] == [
        "sms",
        "email",
    ]
    assert DECISION_FORM.parse(form(("reason", "x" * 300))).values["reason"] == "x" * 200


# ----------------------------------------------------------------------------- handle_form, served

SMALL = WebForm(
    fields=(
        Field("name", 200, required="Enter the employer's name"),
        Field("contact_email", 254),
    ),
    schema=EmployerCreate,
    invalid_at="name",
    blank_as_none=True,
)


def _app_client(act: Any) -> Any:
    @post("/f", signature_namespace={"AppRequest": AppRequest})
    async def submit(request: AppRequest) -> Response[Any]:
        async def again(answers: Answers) -> Response[Any]:
            return Response(
                {"errors": answers.errors.items, "values": answers.values}, status_code=400
            )

        return await handle_form(
            request,
            SMALL,
            act=act,
            done=lambda made: Response({"made": made}, status_code=201),
            again=again,
        )

    return create_test_client([submit])


async def _made(data: EmployerCreate) -> str:
    return data.name


def test_handle_form_acts_on_a_good_answer():
    with _app_client(_made) as client:
        answer = client.post("/f", data={"name": " Acme ", "contact_email": ""})
    assert answer.status_code == 201 and answer.json() == {"made": "Acme"}


def test_handle_form_shows_the_page_again_with_input_kept():
    with _app_client(_made) as client:
        answer = client.post("/f", data={"name": "", "contact_email": "typed@"})
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [["name", "Enter the employer's name"]],
        "values": {"name": "", "contact_email": "typed@"},
    }


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        (
            InvalidInput("bad", errors=[{"field": "contact_email", "message": "is taken."}]),
            [["contact_email", "Is taken"]],
        ),
        (
            Conflict("An organisation with this name exists"),
            [["name", "An organisation with this name exists"]],
        ),
    ],
)
def test_handle_form_maps_a_service_refusal_to_its_field(refusal: Exception, expected: Any):
    async def refuse(data: EmployerCreate) -> str:
        raise refusal

    with _app_client(refuse) as client:
        answer = client.post("/f", data={"name": "Acme", "contact_email": "a@example.org"})
    assert answer.status_code == 400
    assert answer.json()["errors"] == expected
    assert answer.json()["values"] == {"name": "Acme", "contact_email": "a@example.org"}


def test_ledger_search_reads_boxes_or_the_pages_own_iso_links():
    typed = SEARCH_FORM.parse(
        form(("since-day", "1"), ("since-month", "2"), ("until", "2026-01-31"), ("kind", " k "))
    )
    assert summary(typed) == [("since-year", "The start date must include a year")]
    assert typed.values["until"] == "2026-01-31" and typed.values["kind"] == "k"
    assert typed.dates["since"].day == "1"
