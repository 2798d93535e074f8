"""Recording and reading data sharing agreements.

Every version is a new row committed atomically with its ``agreement.recorded`` ledger entry; no
version is edited. The disclosure gate reads the version in force (see ``portal.disclosure.gate``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import structlog

from ledger import Ledger
from ledger.entries import Channel
from ledger.kinds import AgreementRecordedDetails, AgreementRecordedDraft
from portal.agreements.rules import AGREEMENT_KINDS, states
from portal.agreements.schemas import (
    AgreementCreate,
    AgreementCreated,
    AgreementEnding,
    AgreementOut,
    AgreementPage,
    Expectation,
)
from portal.agreements.tables import DataSharingAgreement
from portal.clock import local_date, utcnow
from portal.dbutil import json_value
from portal.errors import Conflict, InvalidInput, NotFound
from portal.ids import parse_id
from portal.ledgering import recording
from portal.organisations.tables import Organisation, OrganisationKind
from portal.receipts import ReceiptOut
from portal.vocabulary import RECIPIENT_AUDIENCES, vocabulary

log = structlog.get_logger(__name__)


def _purposes(value: Any) -> dict[str, list[str]]:
    loaded = json_value(value)
    return {str(k): [str(c) for c in v] for k, v in dict(loaded).items()}


_KIND_WORDS = {"employer": "an employer", "police_force": "a police force", "partner": "a partner"}


class _Org(NamedTuple):
    name: str
    kind: str


def _out(row: Mapping[str, Any], state: str, orgs: Mapping[str, _Org]) -> AgreementOut:
    employer_id = str(row["employer"])
    org = orgs.get(employer_id)
    kind = org.kind if org else OrganisationKind.EMPLOYER.value
    return AgreementOut(
        id=str(row["id"]),
        employer_id=employer_id,
        employer_name=org.name if org else None,
        organisation_kind=kind,
        agreement_kind=AGREEMENT_KINDS[kind],
        version=int(row["version"]),
        purposes=_purposes(row["purposes"]),
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        signed_by=row["signed_by"],
        expected={str(k): Expectation(**v) for k, v in dict(json_value(row["expected"])).items()},
        supersedes=str(row["supersedes"]) if row["supersedes"] else None,
        recorded_at=row["recorded_at"],
        ledger_index=int(row["ledger_index"]),
        state=state,
    )


def _recorded_concurrently() -> Conflict:
    return Conflict(
        "Another version of this employer's agreement was recorded at the same time",
        errors=[{"field": "version", "message": "already recorded; reload"}],
    )


def _check_expected(
    expected: Mapping[str, Expectation], purposes: Mapping[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """An expectation is given only for a purpose the agreement names."""
    outside = sorted(set(expected) - set(purposes))
    if outside:
        errors = [
            {"field": f"expected.{code}", "message": "not a purpose of this agreement"}
            for code in outside
        ]
        raise InvalidInput(
            "Invalid value for: " + ", ".join(e["field"] for e in errors), errors=errors
        )
    return {code: expected[code].model_dump() for code in sorted(expected)}


class AgreementService:
    def __init__(self, ledger: Ledger | None, clock: Callable[[], dt.datetime] = utcnow) -> None:
        """``ledger`` may be None for a reader that records nothing (the periodic jobs)."""
        self.ledger = ledger
        self.clock = clock

    @staticmethod
    def _check_purposes(purposes: Mapping[str, list[str]], kind: str) -> dict[str, list[str]]:
        """The purposes as recorded; each must be one for this kind of organisation."""
        errors = []
        clean: dict[str, list[str]] = {}
        words = _KIND_WORDS[kind]
        for code, categories in purposes.items():
            purpose = vocabulary().purpose(code)
            field = f"purposes.{code}"
            if purpose is None or purpose.audience != kind:
                usable = sorted(p.code for p in vocabulary().purposes if p.audience == kind)
                errors.append(
                    {"field": field, "message": f"not {words} purpose; use " + ", ".join(usable)}
                )
                continue
            if not categories:
                errors.append({"field": field, "message": "name at least one category"})
                continue
            if len(set(categories)) != len(categories):
                errors.append({"field": field, "message": "a category is listed twice"})
            outside = sorted(set(categories) - set(purpose.categories))
            if outside:
                errors.append(
                    {
                        "field": field,
                        "message": f"{', '.join(outside)} may never be shared for {code}; "
                        f"allowed: {', '.join(purpose.categories)}",
                    }
                )
            clean[code] = sorted(set(categories))
        if errors:
            raise InvalidInput(
                "Invalid value for: " + ", ".join(e["field"] for e in errors), errors=errors
            )
        return dict(sorted(clean.items()))

    async def _names(self, ids: list[str]) -> dict[str, _Org]:
        if not ids:
            return {}
        rows = await Organisation.select(
            Organisation.id, Organisation.name, Organisation.kind
        ).where(Organisation.id.is_in(ids))
        return {str(r["id"]): _Org(r["name"], r["kind"]) for r in rows}

    @staticmethod
    async def _recipient_kind(organisation_id: str) -> str:
        """The organisation's kind, when it is one the force makes agreements with."""
        row = (
            await Organisation.select(Organisation.kind)
            .where(Organisation.id == organisation_id)
            .first()
        )
        if row is None or row["kind"] not in RECIPIENT_AUDIENCES:
            message = "no employer, police force or partner has this id"
            raise InvalidInput(
                f"employer_id: {message}", errors=[{"field": "employer_id", "message": message}]
            )
        return str(row["kind"])

    async def record(
        self,
        data: AgreementCreate,
        *,
        recorded_by: str,
        request_id: str,
        channel: Channel,
    ) -> AgreementCreated:
        employer_id = str(data.employer_id)
        kind = await self._recipient_kind(employer_id)
        purposes = self._check_purposes(data.purposes, kind)
        expectations = _check_expected(data.expected, purposes)
        if data.ends_on < data.starts_on:
            raise InvalidInput(
                "ends_on: the agreement must not end before it starts",
                errors=[
                    {"field": "ends_on", "message": "the agreement must not end before it starts"}
                ],
            )
        agreement_id = str(uuid.uuid4())
        assert self.ledger is not None, "recording an agreement needs the ledger"
        async with recording(
            self.ledger,
            "agreement.record_failed",
            unavailable="The agreement could not be recorded in the ledger; nothing was saved",
            on_duplicate=_recorded_concurrently,
            employer_id=employer_id,
        ) as tx:
            previous = await (
                DataSharingAgreement.select(
                    DataSharingAgreement.id,
                    DataSharingAgreement.version,
                    DataSharingAgreement.starts_on,
                )
                .where(DataSharingAgreement.employer == employer_id)
                .order_by(DataSharingAgreement.version, ascending=False)
                .first()
            )
            expected = int(previous["version"]) + 1 if previous else 1
            if data.version != expected:
                raise Conflict(
                    f"The next version of this employer's agreement is {expected}",
                    errors=[{"field": "version", "message": f"must be {expected}"}],
                )
            if previous is not None and data.starts_on < previous["starts_on"]:
                raise InvalidInput(
                    "starts_on: a new version cannot start before the version it supersedes",
                    errors=[
                        {
                            "field": "starts_on",
                            "message": f"must be on or after {previous['starts_on']}",
                        }
                    ],
                )
            supersedes = str(previous["id"]) if previous else None
            draft = AgreementRecordedDraft(
                recipient_org=employer_id,
                categories=tuple(sorted({c for cats in purposes.values() for c in cats})),
                agreement_ids=(agreement_id,),
                request_id=request_id,
                channel=channel,
                details=AgreementRecordedDetails(
                    version=data.version,
                    starts_on=data.starts_on.isoformat(),
                    ends_on=data.ends_on.isoformat(),
                    supersedes=supersedes,
                    purposes=tuple(sorted(purposes)),
                    grants=tuple(f"{p}:{c}" for p, cats in purposes.items() for c in cats),
                    recorded_by=recorded_by,
                ),
            )
            (receipt,) = await tx.append([draft])
            await DataSharingAgreement.insert(
                DataSharingAgreement(
                    id=agreement_id,
                    employer=employer_id,
                    version=data.version,
                    purposes=purposes,
                    starts_on=data.starts_on,
                    ends_on=data.ends_on,
                    signed_by=data.signed_by,
                    expected=expectations,
                    supersedes=supersedes,
                    recorded_by=recorded_by,
                    recorded_at=self.clock(),
                    ledger_index=receipt.index,
                )
            )
        log.info(
            "agreement.recorded",
            agreement_id=agreement_id,
            organisation_id=employer_id,
            version=data.version,
            purposes=sorted(purposes),
            ledger_index=receipt.index,
        )
        return AgreementCreated(
            agreement=await self.get(agreement_id), receipt=ReceiptOut.of(receipt)
        )

    async def _versions_of(self, employer_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await (
            DataSharingAgreement.select()
            .where(DataSharingAgreement.employer == employer_id)
            .order_by(DataSharingAgreement.version, ascending=False)
        )
        return rows

    async def get(self, agreement_id: str) -> AgreementOut:
        key = parse_id(agreement_id)
        row = None
        if key is not None:
            row = await DataSharingAgreement.select().where(DataSharingAgreement.id == key).first()
        if row is None:
            raise NotFound("No agreement has this id")
        siblings = await self._versions_of(str(row["employer"]))
        state = states(siblings, local_date(self.clock()))
        names = await self._names([str(row["employer"])])
        return _out(row, state[str(row["id"])], names)

    async def versions(self, agreement_id: str) -> list[AgreementOut]:
        """Every version of the agreement with this one's employer, newest first."""
        first = await self.get(agreement_id)
        rows = await self._versions_of(first.employer_id)
        state = states(rows, local_date(self.clock()))
        names = {first.employer_id: _Org(first.employer_name or "", first.organisation_kind)}
        return [_out(r, state[str(r["id"])], names) for r in rows]

    async def _latest_per_employer(self, employer_id: str | None) -> list[AgreementOut]:
        query = DataSharingAgreement.select().order_by(DataSharingAgreement.version)
        if employer_id is not None:
            key = parse_id(employer_id)
            if key is None:
                return []
            query = query.where(DataSharingAgreement.employer == key)
        rows: list[dict[str, Any]] = await query
        by_employer: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_employer.setdefault(str(row["employer"]), []).append(row)
        today = local_date(self.clock())
        names = await self._names(list(by_employer))
        latest = []
        for versions in by_employer.values():
            state = states(versions, today)
            started = [v for v in versions if state[str(v["id"])] != "scheduled"]
            chosen = started[-1] if started else versions[-1]
            latest.append(_out(chosen, state[str(chosen["id"])], names))
        latest.sort(key=lambda a: ((a.employer_name or "").lower(), a.employer_id))
        return latest

    async def list_current(
        self, limit: int, offset: int, employer_id: str | None = None
    ) -> AgreementPage:
        """Per employer, the version in force (or ended) today, or the first scheduled one."""
        latest = await self._latest_per_employer(employer_id)
        return AgreementPage(
            items=latest[offset : offset + limit], total=len(latest), limit=limit, offset=offset
        )

    async def ending_within(self, days: int) -> list[AgreementEnding]:
        """Agreements in force today that end within ``days`` days, soonest first."""
        today = local_date(self.clock())
        horizon = today + dt.timedelta(days=days)
        result = []
        for agreement in await self._latest_per_employer(None):
            if agreement.state == "in_force" and agreement.ends_on <= horizon:
                later = await DataSharingAgreement.exists().where(
                    (DataSharingAgreement.employer == agreement.employer_id)
                    & (DataSharingAgreement.version > agreement.version)
                )
                result.append(
                    AgreementEnding(
                        agreement=agreement,
                        days_left=(agreement.ends_on - today).days,
                        renewed=bool(later),
                    )
                )
        result.sort(key=lambda e: (e.days_left, e.agreement.employer_id))
        return result
