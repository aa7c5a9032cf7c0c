"""Two web processes over one database, as two hosts behind a load balancer: right after a write
through either, both answer the same recommendations (each reads the change feed at every call)."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.test_backup import database_url

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, path, token, method="GET", body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}") from None


@pytest.fixture
def servers(transactional_reference_data):
    """Two gunicorn processes on the test database: their base URLs."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update({
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # made for the run
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_CONN_MAX_AGE": "60",
    })  # fmt: skip
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "matchmaking.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=environment,
        )  # fmt: skip
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 120
        for base in bases:
            while True:
                try:
                    urllib.request.urlopen(base + "/api/v1/themes/", timeout=30)
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the servers did not start"
                    time.sleep(0.3)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_a_write_through_one_process_is_in_the_next_answer_of_the_other(
    servers, party_editor, institute_editor, party, institute
):
    first, second = servers
    party_token = Token.objects.create(user=party_editor).key
    institute_token = Token.objects.create(user=institute_editor).key
    need = call(first, "/api/v1/opportunities/", party_token, "POST", {
        "direction": "request", "title": "Our national CHM website needs a reliable host",
        "description": "Our server fails every week; we need a host for the national CHM website.",
        "cooperation_type": "hosting", "organization": party.pk,
    })  # fmt: skip
    matches = f"/api/v1/opportunities/{need['id']}/matches/"
    assert call(first, matches, party_token)["results"] == call(second, matches, party_token)["results"] == []

    offer = call(second, "/api/v1/opportunities/", institute_token, "POST", {
        "direction": "offer", "title": "Hosting of national CHM websites",
        "description": "We host national clearing-house mechanism websites on our servers.",
        "cooperation_type": "hosting", "organization": institute.pk,
    })  # fmt: skip
    answers = [call(base, matches, party_token)["results"] for base in (first, second)]
    assert [r["opportunity"]["id"] for r in answers[0]] == [offer["id"]]
    assert answers[0] == answers[1]

    call(first, f"/api/v1/opportunities/{offer['id']}/close/", institute_token, "POST", {})
    assert call(second, matches, party_token)["results"] == call(first, matches, party_token)["results"] == []
