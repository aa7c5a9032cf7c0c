"""The pages about opportunities: home, search, browse, an opportunity with its recommendations, post and edit."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import Moderation, OpportunityStatus
from matchmaking.models import Match, Objective, Opportunity
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Recommendations and search embed; the real model is never loaded here."""


def opportunity_url(opportunity):
    return reverse("web:opportunity", args=[opportunity.pk])


def request_data(party, **changes):
    data = {
        "direction": "request",
        "organization": party.pk,
        "title": "Nous cherchons un hébergeur pour notre site CHM",
        "description": "Notre serveur est peu fiable : nous cherchons un hébergement du site national.",
        "cooperation_type": "hosting",
        "themes": ["information_systems"],
        "objectives": ["2.5"],
        "languages": ["fr"],
        "capacity": "1",
        "publish": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --------------------------------------------------------------------------- home, search, browse


def test_home_shows_counts_and_latest_opportunities(client, party_request, institute_offer, party_draft):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["offer_count"] == 1 and response.context["request_count"] == 1
    assert party_request.title in response.text and institute_offer.title in response.text
    assert party_draft.title not in response.text
    assert 'role="search"' in response.text


def test_user_text_is_escaped_everywhere(client_as, party, party_editor):
    opportunity = make_opportunity(party, "request", SCRIPT, description=f"{SCRIPT} in the description")
    client = client_as(party_editor)
    for url in (
        "/",
        reverse("web:browse"),
        opportunity_url(opportunity),
        reverse("web:opportunity_edit", args=[opportunity.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SCRIPT not in response.text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text, url


def test_search_finds_opportunities_by_their_words(client, party_request, institute_offer):
    response = client.get(reverse("web:search"), {"q": "hosting of clearing-house websites"})
    assert response.status_code == 200
    found = [result["opportunity"] for result in response.context["results"]]
    assert institute_offer in found


def test_search_without_words_lists_nothing(client, institute_offer):
    response = client.get(reverse("web:search"))
    assert response.status_code == 200 and response.context["results"] == []


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"direction": "offer"}, {"offer", "training", "taxonomy", "objective", "closed"}),
        ({"direction": "request"}, {"request"}),
        ({"cooperation_type": "training"}, {"training"}),
        ({"themes": "taxonomy"}, {"taxonomy"}),
        ({"objectives": "1.1"}, {"objective"}),
        ({"country": "CD"}, {"request"}),
        ({"un_group": "WEOG"}, {"offer", "training", "taxonomy", "objective", "closed"}),
        ({"eligible_for": "FR"}, {"request", "training", "taxonomy", "objective", "closed"}),
        ({"language": "en"}, {"offer"}),
        ({"status": "closed"}, {"closed"}),
        ({"q": "webmasters"}, {"training"}),
    ],
)
def test_browse_filters_like_the_api(client, party_request, institute_offer, institute, query, expected):
    opportunities = {
        "request": party_request,
        "offer": institute_offer,
        "training": make_opportunity(
            institute, "offer", "Training of webmasters", cooperation_type_id="training"
        ),
        "taxonomy": make_opportunity(institute, "offer", "Taxonomy grants", themes=["taxonomy"]),
        "objective": make_opportunity(
            institute, "offer", "Cooperation", objectives=list(Objective.objects.filter(code="1.1"))
        ),
        "closed": make_opportunity(institute, "offer", "An old offer", status="closed"),
    }
    response = client.get(reverse("web:browse"), query)
    assert response.status_code == 200
    shown = {opportunity.pk for opportunity in response.context["page"]}
    assert shown == {opportunities[name].pk for name in expected}


def test_browse_offers_what_is_open_to_my_country(client_as, party_editor, party_request, institute):
    for_ldc = make_opportunity(institute, "offer", "For LDCs", eligible_groups=["ldc"])
    for_sids = make_opportunity(institute, "offer", "For SIDS", eligible_groups=["sids"])
    response = client_as(party_editor).get(reverse("web:browse"), {"open_to_me": "on", "direction": "offer"})
    shown = set(response.context["page"])
    assert for_ldc in shown and for_sids not in shown


def test_browse_has_no_open_to_my_country_for_visitors(client):
    response = client.get(reverse("web:browse"))
    assert "open_to_me" not in response.context["filter"].form.fields


def test_browse_shows_neither_drafts_nor_opportunities_waiting_for_approval(
    client_as, party_editor, party_request, party_draft
):
    Opportunity.objects.filter(pk=party_request.pk).update(moderation=Moderation.PENDING)
    response = client_as(party_editor).get(reverse("web:browse"))
    assert list(response.context["page"]) == []


def test_browse_pages_keep_the_filters_in_their_links(client, institute):
    for n in range(23):
        make_opportunity(institute, "offer", f"Offer {n}", themes=["taxonomy"])
    response = client.get(reverse("web:browse"), {"themes": "taxonomy"})
    assert len(response.context["page"]) == 20
    assert "?themes=taxonomy&amp;page=2" in response.text
    second = client.get(reverse("web:browse"), {"themes": "taxonomy", "page": 2})
    assert len(second.context["page"]) == 3


def test_browse_shows_a_bad_filter_next_to_its_field(client, institute_offer):
    response = client.get(reverse("web:browse"), {"themes": "nonsense"})
    assert response.status_code == 200
    assert "themes" in response.context["filter"].form.errors
    assert list(response.context["page"]) == []


def test_browse_makes_a_fixed_number_of_queries(client, institute, django_assert_max_num_queries):
    for n in range(15):
        make_opportunity(institute, "offer", f"Offer {n}", themes=["taxonomy", "forest"])
    with django_assert_max_num_queries(30):
        client.get(reverse("web:browse"))


# --------------------------------------------------------------------------- an opportunity


def test_an_opportunity_shows_everything_about_it(client, party_request):
    party_request.objectives.set(Objective.objects.filter(code="2.5"))
    response = client.get(opportunity_url(party_request))
    assert response.status_code == 200
    text = response.text
    assert party_request.title in text and party_request.organization.name in text
    assert "Information systems" in text and "Hosting" in text
    assert "2.5" in text and "clearing-house mechanism websites" in text  # the objective by name
    assert "<dd>French</dd>" in text


@pytest.mark.parametrize(
    "who, status",
    [("anonymous", 404), ("outsider", 404), ("institute_editor", 404), ("party_viewer", 200), ("staff", 200)],
)
def test_a_draft_is_seen_by_its_organization_only(request, client, party_draft, party_viewer, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(opportunity_url(party_draft)).status_code == status


def test_members_see_recommendations_with_their_reasons(
    client_as, party_editor, party_request, institute_offer
):
    response = client_as(party_editor).get(opportunity_url(party_request))
    [result] = response.context["recommendations"]
    assert result["opportunity"] == institute_offer
    assert 0 <= result["percent"] <= 100
    assert "Shares themes: Information systems" in result["sentences"]
    assert "Your country is eligible: Developing countries (OECD DAC list)" in result["sentences"]
    assert "<meter" in response.text and "Express interest" in response.text


def test_recommendations_make_a_fixed_number_of_queries(
    client_as, party_editor, party_request, institute, django_assert_max_num_queries
):
    for n in range(10):
        make_opportunity(
            institute, "offer", f"Hosting {n}", themes=["information_systems"], eligible_groups=["ldc"]
        )
    client = client_as(party_editor)
    client.get(opportunity_url(party_request))  # builds the index
    with django_assert_max_num_queries(40):
        response = client.get(opportunity_url(party_request))
    assert len(response.context["recommendations"]) == 10


def test_a_viewer_sees_recommendations_but_cannot_express_interest(
    client_as, party_viewer, party_request, institute_offer
):
    response = client_as(party_viewer).get(opportunity_url(party_request))
    assert len(response.context["recommendations"]) == 1
    assert "Express interest" not in response.text


@pytest.mark.parametrize("who", ["anonymous", "outsider", "institute_editor"])
def test_others_do_not_see_the_recommendations(request, client, party_request, institute_offer, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(opportunity_url(party_request))
    assert response.status_code == 200
    assert response.context["recommendations"] == []


def test_hidden_contact_details_are_shown_to_members_only(client, client_as, party_request, party_editor):
    Opportunity.objects.filter(pk=party_request.pk).update(
        contact_email="focal.point@example.cd", hide_contact=True
    )
    assert "focal.point@example.cd" not in client.get(opportunity_url(party_request)).text
    assert "focal.point@example.cd" in client_as(party_editor).get(opportunity_url(party_request)).text


# --------------------------------------------------------------------------- post and edit


def test_opportunity_needs_a_login(client):
    response = client.get(reverse("web:opportunity_create"))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_a_user_without_organization_is_sent_to_register_one(client_as, outsider):
    response = client_as(outsider).get(reverse("web:opportunity_create"))
    assert response.status_code == 302 and response.url == reverse("web:my_organization")


def test_the_form_offers_only_the_organizations_the_user_edits(client_as, party_editor, party, institute):
    response = client_as(party_editor).get(reverse("web:opportunity_create"), {"direction": "request"})
    assert list(response.context["form"].fields["organization"].queryset) == [party]


@pytest.mark.parametrize("direction", ["offer", "request"])
def test_every_field_of_the_form_has_help_text(client_as, party_editor, direction):
    response = client_as(party_editor).get(reverse("web:opportunity_create"), {"direction": direction})
    assert all(field.help_text for field in response.context["form"].fields.values())


def test_posting_starts_with_the_choice_of_an_offer_or_a_request(client_as, party_editor):
    response = client_as(party_editor).get(reverse("web:opportunity_create"))
    assert response.status_code == 200 and "form" not in response.context
    create = reverse("web:opportunity_create")
    assert f'href="{create}?direction=request"' in response.text
    assert f'href="{create}?direction=offer"' in response.text


def test_a_post_without_a_direction_is_refused(client_as, party_editor, party):
    response = client_as(party_editor).post(
        reverse("web:opportunity_create"), request_data(party, direction=None)
    )
    assert response.status_code == 400 and not Opportunity.objects.exists()


def test_the_request_form_shows_no_offer_only_field(client_as, party_editor):
    client = client_as(party_editor)
    request_form = client.get(reverse("web:opportunity_create"), {"direction": "request"})
    assert "eligible_groups" not in request_form.context["form"].fields
    assert 'name="eligible_groups"' not in request_form.text and "Who may take it up" not in request_form.text
    offer_form = client.get(reverse("web:opportunity_create"), {"direction": "offer"})
    assert 'name="eligible_groups"' in offer_form.text and 'name="eligible_countries"' in offer_form.text
    assert "Who may take it up" in offer_form.text


def test_a_request_ignores_an_offers_eligibility_as_when_editing(client_as, party_editor, party):
    data = request_data(party, eligible_groups=["ldc"], eligible_countries=["FR"])
    response = client_as(party_editor).post(reverse("web:opportunity_create"), data)
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and opportunity.direction == "request"
    assert not opportunity.eligible_groups.exists() and not opportunity.eligible_countries.exists()


def test_the_kind_of_cooperation_has_no_silent_default(client_as, party_editor, party):
    client = client_as(party_editor)
    page = client.get(reverse("web:opportunity_create"), {"direction": "request"}).text
    assert '<option value="" selected>Choose a type</option>' in page
    response = client.post(reverse("web:opportunity_create"), request_data(party, cooperation_type=None))
    assert response.status_code == 200 and not Opportunity.objects.exists()
    assert response.context["form"].errors["cooperation_type"] == ["Choose the kind of cooperation."]
    assert (
        '<a href="#id_cooperation_type">Kind of cooperation: Choose the kind of cooperation.</a>'
        in response.text
    )


def test_long_lists_of_choices_are_closed_until_opened(client_as, party_editor, party):
    client = client_as(party_editor)
    page = client.get(reverse("web:opportunity_create"), {"direction": "offer"}).text
    assert page.count('<details class="choices">') == 3  # themes, objectives, eligible groups
    response = client.post(
        reverse("web:opportunity_create"), request_data(party, themes=["forest", "nonsense"], title="")
    )
    themes, objectives = response.text.split('<details class="choices"')[1:3]
    assert themes.startswith(" open>")  # a list with an error opens
    assert objectives.startswith(">")  # the others stay closed, their summary says what is chosen
    assert "Forest biodiversity" in themes.split("</summary>")[0]
    assert "2.5 Parties have established" in objectives.split("</summary>")[0]


def test_objectives_are_picked_by_goal(client_as, party_editor):
    response = client_as(party_editor).get(reverse("web:opportunity_create"), {"direction": "request"})
    assert "Strategic plan of the clearing-house mechanism to 2010 · 1. Cooperation" in response.text
    assert 'value="1.1"' in response.text and 'value="GBF-TARGET-20"' in response.text


def test_an_editor_publishes_a_request(client_as, party_editor, party):
    response = client_as(party_editor).post(reverse("web:opportunity_create"), request_data(party))
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response.url == opportunity_url(opportunity)
    assert opportunity.status == OpportunityStatus.OPEN and opportunity.published_at is not None
    assert opportunity.created_by == party_editor
    assert [o.code for o in opportunity.objectives.all()] == ["2.5"]
    assert [t.slug for t in opportunity.themes.all()] == ["information_systems"]


def test_an_opportunity_of_an_unverified_organization_waits_for_approval(
    client, client_as, party_editor, party
):
    client_as(party_editor).post(reverse("web:opportunity_create"), request_data(party))
    opportunity = Opportunity.objects.get()
    assert opportunity.moderation == Moderation.PENDING
    client.logout()
    assert client.get(opportunity_url(opportunity)).status_code == 404
    assert client.get(f"/api/v1/opportunities/{opportunity.pk}/").status_code == 404


def test_a_verified_organization_posts_straight_away(client_as, institute_editor, institute):
    data = request_data(institute, direction="offer", eligible_groups=["ldc"])
    client_as(institute_editor).post(reverse("web:opportunity_create"), data)
    assert Opportunity.objects.get().moderation == Moderation.APPROVED


def test_an_editor_saves_a_draft_then_publishes_it(client_as, party_editor, party):
    client = client_as(party_editor)
    client.post(reverse("web:opportunity_create"), request_data(party, publish=None, draft="1"))
    opportunity = Opportunity.objects.get()
    assert opportunity.status == OpportunityStatus.DRAFT and opportunity.published_at is None
    client.post(reverse("web:opportunity_publish", args=[opportunity.pk]))
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.OPEN and opportunity.published_at is not None


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": ""}, "title"),
        ({"description": ""}, "description"),
        ({"themes": ["forests"]}, "themes"),
        ({"objectives": ["9.9"]}, "objectives"),
        ({"capacity": "0"}, "capacity"),
        ({"starts_on": "2027-03-01", "ends_on": "2027-01-01"}, "ends_on"),
        ({"ends_on": "2027-01-01", "application_deadline": "2027-02-01"}, "application_deadline"),
        ({"direction": "offer", "eligible_groups": ["nowhere"]}, "eligible_groups"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"cooperation_type": ""}, "cooperation_type"),
    ],
)
def test_errors_are_shown_next_to_their_field_and_in_the_summary(
    client_as, party_editor, party, changes, field
):
    response = client_as(party_editor).post(reverse("web:opportunity_create"), request_data(party, **changes))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert f'id="id_{field}_error"' in response.text
    assert "data-error-summary" in response.text and f'href="#id_{field}"' in response.text
    assert not Opportunity.objects.exists()


def test_one_cannot_post_for_an_organization_one_does_not_edit(client_as, party_viewer, party, institute):
    response = client_as(party_viewer).post(reverse("web:opportunity_create"), request_data(party))
    assert response.status_code == 302 and not Opportunity.objects.exists()


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("staff", 200),
        ("party_viewer", 404),
        ("institute_editor", 404),
        ("outsider", 404),
    ],
)
def test_who_may_edit_a_request(request, client, party_request, party_viewer, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("web:opportunity_edit", args=[party_request.pk])).status_code == status
    response = client.post(
        reverse("web:opportunity_edit", args=[party_request.pk]), request_data(party_request.organization)
    )
    assert response.status_code == (302 if status == 200 else 404)


def test_editing_keeps_direction_and_organization(client_as, party_editor, party_request, institute):
    client = client_as(party_editor)
    form = client.get(reverse("web:opportunity_edit", args=[party_request.pk])).context["form"]
    assert "direction" not in form.fields and "organization" not in form.fields
    assert "eligible_groups" not in form.fields  # a request has none
    data = request_data(
        party_request.organization, title="A new title", direction="offer", organization=institute.pk
    )
    client.post(reverse("web:opportunity_edit", args=[party_request.pk]), data)
    party_request.refresh_from_db()
    assert party_request.title == "A new title"
    assert party_request.direction == "request" and party_request.organization_id != institute.pk


def test_an_editor_closes_an_opportunity_once_confirmed(client_as, party_editor, party_request):
    client = client_as(party_editor)
    url = reverse("web:opportunity_close", args=[party_request.pk])
    asked = client.post(url)
    assert asked.status_code == 200 and "Close this posting?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    party_request.refresh_from_db()
    assert party_request.status == OpportunityStatus.OPEN
    client.post(url, {"confirm": "yes"})
    party_request.refresh_from_db()
    assert party_request.status == OpportunityStatus.CLOSED
    response = client.post(url, {"confirm": "yes"}, follow=True)
    assert "already closed" in response.text


def test_an_editor_reopens_a_closed_opportunity_from_its_page(client_as, party_editor, party_request):
    client = client_as(party_editor)
    client.post(reverse("web:opportunity_close", args=[party_request.pk]), {"confirm": "yes"})
    page = client.get(reverse("web:opportunity", args=[party_request.pk]))
    assert reverse("web:opportunity_reopen", args=[party_request.pk]) in page.text
    response = client.post(reverse("web:opportunity_reopen", args=[party_request.pk]), follow=True)
    party_request.refresh_from_db()
    assert party_request.status == OpportunityStatus.OPEN
    assert "Open again" in response.text
    response = client.post(reverse("web:opportunity_reopen", args=[party_request.pk]), follow=True)
    assert "Only a closed posting can be reopened." in response.text


def test_closing_needs_a_post(client_as, party_editor, party_request):
    assert (
        client_as(party_editor).get(reverse("web:opportunity_close", args=[party_request.pk])).status_code
        == 405
    )


def test_forms_are_protected_against_csrf(party_editor, party, party_request):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(party_editor)
    assert client.post(reverse("web:opportunity_create"), request_data(party)).status_code == 403
    assert client.post(reverse("web:opportunity_close", args=[party_request.pk])).status_code == 403
    page = client.get(reverse("web:opportunity_create"))
    assert 'name="csrfmiddlewaretoken"' in page.text


# --------------------------------------------------------------------------- expressing interest


def test_an_editor_expresses_interest_in_a_recommendation(
    client_as, institute_editor, institute_offer, party_request
):
    response = client_as(institute_editor).post(
        reverse("web:express_interest", args=[institute_offer.pk]),
        {"partner": party_request.pk, "message": "We can host it."},
    )
    match = Match.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:match", args=[match.pk])
    assert (match.request, match.offer, match.initiated_by) == (
        party_request,
        institute_offer,
        institute_offer.organization,
    )
    assert match.message == "We can host it."


def test_interest_twice_in_the_same_pair_is_refused_with_a_message(
    client_as, institute_editor, institute_offer, party_request
):
    client = client_as(institute_editor)
    url = reverse("web:express_interest", args=[institute_offer.pk])
    client.post(url, {"partner": party_request.pk})
    response = client.post(url, {"partner": party_request.pk}, follow=True)
    assert Match.objects.count() == 1
    assert "already have a match under way" in response.text


def test_a_recommendation_already_matched_links_to_its_match(
    client_as, party_editor, institute_editor, institute_offer, party_request
):
    client_as(institute_editor).post(
        reverse("web:express_interest", args=[institute_offer.pk]), {"partner": party_request.pk}
    )
    response = client_as(party_editor).get(opportunity_url(party_request))
    [result] = response.context["recommendations"]
    assert result["match"] == Match.objects.get()


@pytest.mark.parametrize("who", ["party_viewer", "outsider", "party_editor"])
def test_only_the_opportunities_editors_express_interest_for_it(
    request, client, institute_offer, party_request, party_viewer, who
):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("web:express_interest", args=[institute_offer.pk]), {"partner": party_request.pk}
    )
    assert response.status_code == 404 and not Match.objects.exists()


def test_interest_in_an_expired_opportunity_is_refused(client_as, institute_editor, institute_offer, party):
    old = make_opportunity(party, "request", "Ended", ends_on=TODAY - datetime.timedelta(days=1))
    response = client_as(institute_editor).post(
        reverse("web:express_interest", args=[institute_offer.pk]), {"partner": old.pk}, follow=True
    )
    assert not Match.objects.exists()
    assert "has ended" in response.text


def test_a_refused_interest_keeps_what_was_typed(client_as, institute_editor, institute_offer, party):
    old = make_opportunity(party, "request", "Ended", ends_on=TODAY - datetime.timedelta(days=1))
    client = client_as(institute_editor)
    response = client.post(
        reverse("web:express_interest", args=[institute_offer.pk]),
        {"partner": old.pk, "message": "We can host your site from March."},
        follow=True,
    )
    assert "has ended" in response.text
    # the draft comes back once, for the recommendation it was typed for
    assert response.context["interest_draft"] == {
        "partner": old.pk,
        "message": "We can host your site from March.",
    }
    assert client.get(reverse("web:opportunity", args=[institute_offer.pk])).context["interest_draft"] == {}


def test_an_unverified_organization_is_told_why_it_cannot_express_interest_yet(
    client_as, party_editor, party, institute_offer, fake_embedder
):
    """The first use of a focal point whose organization waits for verification."""
    from matchmaking.services.opportunities import create_opportunity

    pending = create_opportunity(
        user=party_editor,
        data={
            "direction": "request",
            "title": "Hosting for our national CHM website",
            "description": "Our server fails; we need a host.",
            "organization": party,
            "cooperation_type_id": "hosting",
        },
    )
    client = client_as(party_editor)
    client.post(reverse("web:set_language"), {"language": "fr", "next": "/"})
    page = client.get(reverse("web:opportunity", args=[pending.pk])).text
    assert "Exprimer un intérêt" not in page
    response = client.post(
        reverse("web:express_interest", args=[pending.pk]),
        {"partner": institute_offer.pk, "message": "Bonjour"},
        follow=True,
    )
    assert not Match.objects.exists()
    assert "secrétariat" in response.text  # the real reason, in French
