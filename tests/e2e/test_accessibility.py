"""axe-core in every kind of page, in English and in Arabic (right to left): no violation of WCAG 2.1
A and AA nor of axe's best practices, for an anonymous visitor, an editor and staff."""

import pytest
from django.contrib.auth import get_user_model

from matchmaking.choices import MatchStatus
from matchmaking.models import Match
from tests.conftest import PASSWORD, make_opportunity

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accepted(cast):
    request = make_opportunity(
        cast["party"],
        "request",
        "Hébergement du site national du CHM",
        description="Notre serveur tombe souvent en panne : nous cherchons un hébergeur pour le site du CHM.",
        cooperation_type_id="hosting",
        themes=["information_systems"],
        languages=["fr"],
    )
    match = Match.objects.create(
        request=request,
        offer=cast["offer"],
        initiated_by=cast["party"],
        status=MatchStatus.ACCEPTED,
        message="Pouvez-vous héberger notre site ?",
    )
    get_user_model().objects.create_superuser("staff", "staff@example.org", PASSWORD)
    return {**cast, "request": request, "match": match}


def pages_of(data):
    offer, request, match = data["offer"], data["request"], data["match"]
    return {
        None: [
            "/",
            "/postings/",
            "/postings/?open_on=notadate",
            "/search/?q=h%C3%A9bergement+du+site",
            "/search/?q=hosting&direction=offer",
            f"/postings/{offer.pk}/",
            f"/organizations/{data['institute'].pk}/",
            "/dashboard/",
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password-reset/",
        ],
        "marie": [
            "/organization/",
            f"/postings/{request.pk}/",
            f"/postings/{request.pk}/edit/",
            "/postings/new/?direction=request",
            f"/postings/{request.pk}/renew/",
            f"/matches/{match.pk}/",
        ],
        "staff": ["/moderation/", "/moderation/waiting-for-help/"],
    }


@pytest.mark.parametrize("language", ["en", "ar"])
def test_no_page_has_an_accessibility_violation(new_page, axe_violations, accepted, language):
    found = []
    for user, paths in pages_of(accepted).items():
        page = new_page(bypass_csp=True)
        if user:
            sign_in(page, user, PASSWORD)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
        for path in paths:
            response = page.goto(page.base_url + path)
            assert response.status < 500, path
            assert page.locator("html").get_attribute("lang") == language
            found += axe_violations(page)
    assert found == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_form_with_errors_has_no_accessibility_violation(new_page, axe_violations, accepted, language):
    page = new_page(bypass_csp=True)
    sign_in(page, "marie", PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    page.goto(page.base_url + "/postings/new/?direction=request")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_confirmation_has_no_accessibility_violation(new_page, axe_violations, accepted, language):
    page = new_page(bypass_csp=True)
    sign_in(page, "marie", PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    page.goto(page.base_url + f"/matches/{accepted['match'].pk}/")
    page.locator("button[data-action=cancel]").click()  # asks first
    page.wait_for_load_state()
    assert page.locator("form input[name=confirm]").count() == 1
    assert axe_violations(page) == []
