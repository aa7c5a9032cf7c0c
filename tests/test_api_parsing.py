"""Bodies that JSON allows but the service cannot hold are refused with a 400, never a 500: text
with a lone UTF-16 surrogate, and nesting deeper than any body of the API."""

import pytest

from matchmaking.models import Opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"


def post(client, path, body):
    return client.generic("POST", path, body, content_type="application/json")


@pytest.mark.parametrize(
    "field", ["direction", "title", "cooperation_type", "status", "languages", "eligible_countries"]
)
def test_a_lone_surrogate_in_any_value_is_a_400(client_for, party, field):
    value = '["\\ud800"]' if field in ("languages", "eligible_countries") else '"\\ud800"'
    body = f'{{"direction": "request", "title": "Hosting", "organization": {party.pk}, "{field}": {value}}}'
    response = post(client_for("party_editor"), URL, body)
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not Opportunity.objects.exists()


def test_a_lone_surrogate_in_a_key_is_a_400(client_for):
    response = post(client_for("party_editor"), URL, '{"\\udfff": 1}')
    assert response.status_code == 400


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 3_000 + "1" + "}" * 3_000, "[" * 40 + "]" * 40])
@pytest.mark.parametrize("who, path", [("party_editor", URL), ("anonymous", "/api/v1/auth/token/")])
def test_deeply_nested_json_is_a_400(client_for, who, path, body):
    response = post(client_for(who), path, body)
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_the_message_is_in_the_readers_language(client_for):
    client = client_for("party_editor")
    response = client.generic(
        "POST", URL, "[" * 100, content_type="application/json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"] and "nested" not in response.json()["detail"]


def test_ordinary_bodies_still_parse(client_for, party):
    body = f'{{"direction": "request", "title": "Hébergement 中文", "organization": {party.pk}}}'
    response = post(client_for("party_editor"), URL, body)
    assert response.status_code != 400 or "parse" not in str(response.json())
