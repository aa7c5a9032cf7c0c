"""The OpenAPI schema: generated without warnings, valid, complete, with every error described."""

import json

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_spec_validator import validate

ENDPOINTS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/organizations/": {"get", "post"},
    "/api/v1/organizations/{id}/focal-point/": {"post", "delete"},
    "/api/v1/organizations/{id}/": {"get", "put", "patch"},
    "/api/v1/organizations/{organization_pk}/members/": {"get", "post"},
    "/api/v1/organizations/{organization_pk}/members/{username}/": {"get", "put", "patch", "delete"},
    "/api/v1/opportunities/": {"get", "post"},
    "/api/v1/opportunities/{id}/": {"get", "put", "patch"},
    "/api/v1/opportunities/{id}/close/": {"post"},
    "/api/v1/opportunities/{id}/reopen/": {"post"},
    "/api/v1/opportunities/{id}/renew/": {"post"},
    "/api/v1/opportunities/{id}/matches/": {"get"},
    "/api/v1/opportunities/{id}/who-could-help/": {"get"},
    "/api/v1/opportunities/{id}/who-could-help/invite/": {"post"},
    "/api/v1/countries/": {"get"},
    "/api/v1/countries/{code}/": {"get"},
    "/api/v1/cooperation-types/": {"get"},
    "/api/v1/cooperation-types/{slug}/": {"get"},
    "/api/v1/themes/": {"get"},
    "/api/v1/themes/{slug}/": {"get"},
    "/api/v1/frameworks/": {"get"},
    "/api/v1/frameworks/{code}/": {"get"},
    "/api/v1/objectives/": {"get"},
    "/api/v1/objectives/{code}/": {"get"},
    "/api/v1/matches/": {"get", "post"},
    "/api/v1/matches/{id}/": {"get"},
    "/api/v1/matches/{id}/accept/": {"post"},
    "/api/v1/matches/{id}/decline/": {"post"},
    "/api/v1/matches/{id}/withdraw/": {"post"},
    "/api/v1/matches/{id}/start/": {"post"},
    "/api/v1/matches/{id}/complete/": {"post"},
    "/api/v1/matches/{id}/cancel/": {"post"},
    "/api/v1/matches/{match_pk}/messages/": {"get", "post"},
    "/api/v1/matches/{match_pk}/messages/{id}/hide/": {"post"},
    "/api/v1/outcomes/": {"get"},
    "/api/v1/outcomes/{id}/": {"get", "put", "patch"},
    "/api/v1/notifications/": {"get"},
    "/api/v1/notifications/{id}/read/": {"post"},
    "/api/v1/notifications/preferences/": {"get", "patch"},
    "/api/v1/reports/summary/": {"get"},
    "/api/v1/reports/objectives/": {"get"},
    "/api/v1/reports/breakdown/": {"get"},
    "/api/v1/reports/gaps/objectives/": {"get"},
    "/api/v1/reports/gaps/themes/": {"get"},
    "/api/v1/reports/gaps/unanswered-requests/": {"get"},
    "/api/v1/reports/gaps/regions/": {"get"},
    "/api/v1/reports/time-to-match/": {"get"},
    "/api/v1/reports/needs/": {"get"},
    "/api/v1/reports/budgets/": {"get"},
    "/api/v1/reports/export/postings/": {"get"},
    "/api/v1/reports/export/matches/": {"get"},
    "/api/v1/reports/export/outcomes/": {"get"},
}


@pytest.fixture(scope="module")
def schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_generates_without_warnings_and_validates(tmp_path):
    GENERATOR_STATS.reset()
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_schema_describes_every_endpoint(schema):
    assert {path: set(methods) for path, methods in schema["paths"].items()} == ENDPOINTS


def test_every_error_response_is_described(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}: {sorted(codes)}"
        if "requestBody" in operation:
            assert "400" in codes, where
        if method != "get" and path != "/api/v1/auth/token/":
            assert {"401", "403"} <= codes, where
        if "{" in path:
            assert "404" in codes, where
        for code in codes - {"200", "201", "204"}:
            assert operation["responses"][code]["content"]["application/json"]["schema"], where


def test_list_filters_are_described(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/opportunities/"]["get"]["parameters"]}
    assert {
        "direction", "cooperation_type", "themes", "objectives", "organization", "country", "un_group",
        "eligible_for", "language", "status", "open_on", "created_after", "created_before", "q", "ordering",
        "page", "page_size", "level", "cofinancing", "budget_currency", "budget_from", "budget_to",
    } <= parameters  # fmt: skip
    matches = schema["paths"]["/api/v1/opportunities/{id}/matches/"]["get"]
    [limit] = [p for p in matches["parameters"] if p["name"] == "limit"]
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (1, 50, 10)


def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # The UI is served from the sidecar package: no CDN, so it works offline.
    assert "drf_spectacular_sidecar/swagger-ui-dist" in docs.content.decode()
