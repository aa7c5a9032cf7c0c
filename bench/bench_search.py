"""The search page and the API's text search over real HTTP at N open opportunities, with the numpy anchor.

    .venv/bin/python bench/bench_search.py --size 10000
    .venv/bin/python bench/bench_search.py --size 10000 --profile     # and where a search spends its time
    .venv/bin/python bench/bench_search.py --size 10000 --reuse       # the postings of the last run again

It fills a PostgreSQL database (`--database-url`, `bench_search` on the local server by default; its
public schema is dropped and made again) with N open opportunities as `bench/bench_matches.py` does
(synthetic texts: a title and three sentences drawn from the postings of both development sets, in
seven languages), but with the real vectors of the configured model, so that meaning finds what it
finds in service, near-identical postings group and passages are chosen by meaning (the vectors are
encoded once and kept in var/bench/). It starts gunicorn (1 worker, DJANGO_DEBUG=0) on 127.0.0.1 and
prints p50/p95 of:

- `GET /search/?q=...&direction=...&page=...`: the search page, HTML (grouping and passages included);
- `GET /api/v1/opportunities/?q=...&direction=...&page_size=20`: the API's text search;

for queries drawn at random: two words of the development sets' titles, or a whole title in any of
their seven languages; both directions, or one; the first page mostly, sometimes the second. Then
the numpy exact top-10 cosine over an N x dim matrix measured in the same run (the anchor), with one
BLAS thread as the web processes have it (matchmaking/wsgi.py) unless OPENBLAS_NUM_THREADS says
otherwise.
`--profile` also runs searches in this process under cProfile and prints where the time goes.

Loopback only; bounded by --calls.
"""

import argparse
import cProfile
import os
import pstats
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

# As a web process has it (matchmaking/wsgi.py), so that the anchor is measured as the server computes.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench_matches import dev_postings, fill, numpy_exact_top10, percentile, search_words  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/bench_search"


def reset_database(url):
    """Drops everything in the database's public schema; creates the database first if there is none
    (through the server's `postgres` database)."""
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        conn = psycopg.connect(url, autocommit=True)
    with conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def real_vectors():
    """Replaces the random vectors `fill` stored with the model's vectors of the postings' texts
    (cached in var/bench/ by model, number and texts)."""
    import hashlib

    import numpy as np

    from matchmaking.models import Opportunity, OpportunityEmbedding
    from matchmaking.recommendations.embedding import embedder, embedding_text

    model = embedder()
    rows = list(Opportunity.objects.order_by("id").values_list("id", "title", "description"))
    texts = [embedding_text(title, description) for _, title, description in rows]
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    cache = ROOT / "var" / "bench" / f"search-{model.name.replace('/', '_')}-{len(texts)}-{digest}.npy"
    if cache.exists():
        matrix = np.load(cache)
    else:
        started = time.perf_counter()
        matrix = np.vstack([model.encode(texts[i : i + 500]) for i in range(0, len(texts), 500)])
        print(f"encoded {len(texts)} texts in {time.perf_counter() - started:.0f} s", flush=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
    embeddings = OpportunityEmbedding.objects.in_bulk([pk for pk, _, _ in rows], field_name="opportunity_id")
    for (pk, _, _), vector in zip(rows, matrix, strict=True):
        embeddings[pk].vector = np.asarray(vector, dtype=np.float32).tobytes()
    OpportunityEmbedding.objects.bulk_update(list(embeddings.values()), ["vector"], batch_size=2000)
    return matrix.shape[1]


def queries(n, seed=5):
    """n (text, direction, page): two title words, or a whole title of the development sets (seven
    languages); both directions half the time; the second page one time in five."""
    rng = random.Random(seed)
    words = search_words()
    titles = [p["title"] for p in dev_postings()]
    out = []
    for _ in range(n):
        text = " ".join(rng.sample(words, 2)) if rng.random() < 0.5 else rng.choice(titles)
        direction = rng.choice(["", "", "offer", "request"])
        out.append((text, direction, 2 if rng.random() < 0.2 else 1))
    return out


def fetch(url):
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=900) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - t0) * 1000


def profile(asked):
    """Runs the page's searches in this process under cProfile; prints the 25 costliest calls."""
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.get("/search/", {"q": "warm"})
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for text, direction, page in asked:
        client.get("/search/", {"q": text, "direction": direction, "page": page})
    profiler.disable()
    print(f"in-process, profiled: {(time.perf_counter() - started) / len(asked) * 1000:.1f} ms a search page")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def run(n, calls, port, url, with_profile, reuse):
    if not reuse:
        reset_database(url)
    os.environ["DATABASE_URL"] = url
    import django
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    from matchmaking.recommendations.embedding import embedder

    call_command("migrate", verbosity=0)
    if not reuse:
        call_command("load_reference", verbosity=0)
        started = time.perf_counter()
        fill(n)
        real_vectors()
        print(f"N={n}: created in {time.perf_counter() - started:.1f} s", flush=True)
    dim = embedder().dim
    asked = queries(calls)
    if with_profile:
        profile(asked[: max(calls // 4, 10)])
    connections.close_all()
    anchor_p50, anchor_p95 = numpy_exact_top10(n, dim)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DATABASE_CONN_MAX_AGE": "600",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_THROTTLE_ANON": "100000/min",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "matchmaking.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", "1", "--timeout", "900", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/themes/", timeout=900)
                break
            except OSError:
                assert server.poll() is None, "gunicorn stopped"
                time.sleep(0.1)
        fetch(f"{base}/search/?q=warm")
        pages, api = [], []
        for text, direction, page in asked:
            query = {"q": text, **({"direction": direction} if direction else {})}
            pages.append(fetch(f"{base}/search/?{urlencode({**query, 'page': page})}"))
            api.append(
                fetch(f"{base}/api/v1/opportunities/?{urlencode({**query, 'page_size': 20, 'page': 1})}")
            )
        print(
            f"N={n}: search page ({len(pages)} searches): p50={percentile(pages, 50):.1f} ms "
            f"p95={percentile(pages, 95):.1f} ms\n"
            f"N={n}: API text search ({len(api)} searches): p50={percentile(api, 50):.1f} ms "
            f"p95={percentile(api, 95):.1f} ms\n"
            f"N={n}: numpy exact top-10 over {n} x {dim}: p50={anchor_p50:.2f} ms p95={anchor_p95:.2f} ms; "
            f"search page p95 = {percentile(pages, 95) / anchor_p95:.0f} x numpy "
            f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})",
            flush=True,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--database-url", default=DEFAULT_DB_URL)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="search the postings a previous run left")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
    run(args.size, args.calls, args.port, args.database_url, args.profile, args.reuse)


if __name__ == "__main__":
    main()
