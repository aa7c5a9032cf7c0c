"""The capacity of offers and requests alike: a posting takes one partner unless its author says it
takes several, and then how many (the form, the API, their validation); acceptance never goes beyond
it; an accept that fills a posting closes its other proposals, and the other side of each is told;
a capacity never falls below the places already taken."""

import pytest
from django.core import mail
from django.urls import reverse

from matchmaking.choices import MatchStatus, NotificationKind
from matchmaking.models import AuditLog, Match, MatchEvent, Notification, Opportunity, Organization
from matchmaking.services.alerts import set_alert_preferences
from matchmaking.services.matches import accept_match, allowed_actions, express_interest
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"
MATCHES = "/api/v1/matches/"


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Recommendations may embed; the real model is never loaded here."""


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    def capture(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return capture


def kinds(user):
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


@pytest.fixture
def kenya():
    return Organization.objects.create(name="Kenya CHM focal point", kind="party", country_id="KE")


@pytest.fixture
def kenya_editor(kenya):
    user = make_user("kenya_editor")
    kenya.memberships.create(user=user, role="editor")
    return user


@pytest.fixture
def ngo():
    return Organization.objects.create(name="Open Data NGO", kind="ngo", country_id="DE", verified=True)


@pytest.fixture
def ngo_editor(ngo):
    user = make_user("ngo_editor")
    ngo.memberships.create(user=user, role="editor")
    return user


def request_data(party, **changes):
    return {
        "direction": "request",
        "title": "Two webmasters to train",
        "description": "Our two webmasters need training in running the national CHM website.",
        "organization": party.pk,
        **changes,
    }


# --------------------------------------------------------------------------- one partner, or several


def test_a_request_takes_one_partner_unless_it_says_several(client_for, party, party_editor):
    body = client_for("party_editor").post(URL, request_data(party), format="json").json()
    assert (body["capacity"], body["several_partners"]) == (1, False)
    body = client_for("party_editor").post(URL, request_data(party, capacity=3), format="json").json()
    assert (body["capacity"], body["several_partners"]) == (3, True)
    response = client_for("party_editor").post(
        URL, request_data(party, several_partners=True, capacity=2), format="json"
    )
    assert response.status_code == 201
    assert response.json()["capacity"] == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"several_partners": True}, "Say how many partners it can take: 2 or more."),
        ({"several_partners": True, "capacity": 1}, "Say how many partners it can take: 2 or more."),
        ({"several_partners": False, "capacity": 3}, "A posting that takes one partner has a capacity of 1"),
        ({"capacity": 0}, "Ensure this value is greater than or equal to 1."),
        ({"capacity": None}, "This field may not be null."),
    ],
)
def test_a_request_taking_several_must_say_how_many(client_for, party, party_editor, changes, message):
    response = client_for("party_editor").post(URL, request_data(party, **changes), format="json")
    assert response.status_code == 400
    [said] = response.json()["capacity"]
    assert said.startswith(message)
    assert not Opportunity.objects.exists()


def test_several_partners_is_checked_against_the_capacity_on_update(client_for, party_request, party_editor):
    client = client_for("party_editor")
    url = f"{URL}{party_request.pk}/"
    assert client.patch(url, {"several_partners": True}, format="json").status_code == 400
    response = client.patch(url, {"several_partners": True, "capacity": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["several_partners"] is True
    assert client.patch(url, {"several_partners": False}, format="json").status_code == 400
    assert (
        client.patch(url, {"several_partners": False, "capacity": 1}, format="json").json()["capacity"] == 1
    )


@pytest.mark.parametrize(
    "partners, capacity, saved, error",
    [
        ("one", "", 1, None),
        ("one", "1", 1, None),
        ("several", "3", 3, None),
        ("several", "", None, "Say how many partners it can take: 2 or more."),
        ("several", "1", None, "Say how many partners it can take: 2 or more."),
        ("one", "4", None, "A posting that takes one partner has a capacity of 1"),
        (None, "4", 4, None),  # the choice left out: the capacity says it
        (None, None, 1, None),
    ],
)
def test_the_form_asks_for_one_partner_or_several_and_how_many(
    client_as, party, party_editor, partners, capacity, saved, error
):
    data = {
        "direction": "request",
        "organization": party.pk,
        "title": "Two webmasters to train",
        "description": "Our two webmasters need training in running the national CHM website.",
        "cooperation_type": "training",
        "partners": partners,
        "capacity": capacity,
        "publish": "1",
    }
    data = {name: value for name, value in data.items() if value is not None}
    response = client_as(party_editor).post(reverse("web:opportunity_create"), data)
    if error:
        assert response.status_code == 200
        assert any(m.startswith(error) for m in response.context["form"].errors["capacity"])
        assert not Opportunity.objects.exists()
    else:
        assert response.status_code == 302, response.context["form"].errors
        assert Opportunity.objects.get().capacity == saved


def test_the_edit_form_starts_from_the_postings_partners(client_as, party, party_editor):
    several = make_opportunity(party, "request", "Three trainers", capacity=3)
    form = client_as(party_editor).get(reverse("web:opportunity_edit", args=[several.pk])).context["form"]
    assert form["partners"].value() == "several"


def test_the_posting_page_says_how_many_partners(client, party, party_request):
    assert "<dd>1 partner</dd>" in client.get(reverse("web:opportunity", args=[party_request.pk])).text
    several = make_opportunity(party, "request", "Three trainers", capacity=3)
    assert "<dd>3 partners</dd>" in client.get(reverse("web:opportunity", args=[several.pk])).text


# --------------------------------------------------------------------------- acceptance within capacity


def test_a_request_is_accepted_up_to_its_capacity(
    client_for, party, party_editor, institute, institute_editor
):
    request = make_opportunity(party, "request", "Two webmasters to train", capacity=2)
    offers = [make_opportunity(institute, "offer", f"Training course {n}") for n in range(3)]
    matches = [express_interest(user=institute_editor, request=request, offer=offer) for offer in offers]
    client = client_for("party_editor")
    assert client.post(f"{MATCHES}{matches[0].pk}/accept/").status_code == 200
    assert client.get(f"{MATCHES}{matches[2].pk}/").json()["status"] == "proposed"  # one place left
    assert client.post(f"{MATCHES}{matches[1].pk}/accept/").status_code == 200
    response = client.post(f"{MATCHES}{matches[2].pk}/accept/")
    assert response.status_code == 409
    assert response.json()["code"] == "no_capacity"
    assert "has no room left" in response.json()["detail"]
    assert Match.objects.filter(request=request, status=MatchStatus.ACCEPTED).count() == 2
    response = client_for("institute_editor").post(
        MATCHES,
        {"request": request.pk, "offer": make_opportunity(institute, "offer", "One more").pk},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (409, "no_capacity")


# --------------------------------------------------------------------------- a filled posting


def test_a_filled_offer_closes_its_other_proposals_and_tells_their_requesters(
    mails, party, party_editor, kenya, kenya_editor, institute, institute_editor
):
    offer = make_opportunity(institute, "offer", "One hosting place")
    chosen = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "Host us"), offer=offer
    )
    other = express_interest(
        user=kenya_editor, request=make_opportunity(kenya, "request", "Host us too"), offer=offer
    )
    assert allowed_actions(other, institute_editor) == ["accept", "decline"]
    mail.outbox.clear()
    Notification.objects.all().delete()

    mails(accept_match, chosen, user=institute_editor)

    other.refresh_from_db()
    assert other.status == MatchStatus.FILLED
    assert allowed_actions(other, institute_editor) == allowed_actions(other, kenya_editor) == []
    event = MatchEvent.objects.filter(match=other).last()
    assert (event.from_status, event.to_status, event.actor) == ("proposed", "filled", None)
    entry = AuditLog.objects.of(other).order_by("id").last()
    assert (entry.operation, entry.actor) == ("close_filled_match", institute_editor)
    assert kinds(kenya_editor) == [NotificationKind.MATCH_FILLED]
    assert NotificationKind.MATCH_FILLED not in kinds(institute_editor)
    assert NotificationKind.MATCH_FILLED not in kinds(party_editor)  # its own proposal was accepted
    [message] = [m for m in mail.outbox if m.to == [kenya_editor.email]]
    assert message.subject == "“One hosting place” has no room left: the proposal was closed"
    assert f"/matches/{other.pk}/" in message.body


def test_a_filled_request_closes_its_other_proposals_whoever_made_them(
    mails, party, party_editor, institute, institute_editor, ngo, ngo_editor
):
    request = make_opportunity(party, "request", "Our CHM site needs a host")
    from_institute = express_interest(
        user=institute_editor, request=request, offer=make_opportunity(institute, "offer", "Hosting")
    )
    from_ngo = express_interest(
        user=ngo_editor, request=request, offer=make_opportunity(ngo, "offer", "Hosting")
    )
    from_party = express_interest(
        user=party_editor, request=request, offer=make_opportunity(ngo, "offer", "Mirror hosting")
    )
    Notification.objects.all().delete()

    mails(accept_match, from_institute, user=party_editor)

    for match in (from_ngo, from_party):
        match.refresh_from_db()
        assert match.status == MatchStatus.FILLED
    assert kinds(ngo_editor) == [NotificationKind.MATCH_FILLED] * 2  # made one, was asked in the other
    assert NotificationKind.MATCH_FILLED not in kinds(party_editor)


def test_a_posting_with_room_left_keeps_its_proposals(
    party, party_editor, kenya, kenya_editor, institute, institute_editor
):
    offer = make_opportunity(institute, "offer", "Two hosting places", capacity=2)
    first = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "Host us"), offer=offer
    )
    second = express_interest(
        user=kenya_editor, request=make_opportunity(kenya, "request", "Host us"), offer=offer
    )
    accept_match(first, user=institute_editor)
    second.refresh_from_db()
    assert second.status == MatchStatus.PROPOSED
    assert allowed_actions(second, institute_editor) == ["accept", "decline"]


def test_the_filled_proposal_is_told_in_the_recipients_language(
    mails, party, party_editor, kenya, kenya_editor, institute, institute_editor
):
    set_alert_preferences(kenya_editor, language="fr")
    offer = make_opportunity(institute, "offer", "One hosting place")
    chosen = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "Host us"), offer=offer
    )
    express_interest(
        user=kenya_editor, request=make_opportunity(kenya, "request", "Host us too"), offer=offer
    )
    mail.outbox.clear()
    mails(accept_match, chosen, user=institute_editor)
    [message] = [m for m in mail.outbox if m.to == [kenya_editor.email]]
    assert "offre" in message.body and " offer " not in message.body  # the posting's kind, in French


def test_the_match_page_of_a_filled_proposal_has_no_answer_buttons(
    client_as, party, party_editor, kenya, kenya_editor, institute, institute_editor
):
    offer = make_opportunity(institute, "offer", "One hosting place")
    chosen = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "Host us"), offer=offer
    )
    other = express_interest(
        user=kenya_editor, request=make_opportunity(kenya, "request", "Host us too"), offer=offer
    )
    url = reverse("web:match", args=[other.pk])
    assert 'data-action="accept"' in client_as(institute_editor).get(url).text
    accept_match(chosen, user=institute_editor)
    html = client_as(institute_editor).get(url).text
    assert 'data-action="accept"' not in html and 'data-action="decline"' not in html
    assert "Closed: the posting has no room left" in html
    assert "it has no room left" in html
    body = client_as(institute_editor).get(f"{MATCHES}{other.pk}/").json()
    assert (body["status"], body["allowed_actions"]) == ("filled", [])


# --------------------------------------------------------------------------- changing the capacity


def test_a_capacity_never_falls_below_the_places_taken(
    client_for, party, party_editor, kenya, kenya_editor, institute, institute_editor
):
    offer = make_opportunity(institute, "offer", "Three hosting places", capacity=3)
    taken = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "Host us"), offer=offer
    )
    waiting = express_interest(
        user=kenya_editor, request=make_opportunity(kenya, "request", "Host us too"), offer=offer
    )
    accept_match(taken, user=institute_editor)
    client = client_for("institute_editor")
    response = client.patch(f"{URL}{offer.pk}/", {"capacity": 0}, format="json")
    assert response.status_code == 400
    response = client.patch(f"{URL}{offer.pk}/", {"capacity": 1, "several_partners": False}, format="json")
    assert response.status_code == 200  # one place, taken: the offer is full
    waiting.refresh_from_db()
    assert waiting.status == MatchStatus.FILLED


def test_a_capacity_below_the_places_taken_is_refused(
    client_for, client_as, party, party_editor, institute, institute_editor
):
    offer = make_opportunity(institute, "offer", "Three hosting places", capacity=3)
    for n in range(2):
        accept_match(
            express_interest(
                user=party_editor, request=make_opportunity(party, "request", f"Need {n}"), offer=offer
            ),
            user=institute_editor,
        )
    response = client_for("institute_editor").patch(f"{URL}{offer.pk}/", {"capacity": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["capacity"] == ["2 partners already hold a place: the capacity cannot be less."]
    offer.refresh_from_db()
    assert offer.capacity == 3
    data = {
        "title": offer.title,
        "description": offer.description,
        "cooperation_type": "other",
        "partners": "one",
        "capacity": "1",
        "save": "1",
    }
    response = client_as(institute_editor).post(reverse("web:opportunity_edit", args=[offer.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "2 partners already hold a place: the capacity cannot be less."
    ]
