"""Art. 17 erasure requests on both databases, with a real SMTP server (aiosmtpd), the real gate
and the real ledger: the volunteer's request or one the DPO records, a refusal that keeps the
data and says why, an approval that tells the volunteer and then erases them, a crash between
the two completed by a rerun that sends nothing twice, and bad input that changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger, verify
from ledger.note import load_or_create_signing_key
from portal.accounts.roles import Role
from portal.clock import local_date, utcnow
from portal.erasure.requests import ErasureRequests, one_month_after
from portal.erasure.service import erase_person
from portal.erasure.tables import ErasureRecord, ErasureRequest
from portal.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from portal.gates import build_gate
from portal.messages.disclosing import gated_transport
from portal.messages.outgoing import Outgoing
from portal.messages.tables import OutboxMessage
from portal.messages.transports import Transport
from portal.messages.worker import run_once
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.support import disclosure_world as world
from tests.support.auth import TestUser, create_user
from tests.support.erasure_scan import all_rows, occurrences
from tests.support.smtp_server import SmtpServer, running_smtp_server

WORDS = "Please erase everything you hold about me."


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    folder = tmp_path / "smtp"
    folder.mkdir()
    yield from running_smtp_server(folder)


@pytest.fixture
def mail_settings(database: TestDatabase, tmp_path: Path, smtp: SmtpServer) -> Settings:
    return make_settings(database, tmp_path / "data", **smtp.settings())


async def _dpo(settings: Settings) -> TestUser:
    return await create_user(settings, "dpo@force.example", Role.DPO)


def _service(settings: Settings, ledger: Ledger, transport: Transport | None = None) -> Any:
    gate = build_gate(ledger, settings)
    return ErasureRequests(ledger, settings, transport or gated_transport(settings, gate))


def _sent_to(smtp: SmtpServer, address: str) -> list[Any]:
    return [
        mail
        for (_, rcpts), mail in zip(smtp.mailbox.envelopes, smtp.mailbox.messages, strict=True)
        if address in rcpts
    ]


async def _entries(ledger: Ledger, kind: str) -> list[dict[str, Any]]:
    found = []
    for index in range(await ledger.size()):
        entry = await ledger.get_entry(index)
        if entry.kind == kind:
            found.append(entry.document())
    return found


def test_the_answer_is_due_one_month_after_the_request_arrived() -> None:
    assert one_month_after(dt.date(2026, 3, 14)) == dt.date(2026, 4, 14)
    assert one_month_after(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert one_month_after(dt.date(2028, 1, 30)) == dt.date(2028, 2, 29)
    assert one_month_after(dt.date(2026, 12, 31)) == dt.date(2027, 1, 31)


async def test_a_refused_request_keeps_the_data_and_tells_the_volunteer_why(
    engine: Any, ledger: Ledger, mail_settings: Settings, smtp: SmtpServer
) -> None:
    settings = mail_settings
    dpo = await _dpo(settings)
    person = await world.volunteer("Rita Refused")
    service = _service(settings, ledger)

    made = await service.request(
        person.id, made_by="volunteer", recorded_by="self", statement=WORDS, channel="web"
    )
    assert made.status == "pending"
    assert made.due_on == one_month_after(local_date(utcnow()))
    refused = await service.refuse(
        made.id,
        ground="legal_claims",
        explanation="Your duty records are evidence in a claim that is still open.",
        decided_by=dpo.id,
        channel="web",
    )

    assert refused.status == "refused"
    assert refused.ground_label.endswith("(Article 17(3)(e))")
    assert await Volunteer.exists().where(Volunteer.id == person.id)
    assert await ErasureRecord.count() == 0
    mine = await service.mine(person.id)
    assert [(m.id, m.status) for m in mine] == [(made.id, "refused")]
    # the volunteer is told (the acknowledgement and the refusal), through the gate, by SMTP
    await run_once(settings, gated_transport(settings, build_gate(ledger, settings)))
    mails = _sent_to(smtp, person.email)
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert subjects == [
        "We have your request to erase your data",
        "Your request to erase your data was refused",
    ]
    refusal = next(m for m in mails if "refused" in str(m["Subject"]))
    body = refusal.get_body(preferencelist=("plain",)).get_content()
    assert "still open" in body and "Article 17(3)(e)" in body
    # the DPO was told a request is waiting, without the volunteer's words
    dpo_mail = _sent_to(smtp, dpo.email)
    assert len(dpo_mail) == 1
    assert WORDS not in dpo_mail[0].get_body(preferencelist=("plain",)).get_content()
    # two entries, naming nobody
    entries = await _entries(ledger, "erasure.request")
    assert [e["details"]["step"] for e in entries] == ["received", "refused"]
    assert all(e["subject"] == "" for e in entries)
    assert entries[1]["details"]["ground"] == "legal_claims"


async def test_an_approved_request_tells_the_volunteer_first_then_erases_them(
    engine: Any,
    ledger: Ledger,
    mail_settings: Settings,
    smtp: SmtpServer,
    database: TestDatabase,
) -> None:
    settings = mail_settings
    dpo = await _dpo(settings)
    person = await world.volunteer("Ada Approved")
    letter_day = local_date(utcnow()) - dt.timedelta(days=40)
    service = _service(settings, ledger)

    made = await service.request(
        person.id,
        made_by="dpo",
        recorded_by=dpo.id,
        statement="Letter of 3 November, signed, asking for erasure.",
        received_on=letter_day,
        channel="cli",
    )
    (listed,) = await service.open_requests()
    assert listed.id == made.id and listed.overdue  # more than a month since the letter
    assert listed.due_on == one_month_after(letter_day)

    done = await service.approve(made.id, decided_by=dpo.id, channel="web")

    assert done.status == "erased" and done.told == "sent" and done.volunteer_id is None
    record = await ErasureRecord.select().where(ErasureRecord.id == done.erasure_id).first()
    assert record is not None and made.id in record["reason"]
    assert not await Volunteer.exists().where(Volunteer.id == person.id)
    # the message went before the erasure: its address was released (a ledgered disclosure)
    # at a lower index than the erasure's entry, and the SMTP server holds it
    (told,) = [m for m in _sent_to(smtp, person.email) if "being erased" in str(m["Subject"])]
    assert "last message" in told.get_body(preferencelist=("plain",)).get_content()
    released = [e for e in await _entries(ledger, "disclosure") if e["subject"] == person.subject]
    assert released, "the address passed the gate"
    assert max(e["index"] for e in released) < int(record["ledger_index"])
    # nothing left names the person; the request keeps its decision and dates
    found = occurrences(await all_rows(database), [person.id, person.email, person.display_name])
    assert found == {}
    row = await ErasureRequest.select().where(ErasureRequest.id == made.id).first()
    assert row is not None
    assert (row["volunteer"], row["statement"], row["status"]) == (None, "", "erased")
    assert row["recorded_by"] == dpo.id  # the DPO's own account stays: it is not the person
    assert await OutboxMessage.count().where(OutboxMessage.volunteer == person.id) == 0
    steps = [e["details"]["step"] for e in await _entries(ledger, "erasure.request")]
    assert steps == ["received", "approved"]
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    result = await verify(engine, signer.verifier(), settings.ledger_origin)
    assert result.problem is None


#: Breaking the erasure from outside (as the owner), and mending it: PostgreSQL takes the app
#: role's right to run the procedure; SQLite renames a table one of the plan's steps changes.
BREAK = {
    "postgres": "REVOKE EXECUTE ON FUNCTION esp_portal_erase_volunteer(uuid, text) "
    "FROM esp_portal_app",
    "sqlite": "ALTER TABLE award RENAME TO award_away",
}
MEND = {
    "postgres": "GRANT EXECUTE ON FUNCTION esp_portal_erase_volunteer(uuid, text) "
    "TO esp_portal_app",
    "sqlite": "ALTER TABLE award_away RENAME TO award",
}


class FailsAfterSending:
    """The real gated SMTP transport; once the message is handed over, the erasure that follows
    is broken (as the owner), so the process ends between sending and erasing, as if killed."""

    def __init__(self, inner: Transport, owner_sql: Any, kind: str) -> None:
        self.inner = inner
        self.owner_sql = owner_sql
        self.kind = kind
        self.channels = inner.channels
        self.gated = True

    async def send(self, message: Outgoing) -> str:
        ref = await self.inner.send(message)
        if message.subject.startswith("Your data is being erased"):
            await self.owner_sql(BREAK[self.kind])
        return ref


async def test_a_crash_between_sending_and_erasing_is_completed_by_a_rerun_without_a_second_mail(
    engine: Any,
    ledger: Ledger,
    mail_settings: Settings,
    smtp: SmtpServer,
    owner_sql: Any,
    database: TestDatabase,
) -> None:
    settings = mail_settings
    dpo = await _dpo(settings)
    person = await world.volunteer("Cal Crashed")
    real = gated_transport(settings, build_gate(ledger, settings))
    failing = FailsAfterSending(real, owner_sql, database.kind)
    dying = ErasureRequests(ledger, settings, failing)
    made = await dying.request(person.id, made_by="volunteer", recorded_by="me", channel="web")

    with pytest.raises(ServiceUnavailable):
        await dying.approve(made.id, decided_by=dpo.id, channel="web")

    row = await ErasureRequest.select().where(ErasureRequest.id == made.id).first()
    assert row is not None and row["status"] == "approved"  # approved, not yet erased
    assert await Volunteer.exists().where(Volunteer.id == person.id)
    assert len(_erasing_mail(smtp, person.email)) == 1
    (open_one,) = await dying.open_requests()
    assert open_one.status == "approved"

    await owner_sql(MEND[database.kind])
    (done,) = await _service(settings, ledger).complete_all(channel="cli")

    assert done.status == "erased" and done.told == "sent"
    assert not await Volunteer.exists().where(Volunteer.id == person.id)
    assert len(_erasing_mail(smtp, person.email)) == 1, "the rerun did not send it again"
    assert await _service(settings, ledger).complete_all(channel="cli") == []


def _erasing_mail(smtp: SmtpServer, address: str) -> list[Any]:
    return [m for m in _sent_to(smtp, address) if "being erased" in str(m["Subject"])]


async def test_bad_input_names_the_field_and_changes_nothing(
    engine: Any, ledger: Ledger, mail_settings: Settings
) -> None:
    settings = mail_settings
    dpo = await _dpo(settings)
    person = await world.volunteer("Bea Bad-Input")
    service = _service(settings, ledger)
    made = await service.request(person.id, made_by="volunteer", recorded_by="me", channel="api")
    before = (await ledger.size(), await ErasureRequest.count(), await OutboxMessage.count())

    async def field_of(work: Any) -> str:
        with pytest.raises(InvalidInput) as caught:
            await work
        return str(caught.value.extra["errors"][0]["field"])

    unknown = "00000000-0000-4000-8000-000000000000"
    assert (
        await field_of(service.request(unknown, made_by="dpo", recorded_by=dpo.id, channel="web"))
        == "volunteer_id"
    )
    assert (
        await field_of(
            service.request("not-an-id", made_by="dpo", recorded_by=dpo.id, channel="web")
        )
        == "volunteer_id"
    )
    tomorrow = local_date(utcnow()) + dt.timedelta(days=1)
    other = await world.volunteer("Oz Other")
    assert (
        await field_of(
            service.request(
                other.id, made_by="dpo", recorded_by=dpo.id, received_on=tomorrow, channel="web"
            )
        )
        == "received_on"
    )
    assert await field_of(
        service.refuse(made.id, ground="legal_claims", explanation="", decided_by=dpo.id,
                       channel="web")
    ) == "explanation"  # fmt: skip
    assert await field_of(
        service.refuse(made.id, ground="because", explanation="A long enough reason.",
                       decided_by=dpo.id, channel="web")
    ) == "ground"  # fmt: skip
    with pytest.raises(Conflict) as twice:
        await service.request(person.id, made_by="volunteer", recorded_by="me", channel="api")
    assert twice.value.extra["errors"][0]["field"] == "volunteer_id"
    with pytest.raises(NotFound):
        await service.approve(unknown, decided_by=dpo.id, channel="web")
    assert (await ledger.size(), await ErasureRequest.count(), await OutboxMessage.count()) == (
        before
    )

    await service.refuse(
        made.id, ground="public_task", explanation="Still needed for vetting.", decided_by=dpo.id,
        channel="web",
    )  # fmt: skip
    decided = (await ledger.size(), json.dumps((await service.get(made.id)).status))
    with pytest.raises(Conflict) as again:
        await service.approve(made.id, decided_by=dpo.id, channel="web")
    assert again.value.extra["errors"][0]["field"] == "request_id"
    assert (await ledger.size(), json.dumps((await service.get(made.id)).status)) == decided
    assert await Volunteer.exists().where(Volunteer.id == person.id)


async def test_a_later_erasure_reduces_a_refused_request_to_its_decision(
    engine: Any, ledger: Ledger, mail_settings: Settings, database: TestDatabase
) -> None:
    settings = mail_settings
    dpo = await _dpo(settings)
    person = await world.volunteer("Leo Later")
    service = _service(settings, ledger)
    made = await service.request(
        person.id, made_by="volunteer", recorded_by="acct", statement=WORDS, channel="web"
    )
    await service.refuse(
        made.id, ground="legal_obligation", explanation="Kept for six years by law.",
        decided_by=dpo.id, channel="web",
    )  # fmt: skip
    await erase_person(uuid.UUID(person.id), reason="retention", decided_by=None, ledger=ledger)

    row = await ErasureRequest.select().where(ErasureRequest.id == made.id).first()
    assert row is not None
    assert (row["volunteer"], row["statement"], row["recorded_by"]) == (None, "", "")
    assert (row["status"], row["ground"]) == ("refused", "legal_obligation")
    assert occurrences(await all_rows(database), [person.id, WORDS]) == {}
