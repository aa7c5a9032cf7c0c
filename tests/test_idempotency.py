"""Safe retries: a 503 says "nothing was changed" only when that is known, and a POST of the API sent
with an Idempotency-Key is carried out once, however often it is retried."""

import datetime
import threading

import pytest
from django.db import OperationalError, connection, connections
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.models import IdempotentRequest
from matchmaking.models import Opportunity
from tests.conftest import make_user

URL = "/api/v1/opportunities/"


def new_request(organization, title="Our national CHM website needs a reliable host"):
    return {
        "direction": "request",
        "title": title,
        "description": "Our server fails several times a month; we need hosting for the national CHM site.",
        "organization": organization.pk,
    }


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def editor_api(party_editor):
    return token_client(party_editor)


def post(client, data, key=None, **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, data, format="json", **extra)


# --------------------------------------------------------------------------- idempotency keys

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_gets_the_first_answer_and_no_second_object(
    editor_api, party, fake_embedder
):
    first = post(editor_api, new_request(party), key="create-1")
    again = post(editor_api, new_request(party), key="create-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Opportunity.objects.filter(organization=party).count() == 1


def test_without_a_key_each_post_creates(editor_api, party, fake_embedder):
    post(editor_api, new_request(party))
    post(editor_api, new_request(party))
    assert Opportunity.objects.filter(organization=party).count() == 2


def test_the_same_key_with_another_body_is_refused(editor_api, party, fake_embedder):
    assert post(editor_api, new_request(party), key="k").status_code == 201
    response = post(editor_api, new_request(party, title="Another request"), key="k")
    assert response.status_code == 422
    assert "another request" in response.json()["detail"]
    assert Opportunity.objects.filter(organization=party).count() == 1


def test_keys_are_per_client(party, party_editor, fake_embedder):
    other = make_user("second_editor")
    party.memberships.create(user=other, role="editor")
    assert post(token_client(party_editor), new_request(party), key="same").status_code == 201
    assert post(token_client(other), new_request(party), key="same").status_code == 201
    assert Opportunity.objects.filter(organization=party).count() == 2


def test_a_refused_request_is_not_kept_so_its_corrected_retry_is_done(editor_api, party, fake_embedder):
    response = post(editor_api, {**new_request(party), "direction": "sideways"}, key="fix-me")
    assert response.status_code == 400
    assert not IdempotentRequest.objects.exists()
    assert post(editor_api, new_request(party), key="fix-me").status_code == 201


def test_a_key_is_forgotten_after_its_lifetime(editor_api, party, fake_embedder, settings):
    post(editor_api, new_request(party), key="daily")
    IdempotentRequest.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1)
    )
    assert post(editor_api, new_request(party), key="daily").status_code == 201
    assert Opportunity.objects.filter(organization=party).count() == 2
    assert IdempotentRequest.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_a_malformed_key_is_a_400(editor_api, party, key):
    response = editor_api.post(URL, new_request(party), format="json", headers={"Idempotency-Key": key})
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    assert not Opportunity.objects.exists()


def test_a_match_proposal_is_idempotent_too(party_request, institute_offer, party_editor, fake_embedder):
    client = token_client(party_editor)
    data = {"request": party_request.pk, "offer": institute_offer.pk}
    answers = [
        client.post("/api/v1/matches/", data, format="json", HTTP_IDEMPOTENCY_KEY="m") for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json() == answers[1].json()


def test_the_token_answer_is_never_kept(api, party_editor):
    from tests.conftest import PASSWORD

    data = {"username": "party_editor", "password": PASSWORD}
    assert api.post("/api/v1/auth/token/", data, format="json", HTTP_IDEMPOTENCY_KEY="t").status_code == 200
    assert not IdempotentRequest.objects.exists()


def test_the_schema_documents_the_key_on_every_post(client):
    schema = client.get("/api/schema/?format=json").json()
    posts = {
        path: operations["post"]
        for path, operations in schema["paths"].items()
        if "post" in operations and path != "/api/v1/auth/token/"
    }
    assert posts
    for path, operation in posts.items():
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in headers, path
        assert "422" in operation["responses"], path


# --------------------------------------------------------------------------- what a 503 says


def failing_below_the_wrappers(monkeypatch, should_fail):
    """Makes the database fail a statement as a server that went away does, where the real driver
    would (below Django's execute wrappers, so the service's own wrappers see it)."""
    execute = CursorWrapper._execute
    seen = []

    def failing(self, sql, params, *ignored):
        seen.append(sql)
        if should_fail(sql, seen):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params, *ignored)

    monkeypatch.setattr(CursorWrapper, "_execute", failing)


def committed_then_failing(monkeypatch):
    """The commit reaches the server, but its answer is lost: the change is saved, the client is
    told of an error. Once."""
    commit = connection._commit
    failed = []

    def lost(*args):
        commit(*args)
        if not failed and Opportunity.objects.exists():
            failed.append(True)
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "_commit", lost)


@pytest.mark.django_db(transaction=True)
def test_a_503_says_nothing_was_changed_when_the_write_was_rolled_back(
    transactional_reference_data, party_editor, monkeypatch, fake_embedder
):
    client = token_client(party_editor)
    party = party_editor.organizations.get()
    failing_below_the_wrappers(monkeypatch, lambda sql, seen: 'INTO "matchmaking_auditlog"' in sql)
    response = post(client, new_request(party))
    monkeypatch.undo()
    assert response.status_code == 503
    assert "Nothing was changed" in response.json()["detail"]
    assert not Opportunity.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_503_after_the_change_was_committed_does_not_say_nothing_was_changed(
    transactional_reference_data, party_editor, monkeypatch, fake_embedder
):
    client = token_client(party_editor)
    party = party_editor.organizations.get()
    committed_then_failing(monkeypatch)
    response = post(client, new_request(party))
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "Nothing was changed" not in detail and "may have been saved" in detail
    assert Opportunity.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_with_the_key_after_a_lost_commit_answers_once(
    transactional_reference_data, party_editor, monkeypatch, fake_embedder
):
    """The audit's case: the create was committed, the answer lost; the retry must not duplicate."""
    client = token_client(party_editor)
    party = party_editor.organizations.get()
    committed_then_failing(monkeypatch)
    lost = post(client, new_request(party), key="retry-me")
    assert lost.status_code == 503 and "same Idempotency-Key" in lost.json()["detail"]
    retry = post(client, new_request(party), key="retry-me")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert Opportunity.objects.count() == 1 and retry.json()["id"] == Opportunity.objects.get().pk


@pytest.mark.django_db(transaction=True)
def test_with_a_key_a_failure_anywhere_before_the_commit_undoes_everything(
    transactional_reference_data, party_editor, monkeypatch, fake_embedder
):
    """With a key the request is one transaction: a failure while the answer is read back, after
    the service's own work, still leaves nothing, and says so."""
    client = token_client(party_editor)
    party = party_editor.organizations.get()

    def after_the_insert(sql, seen):
        inserted = any('INSERT INTO "matchmaking_opportunity"' in s for s in seen[:-1])
        return inserted and sql.lstrip().startswith("SELECT") and "matchmaking_opportunity" in sql

    failing_below_the_wrappers(monkeypatch, after_the_insert)
    response = post(client, new_request(party), key="whole")
    monkeypatch.undo()
    assert response.status_code == 503 and "Nothing was changed" in response.json()["detail"]
    assert not Opportunity.objects.exists() and not IdempotentRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_object(
    transactional_reference_data, party_editor, fake_embedder
):
    party = party_editor.organizations.get()
    token = Token.objects.create(user=party_editor).key
    answers = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            answers.append(post(client, new_request(party), key="race").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201] * 4
    assert Opportunity.objects.count() == 1
