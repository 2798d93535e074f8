"""A small world for the API tests: two employers, staff, agreements and one user per role.

Built with the tables bound to the test database before the app is served.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import AsyncTestClient

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.note import NoteVerifier, load_or_create_signing_key
from ledger.tables import LedgerEntry
from portal.accounts.tables import Role
from portal.disclosure.tables import DisclosureRefusal
from portal.settings import Settings
from portal.vocabulary import notices
from tests.support import disclosure_world as world
from tests.support.auth import TestUser, create_user, in_app, sign_in_as, sign_out

LV = "esp.leave-verification"
PM = "esp.programme-management"
#: The privacy notice in force today: every consent through the API binds to it.
NOTICE = notices().current(world.TODAY).version


@dataclass
class Scene:
    settings: Settings
    employer_a: str
    employer_b: str
    agreement_a: str
    staff_a: list[world.Person]
    staff_b: list[world.Person]
    hr_a: TestUser
    hr_b: TestUser
    dpo: TestUser
    coordinator: TestUser
    volunteer_users: dict[str, TestUser] = field(default_factory=dict)
    signed_in: TestUser | None = None

    async def as_user(self, client: AsyncTestClient[Any], user: TestUser) -> None:
        if self.signed_in is not None:
            await sign_out(client)
        await sign_in_as(client, user)
        self.signed_in = user

    async def as_volunteer(self, client: AsyncTestClient[Any], person: world.Person) -> None:
        await self.as_user(client, self.volunteer_users[person.id])

    def verifier(self) -> NoteVerifier:
        signer = load_or_create_signing_key(
            self.settings.signing_key_path, self.settings.ledger_key_name
        )
        return signer.verifier()

    def check_receipt(self, receipt: dict[str, Any], entry_bytes: bytes | None = None) -> bool:
        """The receipt's path proves its leaf against the root of its signed checkpoint."""
        cp = open_checkpoint(receipt["checkpoint"], self.verifier(), self.settings.ledger_origin)
        leaf = base64.b64decode(receipt["leaf_hash"])
        if entry_bytes is not None and merkle.leaf_hash(entry_bytes) != leaf:
            return False
        return cp.size == receipt["tree_size"] and merkle.verify_inclusion(
            leaf,
            receipt["index"],
            receipt["tree_size"],
            [base64.b64decode(h) for h in receipt["inclusion_path"]],
            cp.root_hash,
        )


async def build_scene(settings: Settings, ledger: Any, staff: int = 2) -> Scene:
    employer_a = await world.employer("Acme Logistics")
    employer_b = await world.employer("Brightwater Council")
    agreement_a = await world.agreement(
        ledger,
        employer_a,
        {LV: ["identity", "status", "hours.summary"], PM: ["identity", "status"]},
    )
    await world.agreement(ledger, employer_b, {LV: ["identity", "status"], PM: ["status"]})
    staff_a = [await world.volunteer(f"Alex A{i}") for i in range(staff)]
    staff_b = [await world.volunteer(f"Bo B{i}") for i in range(2)]
    for person in staff_a:
        await world.employ(person, employer_a)
    for person in staff_b:
        await world.employ(person, employer_b)
    scene = Scene(
        settings=settings,
        employer_a=employer_a,
        employer_b=employer_b,
        agreement_a=agreement_a,
        staff_a=staff_a,
        staff_b=staff_b,
        hr_a=await create_user(
            settings, "hr@acme.example", Role.EMPLOYER, organisation_id=employer_a
        ),
        hr_b=await create_user(
            settings, "hr@brightwater.example", Role.EMPLOYER, organisation_id=employer_b
        ),
        dpo=await create_user(settings, "dpo@force.example", Role.DPO),
        coordinator=await create_user(settings, "esp@force.example", Role.COORDINATOR),
    )
    for person in staff_a + staff_b:
        scene.volunteer_users[person.id] = await create_user(
            settings, person.email, Role.VOLUNTEER, volunteer_id=person.id
        )
    return scene


async def consent(
    client: AsyncTestClient[Any],
    employer_id: str,
    categories: list[str],
    purpose: str = LV,
    **extra: Any,
) -> Any:
    return await client.post(
        "/api/volunteer/consents",
        json={
            "employer_id": employer_id,
            "purpose": purpose,
            "categories": categories,
            "notice_version": NOTICE,
            **extra,
        },
    )


async def disclosure_entries(client: AsyncTestClient[Any]) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        rows = (
            await LedgerEntry.select(LedgerEntry.idx, LedgerEntry.body)
            .where(LedgerEntry.kind == "disclosure")
            .order_by(LedgerEntry.idx)
        )
        return [json.loads(bytes(r["body"])) for r in rows]

    return await in_app(client, read)


async def entry_bytes(client: AsyncTestClient[Any], index: int) -> bytes:
    async def read() -> bytes:
        row = await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.idx == index).first()
        assert row is not None
        return bytes(row["body"])

    return await in_app(client, read)


async def refusals(client: AsyncTestClient[Any]) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await DisclosureRefusal.select().order_by(
            DisclosureRefusal.occurred_at
        )
        return rows

    return await in_app(client, read)


def problem(response: Any, status: int) -> dict[str, Any]:
    """The RFC 9457 problem body of ``response``, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body
