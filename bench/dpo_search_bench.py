"""DPO person-search benchmark: finding a person at a force's scale, on both engines.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.dpo_search_bench                      # both engines, 3,000 and 30,000
    python -m bench.dpo_search_bench --engines sqlite --sizes 3000 --queries 50

Per engine and size, on one fresh migrated database (in process, no HTTP):

1. ``--sizes`` volunteers are bulk-inserted with realistic British and Irish names (a fixed seed;
   some with accents, apostrophes and hyphens; common names repeat, as they do in a force) and
   **no** search key, as rows written by an importer would be; the first search folds them all
   (timed once: ``fold``).
2. Timed, ``--queries`` each, in alternating rounds against the **baseline**: one exact-match
   primary-key read of a volunteer's name and status (``SELECT ... WHERE id = ?``), the cheapest
   useful read of a person:
   - ``exact``: a person's full name as stored, through ``find_volunteers``;
   - ``typo``: the name with two neighbouring letters swapped in every word, lower case and
     without accents ("Siobhán Ní Bhriain" -> "isobhan in bhirain");
   - ``surname``: the surname alone (many matches, ranked);
   - ``email``, ``subject``: exact look-ups;
   - ``dpo``: the whole DPO search (``PersonSearchService.search``, limit 20): the typo query,
     then the gate, one durable ledger append of up to 20 ``dpo.audit`` entries, and the
     employers read.
3. Recall: the share of ``typo`` queries whose intended person (or someone of exactly that name)
   is among the first 20 results, and is first.

Targets: every name search p95 under 250 ms and the whole DPO search p95 under 500 ms at 30,000
volunteers; typo recall in the first 20 at least 95 %. Each figure is printed with its target and
whether it was met, misses included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import structlog  # noqa: E402

PG_ADMIN_URL = os.environ.get("ESP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_NAME_P95_MS = 250.0
TARGET_DPO_P95_MS = 500.0
TARGET_RECALL = 0.95
SHOWN = 20

FIRST = [
    "James",
    "Oliver",
    "Jack",
    "Harry",
    "George",
    "Noah",
    "Charlie",
    "Jacob",
    "Thomas",
    "Oscar",
    "William",
    "Leo",
    "Henry",
    "Joshua",
    "Daniel",
    "Samuel",
    "Joseph",
    "Mohammed",
    "Muhammad",
    "Ethan",
    "Adam",
    "Alexander",
    "Lucas",
    "Isaac",
    "Max",
    "Arthur",
    "Freddie",
    "Dylan",
    "Theo",
    "Archie",
    "Seán",
    "Ciarán",
    "Eoin",
    "Pádraig",
    "Rónán",
    "Tadhg",
    "Cian",
    "Aodhán",
    "Łukasz",
    "Piotr",
    "Jakub",
    "Krzysztof",
    "José",
    "François",
    "Jürgen",
    "Søren",
    "Björn",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophia",
    "Grace",
    "Mia",
    "Poppy",
    "Ella",
    "Lily",
    "Evie",
    "Isabella",
    "Sophie",
    "Ivy",
    "Freya",
    "Harper",
    "Willow",
    "Charlotte",
    "Jessica",
    "Chloe",
    "Daisy",
    "Ruby",
    "Zoë",
    "Siobhán",
    "Niamh",
    "Aoife",
    "Saoirse",
    "Caoimhe",
    "Bríd",
    "Róisín",
    "Éabha",
    "Orla",
    "Sinéad",
    "Agnieszka",
    "Małgorzata",
    "Zofia",
    "Anaïs",
    "Inès",
    "Renée",
    "Chloé",
    "Mary",
    "Elizabeth",
    "Margaret",
    "Sarah",
    "Rachel",
    "Hannah",
    "Priya",
    "Aisha",
    "Fatima",
    "Zainab",
    "Mei",
    "Yusuf",
    "Omar",
    "Ali",
    "Hassan",
    "Amir",
    "Kofi",
    "Ama",
    "Chidi",
    "Ngozi",
]
LAST = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Ó_Briain",
    "O'Connor",
    "O'Sullivan",
    "Mac_Giolla",
    "Ní_Bhriain",
    "Ó_Súilleabháin",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Müller",
    "Schröder",
    "García",
    "Fernández",
    "López",
    "Pérez",
    "Núñez",
    "Dubois",
    "Lefèvre",
    "Smith-Jones",
    "Taylor-Brown",
    "Ahmed",
    "Okafor",
]


def people(count: int, seed: int = 15) -> list[tuple[str, str]]:
    """(display name, email) for ``count`` people; names repeat as common names do."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        first = rng.choice(FIRST)
        last = rng.choice(LAST).replace("_", " ")
        found.append((f"{first} {last}", f"person{n}@bench.example"))
    return found


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def typo_of(name: str) -> str:
    """Every word of 4+ letters with two neighbouring letters swapped, lower case, no accents."""
    words = []
    for word in _plain(name).lower().split():
        if len(word) >= 4:
            i = len(word) // 2 - 1
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        words.append(word)
    return " ".join(words)


# ------------------------------------------------------------------------------ databases


@dataclass
class BenchDatabase:
    kind: str
    url: str
    name: str = ""


async def new_database(kind: str, work: Path, size: int) -> BenchDatabase:
    if kind == "sqlite":
        return BenchDatabase(kind, f"sqlite:///{work / f'search-{size}.sqlite3'}")
    name = f"esp_sbench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return BenchDatabase(kind, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, name)


async def drop_database(db: BenchDatabase) -> None:
    if db.kind != "postgres":
        return
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(db: BenchDatabase, data_dir: Path) -> None:
    """``esp-portal migrate`` in its own process (Piccolo's migration runner keeps state)."""
    env = {
        **os.environ,
        "ESP_DATABASE_URL": db.url,
        "ESP_MIGRATION_DATABASE_URL": db.url,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli.main", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"migrate failed:\n{result.stdout}\n{result.stderr}")


# ------------------------------------------------------------------------------ timing


@dataclass
class Series:
    name: str
    ms: list[float] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.ms)

    def p95(self) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def timed(series: Series, work: Callable[[], Awaitable[Any]]) -> Any:
    started = time.perf_counter()
    result = await work()
    series.ms.append((time.perf_counter() - started) * 1000)
    return result


@dataclass
class Outcome:
    engine: str
    size: int
    fold_s: float
    series: dict[str, Series]
    recall_top: float
    recall_first: float


# ------------------------------------------------------------------------------ one run


async def run_one(kind: str, size: int, queries: int, work: Path) -> Outcome:
    from ledger import Ledger
    from ledger.note import load_or_create_signing_key
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.disclosure.gate import Recipient
    from portal.dpo.people import PersonSearchService
    from portal.gates import build_gate
    from portal.organisations.folding import fold
    from portal.organisations.search import find_volunteers, fold_pending, read_query
    from portal.organisations.services import OrganisationService
    from portal.organisations.tables import Volunteer
    from portal.settings import load_settings

    db = await new_database(kind, work, size)
    data_dir = work / f"data-{kind}-{size}"
    settings = load_settings(database_url=db.url, data_dir=data_dir, log_level="warning")
    migrate(db, data_dir)
    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    ledger = Ledger(engine, signer, settings.ledger_origin)
    await ledger.start()
    try:
        everyone = people(size)
        rows = [Volunteer(display_name=n, email=e, status="active") for n, e in everyone]
        for start in range(0, len(rows), 500):
            await Volunteer.insert(*rows[start : start + 500])
        ids = [str(r.id) for r in rows]
        subjects = [str(r.subject) for r in rows]
        started = time.perf_counter()
        await fold_pending()
        fold_s = time.perf_counter() - started

        service = PersonSearchService(build_gate(ledger, settings), OrganisationService())
        dpo = Recipient("force", "force", "bench-dpo", "api")
        rng = random.Random(size)
        picks = [rng.randrange(size) for _ in range(queries)]
        names = [everyone[i][0] for i in picks]
        kinds = ("baseline", "exact", "typo", "surname", "email", "subject", "dpo")
        series = {k: Series(k) for k in kinds}
        hits_top = hits_first = 0

        async def find(text: str) -> list[Any]:
            return await find_volunteers(read_query(text), SHOWN)

        async def by_key(vid: str) -> Any:
            return (
                await Volunteer.select(Volunteer.display_name, Volunteer.status)
                .where(Volunteer.id == vid)
                .first()
            )

        for n, i in enumerate(picks):
            name, email = everyone[i]
            await timed(series["baseline"], lambda i=i: by_key(ids[i]))
            await timed(series["exact"], lambda name=name: find(name))
            found = await timed(series["typo"], lambda name=name: find(typo_of(name)))
            await timed(series["surname"], lambda name=name: find(name.split()[-1]))
            await timed(series["email"], lambda email=email: find(email))
            await timed(series["subject"], lambda i=i: find(subjects[i]))
            if n % 2 == 0:  # every other: the whole DPO search appends to the ledger
                await timed(
                    series["dpo"],
                    lambda name=name, n=n: service.search(
                        dpo, typo_of(name), limit=SHOWN, request_id=f"bench-{n}"
                    ),
                )
            wanted = fold(name)
            keys = {
                str(r["id"]): str(r["search_key"])
                for r in await Volunteer.select(Volunteer.id, Volunteer.search_key).where(
                    Volunteer.id.is_in([f.volunteer_id for f in found] or [ids[i]])
                )
            }
            shown = [keys.get(f.volunteer_id) for f in found]
            hits_top += wanted in shown
            hits_first += bool(shown) and shown[0] == wanted
        assert names
        return Outcome(kind, size, fold_s, series, hits_top / len(picks), hits_first / len(picks))
    finally:
        await ledger.close()
        await close_engine(engine)
        await drop_database(db)


# ------------------------------------------------------------------------------ report


def report(outcomes: list[Outcome]) -> None:
    print()
    print("| engine | volunteers | query | median ms | p95 ms | median / baseline | target |")
    print("|---|---:|---|---:|---:|---:|---|")
    for o in outcomes:
        base = o.series["baseline"].median()
        for key, s in o.series.items():
            target = ""
            if key in {"exact", "typo", "surname"}:
                met = s.p95() < TARGET_NAME_P95_MS
                target = f"p95 < {TARGET_NAME_P95_MS:.0f} ms {'met' if met else 'MISSED'}"
            elif key == "dpo":
                met = s.p95() < TARGET_DPO_P95_MS
                target = f"p95 < {TARGET_DPO_P95_MS:.0f} ms {'met' if met else 'MISSED'}"
            ratio = "1.00x" if key == "baseline" else f"{s.median() / base:.1f}x"
            print(
                f"| {o.engine} | {o.size:,} | {key} | {s.median():.2f} | {s.p95():.2f} | "
                f"{ratio} | {target} |"
            )
    print()
    print("| engine | volunteers | fold all keys s | typo found in first 20 | typo found first |")
    print("|---|---:|---:|---:|---:|")
    for o in outcomes:
        met = "met" if o.recall_top >= TARGET_RECALL else "MISSED"
        print(
            f"| {o.engine} | {o.size:,} | {o.fold_s:.2f} | {o.recall_top:.0%} ({met}) | "
            f"{o.recall_first:.0%} |"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--sizes", default="3000,30000")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="esp-search-bench-") as tmp:
        for kind in args.engines.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"{kind}, {size:,} volunteers ...", flush=True)
                outcomes.append(await run_one(kind, size, args.queries, Path(tmp)))
    report(outcomes)


if __name__ == "__main__":
    asyncio.run(main())
