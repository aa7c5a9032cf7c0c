"""Backups restore an identical database, both ways that docs/deploy.md describes: Django's
`dumpdata`/`loaddata` (portable, any database) and PostgreSQL's `pg_dump`/`pg_restore`. Each restores
into a scratch database of its own, which is dumped again and compared with the original."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from matchmaking.models import AuditLog, Match, Opportunity, Outcome
from matchmaking.services.embeddings import embed_opportunities
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.services.outcomes import complete_match
from tests.conftest import make_opportunity, make_user

ROOT = Path(__file__).resolve().parent.parent
# What a backup leaves out: rebuilt by `migrate` (content types, permissions), or transient (sessions,
# the change feed of the recommendation index).
DUMP_EXCLUDES = ["contenttypes", "auth.permission", "sessions", "matchmaking.indexchange"]

pytestmark = pytest.mark.django_db(transaction=True)


def database_url(name):
    params = connection.settings_dict
    auth = quote(params["USER"] or "", safe="")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"], safe="")
    return f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch_database():
    """An empty database beside the test database, dropped afterwards: its URL."""
    name = f"{connection.settings_dict['NAME']}_restore"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url(name)
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(database, *args):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment["DATABASE_URL"] = database
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows_of(path):
    """The rows of a dump. A time whose microseconds are below 1,000 is written with ".000" and reads
    back as a whole second, which is written without: the same instant, written alike here."""
    return json.loads(re.sub(r'(T\d\d:\d\d:\d\d)\.000(Z|[+-]\d\d:\d\d)"', r'\1\2"', Path(path).read_text()))


def dump(path):
    """The whole database as `manage.py dumpdata` writes it, into `path`; returns the parsed rows."""
    call_command(
        "dumpdata", "--natural-foreign", *(f"--exclude={name}" for name in DUMP_EXCLUDES), output=str(path)
    )
    return rows_of(path)


def dump_of(database, path):
    manage(
        database, "dumpdata", "--natural-foreign", *(f"--exclude={n}" for n in DUMP_EXCLUDES), "-o", str(path)
    )
    return rows_of(path)


def counts(database):
    tables = ["matchmaking_opportunity", "matchmaking_match", "matchmaking_outcome", "matchmaking_auditlog"]
    with psycopg.connect(database) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


@pytest.fixture
def history(transactional_reference_data, fake_embedder):
    """A small history: opportunities, a completed match with its outcome, audit entries, a token."""
    from rest_framework.authtoken.models import Token

    from matchmaking.choices import MemberRole
    from matchmaking.models import Membership, Objective, Organization

    party = Organization.objects.create(name="Point focal CHM du Mali", kind="party", country_id="ML")
    institute = Organization.objects.create(name="Meise Botanic Garden", kind="institute", country_id="BE")
    requester, helper = make_user("requester"), make_user("helper")
    Membership.objects.create(user=requester, organization=party, role=MemberRole.EDITOR)
    Membership.objects.create(user=helper, organization=institute, role=MemberRole.EDITOR)
    Token.objects.create(user=requester)
    request = make_opportunity(party, "request", "Training of two webmasters", themes=["information_systems"])
    offer = make_opportunity(
        institute, "offer", "Webmaster training in Brussels", languages=["fr", "en"], eligible_groups=["ldc"]
    )
    make_opportunity(
        institute, "offer", "Taxonomy grants", objectives=Objective.objects.filter(code__in=["1.1", "2.5"])
    )
    embed_opportunities([request.pk, offer.pk])
    match = express_interest(user=requester, request=request, offer=offer, message="Bonjour")
    accept_match(match, user=helper)
    start_match(match, user=requester)
    complete_match(
        match,
        user=helper,
        outcome={"summary": "Two webmasters trained.", "indicators": [{"key": "people_trained", "value": 2}]},
    )
    return match


def test_dumpdata_and_loaddata_restore_an_identical_database(history, scratch_database, tmp_path):
    original = dump(tmp_path / "backup.json")
    manage(scratch_database, "migrate", "--no-input", "-v0")
    manage(scratch_database, "flush", "--no-input")  # the reference data comes from the backup
    manage(scratch_database, "loaddata", str(tmp_path / "backup.json"))

    restored = dump_of(scratch_database, tmp_path / "restored.json")
    assert restored == original
    assert counts(scratch_database) == {
        "matchmaking_opportunity": Opportunity.objects.count(),
        "matchmaking_match": Match.objects.count(),
        "matchmaking_outcome": Outcome.objects.count(),
        "matchmaking_auditlog": AuditLog.objects.count(),
    }
    with psycopg.connect(scratch_database) as conn:
        row = conn.execute(
            "SELECT status, message FROM matchmaking_match WHERE id = %s", [history.pk]
        ).fetchone()
        assert row == ("completed", "Bonjour")
        value = conn.execute("SELECT value FROM matchmaking_outcomeindicator").fetchone()[0]
        assert str(value) == "2.00"
        # New rows get new ids: loaddata moved the sequences past the restored rows.
        next_id = conn.execute("SELECT nextval(pg_get_serial_sequence('matchmaking_opportunity', 'id'))")
        assert next_id.fetchone()[0] > max(Opportunity.objects.values_list("pk", flat=True))


@pytest.mark.skipif(not shutil.which("pg_dump") or not shutil.which("pg_restore"), reason="no pg_dump here")
def test_pg_dump_and_pg_restore_restore_an_identical_database(history, scratch_database, tmp_path):
    original = dump(tmp_path / "backup.json")
    archive = tmp_path / "backup.dump"
    subprocess.run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--file={archive}",
            database_url(connection.settings_dict["NAME"]),
        ],
        check=True,
    )
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={scratch_database}", str(archive)], check=True)

    assert dump_of(scratch_database, tmp_path / "restored.json") == original
    manage(scratch_database, "migrate", "--check")  # the schema is the current one: nothing to apply
