"""``esp-portal demo --size N``: the demo at a force's scale (N volunteers, N/10 employers).

A real force has a few thousand Special Constables and a few hundred ESP employers; the default
demo has 64 and 10. With a size, this step adds generated (fictional, deterministic) employers
and volunteers on top of the default demo until there are ``N`` volunteers and ``N // 10``
employers, each volunteer linked to one employer, four in five employers with a data sharing
agreement, and serving volunteers' consents to what their employer's agreement offers.

Fast and still true to the product: people, employers and links are plain rows, bulk-inserted
(nothing about them is ledgered); agreements go through ``AgreementService.record`` and consents
through ``ConsentService.give_many``, which checks each consent as ``give`` does and appends them
to the ledger in one transaction with their rows, so ``esp-portal ledger verify`` holds and every
consent has its entry. Idempotent like every step: rows present are skipped, an employer with
any agreement gets none, a volunteer x employer x purpose with any consent event gets none.
"""

from __future__ import annotations

import datetime as dt

import structlog

from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.agreements.tables import DataSharingAgreement
from portal.consent.schemas import ConsentGive
from portal.consent.services import ConsentService
from portal.consent.tables import ConsentEvent, ConsentState
from portal.dbutil import write_transaction
from portal.demo import data
from portal.demo.context import DemoContext
from portal.demo.people import _existing
from portal.demo.sharing import DEMO_ACTOR, _consent_keys, _today, _volunteer_identity
from portal.organisations.folding import fold
from portal.organisations.status import VolunteerStatus
from portal.organisations.tables import Employment, Organisation, Volunteer
from portal.vocabulary import notices, vocabulary

log = structlog.get_logger(__name__)

#: Generated people are numbered from here, clear of the default demo's 0..63.
FIRST_NUMBER = 100_000
_CHUNK = 500
# fmt: off
_PLACES = (
    "Ashby", "Brackley", "Carrow", "Dunmore", "Elmsford", "Fenwick", "Glenhaven", "Holloway",
    "Ingleby", "Juniper", "Kelso", "Linton", "Marston", "Netherby", "Oakham", "Pellow",
    "Quarry Bank", "Redhill", "Stanway", "Thornbury",
)
_TRADES = (
    "Bakery", "Builders", "Dental Practice", "Engineering", "Farm Supplies", "Garage",
    "Hotel", "Insurance", "Joinery", "Kitchens", "Laboratories", "Motors", "Nurseries",
    "Opticians", "Printers", "Removals", "Surveyors", "Textiles", "Utilities Ltd", "Vets",
)
# fmt: on
_SIZES = ("micro", "small", "medium", "large")
_STATUSES = (
    VolunteerStatus.ACTIVE,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.IN_TRAINING,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.APPLICANT,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.LEAVER,
)


def scale_employers(count: int) -> list[data.DemoOrganisation]:
    """``count`` generated employers (at most 400 distinct names; more repeat with a number)."""
    out = []
    for n in range(count):
        place = _PLACES[n % len(_PLACES)]
        trade = _TRADES[(n // len(_PLACES)) % len(_TRADES)]
        rounds = n // (len(_PLACES) * len(_TRADES))
        name = f"{place} {trade}" + (f" {rounds + 1}" if rounds else "")
        out.append(
            data.DemoOrganisation(
                f"scale-{n}",
                name,
                "employer",
                trade.lower(),
                _SIZES[n % len(_SIZES)],
                f"hr{n}@example.com",
            )
        )
    return out


def scale_volunteers(count: int) -> list[data.DemoVolunteer]:
    out = []
    for i in range(count):
        n = FIRST_NUMBER + i
        first = data.FIRST_NAMES[i % len(data.FIRST_NAMES)]
        last = data.SURNAMES[(7 * i + i // len(data.SURNAMES)) % len(data.SURNAMES)]
        out.append(
            data.DemoVolunteer(
                number=n,
                display_name=f"{first} {last}",
                email=f"{data._local_part(first)}.{data._local_part(last)}.{i}@example.org",
                phone=f"07700 900{i % 1000:03d}",
                status=_STATUSES[i % len(_STATUSES)],
                contact_by_email=i % 6 != 5,
                contact_by_sms=i % 3 == 0,
                contact_by_phone=i % 7 == 0,
            )
        )
    return out


def _sizes(size: int) -> tuple[int, int]:
    """How many generated volunteers and employers bring the demo to ``size`` and ``size//10``."""
    return max(0, size - data.VOLUNTEER_COUNT), max(0, size // 10 - len(data.EMPLOYERS))


async def load_scale(ctx: DemoContext) -> None:
    people_count, employer_count = _sizes(ctx.size)
    if not people_count and not employer_count:
        return
    employers = scale_employers(employer_count)
    people = scale_volunteers(people_count)
    added = await _insert_rows(employers, people)
    agreed = await _agreements(ctx, employers)
    consents = await _consents(ctx, employers, people)
    consented = await ConsentEvent.count().where(ConsentEvent.state == ConsentState.GIVEN.value)
    for name, present, more in (
        ("employers", await Organisation.count().where(Organisation.kind == "employer"), added[0]),
        ("volunteers", await Volunteer.count(), added[1]),
        ("employments", await Employment.count(), added[2]),
        ("agreements", await DataSharingAgreement.count(), agreed),
        ("consents", consented, consents),
    ):
        ctx.count(name, present, ctx.counts.get(name, (0, 0))[1] + more)
    log.info("demo.scale", employers=added[0], volunteers=added[1], consents=consents)


def _employer_of(index: int, employers: list[data.DemoOrganisation]) -> data.DemoOrganisation:
    return employers[index % len(employers)] if employers else data.EMPLOYERS[index % 10]


async def _insert_rows(
    employers: list[data.DemoOrganisation], people: list[data.DemoVolunteer]
) -> tuple[int, int, int]:
    """Employers, volunteers and one employment link each, bulk-inserted where absent."""
    today = _today()
    async with write_transaction(Volunteer):
        have = await _existing(Organisation, Organisation.id, [e.id for e in employers])
        names = await _existing(Organisation, Organisation.name, [e.name for e in employers])
        new_employers = [e for e in employers if str(e.id) not in have and e.name not in names]
        for start in range(0, len(new_employers), _CHUNK):
            await Organisation.insert(
                *[
                    Organisation(
                        id=e.id,
                        name=e.name,
                        kind=e.kind,
                        sector=e.sector,
                        size_band=e.size_band,
                        contact_email=e.contact_email,
                    )
                    for e in new_employers[start : start + _CHUNK]
                ]
            )
        new_people = []
        for start in range(0, len(people), _CHUNK):
            part = people[start : start + _CHUNK]
            ids = await _existing(Volunteer, Volunteer.id, [p.id for p in part])
            emails = await _existing(Volunteer, Volunteer.email, [p.email for p in part])
            new_people += [p for p in part if str(p.id) not in ids and p.email not in emails]
        for start in range(0, len(new_people), _CHUNK):
            await Volunteer.insert(
                *[
                    Volunteer(
                        id=p.id,
                        subject=p.subject,
                        display_name=p.display_name,
                        search_key=fold(p.display_name),
                        email=p.email,
                        phone=p.phone,
                        status=p.status.value,
                        contact_by_email=p.contact_by_email,
                        contact_by_sms=p.contact_by_sms,
                        contact_by_phone=p.contact_by_phone,
                    )
                    for p in new_people[start : start + _CHUNK]
                ]
            )
        links = [
            Employment(
                id=data.demo_id("employment", f"scale:{p.number}"),
                volunteer=p.id,
                employer=_employer_of(p.number, employers).id,
                starts_on=today - dt.timedelta(days=60 + p.number % 3000),
                ends_on=None,
            )
            for p in new_people
        ]
        for start in range(0, len(links), _CHUNK):
            await Employment.insert(*links[start : start + _CHUNK])
    return len(new_employers), len(new_people), len(links)


async def _agreements(ctx: DemoContext, employers: list[data.DemoOrganisation]) -> int:
    """Four in five generated employers get version 1 of an agreement (the first demo
    agreement's terms), recorded through the product's service: each a ledger entry."""
    service = AgreementService(await ctx.ledger())
    wanted = [e for n, e in enumerate(employers) if n % 5 != 4]
    present = (
        {
            str(row["employer"])
            for row in await DataSharingAgreement.select(DataSharingAgreement.employer).where(
                DataSharingAgreement.employer.is_in([e.id for e in wanted])
            )
        }
        if wanted
        else set()
    )
    template = data.AGREEMENTS[0]
    today = _today()
    added = 0
    for employer in wanted:
        if str(employer.id) in present:
            continue
        await service.record(
            AgreementCreate(
                employer_id=employer.id,
                version=1,
                purposes={code: list(cats) for code, cats in template.purposes.items()},
                starts_on=today - dt.timedelta(days=200),
                ends_on=today + dt.timedelta(days=300),
                signed_by=f"HR Director ({employer.name}) and the ESP coordinator",
            ),
            recorded_by=DEMO_ACTOR,
            request_id=data.demo_id("request", f"agreement:{employer.key}:1").hex,
            channel="web",
        )
        added += 1
    return added


async def _consents(
    ctx: DemoContext, employers: list[data.DemoOrganisation], people: list[data.DemoVolunteer]
) -> int:
    """Each generated volunteer consents to what their employer's agreement offers (as
    :func:`portal.demo.data.consent_wanted` decides), through ``ConsentService.give_many``."""
    service = ConsentService(await ctx.ledger())
    template = data.AGREEMENTS[0].purposes
    with_agreement = {str(e.id) for n, e in enumerate(employers) if n % 5 != 4}
    notice = notices().current(_today()).version
    written = 0
    for start in range(0, len(people), 1000):
        part = people[start : start + 1000]
        existing = await _consent_keys([str(p.id) for p in part])
        gifts = []
        for person in part:
            employer_id = str(_employer_of(person.number, employers).id)
            if employer_id not in with_agreement:
                continue
            for code, offered in sorted(template.items()):
                purpose = vocabulary().purpose(code)
                if purpose is None or not purpose.consent_required:
                    continue
                if (str(person.id), employer_id, code) in existing:
                    continue
                categories = data.consent_wanted(person, code, tuple(offered))
                if not categories:
                    continue
                consent = ConsentGive(
                    employer_id=employer_id,
                    purpose=code,
                    categories=categories,
                    notice_version=notice,
                )
                request = data.demo_id("request", f"consent:{person.id}:{employer_id}:{code}")
                identity = _volunteer_identity(str(person.id), {})
                gifts.append((identity, consent, request.hex))
        written += await service.give_many(gifts, channel="web")
    return written
