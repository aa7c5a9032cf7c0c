"""Walks exactly the calls of the contract that outside clients rely on (DESIGN.md), as the
evaluation client makes them: a superuser, a token, organizations, opportunities, matches."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LAST_YEAR = (timezone.localdate() - datetime.timedelta(days=365)).isoformat()
FIELDS = (
    "direction", "title", "description", "cooperation_type", "themes", "objectives", "organization",
    "languages", "eligible_groups", "eligible_countries", "starts_on", "ends_on", "capacity",
)  # fmt: skip


@pytest.fixture
def api(monkeypatch, fake_embedder):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "eval")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "eval-pass")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "eval@example.org")
    call_command("createsuperuser", interactive=False, verbosity=0)
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "eval", "password": "eval-pass"}, format="json"
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    return client


def create(api, path, body):
    response = api.post(path, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id"] is not None
    return response.json()["id"]


def organization(api, name, kind, country):
    return create(api, "/api/v1/organizations/", {"name": name, "kind": kind, "country": country})


def opportunity(api, direction, title, organization, **fields):
    body = {
        "direction": direction,
        "title": title,
        "description": f"{title}: the details of what is offered or needed.",
        "cooperation_type": "hosting",
        "themes": ["information_systems"],
        "objectives": ["2.5", "3.1"],
        "organization": organization,
        "languages": ["fr", "en"],
        "eligible_countries": [],
        "starts_on": None,
        "ends_on": None,
        "capacity": 1,
    }
    if direction == "offer":
        body["eligible_groups"] = []
    body.update(fields)
    assert set(body) <= set(FIELDS)
    return create(api, "/api/v1/opportunities/", body)


def matches(api, opportunity_id):
    response = api.get(f"/api/v1/opportunities/{opportunity_id}/matches/?limit=10")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    for item in results:
        assert set(item["opportunity"]) >= {"id", "title", "direction"}
        assert isinstance(item["score"], float)
        assert isinstance(item["reasons"], dict)
    return [item["opportunity"]["id"] for item in results]


def test_the_contract(api):
    mali = organization(api, "Point focal national du CHM - Mali", "party", "ML")
    chile = organization(api, "Ministerio del Medio Ambiente", "party", "CL")
    norway = organization(api, "Norwegian Environment Agency", "party", "NO")
    france = organization(api, "Point focal national du CHM - France", "party", "FR")
    museum = organization(api, "Muséum régional d'histoire naturelle", "institute", "FR")
    for kind in ("institute", "ngo", "igo", "private", "secretariat"):
        organization(api, f"An organization of kind {kind}", kind, "BE")

    need = opportunity(api, "request", "Site du CHM souvent inaccessible", mali)
    chilean_need = opportunity(api, "request", "Hosting for our CHM", chile)
    norwegian_need = opportunity(api, "request", "Hosting for our CHM", norway, languages=["no", "en"])
    expired_need = opportunity(api, "request", "An old need", chile, ends_on=LAST_YEAR)

    for_developing = opportunity(
        api, "offer", "Hébergement des sites CHM", france, eligible_groups=["developing"]
    )
    for_africa = opportunity(api, "offer", "Hosting in Africa", museum, eligible_groups=["AFR"], capacity=3)
    for_eu = opportunity(api, "offer", "Hosting in Europe", france, eligible_groups=["eu"])
    for_chile = opportunity(
        api,
        "offer",
        "Hosting for Chile",
        museum,
        eligible_countries=["CL"],
        starts_on="2026-01-01",
        ends_on="2099-12-31",
    )
    expired_offer = opportunity(api, "offer", "Hosting that ended", museum, ends_on=LAST_YEAR)
    from_mali = opportunity(api, "offer", "Our own mirror", mali)
    minimal = create(
        api,
        "/api/v1/opportunities/",
        {"direction": "offer", "title": "Any help", "description": "Open to anyone.", "organization": museum},
    )

    # For a request: open offers it is eligible for, of other organizations, never expired
    # (Chile is not on the DAC list, Norway is in no listed group, Mali's own offer is left out).
    assert set(matches(api, need)) == {for_developing, for_africa, minimal}
    assert set(matches(api, chilean_need)) == {for_chile, minimal, from_mali}
    assert set(matches(api, norwegian_need)) == {minimal, from_mali}
    # For an offer: open requests of eligible organizations.
    assert set(matches(api, for_developing)) == {need}
    assert set(matches(api, for_eu)) == set()
    assert set(matches(api, minimal)) == {need, chilean_need, norwegian_need}
    assert set(matches(api, from_mali)) == {chilean_need, norwegian_need}
    # An expired opportunity may be asked about, and is never returned.
    assert expired_offer not in matches(api, expired_need)
    assert expired_need not in matches(api, minimal)


def test_a_bad_value_gets_a_400_with_a_message_per_field(api):
    museum = organization(api, "Muséum", "institute", "FR")
    body = {
        "direction": "offer",
        "title": "Hosting",
        "description": "We host.",
        "organization": museum,
        "themes": ["forests"],
        "languages": ["xx"],
        "eligible_groups": ["nordic"],
        "starts_on": "2027-05-01",
        "ends_on": "2027-04-01",
        "capacity": 0,
    }
    response = api.post("/api/v1/opportunities/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"themes", "languages", "eligible_groups", "capacity"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    response = api.post(
        "/api/v1/opportunities/",
        {**body, "themes": [], "languages": [], "eligible_groups": [], "capacity": 1},
        format="json",
    )
    assert set(response.json()) == {"ends_on"}
