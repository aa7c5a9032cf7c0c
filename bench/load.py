"""Load test: a production-like server under a mix of browsing, matches calls and opportunity.

    .venv/bin/python bench/load.py                        # 10,000 opportunities, 20 users, 60 s
    .venv/bin/python bench/load.py --restart-db-at 20 \\
        --restart-command "pg_ctlcluster 15 main restart"  # PostgreSQL restarted 20 s in

The restart run restarts the whole PostgreSQL server: where others share it, point --admin-url at a
cluster of your own (docs/deploy.md shows how the measured runs did).

What it does, on 127.0.0.1 only, bounded in time:

1. prepares (in a subprocess, with Django) a PostgreSQL database `bench_load` on the server of
   --admin-url: migrated, filled with --opportunities open opportunities in bulk by bench/bench_matches.py's
   `fill` (synthetic texts, analysed as the service stores them, and random unit vectors of the
   configured model, as if already embedded), with --users users, each
   an editor of one organization with an API token, and the cache table;
2. starts gunicorn as production runs it (DJANGO_DEBUG=0, the database task backend, the database
   cache for throttle counters, persistent connections with health checks; see GUNICORN below and
   docs/deploy.md), and one `manage.py db_worker` for the embedding tasks;
3. runs locust headless, in this process, with --users concurrent users for --warmup seconds (not
   counted: each gunicorn process builds its index of open opportunities and loads the model once), then
   for --duration seconds: browsers read pages and the API, matchers pull recommendations, posters
   post requests and offers and look at their recommendations. Requests carry X-Forwarded-Proto:
   https and, for each simulated person, an X-Forwarded-For address of their own, as the reverse
   proxy sets them (the server trusts one proxy, DJANGO_NUM_PROXIES=1, so the throttles count per
   person, not for the whole test at once);
4. prints throughput, p50/p95/p99 latency and the error rate, overall and per request, the
   answers second by second around the restart when --restart-db-at is given, and the anchor: the
   numpy exact top-10 over as many vectors of the model's dimension, measured before the load, with
   the matches call's p95 as a multiple of it.

Locust patches the standard library for gevent when imported, so Django never runs in this process:
the preparation is a subprocess, and locust is imported only after it.
"""

import argparse
import contextlib
import json
import os
import random
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "bench_load"
VENV_BIN = Path(sys.executable).parent
WORDS = (
    "hosting server website mirror training webmaster taxonomy herbarium collection grant funding data "
    "portal species checklist marine coastal forest island invasive protected areas biosafety "
    "traditional knowledge education awareness climate mentoring research digitisation specimens"
).split()


def gunicorn_command(args):
    """The gunicorn settings under test (docs/deploy.md explains them)."""
    return [
        str(VENV_BIN / "gunicorn"),
        "matchmaking.wsgi",
        f"--bind=127.0.0.1:{args.port}",
        f"--workers={args.workers}",
        "--worker-class=gthread",
        f"--threads={args.threads}",
        "--timeout=60",
        "--graceful-timeout=30",
        "--keep-alive=5",
        "--max-requests=0",  # a restarted worker rebuilds its index: no periodic restarts
        "--log-level=warning",
    ]


# --------------------------------------------------------------------------- preparation (Django)


def prepare(args):
    """Runs in a subprocess: the database, its opportunities, users and tokens. Prints JSON."""
    import psycopg

    url = database_url(args)
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and not args.keep_db:
            conn.execute(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
        if not exists or not args.keep_db:
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    os.environ["DATABASE_URL"] = url
    os.environ.update({k: v for k, v in server_environment(args).items() if k.startswith("DJANGO_CACHE")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from matchmaking.choices import MemberRole, Moderation, OpportunityStatus
    from matchmaking.models import Membership, Opportunity, Organization
    from matchmaking.recommendations.embedding import embedder

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    started = time.perf_counter()
    if Opportunity.objects.count() < args.opportunities:
        from bench_matches import fill

        fill(args.opportunities - Opportunity.objects.count())
    fill_seconds = time.perf_counter() - started
    users = []
    organizations = list(Organization.objects.order_by("id")[: args.users])
    Organization.objects.filter(pk__in=[o.pk for o in organizations]).update(
        verified=True
    )  # posts are public
    for i, organization in enumerate(organizations):
        user, _ = get_user_model().objects.get_or_create(username=f"bench{i}")
        Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": MemberRole.EDITOR}
        )
        token, _ = Token.objects.get_or_create(user=user)
        users.append({"token": token.key, "organization": organization.pk})
    ids = list(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN, moderation=Moderation.APPROVED).values_list(
            "id", flat=True
        )
    )
    print(
        json.dumps(
            {
                "postings": len(ids),
                "fill_seconds": round(fill_seconds, 1),
                "ids": random.Random(1).sample(ids, min(len(ids), 5000)),
                "pages": max(1, len(ids) // 20),
                "users": users,
                "dim": embedder().dim,
            }
        )
    )


def database_url(args):
    base = args.admin_url.rsplit("/", 1)[0]
    return f"{base}/{DB_NAME}"


def server_environment(args):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": database_url(args),
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # made for the run, never stored
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DJANGO_CACHE_BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "DJANGO_CACHE_LOCATION": "django_cache",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_NUM_PROXIES": "1",  # behind one reverse proxy, which says who the client is
    }


def wait_for(url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(
                urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"}), timeout=5
            )
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The server did not answer {url} within {seconds} s.")


# --------------------------------------------------------------------------- the load (locust)


def run_load(args, data):
    import gevent
    from locust import HttpUser, between, events, task
    from locust.env import Environment

    ids, pages, accounts = data["ids"], data["pages"], list(data["users"])
    https = {"X-Forwarded-Proto": "https"}  # what the reverse proxy says

    def proxied():
        """The reverse proxy's headers for one simulated person, at an address of their own (the
        throttles count per address, as they would for people in different places)."""
        return {
            **https,
            "X-Forwarded-For": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}",
        }

    class Browser(HttpUser):
        """Someone reading the site and the API: pages, opportunities, search."""

        weight = 12
        wait_time = between(0.1, 0.5)

        def on_start(self):
            self.client.headers.update(proxied())

        @task(3)
        def browse(self):
            self.client.get(f"/postings/?page={random.randint(1, min(pages, 50))}", name="/postings/?page")

        @task(3)
        def opportunity_page(self):
            self.client.get(f"/postings/{random.choice(ids)}/", name="/postings/{id}/")

        @task(1)
        def home(self):
            self.client.get("/", name="/")

        @task(1)
        def search(self):
            self.client.get(f"/search/?q={'+'.join(random.sample(WORDS, 2))}", name="/search/?q")

        @task(2)
        def api_list(self):
            self.client.get(
                f"/api/v1/opportunities/?page={random.randint(1, 50)}", name="/api/v1/opportunities/"
            )

        @task(2)
        def api_detail(self):
            self.client.get(
                f"/api/v1/opportunities/{random.choice(ids)}/", name="/api/v1/opportunities/{id}/"
            )

    class Account(HttpUser):
        abstract = True

        def on_start(self):
            self.account = accounts[random.randrange(len(accounts))]
            self.client.headers.update({**proxied(), "Authorization": f"Token {self.account['token']}"})

    class Matcher(Account):
        """A REST client pulling recommendations."""

        weight = 7
        wait_time = between(0.1, 0.5)

        @task
        def matches(self):
            self.client.get(
                f"/api/v1/opportunities/{random.choice(ids)}/matches/?limit=10",
                name="/api/v1/opportunities/{id}/matches/",
            )

    class Poster(Account):
        """A focal point or an institute opportunity, then looking at its recommendations."""

        weight = 1
        wait_time = between(3, 6)

        @task
        def post(self):
            body = {
                "direction": random.choice(["offer", "request"]),
                "title": " ".join(random.sample(WORDS, 6)).capitalize(),
                "description": " ".join(random.choices(WORDS, k=60)),
                "organization": self.account["organization"],
                "cooperation_type": random.choice(["hosting", "training", "funding", "technical_advice"]),
                "themes": random.sample(["forest", "taxonomy", "information_systems", "marine_coastal"], 2),
            }
            response = self.client.post(
                "/api/v1/opportunities/", json=body, name="POST /api/v1/opportunities/"
            )
            if response.status_code == 201:
                self.client.get(
                    f"/api/v1/opportunities/{response.json()['id']}/matches/?limit=10",
                    name="/api/v1/opportunities/{new id}/matches/",
                )

    codes = Counter()
    timeline = defaultdict(Counter)
    clock = {"start": None}

    @events.request.add_listener
    def count(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
        status = getattr(response, "status_code", 0) or 0
        if clock["start"] is not None:
            codes[status] += 1
            timeline[int(time.monotonic() - clock["start"])][status] += 1

    env = Environment(
        user_classes=[Browser, Matcher, Poster], events=events, host=f"http://127.0.0.1:{args.port}"
    )
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.users)
    print(f"Warming up for {args.warmup} s ...", flush=True)
    gevent.sleep(args.warmup)
    env.stats.reset_all()
    clock["start"] = time.monotonic()
    print(f"Measuring for {args.duration} s with {args.users} users ...", flush=True)
    if args.restart_db_at is not None:

        def restart():
            print(f"t={args.restart_db_at}s: {args.restart_command}", flush=True)
            started = time.monotonic()
            subprocess.run(shlex.split(args.restart_command), check=True)
            print(f"PostgreSQL restarted in {time.monotonic() - started:.1f} s", flush=True)

        gevent.spawn_later(args.restart_db_at, restart)  # subprocess is gevent's here: the load goes on
    gevent.sleep(args.duration)
    runner.quit()
    elapsed = time.monotonic() - clock["start"]
    return env.stats, codes, timeline, elapsed


def report(stats, codes, timeline, elapsed, args, data):
    total = stats.total
    print()
    print(
        f"Load: {args.users} users for {args.duration} s on {data['postings']} postings; gunicorn "
        f"{args.workers} workers x {args.threads} threads (gthread), DJANGO_DEBUG=0, PostgreSQL"
    )
    print(
        f"{'request':45} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}  (ms)"
    )
    rows = sorted(stats.entries.values(), key=lambda e: -e.num_requests) + [total]
    for entry in rows:
        name = entry.name if entry is not total else "TOTAL"
        print(
            f"{name[:45]:45} {entry.num_requests:7d} {entry.num_failures:5d} {entry.num_requests / elapsed:7.1f} "
            f"{entry.get_response_time_percentile(0.5):6.0f} {entry.get_response_time_percentile(0.95):6.0f} "
            f"{entry.get_response_time_percentile(0.99):6.0f} {entry.max_response_time:7.0f}"
        )
    rate = total.num_failures / total.num_requests if total.num_requests else 0.0
    print(
        f"\nThroughput {total.num_requests / elapsed:.1f} requests/s; latency p50 "
        f"{total.get_response_time_percentile(0.5):.0f} ms, p95 {total.get_response_time_percentile(0.95):.0f} ms, "
        f"p99 {total.get_response_time_percentile(0.99):.0f} ms; errors {total.num_failures} of "
        f"{total.num_requests} ({rate:.2%})"
    )
    print("Answers by status:", dict(sorted(codes.items())))
    anchor_p50, anchor_p95 = data["anchor"]
    matches = stats.get("/api/v1/opportunities/{id}/matches/", "GET")
    print(
        f"numpy exact top-10 over {data['postings']} x {data['dim']} (before the load): p50={anchor_p50:.2f} ms "
        f"p95={anchor_p95:.2f} ms; matches p95 under load = "
        f"{matches.get_response_time_percentile(0.95) / anchor_p95:.0f} x numpy"
    )
    for error in stats.errors.values():
        print(f"  {error.occurrences} x {error.method} {error.name}: {error.error}")
    if args.restart_db_at is not None:
        print("\nSecond by second around the restart (status: count):")
        for second in range(max(0, args.restart_db_at - 3), min(args.duration, args.restart_db_at + 15)):
            print(f"  t={second:3d}s  {dict(sorted(timeline[second].items()))}")
        after = [c for s, c in timeline.items() if s > args.restart_db_at + 10]
        bad = sum(n for c in after for status, n in c.items() if status >= 500 or status == 0)
        print(f"Errors from {args.restart_db_at + 10} s on (after the restart): {bad}")
    return rate


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="Seconds measured.")
    parser.add_argument("--warmup", type=int, default=45, help="Seconds of load before measuring.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8041)
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep-db", action="store_true", help="Reuse the filled database of a previous run.")
    parser.add_argument("--restart-db-at", type=int, default=None, help="Restart PostgreSQL this many s in.")
    parser.add_argument("--restart-command", default="pg_ctlcluster 15 main restart")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare(args)

    print(f"Preparing {DB_NAME} with {args.opportunities} opportunities ...", flush=True)
    prepared = subprocess.run(
        [sys.executable, __file__, "--prepare", *sys.argv[1:]], cwd=ROOT, capture_output=True, text=True
    )
    if prepared.returncode:
        raise SystemExit(prepared.stderr)
    data = json.loads(prepared.stdout.strip().splitlines()[-1])
    print(f"{data['postings']} postings ready (filled in {data['fill_seconds']} s).", flush=True)
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_matches import numpy_exact_top10

    data["anchor"] = numpy_exact_top10(data["postings"], data["dim"])

    env = server_environment(args)
    server = subprocess.Popen(gunicorn_command(args), cwd=ROOT, env=env, start_new_session=True)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{args.port}/api/v1/themes/")
        stats, codes, timeline, elapsed = run_load(args, data)
        rate = report(stats, codes, timeline, elapsed, args, data)
    finally:
        for process in (server, worker):
            with contextlib.suppress(ProcessLookupError):  # the worker stops when PostgreSQL restarts
                os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    if args.restart_db_at is None and rate > 0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
