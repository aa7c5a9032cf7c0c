"""Production security: `check --deploy`, security headers and the content security policy, HTTPS
behind a proxy, throttles, password rules, request size caps, and no secret in the repository."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import PASSWORD, make_opportunity

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "t3st-only-Zq8v!r4Kx-not-a-real-key-P9m2#Lw6Yc0Bn7Hd5Jf1",
    "DJANGO_ALLOWED_HOSTS": "chm.example.org",
}


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def production_settings(**env):
    """The settings a production process computes from the environment, read in a subprocess."""
    names = [
        "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
        "SECURE_REFERRER_POLICY", "DATA_UPLOAD_MAX_MEMORY_SIZE",
    ]  # fmt: skip
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update({"DJANGO_SETTINGS_MODULE": "matchmaking.settings", **PRODUCTION, **env})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- deployment checks


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_production_security_is_switched_off():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, DJANGO_SECURE_SSL_REDIRECT="0"
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_production_defaults_are_secure():
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"


def test_production_settings_follow_the_environment():
    values = production_settings(
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme",
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE="2048",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert values["SECURE_HSTS_SECONDS"] == 3600
    assert values["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 2048


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_plain_http_is_redirected_unless_the_proxy_says_https(client, db):
    response = client.get("/api/v1/themes/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/themes/"
    assert client.get("/api/v1/themes/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_https_responses_carry_hsts(client, db):
    response = client.get("/api/v1/themes/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --------------------------------------------------------------------------- headers and content security policy


@pytest.fixture
def pages(db, party, party_editor, institute, fake_embedder):
    """The main pages, as the requesting Party's editor sees them."""
    opportunity = make_opportunity(party, "request", "Our national CHM website needs a reliable host")
    make_opportunity(institute, "offer", "Hosting of national CHM websites")
    return [
        "/",
        reverse("web:browse"),
        reverse("web:search") + "?q=hosting",
        reverse("web:opportunity", args=[opportunity.pk]),
        reverse("web:opportunity_create"),
        reverse("web:my_organization"),
        reverse("web:dashboard"),
        reverse("web:login"),
        reverse("web:signup"),
    ]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.I)


def test_pages_send_security_headers(client, pages):
    response = client.get("/")
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src" not in response["Content-Security-Policy"]  # so: only same-origin scripts
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_need_no_inline_script_or_style_under_the_policy(client_as, party_editor, pages):
    client = client_as(party_editor)
    for url in pages:
        if url in (reverse("web:login"), reverse("web:signup")):
            client.logout()
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_STYLE.search(html), url
        assert not EVENT_HANDLER.search(html), url


def test_api_docs_load_their_script_from_the_site(client, db):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


# --------------------------------------------------------------------------- throttles


@pytest.fixture
def rates(monkeypatch):
    """Low rates for one test: rate("token", "2/min")."""

    def rate(scope, value):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, value)

    return rate


def test_token_requests_are_throttled_per_address(api, outsider, rates):
    rates("token", "2/min")
    good = {"username": "outsider", "password": PASSWORD}
    for _ in range(2):
        assert (
            api.post("/api/v1/auth/token/", {**good, "password": "wrong"}, format="json").status_code == 400
        )
    response = api.post("/api/v1/auth/token/", good, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_writes_are_throttled_per_user_but_reads_are_not(client_for, party, rates):
    rates("writes", "2/min")
    client = client_for("party_editor")
    data = {"direction": "request", "title": "A request", "description": "Help.", "organization": party.pk}
    for _ in range(2):
        assert client.post("/api/v1/opportunities/", data, format="json").status_code == 201
    assert client.post("/api/v1/opportunities/", data, format="json").status_code == 429
    assert client.get("/api/v1/opportunities/").status_code == 200
    other = client_for("institute_editor")  # another user has their own count
    assert (
        other.post(
            "/api/v1/organizations/", {"name": "X", "kind": "ngo", "country": "BE"}, format="json"
        ).status_code
        == 201
    )


def test_staff_are_not_throttled(client_for, party, rates):
    rates("writes", "1/min")
    rates("user", "1/min")
    client = client_for("staff")
    data = {"direction": "request", "title": "A request", "description": "Help.", "organization": party.pk}
    for _ in range(3):
        assert client.post("/api/v1/opportunities/", data, format="json").status_code == 201


def test_anonymous_clients_are_throttled_per_address(api, db, rates):
    rates("anon", "2/min")
    assert [api.get("/api/v1/themes/").status_code for _ in range(3)] == [200, 200, 429]
    other = api.get("/api/v1/themes/", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_sign_in_is_throttled_per_address(client, outsider, rates):
    rates("login", "2/min")
    url = reverse("web:login")
    for _ in range(2):
        response = client.post(url, {"username": "outsider", "password": "wrong"})
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    response = client.post(url, {"username": "outsider", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.fixture
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def sign_in_everywhere(client, api, username, password, address="198.51.100.1"):
    """The status of a sign-in on the web page, the admin and the token endpoint."""
    data = {"username": username, "password": password}
    return [
        client.post(reverse("web:login"), data, REMOTE_ADDR=address).status_code,
        client.post(reverse("admin:login"), data, REMOTE_ADDR=address).status_code,
        api.post("/api/v1/auth/token/", data, format="json", REMOTE_ADDR=address).status_code,
    ]


def test_the_admin_sign_in_locks_an_account_out_after_failures(client, superuser, failure_limit):
    url = reverse("admin:login")
    statuses = [
        client.post(url, {"username": "admin", "password": "wrong"}, REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(failure_limit)
    ]
    assert statuses == [200] * (failure_limit - 1) + [429]
    response = client.post(url, {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429
    assert "Signing in is locked for now" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_on_any_sign_in_lock_the_account_on_all_of_them(client, api, outsider, failure_limit):
    """Failures are counted per account on the web page, the admin and the token endpoint together:
    the third, wherever it happens, locks all three."""
    assert sign_in_everywhere(client, api, "outsider", "wrong", address="192.0.2.1") == [200, 200, 429]
    assert sign_in_everywhere(client, api, "outsider", PASSWORD, address="192.0.2.2") == [429, 429, 429]
    response = api.post("/api/v1/auth/token/", {"username": "outsider", "password": PASSWORD}, format="json")
    assert int(response["Retry-After"]) > 0 and "failed sign-ins" in response.json()["detail"]


def test_failures_from_one_address_lock_it_out_for_every_account(client, api, outsider, failure_limit):
    for number in range(failure_limit):
        client.post(
            reverse("web:login"), {"username": f"ghost{number}", "password": "x"}, REMOTE_ADDR="192.0.2.5"
        )
    data = {"username": "outsider", "password": PASSWORD}
    assert client.post(reverse("web:login"), data, REMOTE_ADDR="192.0.2.5").status_code == 429
    assert api.post("/api/v1/auth/token/", data, format="json", REMOTE_ADDR="192.0.2.5").status_code == 429
    assert api.post("/api/v1/auth/token/", data, format="json", REMOTE_ADDR="192.0.2.6").status_code == 200


def test_a_lockout_is_lifted_by_staff_with_axes_reset(client, api, outsider, failure_limit):
    sign_in_everywhere(client, api, "outsider", "wrong")
    assert sign_in_everywhere(client, api, "outsider", PASSWORD)[2] == 429
    call_command("axes_reset_username", "outsider")
    call_command("axes_reset_ip", "198.51.100.1")
    assert sign_in_everywhere(client, api, "outsider", PASSWORD)[2] == 200


def test_a_successful_sign_in_resets_the_count(client, api, outsider, failure_limit):
    url = reverse("web:login")
    for _ in range(failure_limit - 1):
        client.post(url, {"username": "outsider", "password": "wrong"})
    assert client.post(url, {"username": "outsider", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(failure_limit - 1):
        client.post(url, {"username": "outsider", "password": "wrong"})
    assert client.post(url, {"username": "outsider", "password": PASSWORD}).status_code == 302


def test_password_reset_requests_are_throttled(client, outsider, rates, mailoutbox):
    rates("login", "1/min")
    url = reverse("web:password_reset")
    assert client.post(url, {"email": "outsider@example.org"}).status_code == 302
    assert client.post(url, {"email": "outsider@example.org"}).status_code == 429
    assert len(mailoutbox) == 1


def test_sign_up_is_throttled_per_address_and_keeps_what_was_typed(client, db, rates, mailoutbox):
    rates("signup", "2/min")
    url = reverse("web:signup")
    for number in range(2):
        data = {
            "username": f"newcomer{number}",
            "email": f"newcomer{number}@example.org",
            "password1": "coral-reef-herbarium-42",
            "password2": "coral-reef-herbarium-42",
            "intent": "create",
            "org-name": f"Organization {number}",
            "org-kind": "ngo",
            "org-country": "KM",
        }
        assert client.post(url, data).status_code == 302
    data.update(username="newcomer2", email="newcomer2@example.org")
    response = client.post(url, data)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert 'value="newcomer2@example.org"' in response.content.decode()
    assert not get_user_model().objects.filter(username="newcomer2").exists()
    assert client.post(url, data, REMOTE_ADDR="192.0.2.44").status_code == 302


def test_throttles_are_described_in_the_schema(client, db):
    schema = client.get("/api/schema/?format=json").json()
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "429" in token
    assert "429" in schema["paths"]["/api/v1/opportunities/"]["post"]["responses"]


# --------------------------------------------------------------------------- passwords and request sizes


@pytest.mark.parametrize("password", ["short1A!", "password123", "12345678901", "outsider-pass"])
def test_weak_passwords_are_refused(outsider, password):
    outsider.username = "outsider-pass"
    with pytest.raises(ValidationError):
        validate_password(password, user=outsider)


def test_a_long_uncommon_password_is_accepted(outsider):
    validate_password("coral-reef-herbarium-42", user=outsider)


def test_sign_up_refuses_a_weak_password(client, db):
    response = client.post(
        reverse("web:signup"),
        {"username": "newcomer", "email": "n@example.org", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_api_refuses_a_body_over_the_cap_with_413(client_for, party):
    data = {"direction": "request", "title": "Big", "description": "x" * 5_000, "organization": party.pk}
    response = client_for("party_editor").post("/api/v1/opportunities/", data, format="json")
    assert response.status_code == 413
    assert "2000 bytes" in response.json()["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2_000)
def test_pages_refuse_a_form_over_the_cap(client_as, party_editor, party):
    response = client_as(party_editor).post(
        reverse("web:opportunity_create"),
        {"title": "Big", "description": "x" * 5_000, "organization": party.pk},
    )
    assert response.status_code == 400


def test_the_default_cap_leaves_room_for_the_largest_opportunity(client_for, party):
    data = {
        "direction": "request",
        "title": "t" * 200,
        "description": "é" * 20_000,  # the longest description, two bytes a character
        "organization": party.pk,
        "eligible_countries": [],
    }
    assert client_for("party_editor").post("/api/v1/opportunities/", data, format="json").status_code == 201


# --------------------------------------------------------------------------- secrets

SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"^[ \t]*DJANGO_SECRET_KEY[ \t]*=[ \t]*(?![<$]|\"\$)\S+", re.M),  # a key in an env file
    re.compile(r"^SECRET_KEY\s*=\s*[\"'](?!dev-only-insecure)", re.M),  # a key in settings
]
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}


def repository_files():
    for path in ROOT.rglob("*"):
        if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
            if path.suffix in {".png", ".jpg", ".mo", ".sqlite3", ".pyc", ".gz", ".br"}:
                continue
            if "egg-info" in str(path) or "test-results" in str(path):
                continue
            yield path


def test_no_secret_in_the_repository():
    found = []
    for path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if path == Path(__file__) or path.name == ".env":  # .env is never committed (see below)
            continue
        found += [f"{path.relative_to(ROOT)}: {p.pattern}" for p in SECRET_PATTERNS if p.search(text)]
    assert found == []


def test_env_files_are_ignored_by_git():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
