"""Erasure benchmark: erasing a person with 10,000 disclosures in a 1M-entry ledger.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.erasure_bench                          # both engines, 1M entries (~10 min)
    python -m bench.erasure_bench --engines sqlite --size 100000 --per-subject 1000

The ledger is bulk-loaded (as ``bench/completeness_bench.py`` does: chained entries, one
subject-map commitment), with ``--people`` heavy subjects of ``--per-subject`` disclosures each
and as many light subjects with one disclosure each. Every subject is a volunteer with an
account, an employment and ``--consents`` consent events, as the portal would hold them. Each
round erases one heavy and one light person with :func:`portal.erasure.service.erase_person`
(the ledger started and warmed up first, so its start-up is not counted), alternating, and the
**baseline is the light person's erasure, measured in the same run on the same ledger**: the
ratio says what 10,000 disclosures add to an erasure. Since erasure never reads or rewrites the
ledger's entries, it should be close to 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from bench.bulk_ledger import BulkEntry, BulkLoader, disclosure_body  # noqa: E402
from bench.ledger_bench import ORIGIN, new_database  # noqa: E402
from ledger import Ledger  # noqa: E402
from ledger.entries import SubjectMapCommitment  # noqa: E402
from ledger.note import NoteSigner  # noqa: E402
from ledger.subjectmap import SubjectMap, subject_key  # noqa: E402
from portal.accounts.tables import UserAccount  # noqa: E402
from portal.consent.tables import ConsentEvent  # noqa: E402
from portal.db import bind_engine, build_engine, close_engine, open_engine  # noqa: E402
from portal.erasure.service import erase_person  # noqa: E402
from portal.organisations.tables import (  # noqa: E402
    Employment,
    Organisation,
    OrganisationKind,
    Volunteer,
)

BULK_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
OTHERS = 10_000
ORG = "3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10"


@dataclass
class Maker:
    """Entry ``n``: a heavy subject every ``every``-th entry (in turn), a light one at the
    start, others round robin; chained, with one map commitment at the batch's end."""

    heavy: list[str]
    light: list[str]
    every: int
    latest: dict[str, int] = field(default_factory=dict)

    def subject_of(self, n: int) -> str:
        if 1 <= n <= len(self.light):
            return self.light[n - 1]
        if n % self.every < len(self.heavy):
            return self.heavy[n % self.every]
        return f"sub_{n % OTHERS:032x}"

    def __call__(self, n: int, batch_end: int) -> BulkEntry:
        subject = self.subject_of(n)
        chain: dict[str, Any] = {"prev_subject_index": self.latest.get(subject)}
        self.latest[subject] = n
        if n == batch_end - 1:
            built = SubjectMap.build((subject_key(s), i) for s, i in self.latest.items())
            chain["subject_map"] = SubjectMapCommitment(built.root(), 0).document()
        body = disclosure_body(
            n, subject=subject, checkpoint_size=batch_end, logged_at=BULK_TIME, chain=chain
        )
        return BulkEntry(body, "esp.programme-management", subject, ORG, "", "api")


async def _people(subjects: list[str], consents: int, *, first: bool = True) -> list[uuid.UUID]:
    """A volunteer per subject, with an account, an employment and consent events."""
    if first:
        await Organisation.insert(
            Organisation(
                id=uuid.UUID(ORG), name="Bench Employer", kind=OrganisationKind.EMPLOYER.value
            )
        )
    ids = []
    for subject in subjects:
        person = Volunteer(
            subject=subject, display_name=f"Bench {subject}", email=f"{subject}@bench.example"
        )
        await person.save()
        ids.append(person.id)
        await Employment(volunteer=person.id, employer=ORG, starts_on=dt.date(2020, 1, 1)).save()
        await UserAccount(email=person.email, role="volunteer", volunteer=person.id).save()
        await ConsentEvent.insert(
            *[
                ConsentEvent(
                    volunteer=person.id,
                    subject=subject,
                    employer=ORG,
                    purpose="esp.programme-management",
                    category=f"category-{c}",
                    state="given",
                    notice_version="2026-11",
                    ledger_index=c,
                )
                for c in range(consents)
            ]
        )
    return ids


async def run_engine(kind: str, args: argparse.Namespace, work: Path) -> None:
    heavy = [f"sub_heavy{n:027x}" for n in range(args.people)]
    light = [f"sub_light{n:027x}" for n in range(args.people + 1)]  # one more, to warm up
    every = args.size // args.per_subject
    db = await new_database(kind, work)
    signer = NoteSigner.generate(ORIGIN)
    loader = BulkLoader(db.kind, db.url, signer, ORIGIN, Maker(heavy, light, every))
    engine = build_engine(db.url)
    try:
        started = time.perf_counter()
        await loader.extend_to(args.size)
        loaded = time.perf_counter() - started
        bind_engine(engine)
        await open_engine(engine)
        heavy_ids = await _people(heavy, args.consents)
        light_ids = await _people(light, args.consents, first=False)
        ledger = Ledger(engine, signer, ORIGIN)
        await ledger.start()
        try:
            await erase_person(light_ids[-1], reason="warm-up", decided_by=None, ledger=ledger)
            heavy_s, light_s = [], []
            for n in range(args.people):
                for ids, into in ((heavy_ids, heavy_s), (light_ids, light_s)):
                    began = time.perf_counter()
                    await erase_person(ids[n], reason="bench", decided_by=None, ledger=ledger)
                    into.append(time.perf_counter() - began)
            verified = (await ledger.verify()).ok if args.verify else None
        finally:
            await ledger.close()
        counts = await Volunteer.count()
        med_h, med_l = statistics.median(heavy_s), statistics.median(light_s)
        print(
            f"| {kind} | {args.size:,} | {args.per_subject:,} | {args.people} | "
            f"{med_h * 1000:.1f} | {med_l * 1000:.1f} | {med_h / med_l:.2f}x | "
            f"{max(heavy_s) * 1000:.1f} | {loaded:.0f} | "
            f"{'' if verified is None else ('ok' if verified else 'FAILED')} |",
            flush=True,
        )
        assert counts == 0, "every bench person was erased"
    finally:
        await close_engine(engine)
        await db.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--size", type=int, default=1_000_000, help="ledger entries")
    parser.add_argument("--per-subject", type=int, default=10_000, help="a heavy person's entries")
    parser.add_argument("--people", type=int, default=3, help="rounds (heavy and light each)")
    parser.add_argument("--consents", type=int, default=20, help="consent events per person")
    parser.add_argument("--verify", action="store_true", help="ledger verify after (slow at 1M)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(
        "| engine | ledger entries | person's disclosures | rounds | erase heavy ms (median) | "
        "erase light ms (baseline) | ratio | heavy max ms | load s | verify |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as directory:
        for kind in args.engines.split(","):
            asyncio.run(run_engine(kind, args, Path(directory)))


if __name__ == "__main__":
    main()
