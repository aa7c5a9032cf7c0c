"""Getting a token, and both ways of authenticating: token and session."""

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_a_token_is_exchanged_for_username_and_password(api, outsider):
    response = api.post(TOKEN_URL, {"username": "outsider", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert (
        api.post(TOKEN_URL, {"username": "outsider", "password": PASSWORD}, format="json").json()["token"]
        == token
    )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"username": "outsider", "password": "wrong"}, "non_field_errors"),
        ({"username": "nobody", "password": PASSWORD}, "non_field_errors"),
        ({"username": "outsider"}, "password"),
    ],
)
def test_bad_credentials_are_a_400(api, outsider, data, field):
    response = api.post(TOKEN_URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert "token" not in response.json()


def test_the_token_authenticates(api, outsider):
    token = api.post(TOKEN_URL, {"username": "outsider", "password": PASSWORD}, format="json").json()["token"]
    data = {"name": "Herbarium", "kind": "institute", "country": "KE"}
    assert api.post("/api/v1/organizations/", data, format="json").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/v1/organizations/", data, format="json").status_code == 201


def test_a_bad_token_is_a_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api.get("/api/v1/opportunities/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_session_authenticates(client_as, outsider):
    client = client_as(outsider)
    data = {"name": "Herbarium", "kind": "institute", "country": "KE"}
    assert client.post("/api/v1/organizations/", data, content_type="application/json").status_code == 201
