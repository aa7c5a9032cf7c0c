"""The conversation on the match page: who sees and writes it, links made clickable without letting
HTML through, what is refused, unread counts on the match and the organization pages, and staff hiding
a message."""

import pytest
from django.urls import reverse

from matchmaking.models import MatchMessage, Membership
from matchmaking.models.conversations import MESSAGE_MAX_LENGTH
from matchmaking.services.conversations import hide_message, post_message
from matchmaking.services.matches import decline_match, express_interest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Checking that postings can be matched may embed; the real model is never loaded here."""


@pytest.fixture
def match(institute_editor, institute_offer, party_request):
    """The institute expressed interest in the Party's request."""
    return express_interest(
        user=institute_editor, request=party_request, offer=institute_offer, message="We can host it."
    )


@pytest.fixture
def message(match, institute_editor):
    return post_message(match, user=institute_editor, body="Which server do you run now?")


def page(match):
    return reverse("web:match", args=[match.pk])


def write(client, match, body, follow=False, **extra):
    return client.post(reverse("web:match_message", args=[match.pk]), {"body": body, **extra}, follow=follow)


def thread_html(text):
    """The conversation's section of the page."""
    return text[text.index('id="conversation"') : text.index('id="history-title"')]


def hide(client, message, reason="Spam."):
    return client.post(
        reverse("web:match_message_hide", args=[message.match_id, message.pk]), {"reason": reason}
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("party_editor", 200),
        ("party_viewer", 200),
        ("institute_editor", 200),
        ("staff", 200),
        ("outsider", 404),
    ],
)
def test_the_conversation_is_seen_by_the_two_organizations_and_staff(
    request, client, match, message, party_viewer, who, status
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(page(match))
    assert response.status_code == status
    assert ("Which server do you run now?" in response.text) is (status == 200)


def test_a_visitor_is_asked_to_sign_in_and_sees_nothing(client, match, message):
    for response in (client.get(page(match)), write(client, match, "Hello"), hide(client, message)):
        assert response.status_code == 302 and response.url.startswith(reverse("web:login"))
    assert "Which server" not in client.get(page(match), follow=True).text
    assert MatchMessage.objects.count() == 1 and not MatchMessage.objects.get().is_hidden


def test_an_outsider_can_neither_write_nor_hide(client_as, outsider, match, message):
    client = client_as(outsider)
    assert write(client, match, "Hello").status_code == 404
    assert hide(client, message).status_code == 404
    assert MatchMessage.objects.count() == 1


def test_the_thread_opens_with_the_message_written_with_interest(client_as, party_editor, match, message):
    thread = thread_html(client_as(party_editor).get(page(match)).text)
    assert thread.index("We can host it.") < thread.index("Which server do you run now?")


@pytest.mark.parametrize("who", ["party_editor", "party_viewer"])
def test_a_member_writes_from_the_match_page(request, client, match, party_viewer, who):
    client.force_login(request.getfixturevalue(who))
    response = write(client, match, "A Windows server that fails every week.")
    assert response.status_code == 302 and response.url == page(match) + "#conversation"
    [message] = MatchMessage.objects.all()
    assert (message.side, message.author.username) == ("request", who)
    assert "A Windows server that fails every week." in client.get(page(match)).text


def test_staff_read_but_are_not_offered_to_write(client_as, staff, match, message):
    client = client_as(staff)
    response = client.get(page(match))
    assert response.context["can_write"] is False and response.context["message_form"] is None
    write(client, match, "Hello")
    assert MatchMessage.objects.count() == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * (MESSAGE_MAX_LENGTH + 1)])
def test_an_empty_or_too_long_message_is_a_form_error(client_as, party_editor, match, body):
    response = write(client_as(party_editor), match, body)
    assert response.status_code == 200
    assert response.context["message_form"].errors["body"]
    assert not MatchMessage.objects.exists()


def test_once_the_match_ended_the_form_is_gone_and_writing_is_refused(
    client_as, party_editor, match, message
):
    decline_match(match, user=party_editor)
    client = client_as(party_editor)
    response = client.get(page(match))
    assert response.context["can_write"] is False
    assert "its conversation is closed" in response.text
    assert "Which server do you run now?" in response.text  # the thread stays readable
    response = write(client, match, "But why?", follow=True)
    assert "conversation is closed" in response.text
    assert MatchMessage.objects.count() == 1


def test_a_member_of_both_sides_chooses_the_side(client_as, party_editor, institute, match):
    Membership.objects.create(user=party_editor, organization=institute, role="viewer")
    client = client_as(party_editor)
    form = client.get(page(match)).context["message_form"]
    assert [value for value, _label in form.fields["side"].choices] == ["request", "offer"]
    assert write(client, match, "Hello").context["message_form"].errors["side"]
    write(client, match, "Hello", side="offer")
    assert MatchMessage.objects.get().side == "offer"


def test_links_are_clickable_and_html_is_not(client_as, party_editor, institute_editor, match):
    post_message(
        match,
        user=institute_editor,
        body='<script>alert("x")</script> <b>bold</b> See https://example.org/chm?a=1&b=2 '
        'or javascript:alert(1) and <a href="https://evil.example">this</a>.',
    )
    text = client_as(party_editor).get(page(match)).text
    assert '<a href="https://example.org/chm?a=1&amp;b=2" rel="nofollow">' in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert "<b>bold</b>" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text
    assert 'href="javascript' not in text
    assert '<a href="https://evil.example">' not in text


def test_opening_the_page_marks_the_conversation_read(
    client_as, party_editor, match, message, institute_editor
):
    post_message(match, user=institute_editor, body="And how many visitors?")
    client = client_as(party_editor)
    organization = client.get(reverse("web:organization", args=[match.request.organization_id])).text
    assert "2 new messages" in organization
    response = client.get(page(match))
    assert response.context["unread"] == 2
    assert [m.is_new for m in response.context["thread"]] == [True, True]
    response = client.get(page(match))
    assert response.context["unread"] == 0
    assert [m.is_new for m in response.context["thread"]] == [False, False]
    organization = client.get(reverse("web:organization", args=[match.request.organization_id])).text
    assert "new message" not in organization


def test_staff_hide_a_message_from_the_page(client_as, staff, party_editor, match, message):
    response = hide(client_as(staff), message, reason="Personal data.")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.is_hidden and message.hidden_reason == "Personal data."
    text = client_as(party_editor).get(page(match)).text
    assert "Which server do you run now?" not in text
    assert "Hidden by the secretariat." in text and "Personal data." in text
    assert "Which server do you run now?" in client_as(staff).get(page(match)).text


def test_the_sides_cannot_hide_a_message(client_as, party_editor, message):
    response = hide(client_as(party_editor), message)
    assert response.status_code == 302
    message.refresh_from_db()
    assert not message.is_hidden


def test_staff_are_offered_to_hide_what_is_not_hidden_yet(client_as, staff, party_editor, match, message):
    hide_url = reverse("web:match_message_hide", args=[match.pk, message.pk])
    assert hide_url not in client_as(party_editor).get(page(match)).text
    assert hide_url in client_as(staff).get(page(match)).text
    hide_message(message, user=staff, reason="Spam.")
    assert hide_url not in client_as(staff).get(page(match)).text


def test_hiding_without_a_reason_is_refused(client_as, staff, message):
    hide(client_as(staff), message, reason="")
    message.refresh_from_db()
    assert not message.is_hidden


def test_the_thread_opens_on_its_latest_page(client_as, party_editor, institute_editor, match, monkeypatch):
    monkeypatch.setattr("matchmaking.views.matches.THREAD_PAGE_SIZE", 2)
    for n in range(5):
        post_message(match, user=institute_editor, body=f"Message {n}")
    client = client_as(party_editor)
    latest = client.get(page(match))
    assert [m.body for m in latest.context["thread"]] == ["Message 4"]
    assert "We can host it." not in thread_html(latest.text)
    first = client.get(page(match), {"page": 1})
    assert [m.body for m in first.context["thread"]] == ["Message 0", "Message 1"]
