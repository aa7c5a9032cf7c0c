"""Schema fuzzing: schemathesis generates requests for every operation of the service's own OpenAPI
schema, valid and invalid (and, for a third of the JSON bodies each, lone surrogates in every text value
or a value nested deeper than the API accepts), and sends them in-process to the WSGI application, as a
staff member (who may take every step), on a small seeded history. No input may cause a 5xx, and every response must
conform to the schema: its status code, content type, headers and body.

Bounded to finish in a few minutes on 2 cores: at most MAX_EXAMPLES generated cases per operation
besides schemathesis's deterministic coverage cases. SCHEMATHESIS_MAX_EXAMPLES=200 explores more.

Two of schemathesis's default checks are left out, on purpose:
- `positive_data_acceptance` expects every schema-valid request to be accepted, but most of this API's
  refusals depend on the database, which a JSON schema cannot express: unknown country or objective
  codes, opportunities the user may not see, dates in the wrong order, a wrong password, a step the match's
  status does not allow. Those are 400, 404 and 409 answers with a message, as documented.
- `negative_data_rejection` expects every schema-violating request to be refused, but query strings
  are read leniently on purpose, as HTML forms send them: an empty or unparsable filter is ignored
  (django-filter), and form-encoded bodies carry every value as a string.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from matchmaking.models import Notification, Objective
from matchmaking.services.embeddings import embed_opportunities
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.services.outcomes import complete_match
from matchmaking.wsgi import application
from tests.conftest import make_opportunity

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# Real keys of the seeded history, by path parameter and path prefix, filled by the `seeded` fixture.
REAL = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the cases name an object that exists, so handlers run past their 404."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    real = {
        name: REAL[(prefix, name)]
        for (prefix, name) in REAL
        if path.startswith(prefix) and name in path_parameters
    }
    return st.sampled_from([path_parameters, {**path_parameters, **real}])


LONE_SURROGATE = "\ud800"  # JSON may carry it; no text column (nor UTF-8) can


def with_surrogates(body):
    """Every text value of the body replaced by a lone surrogate, as the security audit sent them."""
    if isinstance(body, dict):
        return {key: with_surrogates(value) for key, value in body.items()}
    if isinstance(body, list):
        return [with_surrogates(value) for value in body]
    return LONE_SURROGATE if isinstance(body, str) else body


def nested(body, depth=100):
    """The body with one value buried under `depth` lists, deeper than the API accepts."""
    buried = "x"
    for _ in range(depth):
        buried = [buried]
    return {**body, next(iter(body), "value"): buried}


@schema.hook
def flatmap_case(context, case):
    """A third of the JSON bodies carry lone surrogates, a third nest too deep: both must be a 400
    (form-encoded bodies cannot carry a lone surrogate at all)."""
    if case.media_type != "application/json" or not isinstance(case.body, dict):
        return st.just(case)
    body = case.body

    def variant(make):
        if make is not None:
            case.body = json.dumps(make(body)).encode()  # as bytes: sent as they are, "\ud800" escaped
        return case

    return st.sampled_from([None, with_surrogates, nested]).map(variant)


@pytest.fixture
def wsgi_connections():
    """Requests go through the WSGI handler, whose signals would close the test's connection (and so
    its transaction) after each request; Django's test client switches them off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, staff, party, institute, party_editor, institute_editor, fake_embedder, monkeypatch):
    """A history to act on: opportunities, matches at each stage, an outcome, a notification; and no
    throttle in the way (throttles have their own tests)."""
    for scope in ("anon", "user", "writes", "token"):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, "100000/min")
    request = make_opportunity(
        party, "request", "Our CHM website needs a host", cooperation_type_id="hosting", capacity=3
    )
    offers = [
        make_opportunity(
            institute, "offer", f"Hosting of CHM websites {n}", cooperation_type_id="hosting", capacity=3
        )
        for n in range(3)
    ]
    embed_opportunities([request.pk, *(offer.pk for offer in offers)])
    proposed, started, completed = (
        express_interest(user=party_editor, request=request, offer=offer) for offer in offers
    )
    for match in (started, completed):
        accept_match(match, user=institute_editor)
        start_match(match, user=party_editor)
    outcome = complete_match(completed, user=institute_editor, outcome={"summary": "Hosted."})
    notification = Notification.objects.create(
        user=staff, kind="suggestions", message="New postings fit yours."
    )
    REAL.clear()
    REAL.update(
        {
            ("/api/v1/opportunities/", "id"): request.pk,
            ("/api/v1/matches/", "id"): proposed.pk,
            ("/api/v1/outcomes/", "id"): outcome.pk,
            ("/api/v1/notifications/", "id"): notification.pk,
            ("/api/v1/organizations/", "id"): party.pk,
            ("/api/v1/organizations/", "organization_pk"): party.pk,
            ("/api/v1/organizations/", "username"): "party_editor",
            ("/api/v1/countries/", "code"): "CD",
            ("/api/v1/cooperation-types/", "slug"): "hosting",
            ("/api/v1/themes/", "slug"): "forest",
            ("/api/v1/frameworks/", "code"): Objective.objects.get(code="1.1").framework.code,
            ("/api/v1/objectives/", "code"): "1.1",
        }
    )
    yield Token.objects.create(user=staff).key
    REAL.clear()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, seeded, wsgi_connections):
    case.call_and_validate(
        headers={"Authorization": f"Token {seeded}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
