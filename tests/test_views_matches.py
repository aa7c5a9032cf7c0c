"""The match page: who sees it, the steps each side may take, the outcome form, contact details."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, Objective, Opportunity, Outcome
from matchmaking.services.matches import accept_match, express_interest, start_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def match(institute_editor, institute_offer, party_request):
    """The institute expressed interest in the Party's request."""
    return express_interest(
        user=institute_editor, request=party_request, offer=institute_offer, message="We can host it."
    )


def url(match, name="web:match", *args):
    return reverse(name, args=[match.pk, *args])


def act(client, match, action, note="", confirm="yes"):
    """Takes a step of the match, confirmed (a step that ends the match asks first)."""
    data = {"note": note, "confirm": confirm} if confirm else {"note": note}
    return client.post(reverse("web:match_action", args=[match.pk, action]), data)


def outcome_data(**changes):
    data = {
        "summary": "The national CHM site of the DR Congo is hosted in Brussels.",
        "achieved_on": timezone.localdate().isoformat(),
        "evidence_url": "https://chm.example.cd/",
        "objectives": ["2.5"],
        "indicators-TOTAL_FORMS": "3",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "10",
        "indicators-0-key": "websites_hosted",
        "indicators-0-value": "1",
        "indicators-0-unit": "site",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("party_viewer", 200),
        ("institute_editor", 200),
        ("staff", 200),
        ("outsider", 404),
    ],
)
def test_a_match_is_seen_by_the_two_organizations_and_staff(
    request, client, match, party_viewer, who, status
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(match)).status_code == status


def test_a_visitor_is_asked_to_sign_in(client, match):
    response = client.get(url(match))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_the_page_shows_both_opportunities_and_the_history(client_as, party_editor, match):
    response = client_as(party_editor).get(url(match))
    text = response.text
    assert match.request.title in text and match.offer.title in text
    assert "We can host it." in text
    assert [event.to_status for event in response.context["events"]] == [MatchStatus.PROPOSED]


@pytest.mark.parametrize(
    "who, actions",
    [
        ("party_editor", ["accept", "decline"]),
        ("institute_editor", ["withdraw"]),
        ("party_viewer", []),
        ("staff", ["accept", "decline", "withdraw"]),
    ],
)
def test_each_side_sees_the_steps_it_may_take(request, client, match, party_viewer, who, actions):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(match))
    assert [name for name, _label in response.context["actions"]] == actions
    for name in ("accept", "decline", "withdraw"):
        assert (f'data-action="{name}"' in response.text) == (name in actions)


def test_the_party_accepts_and_contacts_are_shared(client_as, party_editor, institute_editor, match):
    Opportunity.objects.filter(pk=match.offer_id).update(contact_email="host@example.be", hide_contact=True)
    party = client_as(party_editor)
    assert "host@example.be" not in party.get(url(match)).text
    response = act(party, match, "accept", note="Thank you!")
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED
    page = party.get(url(match))
    assert "host@example.be" in page.text
    assert "Thank you!" in page.text


def test_the_initiator_cannot_accept_its_own_interest(client_as, institute_editor, match):
    response = act(client_as(institute_editor), match, "accept")
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED
    assert response.status_code == 302


def test_a_viewer_cannot_act(client_as, party_viewer, match):
    act(client_as(party_viewer), match, "accept")
    match.refresh_from_db()
    assert match.status == MatchStatus.PROPOSED


def test_an_unknown_step_is_a_404(client_as, party_editor, match):
    assert act(client_as(party_editor), match, "explode").status_code == 404


def test_an_outsider_cannot_act(client_as, outsider, match):
    assert act(client_as(outsider), match, "decline").status_code == 404


@pytest.mark.parametrize("step, status", [("decline", "declined"), ("withdraw", "withdrawn")])
def test_interest_ends_declined_or_withdrawn(client_as, party_editor, institute_editor, match, step, status):
    client = client_as(party_editor if step == "decline" else institute_editor)
    act(client, match, step)
    match.refresh_from_db()
    assert match.status == status


def test_the_institute_completes_with_an_outcome(client_as, party_editor, institute_editor, match):
    accept_match(match, user=party_editor)
    client = client_as(institute_editor)
    act(client, match, "start")
    page = client.get(url(match))
    assert page.context["can_complete"]
    response = client.post(url(match, "web:match_complete"), outcome_data())
    assert response.status_code == 302
    outcome = Outcome.objects.get(match=match)
    assert outcome.summary.startswith("The national CHM site")
    assert [o.code for o in outcome.objectives.all()] == ["2.5"]
    [indicator] = outcome.indicators.all()
    assert (indicator.key, indicator.value, indicator.unit) == ("websites_hosted", 1, "site")
    page = client.get(url(match))
    assert "The national CHM site of the DR Congo is hosted in Brussels." in page.text
    assert not page.context["can_complete"]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"summary": ""}, "summary"),
        ({"achieved_on": ""}, "achieved_on"),
        ({"evidence_url": "not a url"}, "evidence_url"),
        ({"achieved_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()}, "achieved_on"),
    ],
)
def test_outcome_errors_are_shown_next_to_their_field(
    client_as, party_editor, institute_editor, match, changes, field
):
    accept_match(match, user=party_editor)
    start_match(match, user=party_editor)
    response = client_as(institute_editor).post(url(match, "web:match_complete"), outcome_data(**changes))
    assert response.status_code == 200
    assert field in response.context["outcome_form"].errors
    assert not Outcome.objects.exists()


def test_an_indicator_needs_its_value(client_as, party_editor, institute_editor, match):
    accept_match(match, user=party_editor)
    start_match(match, user=party_editor)
    data = outcome_data(**{"indicators-0-value": ""})
    response = client_as(institute_editor).post(url(match, "web:match_complete"), data)
    assert response.status_code == 200
    assert "value" in response.context["indicator_forms"][0].errors
    assert not Outcome.objects.exists()


def test_the_outcome_form_proposes_the_opportunities_objectives(client_as, party_editor, match):
    match.request.objectives.set(Objective.objects.filter(code__in=["2.5", "3.1"]))
    accept_match(match, user=party_editor)
    start_match(match, user=party_editor)
    form = client_as(party_editor).get(url(match)).context["outcome_form"]
    assert form.initial["objectives"] == ["2.5", "3.1"]


def test_completing_a_match_not_started_is_refused(client_as, party_editor, match):
    response = client_as(party_editor).post(url(match, "web:match_complete"), outcome_data(), follow=True)
    assert not Outcome.objects.exists()
    assert "can be completed" in response.text


def test_either_side_may_cancel_an_accepted_match(client_as, party_editor, institute_editor, match):
    accept_match(match, user=party_editor)
    act(client_as(institute_editor), match, "cancel", note="Our server moved.")
    match.refresh_from_db()
    assert match.status == MatchStatus.CANCELLED
    assert Match.objects.get().events.last().note == "Our server moved."


CONTACT = re.compile(r"<dt>Contact</dt>\s*<dd[^>]*>(?P<dd>.*?)</dd>", re.S)


def contacts(client, match):
    """What the match page says under "Contact", side by side (request, then offer)."""
    return [found["dd"] for found in CONTACT.finditer(client.get(url(match)).text)]


def test_once_accepted_both_sides_always_see_a_way_to_reach_the_other(
    client_as, party_editor, party_viewer, institute_editor, staff, match
):
    # The offer gives its contact details, hidden until a match is accepted; the request gives none.
    Opportunity.objects.filter(pk=match.offer_id).update(
        contact_name="Ann Host", contact_email="host@example.be", hide_contact=True
    )
    Opportunity.objects.filter(pk=match.request_id).update(contact_name="", contact_email="")
    assert contacts(client_as(party_editor), match) == []  # nothing before acceptance
    accept_match(match, user=party_editor)

    for who in (party_editor, party_viewer, institute_editor, staff):
        request_side, offer_side = contacts(client_as(who), match)
        # the offer's own contact details
        assert "Ann Host" in offer_side and 'href="mailto:host@example.be"' in offer_side
        # the request gives no e-mail: the e-mail addresses of the Party's editors (not its viewers)
        assert 'href="mailto:party_editor@example.org"' in request_side
        assert "party_viewer@example.org" not in request_side
        assert "its organization's editor" in request_side
        assert not request_side.strip().startswith("—") and not offer_side.strip().startswith("—")


def test_an_organization_without_any_address_says_who_can_help(client_as, party_editor, match):
    Opportunity.objects.filter(pk=match.request_id).update(contact_email="")
    party_editor.email = ""
    party_editor.save()
    accept_match(match, user=party_editor)
    request_side, _offer_side = contacts(client_as(party_editor), match)
    assert "No e-mail address is known for this organization" in request_side


def test_a_declined_match_shows_no_contact(client_as, party_editor, match):
    from matchmaking.services.matches import decline_match

    decline_match(match, user=party_editor)
    assert contacts(client_as(party_editor), match) == []
