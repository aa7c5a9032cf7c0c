"""Latency of the matches endpoint over real HTTP, and the server's memory, at N open opportunities.

    .venv/bin/python bench/bench_matches.py --sizes 1000 10000 100000

For each N it fills a PostgreSQL database (`bench_matches` on the local server, recreated) with
N open opportunities in bulk (synthetic texts and random unit vectors, as if already embedded), starts
gunicorn (1 worker, DJANGO_DEBUG=0) on 127.0.0.1, warms the in-process index with one call, then
times `GET /api/v1/opportunities/{id}/matches/?limit=10` for random opportunities and prints p50/p95
latency and the worker's resident memory. Loopback only; bounded by --calls.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "bench_matches"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
WORDS = (
    "hosting server website mirror bandwidth training webmaster taxonomy herbarium collection grant "
    "funding data portal species checklist marine coastal forest island invasive protected areas "
    "biosafety traditional knowledge education awareness climate mentoring research digitisation "
    "specimens metadata standards toolkit capacity focal point national strategy reporting"
).split()
TYPES = [
    row["slug"]
    for row in json.loads((ROOT / "matchmaking/data/vocabularies.json").read_text())["cooperation_types"]
]
THEMES = [
    "forest",
    "marine_coastal",
    "island",
    "taxonomy",
    "invasive_species",
    "protected_areas",
    "information_systems",
    "cepa",
    "biosafety",
    "climate_change",
]
GROUPS = ["developing", "ldc", "sids", "eu", "AFR", "APAC", "GRULAC"]
LANGS = ["en", "fr", "es", "pt", "ar"]


def recreate_database():
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def fill(n, dim, seed=1):
    """Creates n open opportunities with vectors, in bulk, through the ORM."""
    import numpy as np
    from django.db import transaction

    from matchmaking.choices import EmbeddingStatus
    from matchmaking.models import Country, Opportunity, OpportunityEmbedding, Organization
    from matchmaking.recommendations.embedding import embedder

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    model_name = embedder().name
    codes = list(Country.objects.filter(un_member=True).values_list("code", flat=True))
    with transaction.atomic():
        orgs = Organization.objects.bulk_create(
            [
                Organization(name=f"Org {i}", kind="institute", country_id=rng.choice(codes))
                for i in range(max(n // 20, 10))
            ]
        )
    Through = Opportunity.themes.through
    LangThrough = Opportunity.languages.through
    GroupThrough = Opportunity.eligible_groups.through
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        with transaction.atomic():
            opportunities = Opportunity.objects.bulk_create(
                [
                    Opportunity(
                        direction=rng.choice(["offer", "request"]),
                        title=" ".join(rng.choices(WORDS, k=6)).capitalize(),
                        description=" ".join(rng.choices(WORDS, k=60)),
                        cooperation_type_id=rng.choice(TYPES),
                        organization=rng.choice(orgs),
                        capacity=rng.choice([1, 2, 5]),
                        status="open",
                    )
                    for _ in range(size)
                ]
            )
            vectors = np_rng.standard_normal((size, dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            OpportunityEmbedding.objects.bulk_create(
                [
                    OpportunityEmbedding(
                        opportunity=p,
                        status=EmbeddingStatus.READY,
                        model_name=model_name,
                        text_hash="synthetic",
                        vector=vectors[i].tobytes(),
                    )
                    for i, p in enumerate(opportunities)
                ]
            )
            Through.objects.bulk_create(
                [
                    Through(opportunity=p, theme_id=t)
                    for p in opportunities
                    for t in rng.sample(THEMES, rng.randint(0, 2))
                ]
            )
            LangThrough.objects.bulk_create(
                [
                    LangThrough(opportunity=p, language_id=lang)
                    for p in opportunities
                    for lang in rng.sample(LANGS, rng.randint(1, 2))
                ]
            )
            GroupThrough.objects.bulk_create(
                [
                    GroupThrough(opportunity=p, countrygroup_id=g)
                    for p in opportunities
                    if p.direction == "offer" and rng.random() < 0.4
                    for g in rng.sample(GROUPS, 1)
                ]
            )
    return list(Opportunity.objects.values_list("id", flat=True))


def rss_mb(pid):
    """Resident memory of a process and its children (the gunicorn worker), in MB."""
    total = 0
    pids = [pid] + [
        int(p)
        for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as status:
                total += sum(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except FileNotFoundError:
            pass
    return total / 1024


def get(url):
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = json.loads(response.read())
    return (time.perf_counter() - t0) * 1000, body


def run(n, calls, port):
    recreate_database()
    os.environ["DATABASE_URL"] = DB_URL
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    ids = fill(n, dim=384)
    print(f"N={n}: created in {time.perf_counter() - t0:.1f}s", flush=True)
    connections.close_all()

    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DATABASE_CONN_MAX_AGE": "600",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; TLS ends at the proxy in production
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "matchmaking.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "900",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1/opportunities"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/themes/", timeout=5)
                break
            except OSError:
                time.sleep(0.3)
        rng = random.Random(2)
        warm_ms, _ = get(f"{base}/{ids[0]}/matches/?limit=10")
        latencies = []
        for _ in range(calls):
            ms, body = get(f"{base}/{rng.choice(ids)}/matches/?limit=10")
            latencies.append(ms)
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[max(0, int(0.95 * len(latencies)) - 1)]
        print(
            f"N={n}: index build (first call) {warm_ms:.0f} ms; {calls} calls: p50={p50:.1f} ms "
            f"p95={p95:.1f} ms; server RSS {rss_mb(server.pid):.0f} MB",
            flush=True,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
    for n in args.sizes:
        # each size in a fresh interpreter, so one run's memory does not colour the next
        if len(args.sizes) > 1:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--sizes",
                    str(n),
                    "--calls",
                    str(args.calls),
                    "--port",
                    str(args.port),
                ],
                check=True,
            )
        else:
            run(n, args.calls, args.port)


if __name__ == "__main__":
    main()
