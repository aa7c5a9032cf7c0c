"""What every form page does after a failed submit (the error summary, after the GOV.UK pattern), and
the confirmation that every destructive step asks for before it acts."""

import re

import pytest
from django.urls import reverse

from matchmaking.choices import MatchStatus, MemberRole
from matchmaking.models import JoinRequest, Match, Membership, Opportunity, Organization
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.services.memberships import request_to_join
from matchmaking.services.moderation import designate_focal_point
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="error-summary"(?P<attrs>[^>]*)>(?P<body>.*?)</div>', re.S)
LINK = re.compile(r'<li><a href="(?P<href>#[^"]+)">(?P<text>.*?)</a></li>')


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Recommendations embed; the real model is never loaded here."""


def summary_links(response):
    """The error summary's links, as (href, text), in order; fails if the page has no summary."""
    found = SUMMARY.search(response.text)
    assert found, "no error summary on the page"
    attrs = found["attrs"]
    assert 'role="alert"' in attrs and 'tabindex="-1"' in attrs and "autofocus" in attrs
    assert "There is a problem" in found["body"]
    return [(link["href"], link["text"]) for link in LINK.finditer(found["body"])]


def hrefs(response):
    return [href for href, _text in summary_links(response)]


@pytest.fixture
def match(institute_editor, institute_offer, party_request):
    """The institute expressed interest in the Party's request."""
    return express_interest(user=institute_editor, request=party_request, offer=institute_offer)


# --------------------------------------------------------------------------- the error summary


def test_a_page_without_errors_has_no_summary(client_as, party_editor):
    page = client_as(party_editor).get(reverse("web:opportunity_create"), {"direction": "request"})
    assert "error-summary" not in page.text


def test_the_summary_links_every_error_of_the_posting_form_to_its_field(client_as, party_editor, party):
    data = {"direction": "request", "organization": party.pk, "title": "", "description": "", "capacity": "0"}
    response = client_as(party_editor).post(reverse("web:opportunity_create"), data)
    assert summary_links(response) == [
        ("#id_title", "Title: Enter a title."),
        ("#id_description", "Description: Describe what is offered or needed."),
        ("#id_cooperation_type", "Kind of cooperation: Choose the kind of cooperation."),
        ("#id_capacity", "Capacity: A posting takes at least one partner."),
    ]
    for field in ("title", "description", "cooperation_type", "capacity"):
        assert f'id="id_{field}"' in response.text  # each link has its target
        assert f'id="id_{field}_error"' in response.text  # and each error is also by its field


def test_the_sign_in_error_links_to_the_first_field(client):
    response = client.post(reverse("web:login"), {"username": "nobody", "password": "wrong-password"})
    [(href, text)] = summary_links(response)
    assert href == "#id_username" and "correct username and password" in text


def test_sign_up_lists_the_new_organizations_errors_too(client):
    data = {
        "username": "focal.point",
        "email": "not-an-address",
        "password1": "a-fine-password-2026",
        "password2": "a-fine-password-2026",
        "intent": "create",
        "org-name": "",
        "org-kind": "party",
        "org-country": "KM",
    }
    links = hrefs(client.post(reverse("web:signup"), data))
    assert links == ["#id_username", "#id_email", "#id_org-name"]  # the form's own error links to its top


def test_registering_an_organization_shows_the_summary(client_as, outsider):
    response = client_as(outsider).post(reverse("web:organization_create"), {"name": "", "kind": "party"})
    assert hrefs(response) == ["#id_name", "#id_country"]


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"username": "outsider", "email": "not-an-address", "role": "viewer"}, ["#id_email"]),
        ({"username": "nobody", "email": "nobody@example.org", "role": "viewer"}, ["#id_username"]),
        ({"username": "outsider", "email": "outsider@example.org", "role": "owner"}, ["#id_role"]),
    ],
)
def test_adding_a_member_shows_the_errors_on_the_organizations_page(
    client_as, party_editor, party, outsider, data, expected
):
    response = client_as(party_editor).post(reverse("web:member_add", args=[party.pk]), data)
    assert response.status_code == 200 and response.context["organization"] == party
    assert hrefs(response) == expected
    assert response.context["member_form"].data["username"] == data["username"]  # what was typed stays
    assert not party.memberships.filter(user=outsider).exists()


def test_adding_someone_already_a_member_is_said_in_the_summary(client_as, party_editor, party, party_viewer):
    data = {"username": "party_viewer", "email": "party_viewer@example.org", "role": "editor"}
    response = client_as(party_editor).post(reverse("web:member_add", args=[party.pk]), data)
    [(href, _text)] = summary_links(response)
    assert href == "#id_username"
    assert party.memberships.get(user=party_viewer).role == MemberRole.VIEWER


def test_asking_to_join_without_an_organization_shows_the_summary(client_as, outsider):
    response = client_as(outsider).post(reverse("web:join"), {"message": "Hello"})
    assert response.status_code == 200 and hrefs(response) == ["#id_organization"]
    assert not JoinRequest.objects.exists()


def test_a_note_too_long_is_refused_before_any_step(client_as, party_editor, match):
    response = client_as(party_editor).post(
        reverse("web:match_action", args=[match.pk, "accept"]), {"note": "x" * 5001}
    )
    assert response.status_code == 200 and hrefs(response) == ["#id_note"]
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED


def test_the_outcome_forms_errors_and_its_indicators_are_in_the_summary(
    client_as, party_editor, institute_editor, match
):
    accept_match(match, user=party_editor)
    start_match(match, user=party_editor)
    data = {
        "summary": "",
        "achieved_on": "2026-01-01",
        "indicators-TOTAL_FORMS": "3",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "10",
        "indicators-0-key": "websites_hosted",
        "indicators-0-value": "",
    }
    response = client_as(institute_editor).post(reverse("web:match_complete", args=[match.pk]), data)
    assert hrefs(response) == ["#id_summary", "#id_indicators-0-value"]


def test_hiding_a_posting_without_a_reason_shows_the_summary(client_as, staff, party_request):
    response = client_as(staff).post(reverse("web:moderation_hide", args=[party_request.pk]), {"reason": ""})
    assert response.status_code == 200
    assert summary_links(response) == [
        ("#id_reason", "Reason: Say why the posting is hidden: its editors will read it.")
    ]
    party_request.refresh_from_db()
    assert party_request.moderation == "approved"


def test_designating_a_focal_point_wrongly_shows_the_summary(client_as, staff, party):
    response = client_as(staff).post(
        reverse("web:moderation_focal_point"), {"organization": party.pk, "country": "XX"}
    )
    assert response.status_code == 200 and hrefs(response) == ["#id_country"]
    party.refresh_from_db()
    assert party.focal_point_of is None


@pytest.mark.parametrize(
    "url, data, expected",
    [
        ("web:confirm_again", {"email": "not-an-address"}, ["#id_email"]),
        ("web:password_reset", {"email": "not-an-address"}, ["#id_email"]),
    ],
)
def test_the_account_pages_show_the_summary(client, url, data, expected):
    assert hrefs(client.post(reverse(url), data)) == expected


def test_the_dashboards_filters_show_the_summary(client):
    response = client.get(reverse("web:dashboard"), {"date_from": "notadate"})
    assert hrefs(response) == ["#id_date_from"]


# --------------------------------------------------------------------------- a bad filter in the URL


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"open_on": "notadate"}, "open_on", "Running on: Enter a valid date."),
        ({"country": "XX"}, "country", "Country of the organization: No country has the code “XX”."),
        ({"eligible_for": "zz"}, "eligible_for", "Open to organizations of: No country has the code “zz”."),
        ({"organization": "abc"}, "organization", "Organization: No organization has the number “abc”."),
        ({"themes": "nonsense"}, "themes", "Themes: Select a valid choice."),
    ],
)
def test_a_bad_filter_in_the_url_is_named_with_its_message(client, institute_offer, query, field, message):
    response = client.get(reverse("web:browse"), query)
    assert response.status_code == 200 and list(response.context["page"]) == []
    [(href, text)] = summary_links(response)
    assert href == f"#id_{field}" and text.replace("&quot;", '"').startswith(message)
    assert f'id="id_{field}_error"' in response.text  # and by the field, which is shown
    assert f'id="id_{field}"' in response.text


def test_several_bad_filters_are_listed_in_the_order_of_the_form(client):
    response = client.get(reverse("web:browse"), {"open_on": "x", "country": "XX", "themes": "nonsense"})
    assert hrefs(response) == ["#id_themes", "#id_country", "#id_open_on"]


def test_a_filter_that_works_only_in_urls_is_shown_when_the_url_gives_it(client, institute_offer):
    response = client.get(reverse("web:browse"), {"open_on": "2026-06-01"})
    assert 'name="open_on" value="2026-06-01"' in response.text
    assert 'name="open_on"' not in client.get(reverse("web:browse")).text


# --------------------------------------------------------------------------- confirmations


def assert_asks(response, question, yes):
    assert response.status_code == 200
    assert question in response.text and yes in response.text
    assert '<input type="hidden" name="confirm" value="yes">' in response.text


@pytest.mark.parametrize(
    "step, who, question, yes, accepted",
    [
        ("decline", "party_editor", "Decline this interest?", "Yes, decline", False),
        ("withdraw", "institute_editor", "Withdraw your interest?", "Yes, withdraw", False),
        ("cancel", "institute_editor", "Cancel this match?", "Yes, cancel the match", True),
    ],
)
def test_ending_a_match_is_confirmed_first_and_keeps_the_note(
    request, client, party_editor, match, step, who, question, yes, accepted
):
    if accepted:
        accept_match(match, user=party_editor)
    status = Match.objects.get(pk=match.pk).status
    client.force_login(request.getfixturevalue(who))
    url = reverse("web:match_action", args=[match.pk, step])
    asked = client.post(url, {"note": "Our plans changed."})
    assert_asks(asked, question, yes)
    assert '<input type="hidden" name="note" value="Our plans changed.">' in asked.text
    assert f'href="{reverse("web:match", args=[match.pk])}"' in asked.text  # "No, go back"
    assert Match.objects.get(pk=match.pk).status == status  # nothing happened yet
    client.post(url, {"note": "Our plans changed.", "confirm": "yes"})
    match.refresh_from_db()
    assert match.status == {"decline": "declined", "withdraw": "withdrawn", "cancel": "cancelled"}[step]
    assert match.events.last().note == "Our plans changed."


def test_accepting_is_not_asked_twice(client_as, party_editor, match):
    client_as(party_editor).post(reverse("web:match_action", args=[match.pk, "accept"]), {"note": ""})
    match.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED


def test_a_step_one_may_not_take_is_refused_without_asking(client_as, party_viewer, match):
    response = client_as(party_viewer).post(
        reverse("web:match_action", args=[match.pk, "decline"]), {"note": ""}, follow=True
    )
    assert "Yes, decline" not in response.text
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED


def test_removing_a_member_is_confirmed_first(client_as, party_editor, party_viewer, party):
    client = client_as(party_editor)
    url = reverse("web:member_remove", args=[party.pk, party_viewer.pk])
    assert_asks(client.post(url), "Remove party_viewer from Point focal CHM de la RD Congo?", "Yes, remove")
    assert party.memberships.filter(user=party_viewer).exists()
    client.post(url, {"confirm": "yes"})
    assert not party.memberships.filter(user=party_viewer).exists()


def test_the_members_table_scrolls_in_its_own_named_region(client_as, party_editor, party):
    page = client_as(party_editor).get(reverse("web:organization", args=[party.pk])).text
    assert '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="members-title">' in page


@pytest.mark.parametrize("where", ["organization", "moderation"])
def test_declining_a_request_to_join_is_confirmed_first(
    client_as, party_editor, staff, party, outsider, where
):
    join = request_to_join(party, user=outsider)
    client = client_as(party_editor if where == "organization" else staff)
    url = reverse("web:join_answer", args=[party.pk, join.pk])
    back = reverse("web:moderation") if where == "moderation" else ""
    data = {"answer": "decline", "next": back} if back else {"answer": "decline"}
    asked = client.post(url, data)
    assert_asks(asked, "Decline the request of outsider to join", "Yes, decline")
    assert f'href="{back or reverse("web:organization", args=[party.pk])}"' in asked.text
    assert JoinRequest.objects.exists()
    response = client.post(url, {**data, "confirm": "yes"})
    assert not JoinRequest.objects.exists() and not party.memberships.filter(user=outsider).exists()
    if back:
        assert response.url == back


def test_accepting_a_request_to_join_is_not_asked(client_as, party_editor, party, outsider):
    join = request_to_join(party, user=outsider)
    client_as(party_editor).post(
        reverse("web:join_answer", args=[party.pk, join.pk]), {"answer": "accept", "role": "viewer"}
    )
    assert party.memberships.filter(user=outsider).exists()


def test_withdrawing_a_focal_point_is_confirmed_first(client_as, staff, party):
    designate_focal_point(party, user=staff, country=party.country)
    client = client_as(staff)
    url = reverse("web:moderation_focal_point_withdraw", args=[party.pk])
    assert_asks(
        client.post(url), "Withdraw the designation of Point focal CHM de la RD Congo?", "Yes, withdraw"
    )
    party.refresh_from_db()
    assert party.focal_point_of_id == "CD"
    client.post(url, {"confirm": "yes"})
    party.refresh_from_db()
    assert party.focal_point_of is None


def test_a_confirmation_page_posts_to_where_it_came_from_with_its_token(party_editor, party_request):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(party_editor)
    url = reverse("web:opportunity_close", args=[party_request.pk])
    assert client.post(url).status_code == 403  # the confirmation itself needs the token
    client.get(reverse("web:opportunity", args=[party_request.pk]))
    token = client.cookies["csrftoken"].value
    asked = client.post(url, {"csrfmiddlewaretoken": token})
    assert f'<form method="post" action="{url}">' in asked.text
    assert 'name="csrfmiddlewaretoken"' in asked.text
    assert Opportunity.objects.get(pk=party_request.pk).status == "open"


def test_the_sign_in_page_still_signs_in(client, party_editor):
    response = client.post(reverse("web:login"), {"username": "party_editor", "password": PASSWORD})
    assert response.status_code == 302


def test_organizations_are_untouched_by_a_refused_form(client_as, outsider):
    before = Organization.objects.count()
    client_as(outsider).post(reverse("web:organization_create"), {"name": "X", "kind": "nonsense"})
    assert Organization.objects.count() == before and not Membership.objects.filter(user=outsider).exists()
