"""The conversation of a match in the API: `matches/{id}/messages/`, who reads and writes it, what is
refused, read markers and unread counts, and staff hiding a message."""

import pytest

from matchmaking.models import Match, MatchMessage, Membership
from matchmaking.models.conversations import MESSAGE_MAX_LENGTH
from matchmaking.services.conversations import hide_message, post_message
from matchmaking.services.matches import decline_match, express_interest
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

MATCHES = "/api/v1/matches/"


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Checking that postings can be matched may embed; the real model is never loaded here."""


@pytest.fixture
def match(party_editor, party_request, institute_offer):
    return express_interest(
        user=party_editor, request=party_request, offer=institute_offer, message="We need a host."
    )


@pytest.fixture
def message(match, party_editor):
    return post_message(match, user=party_editor, body="Our server fails every week.")


def url(match, *rest):
    return "/".join([f"{MATCHES}{match.pk}/messages", *rest]) + "/"


def bodies(response):
    return [row["body"] for row in response.json()["results"]]


# --------------------------------------------------------------------------- who reads, who writes


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("party_editor", 200),
        ("party_viewer", 200),
        ("institute_editor", 200),
        ("staff", 200),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_who_reads_the_conversation(client_for, match, message, party_viewer, who, status):
    response = client_for(who).get(url(match))
    assert response.status_code == status
    if status == 200:
        assert bodies(response) == ["Our server fails every week."]
    else:
        assert "Our server" not in response.text


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("party_editor", 201),
        ("party_viewer", 201),
        ("institute_editor", 201),
        ("staff", 403),  # staff read and moderate, but do not write as a side
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_who_writes_in_the_conversation(client_for, match, party_viewer, who, status):
    response = client_for(who).post(url(match), {"body": "Hello"}, format="json")
    assert response.status_code == status, response.json()
    assert MatchMessage.objects.count() == (1 if status == 201 else 0)
    if status == 403:
        assert response.json()["code"] == "not_a_side"


def test_an_outsider_gets_the_same_answer_as_for_a_missing_match(client_for, match, message):
    client = client_for("outsider")
    missing = Match.objects.order_by("-pk").first().pk + 100
    for path in (url(match), f"{MATCHES}{missing}/messages/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"body": "Hello"}, format="json").status_code == 404
    hide = client.post(url(match, str(message.pk), "hide"), {"reason": "x"}, format="json")
    assert hide.status_code == 404


def test_a_message_answers_who_wrote_for_which_side_and_when(client_for, match, party, institute_editor):
    response = client_for("party_editor").post(url(match), {"body": " Hello \n"}, format="json")
    body = response.json()
    assert response.status_code == 201
    assert {key: body[key] for key in ("match", "side", "organization", "organization_name", "author")} == {
        "match": match.pk,
        "side": "request",
        "organization": party.pk,
        "organization_name": party.name,
        "author": "party_editor",
    }
    assert body["body"] == "Hello"
    assert body["is_read"] is True and body["hidden"] is False and body["created_at"]


# --------------------------------------------------------------------------- refused


def test_writing_once_the_match_ended_is_a_409(client_for, match, institute_editor):
    decline_match(match, user=institute_editor)
    response = client_for("party_editor").post(url(match), {"body": "But why?"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This match is “Declined”: its conversation is closed.",
        "code": "conversation_closed",
    }
    assert not MatchMessage.objects.exists()


def test_the_refusal_is_said_in_the_readers_language(client_for, match, institute_editor):
    decline_match(match, user=institute_editor)
    response = client_for("party_editor").post(
        url(match), {"body": "Pourquoi ?"}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 409 and "Déclinée" in response.json()["detail"]


@pytest.mark.parametrize(
    "data", [{}, {"body": ""}, {"body": "   "}, {"body": "x" * (MESSAGE_MAX_LENGTH + 1)}, {"body": ["a"]}]
)
def test_an_empty_or_too_long_message_is_a_400_on_body(client_for, match, data):
    response = client_for("party_editor").post(url(match), data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"body"}
    assert not MatchMessage.objects.exists()


def test_a_member_of_both_sides_names_the_side(client_for, match, party_editor, institute):
    Membership.objects.create(user=party_editor, organization=institute, role="viewer")
    client = client_for("party_editor")
    response = client.post(url(match), {"body": "Hello"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"side"}
    response = client.post(url(match), {"body": "Hello", "side": "offer"}, format="json")
    assert response.status_code == 201 and response.json()["side"] == "offer"
    assert client.post(url(match), {"body": "Hi", "side": "both"}, format="json").status_code == 400


# --------------------------------------------------------------------------- read markers and unread counts


def test_listing_marks_the_messages_read(client_for, match, message, party_editor):
    post_message(match, user=party_editor, body="Are you there?")
    client = client_for("institute_editor")
    assert client.get(f"{MATCHES}{match.pk}/").json()["unread_messages"] == 2
    first = client.get(url(match)).json()["results"]
    assert [row["is_read"] for row in first] == [False, False]
    again = client.get(url(match)).json()["results"]
    assert [row["is_read"] for row in again] == [True, True]
    assert client.get(f"{MATCHES}{match.pk}/").json()["unread_messages"] == 0
    # the author's own messages are read; the other side's list was not touched by this reading
    assert [row["is_read"] for row in client_for("party_editor").get(url(match)).json()["results"]] == [
        True,
        True,
    ]


def test_reading_a_page_marks_only_that_page_read(client_for, match, party_editor):
    for n in range(5):
        post_message(match, user=party_editor, body=f"Message {n}")
    client = client_for("institute_editor")
    page = client.get(url(match), {"page_size": 2}).json()
    assert page["count"] == 5 and [row["body"] for row in page["results"]] == ["Message 0", "Message 1"]
    assert client.get(f"{MATCHES}{match.pk}/").json()["unread_messages"] == 3
    last = client.get(url(match), {"page_size": 2, "page": 3}).json()["results"]
    assert [(row["body"], row["is_read"]) for row in last] == [("Message 4", False)]
    assert client.get(f"{MATCHES}{match.pk}/").json()["unread_messages"] == 0


def test_matches_can_be_filtered_by_unread_messages(client_for, match, message, party_request, institute):
    other_offer = make_opportunity(
        institute, "offer", "Training of webmasters", cooperation_type_id="training"
    )
    quiet = express_interest(user=message.author, request=party_request, offer=other_offer)
    client = client_for("institute_editor")
    ids = lambda **params: [row["id"] for row in client.get(MATCHES, params).json()["results"]]  # noqa: E731
    assert ids(unread="true") == [match.pk]
    assert ids(unread="false") == [quiet.pk]
    client.get(url(match))
    assert ids(unread="true") == []


def test_the_list_makes_a_fixed_number_of_queries(
    client_for, match, party_editor, party_viewer, institute_editor, django_assert_max_num_queries
):
    for n in range(12):
        post_message(match, user=party_viewer if n % 2 else institute_editor, body=f"Message {n}")
    client = client_for("party_editor")
    with django_assert_max_num_queries(10):
        response = client.get(url(match))
    assert len(response.json()["results"]) == 12


# --------------------------------------------------------------------------- moderation


def test_staff_hide_a_message_which_the_sides_see_as_hidden(client_for, match, message):
    response = client_for("staff").post(
        url(match, str(message.pk), "hide"), {"reason": "Spam."}, format="json"
    )
    assert response.status_code == 200
    # staff still read it
    assert response.json()["hidden"] is True and response.json()["body"] == message.body
    for who in ("party_editor", "institute_editor"):
        [row] = client_for(who).get(url(match)).json()["results"]
        assert (row["hidden"], row["body"], row["hidden_reason"]) == (True, "", "Spam.")
        assert row["hidden_at"]
    [row] = client_for("staff").get(url(match)).json()["results"]
    assert row["body"] == message.body


@pytest.mark.parametrize(("who", "status"), [("party_editor", 403), ("institute_editor", 403)])
def test_the_sides_cannot_hide_a_message(client_for, match, message, who, status):
    response = client_for(who).post(url(match, str(message.pk), "hide"), {"reason": "Rude."}, format="json")
    assert response.status_code == status and response.json()["code"] == "staff_only"
    message.refresh_from_db()
    assert not message.is_hidden


def test_hiding_needs_a_reason_and_happens_once(client_for, match, message, staff):
    client = client_for("staff")
    response = client.post(url(match, str(message.pk), "hide"), {}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"reason"}
    hide_message(message, user=staff, reason="Spam.")
    response = client.post(url(match, str(message.pk), "hide"), {"reason": "Again."}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_hidden"


def test_a_message_is_hidden_only_through_its_own_match(client_for, match, message, party_request, institute):
    other_offer = make_opportunity(
        institute, "offer", "Training of webmasters", cooperation_type_id="training"
    )
    other = express_interest(user=message.author, request=party_request, offer=other_offer)
    response = client_for("staff").post(url(other, str(message.pk), "hide"), {"reason": "x"}, format="json")
    assert response.status_code == 404
