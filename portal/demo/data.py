"""The demo data set: a fictional force, its ESP employers and volunteers.

Everything is made up. Email addresses use only example.org and example.com (RFC 2606), phone
numbers only Ofcom's drama range 07700 900000-900999. Ids are uuid5 values under one namespace,
so every run produces the same rows and other loaders can refer to them with :func:`demo_id`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from portal.organisations.tables import VolunteerStatus

DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://esp-portal.local/demo")


def demo_id(kind: str, key: str | int) -> uuid.UUID:
    """The stable id of a demo row, e.g. ``demo_id("organisation", "nhs")``."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    kind: str
    sector: str
    size_band: str
    contact_email: str

    @property
    def id(self) -> uuid.UUID:
        return demo_id("organisation", self.key)


FORCE = DemoOrganisation(
    "force", "Northshire Police", "force", "policing", "large", "esp@example.org"
)

EMPLOYERS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "nhs",
        "Northshire Hospitals NHS Foundation Trust",
        "employer",
        "health",
        "large",
        "esp.hospitals@example.org",
    ),
    DemoOrganisation(
        "greenway",
        "Greenway Supermarkets plc",
        "employer",
        "retail",
        "large",
        "people.greenway@example.com",
    ),
    DemoOrganisation(
        "council",
        "Northshire County Council",
        "employer",
        "public administration",
        "large",
        "hr.council@example.org",
    ),
    DemoOrganisation(
        "bank",
        "Harbour & Vale Bank",
        "employer",
        "financial services",
        "large",
        "volunteering.hvbank@example.com",
    ),
    DemoOrganisation(
        "university",
        "University of Northshire",
        "employer",
        "higher education",
        "large",
        "staff.volunteering.uon@example.org",
    ),
    DemoOrganisation(
        "logistics",
        "Swiftline Logistics Ltd",
        "employer",
        "transport and logistics",
        "medium",
        "hr.swiftline@example.com",
    ),
    DemoOrganisation(
        "law",
        "Ashdown & Pryce Solicitors LLP",
        "employer",
        "legal services",
        "small",
        "office.ashdownpryce@example.com",
    ),
    DemoOrganisation(
        "water",
        "Northshire Water",
        "employer",
        "utilities",
        "large",
        "community.nwater@example.org",
    ),
    DemoOrganisation(
        "software",
        "Kestrel Software Ltd",
        "employer",
        "technology",
        "small",
        "hello.kestrel@example.com",
    ),
    DemoOrganisation(
        "bakery",
        "Millbrook Bakery",
        "employer",
        "food and hospitality",
        "micro",
        "millbrook.bakery@example.com",
    ),
)

#: Recipient organisations beside the employers: another police force (specials transferring
#: in or out, applicants who also applied there) and a partner that runs assessments for the
#: force's recruitment. Each has its own kind of agreement and one demo user.
OTHER_FORCE = DemoOrganisation(
    "southshire",
    "Southshire Police",
    "police_force",
    "policing",
    "large",
    "specials.southshire@example.org",
)
PARTNER = DemoOrganisation(
    "beacon",
    "Beacon Assessment Services Ltd",
    "partner",
    "recruitment assessment",
    "medium",
    "casework.beacon@example.com",
)
RECIPIENTS: tuple[DemoOrganisation, ...] = (OTHER_FORCE, PARTNER)

# fmt: off
FIRST_NAMES = (
    "Amelia", "Oliver", "Priya", "Callum", "Siobhan", "Kwame", "Eleanor", "Rhys",
    "Fatima", "Thomas", "Niamh", "Arjun", "Hannah", "Declan", "Zainab", "George",
    "Megan", "Tariq", "Isla", "Owen", "Chloe", "Jamal", "Sophie", "Ewan",
    "Aisha", "Harry", "Grace", "Marek", "Lucy", "Dylan", "Ruth", "Kieran",
)
SURNAMES = (
    "Patel", "Hughes", "O'Connor", "Mensah", "Walsh", "Thompson", "Khan", "Evans",
    "Macdonald", "Kowalski", "Roberts", "Begum", "Fletcher", "Okafor", "Davies", "Sinclair",
    "Clarke", "Ahmed", "Morgan", "Nowak", "Bennett", "Campbell", "Ali", "Gallagher",
    "Wright", "Chaudhry", "Lloyd", "Adeyemi", "Fraser", "Turner", "Reid", "Jones",
)
# fmt: on

VOLUNTEER_COUNT = 64

#: Status by position, cycled: about half active, the rest in every other state.
_STATUS_CYCLE = (
    VolunteerStatus.ACTIVE,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.IN_TRAINING,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.APPLICANT,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.IN_TRAINING,
    VolunteerStatus.APPLICANT,
    VolunteerStatus.LEAVER,
)


@dataclass(frozen=True)
class DemoVolunteer:
    number: int
    display_name: str
    email: str
    phone: str
    status: VolunteerStatus
    contact_by_email: bool
    contact_by_sms: bool
    contact_by_phone: bool

    @property
    def id(self) -> uuid.UUID:
        return demo_id("volunteer", self.number)

    @property
    def subject(self) -> str:
        return "sub_" + demo_id("subject", self.number).hex


def _local_part(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def volunteers() -> list[DemoVolunteer]:
    people = []
    for n in range(VOLUNTEER_COUNT):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = SURNAMES[(5 * n + n // len(SURNAMES)) % len(SURNAMES)]
        domain = "example.com" if n % 2 == 0 else "example.org"
        people.append(
            DemoVolunteer(
                number=n,
                display_name=f"{first} {last}",
                email=f"{_local_part(first)}.{_local_part(last)}@{domain}",
                phone=f"07700 900{n:03d}",
                status=_STATUS_CYCLE[n % len(_STATUS_CYCLE)],
                contact_by_email=n % 6 != 5,
                contact_by_sms=n % 3 == 0,
                contact_by_phone=n % 7 == 0 or n % 6 == 5,
            )
        )
    return people


@dataclass(frozen=True)
class DemoEmployment:
    key: str
    volunteer: int
    employer: DemoOrganisation
    starts_on: dt.date
    ends_on: dt.date | None
    #: The purposes a link to the other force or the partner is made for (none for a job).
    reasons: tuple[str, ...] = ()

    @property
    def id(self) -> uuid.UUID:
        return demo_id("employment", self.key)


def employments() -> list[DemoEmployment]:
    """Most volunteers have one employer, some two at once, some an earlier, ended job."""
    links = []
    for n in range(VOLUNTEER_COUNT):
        if n % 9 == 8:
            continue  # self-employed or between jobs: no ESP employer
        primary = EMPLOYERS[n % len(EMPLOYERS)]
        start = dt.date(2017 + n % 8, 1 + n % 12, 1 + n % 28)
        links.append(DemoEmployment(f"{n}:main", n, primary, start, None))
        if n % 8 == 3:
            second = EMPLOYERS[(n + 3) % len(EMPLOYERS)]
            links.append(
                DemoEmployment(f"{n}:second", n, second, dt.date(2024, 1 + n % 12, 1), None)
            )
        if n % 11 == 5:
            earlier = EMPLOYERS[(n + 5) % len(EMPLOYERS)]
            links.append(
                DemoEmployment(
                    f"{n}:earlier", n, earlier, dt.date(2012, 9, 1), start - dt.timedelta(days=1)
                )
            )
    return links


#: Volunteers whose service transfers to or from the other force (demo volunteer 2, who has an
#: account, among them), and applicants who also applied there.
TRANSFERS = (2, 12, 33)
#: Applicants whose application the partner assesses (status ``applicant``: n % 10 in {5, 8}).
ASSESSED = (5, 8, 15, 18, 25, 28)
MULTI_FORCE_APPLICANTS = (5, 15, 25)


def recipient_links() -> list[DemoEmployment]:
    """Links of volunteers with the other force and the partner (``employment`` rows: the gate
    asks for a link with every recipient organisation). Not jobs: no duties are made for them."""
    start = dt.date(2026, 11, 2)
    transfer, multi = ("force.service-transfer",), ("force.multi-force-application",)
    links = [
        DemoEmployment(f"{n}:transfer", n, OTHER_FORCE, start, None, transfer) for n in TRANSFERS
    ]
    links += [
        DemoEmployment(f"{n}:other-force", n, OTHER_FORCE, start, None, multi)
        for n in MULTI_FORCE_APPLICANTS
    ]
    links += [
        DemoEmployment(
            f"{n}:assessment", n, PARTNER, start, None, ("partner.application-processing",)
        )
        for n in ASSESSED
    ]
    return links


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    role: str
    password: str
    organisation: DemoOrganisation | None = None
    volunteer: int | None = None

    @property
    def id(self) -> uuid.UUID:
        return demo_id("user", self.key)


_PEOPLE = volunteers()

#: Published passwords: fine for a demo, which is why the demo refuses a database with real users.
USERS: tuple[DemoUser, ...] = (
    DemoUser("coordinator", "coordinator@example.org", "coordinator", "harbour-lantern-copper-51"),
    DemoUser("dpo", "dpo@example.org", "dpo", "quiet-orchard-ledger-73"),
    DemoUser(
        "employer-nhs",
        "hr.hospitals@example.org",
        "employer",
        "amber-meadow-signal-28",
        organisation=EMPLOYERS[0],
    ),
    DemoUser(
        "employer-greenway",
        "hr.greenway@example.com",
        "employer",
        "amber-meadow-signal-28",
        organisation=EMPLOYERS[1],
    ),
    DemoUser(
        "employer-council",
        "hr.council@example.org",
        "employer",
        "amber-meadow-signal-28",
        organisation=EMPLOYERS[2],
    ),
    DemoUser(
        "police-force-southshire",
        "liaison.southshire@example.org",
        "police_force",
        "granite-harbour-beacon-39",
        organisation=OTHER_FORCE,
    ),
    DemoUser(
        "partner-beacon",
        "assessor.beacon@example.com",
        "partner",
        "copper-kettle-assess-46",
        organisation=PARTNER,
    ),
    DemoUser(
        "volunteer-0",
        _PEOPLE[0].email,
        "volunteer",
        "silver-birch-patrol-64",
        volunteer=0,
    ),
    DemoUser(
        "volunteer-1",
        _PEOPLE[1].email,
        "volunteer",
        "silver-birch-patrol-64",
        volunteer=1,
    ),
    DemoUser(
        "volunteer-2",
        _PEOPLE[2].email,
        "volunteer",
        "silver-birch-patrol-64",
        volunteer=2,
    ),
)


# --------------------------------------------------------------------------------------------
# Data sharing: agreements, consents, disclosures and withdrawals
# --------------------------------------------------------------------------------------------

#: Who signs every demo agreement for the force (fictional).
FORCE_SIGNATORY = "Ch Supt Alan Reeve, Northshire Police"

LEAVE = "esp.leave-verification"
PROGRAMME = "esp.programme-management"
APPLICATION = "esp.application-progress"
RECOGNITION = "esp.recognition"
TRANSFER = "force.service-transfer"
MULTI_FORCE = "force.multi-force-application"
PROCESSING = "partner.application-processing"


@dataclass(frozen=True)
class DemoAgreement:
    """Version 1 of one employer's data sharing agreement.

    Dates are relative to the day the demo is first loaded, so the agreement is in force then:
    it started ``started_months_ago`` months back (on the 1st) and ends ``ends_in_days`` on.
    """

    employer: DemoOrganisation
    purposes: dict[str, tuple[str, ...]]
    started_months_ago: int
    ends_in_days: int
    employer_signatory: str

    @property
    def signed_by(self) -> str:
        return f"{self.employer_signatory}; {FORCE_SIGNATORY}"


def _employer(key: str) -> DemoOrganisation:
    return next(e for e in EMPLOYERS if e.key == key)


_FULL_LEAVE = ("identity", "status", "hours.summary", "hours.detail")

#: Eight of the ten employers have an agreement; Kestrel Software and Millbrook Bakery have none,
#: so the demo shows what an employer without one sees (nothing). Ashdown & Pryce's ends within
#: 30 days, for the DPO's "agreements ending soon".
AGREEMENTS: tuple[DemoAgreement, ...] = (
    DemoAgreement(
        _employer("nhs"),
        {
            LEAVE: _FULL_LEAVE,
            PROGRAMME: ("identity", "status"),
            RECOGNITION: ("identity", "hours.summary", "recognition"),
        },
        14,
        270,
        "Dr Helen Marsh, Director of People",
    ),
    DemoAgreement(
        _employer("greenway"),
        {LEAVE: ("identity", "status", "hours.summary"), PROGRAMME: ("identity", "status")},
        9,
        330,
        "Gareth Olsen, Head of HR Operations",
    ),
    DemoAgreement(
        _employer("council"),
        {
            LEAVE: _FULL_LEAVE,
            PROGRAMME: ("identity", "status"),
            APPLICATION: ("identity", "status", "application", "training"),
        },
        11,
        200,
        "Marion Ellery, Assistant Director, Workforce",
    ),
    DemoAgreement(
        _employer("bank"),
        {LEAVE: ("identity", "hours.summary"), PROGRAMME: ("identity", "status")},
        6,
        365,
        "Priyanka Rao, Head of Colleague Volunteering",
    ),
    DemoAgreement(
        _employer("university"),
        {
            PROGRAMME: ("identity", "status"),
            APPLICATION: ("identity", "status", "application"),
            RECOGNITION: ("identity", "recognition"),
        },
        8,
        300,
        "Prof. Daniel Whitcombe, Registrar",
    ),
    DemoAgreement(
        _employer("logistics"),
        {LEAVE: _FULL_LEAVE, APPLICATION: ("identity", "status", "application", "training")},
        4,
        390,
        "Shona Baird, People Manager",
    ),
    DemoAgreement(
        _employer("law"),
        {LEAVE: ("identity", "hours.summary"), PROGRAMME: ("identity", "status")},
        11,
        21,
        "Edward Pryce, Managing Partner",
    ),
    DemoAgreement(
        _employer("water"),
        {
            LEAVE: _FULL_LEAVE,
            PROGRAMME: ("identity", "status"),
            APPLICATION: ("identity", "status", "application", "training"),
            RECOGNITION: ("identity", "hours.summary", "recognition"),
        },
        12,
        240,
        "Lydia Fenwick, Community Partnerships Lead",
    ),
)

#: The other force's information sharing agreement and the partner's processing contract.
RECIPIENT_AGREEMENTS: tuple[DemoAgreement, ...] = (
    DemoAgreement(
        OTHER_FORCE,
        {
            TRANSFER: ("identity", "status", "training", "recognition"),
            MULTI_FORCE: ("identity", "status", "application"),
        },
        10,
        300,
        "Supt Carol Nwosu, Head of Special Constabulary, Southshire Police",
    ),
    DemoAgreement(
        PARTNER,
        {PROCESSING: ("identity", "status", "application", "training")},
        5,
        330,
        "Tom Ashby, Managing Director, Beacon Assessment Services",
    ),
)


def consent_wanted(person: DemoVolunteer, purpose: str, offered: tuple[str, ...]) -> list[str]:
    """The categories a demo volunteer consents to share with an employer for ``purpose``.

    Most serving volunteers consent to everything their employer's agreement offers; leavers
    and every seventh volunteer consent to nothing (the "no consent" case), some keep duty
    detail back, only applicants and trainees share application progress, and about a third
    decline recognition.
    """
    if person.status is VolunteerStatus.LEAVER or person.number % 7 == 6:
        return []
    if purpose in (APPLICATION, MULTI_FORCE) and person.status not in {
        VolunteerStatus.APPLICANT,
        VolunteerStatus.IN_TRAINING,
    }:
        return []
    if purpose == RECOGNITION and person.number % 3 == 2:
        return []
    if purpose == LEAVE and person.number % 5 == 4:
        return [c for c in offered if c != "hours.detail"]
    return list(offered)


@dataclass(frozen=True)
class DemoWithdrawal:
    """A volunteer withdrawing (some of) a consent; no categories: the whole purpose."""

    volunteer: int
    employer: DemoOrganisation
    purpose: str
    categories: tuple[str, ...] = ()


#: After the recipients' reads below, so the withdrawals of consent those reads relied on send
#: the employer (or the other force) a withdrawal notice.
WITHDRAWALS: tuple[DemoWithdrawal, ...] = (
    DemoWithdrawal(30, _employer("nhs"), LEAVE),
    DemoWithdrawal(10, _employer("nhs"), RECOGNITION),
    DemoWithdrawal(31, _employer("greenway"), LEAVE, ("hours.summary",)),
    DemoWithdrawal(22, _employer("council"), LEAVE, ("hours.detail",)),
    DemoWithdrawal(23, _employer("bank"), LEAVE),
    # An applicant to both forces withdraws: Southshire Police read under it, so it is told.
    DemoWithdrawal(25, OTHER_FORCE, MULTI_FORCE),
)


@dataclass(frozen=True)
class DemoRead:
    """A recipient organisation's demo account (an employer, the other force, the partner)
    listing its people for one purpose, through the gate."""

    user: str
    purpose: str

    @property
    def request_id(self) -> str:
        return demo_id("request", f"read:{self.user}:{self.purpose}").hex


READS: tuple[DemoRead, ...] = (
    DemoRead("employer-nhs", LEAVE),
    DemoRead("employer-nhs", PROGRAMME),
    DemoRead("employer-nhs", RECOGNITION),
    DemoRead("employer-greenway", LEAVE),
    DemoRead("employer-council", LEAVE),
    DemoRead("employer-council", PROGRAMME),
    DemoRead("police-force-southshire", TRANSFER),
    DemoRead("police-force-southshire", MULTI_FORCE),
    DemoRead("partner-beacon", PROCESSING),
)
