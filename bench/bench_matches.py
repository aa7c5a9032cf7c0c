"""The matches endpoint and text search over real HTTP at N open opportunities, with the numpy anchor.

    .venv/bin/python bench/bench_matches.py --sizes 10000 100000

For each N (each in a fresh interpreter) it fills a PostgreSQL database (`bench_matches` on the
local server, recreated) with N open opportunities in bulk, stored as the service stores them (their
analysed words and a ready vector of the configured model; random unit vectors, synthetic texts),
starts gunicorn (1 worker, DJANGO_DEBUG=0) on 127.0.0.1 and prints:

- how long the new process takes to serve (it loads the index and the model before it serves), its
  first matches call and its first text search;
- steady `GET /api/v1/opportunities/{id}/matches/?limit=10` p50/p95 for random opportunities;
- a matches call right after a write (a posting created or closed through the API), against a steady
  call between writes, and their ratio;
- text search (`?q=`) p50/p95;
- the numpy exact top-10 cosine over an N x dim matrix measured in the same run, and the ratio;
- the worker's resident memory.

Loopback only; bounded by --calls and --writes.
"""

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "bench_matches"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
EVAL = ROOT.parent / "shared" / "eval"
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


def dev_postings():
    return [
        json.loads(line)
        for folder in ("dev", "dev-multilingual")
        for name in ("offers.jsonl", "requests.jsonl")
        for line in (EVAL / folder / name).read_text().splitlines()
        if line.strip()
    ]


def synthetic_texts(n, sentences=3, seed=1):
    """n (title, description) pairs: a title and sentences drawn at random from different postings
    of both development sets (seven languages), so that words, their rarity and the languages are
    spread as in real postings."""
    postings = dev_postings()
    titles = [p["title"] for p in postings]
    pool = [s for p in postings for s in re.split(r"(?<=[.!?。؟])\s*", p["description"]) if len(s) > 20]
    rng = random.Random(seed)
    return [(rng.choice(titles), " ".join(rng.choice(pool) for _ in range(sentences))) for _ in range(n)]


def search_words():
    """Words of five letters or more of the development sets' titles: what the search bench asks."""
    return sorted({w for p in dev_postings() for w in re.findall(r"\w{5,}", p["title"].lower())})


def recreate_database():
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def fill(n, dim=None, seed=1):
    """Creates n open opportunities in bulk through the ORM, as the service stores them: their
    words analysed (`terms`) and a ready vector of the configured model (random unit vectors)."""
    import numpy as np
    from django.db import connection, transaction

    from matchmaking.choices import EmbeddingStatus
    from matchmaking.models import Country, Opportunity, OpportunityEmbedding, Organization
    from matchmaking.recommendations.embedding import embedder, text_language
    from matchmaking.recommendations.index import terms_for

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    model = embedder()
    dim = dim or model.dim
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
    every_text = synthetic_texts(n, seed=seed)
    for start in range(0, n, batch):
        size = min(batch, n - start)
        texts = every_text[start : start + size]
        with transaction.atomic():
            opportunities = Opportunity.objects.bulk_create(
                [
                    Opportunity(
                        direction=rng.choice(["offer", "request"]),
                        title=title,
                        description=description,
                        terms=terms_for(title, description),
                        text_language=text_language(title, description),
                        cooperation_type_id=rng.choice(TYPES),
                        organization=rng.choice(orgs),
                        capacity=rng.choice([1, 2, 5]),
                        status="open",
                    )
                    for title, description in texts
                ]
            )
            vectors = np_rng.standard_normal((size, dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            OpportunityEmbedding.objects.bulk_create(
                [
                    OpportunityEmbedding(
                        opportunity=p,
                        status=EmbeddingStatus.READY,
                        model_name=model.name,
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
    with connection.cursor() as cursor:  # the planner's statistics, as autovacuum would gather them
        cursor.execute("ANALYZE")
    return list(Opportunity.objects.values_list("id", flat=True))


def numpy_exact_top10(n, dim, queries=200, seed=3):
    """The anchor: median and p95 ms of an exact top-10 cosine over n x dim unit vectors in numpy."""
    import numpy as np

    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dim)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    times = []
    for q in rng.standard_normal((queries, dim)).astype(np.float32):
        t0 = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, 10)[:10]
        top[np.argsort(-scores[top])]
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50), percentile(times, 95)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))]


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


def call(url, method="GET", body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(
        url, method=method, headers=headers, data=json.dumps(body).encode() if body is not None else None
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(request, timeout=900) as response:
        answer = json.loads(response.read())
    return (time.perf_counter() - t0) * 1000, answer


def writer_token():
    """An editor of a verified organization, with an API token, for the writes."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from matchmaking.models import Membership, Organization

    organization = Organization.objects.order_by("id").first()
    Organization.objects.filter(pk=organization.pk).update(verified=True)
    user = get_user_model().objects.create(username="bench-writer")
    Membership.objects.create(user=user, organization=organization, role="editor")
    return Token.objects.create(user=user).key, organization.pk


def run(n, calls, writes, port):
    recreate_database()
    os.environ["DATABASE_URL"] = DB_URL
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    from matchmaking.recommendations.embedding import embedder

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    t0 = time.perf_counter()
    ids = fill(n)
    token, organization = writer_token()
    print(f"N={n}: created in {time.perf_counter() - t0:.1f}s", flush=True)
    connections.close_all()
    dim = embedder().dim
    anchor_p50, anchor_p95 = numpy_exact_top10(n, dim)

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": DB_URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DATABASE_CONN_MAX_AGE": "600",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; TLS ends at the proxy in production
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_THROTTLE_ANON": "100000/min",  # one client makes every call
        "DJANGO_THROTTLE_USER": "100000/min",
        "DJANGO_THROTTLE_WRITES": "100000/min",
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "matchmaking.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
         "--timeout", "900", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/api/v1/opportunities"
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/themes/", timeout=900)
                break
            except OSError:
                assert server.poll() is None, "gunicorn stopped"
                time.sleep(0.1)
        serving_s = time.perf_counter() - started
        rng = random.Random(2)
        first_ms, _ = call(f"{base}/{ids[0]}/matches/?limit=10")
        search_first_ms, _ = call(f"{base}/?q=herbarium+training&page_size=20")
        steady = [call(f"{base}/{rng.choice(ids)}/matches/?limit=10")[0] for _ in range(calls)]
        after_write, steady_between = [], []
        for i in range(writes):
            if i % 2 == 0:
                _, created = call(base + "/", "POST", {
                    "direction": rng.choice(["offer", "request"]), "title": f"Bench posting {i} on herbarium data",
                    "description": " ".join(synthetic_texts(1, seed=i)[0]), "cooperation_type": rng.choice(TYPES),
                    "organization": organization,
                }, token)  # fmt: skip
            else:
                call(f"{base}/{created['id']}/close/", "POST", {}, token)
            after_write.append(call(f"{base}/{rng.choice(ids)}/matches/?limit=10")[0])
            steady_between.append(call(f"{base}/{rng.choice(ids)}/matches/?limit=10")[0])
        words = search_words()
        searches = [
            call(f"{base}/?q={quote_plus(' '.join(rng.sample(words, 2)))}&page_size=20")[0]
            for _ in range(calls // 2)
        ]
        p50, p95 = percentile(steady, 50), percentile(steady, 95)
        write_ratio = statistics.median(after_write) / statistics.median(steady_between)
        print(
            f"N={n}: process serving {serving_s:.1f} s after start (index built, model loaded); "
            f"first matches call {first_ms:.0f} ms; first search {search_first_ms:.0f} ms\n"
            f"N={n}: steady matches over HTTP ({calls} calls): p50={p50:.1f} ms p95={p95:.1f} ms\n"
            f"N={n}: right after a write ({writes} writes, create/close): median {statistics.median(after_write):.1f} ms"
            f" against {statistics.median(steady_between):.1f} ms steady between them: ratio {write_ratio:.2f}\n"
            f"N={n}: text search ({len(searches)} calls): p50={percentile(searches, 50):.1f} ms "
            f"p95={percentile(searches, 95):.1f} ms\n"
            f"N={n}: numpy exact top-10 over {n} x {dim}: p50={anchor_p50:.2f} ms p95={anchor_p95:.2f} ms; "
            f"steady p95 = {p95 / anchor_p95:.0f} x numpy\n"
            f"N={n}: server RSS {rss_mb(server.pid):.0f} MB",
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
    parser.add_argument("--writes", type=int, default=40)
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
                    "--writes",
                    str(args.writes),
                    "--port",
                    str(args.port),
                ],
                check=True,
            )
        else:
            run(n, args.calls, args.writes, args.port)


if __name__ == "__main__":
    main()
