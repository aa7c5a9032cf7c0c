"""The conversation of a match, through its service: who may write and when, what is refused, who is
told (in the app, by e-mail once until they read, in their language), what each reader has read, and
staff hiding a message."""

import pytest
from django.core import mail

from matchmaking.choices import MatchStatus, NotificationKind
from matchmaking.models import AuditLog, Match, MatchMessage, Membership, MessageReadMarker, Notification
from matchmaking.models.conversations import MESSAGE_MAX_LENGTH
from matchmaking.services.alerts import set_alert_preferences
from matchmaking.services.conversations import hide_message, mark_read, post_message
from matchmaking.services.errors import Conflict, NotAllowed, ServiceError
from matchmaking.services.matches import (
    accept_match,
    cancel_match,
    decline_match,
    express_interest,
    start_match,
    withdraw_match,
)
from matchmaking.services.outcomes import complete_match
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Checking that postings can be matched may embed; the real model is never loaded here."""


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    """E-mails go out once the transaction commits: run the callbacks as a commit would."""

    def capture(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return capture


@pytest.fixture
def institute_viewer(institute):
    user = make_user("institute_viewer")
    Membership.objects.create(user=user, organization=institute, role="viewer")
    return user


@pytest.fixture
def match(party_editor, party_request, institute_offer):
    """The Party expressed interest in the institute's offer."""
    return express_interest(
        user=party_editor, request=party_request, offer=institute_offer, message="We need a host."
    )


def inbox(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def told(user):
    return Notification.objects.filter(user=user, kind=NotificationKind.MATCH_MESSAGE)


def unread(match, user):
    return Match.objects.with_unread_messages(user).get(pk=match.pk).unread_messages


# --------------------------------------------------------------------------- who writes, and when


@pytest.mark.parametrize(
    ("who", "side"),
    [("party_editor", "request"), ("party_viewer", "request"), ("institute_editor", "offer")],
)
def test_either_sides_members_write_for_their_side(request, match, party_viewer, who, side):
    message = post_message(match, user=request.getfixturevalue(who), body="  When can we start?  ")
    assert (message.side, message.body) == (side, "When can we start?")
    assert message.organization() == (match.request if side == "request" else match.offer).organization
    assert list(match.messages.all()) == [message]


@pytest.mark.parametrize("who", ["staff", "outsider"])
def test_staff_and_outsiders_do_not_write(request, match, who):
    with pytest.raises(NotAllowed) as refused:
        post_message(match, user=request.getfixturevalue(who), body="Hello")
    assert refused.value.code == "not_a_side"
    assert not MatchMessage.objects.exists()


def test_staff_who_are_members_write_for_their_organization(match, staff, institute):
    Membership.objects.create(user=staff, organization=institute, role="viewer")
    assert post_message(match, user=staff, body="Hello").side == "offer"


def test_a_member_of_both_sides_names_the_side(match, party_editor, institute):
    Membership.objects.create(user=party_editor, organization=institute, role="editor")
    with pytest.raises(ServiceError) as refused:
        post_message(match, user=party_editor, body="Hello")
    assert (refused.value.field, refused.value.code) == ("side", "required")
    assert post_message(match, user=party_editor, body="Hello", side="offer").side == "offer"


def test_a_side_the_user_is_not_a_member_of_is_refused(match, institute_editor):
    with pytest.raises(ServiceError) as refused:
        post_message(match, user=institute_editor, body="Hello", side="request")
    assert (refused.value.field, refused.value.code) == ("side", "invalid")
    assert not MatchMessage.objects.exists()


def test_the_conversation_is_open_while_the_match_is_proposed_accepted_or_in_progress(
    match, party_editor, institute_editor
):
    post_message(match, user=institute_editor, body="Proposed.")
    accept_match(match, user=institute_editor)
    post_message(match, user=party_editor, body="Accepted.")
    start_match(match, user=party_editor)
    post_message(match, user=institute_editor, body="In progress.")
    assert list(match.messages.values_list("body", flat=True)) == ["Proposed.", "Accepted.", "In progress."]


@pytest.mark.parametrize("end", ["declined", "withdrawn", "cancelled", "completed"])
def test_the_conversation_closes_when_the_match_ends(match, party_editor, institute_editor, end):
    if end == "declined":
        decline_match(match, user=institute_editor)
    elif end == "withdrawn":
        withdraw_match(match, user=party_editor)
    else:
        accept_match(match, user=institute_editor)
        start_match(match, user=party_editor)
        if end == "cancelled":
            cancel_match(match, user=party_editor)
        else:
            complete_match(match, user=party_editor, outcome={"summary": "Hosted."})
    with pytest.raises(Conflict) as refused:
        post_message(match, user=party_editor, body="One more thing")
    assert refused.value.code == "conversation_closed"
    assert Match.objects.get(pk=match.pk).get_status_display() in str(refused.value.message)
    assert not MatchMessage.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n\t ", None])
def test_an_empty_message_is_refused(match, party_editor, body):
    with pytest.raises(ServiceError) as refused:
        post_message(match, user=party_editor, body=body)
    assert (refused.value.field, refused.value.code) == ("body", "blank")
    assert not MatchMessage.objects.exists()


def test_a_message_over_the_length_limit_is_refused(match, party_editor):
    post_message(match, user=party_editor, body="x" * MESSAGE_MAX_LENGTH)
    with pytest.raises(ServiceError) as refused:
        post_message(match, user=party_editor, body="x" * (MESSAGE_MAX_LENGTH + 1))
    assert (refused.value.field, refused.value.code) == ("body", "max_length")
    assert MatchMessage.objects.count() == 1


def test_a_message_is_audited(match, party_editor):
    message = post_message(match, user=party_editor, body="Hello")
    [entry] = AuditLog.objects.of(message)
    assert (entry.operation, entry.actor, entry.changes["body"]) == (
        "post_message",
        party_editor,
        [None, "Hello"],
    )


def test_the_message_written_with_interest_stays_on_the_match(match, party_editor, institute_editor):
    post_message(match, user=institute_editor, body="Welcome.")
    match.refresh_from_db()
    assert match.message == "We need a host."
    assert match.events.get().note == "We need a host."
    assert list(match.messages.values_list("body", flat=True)) == ["Welcome."]


# --------------------------------------------------------------------------- who is told


def test_the_other_sides_members_are_told_in_the_app_and_by_email(
    mails, match, party_editor, party_viewer, institute_editor, institute_viewer
):
    mail.outbox.clear()
    Notification.objects.all().delete()
    mails(post_message, match, user=party_editor, body="Our server fails every week.")
    for member in (institute_editor, institute_viewer):
        [notification] = told(member)
        assert notification.match == match and "Our server fails every week." in notification.message
        [email] = inbox(member)
        assert "Royal Belgian" not in email.subject and "Point focal CHM de la RD Congo" in email.subject
        assert "Our server fails every week." in email.body and f"/matches/{match.pk}/" in email.body
    # the author and their own side are not told
    assert not told(party_editor).exists() and not told(party_viewer).exists()
    assert not inbox(party_editor) and not inbox(party_viewer)


def test_a_burst_of_messages_sends_one_email_per_recipient_until_they_read(
    mails, match, party_editor, institute_editor, institute_viewer
):
    mail.outbox.clear()
    for n in range(3):
        mails(post_message, match, user=party_editor, body=f"Message {n}")
    assert len(inbox(institute_editor)) == len(inbox(institute_viewer)) == 1
    assert told(institute_editor).count() == told(institute_viewer).count() == 3  # every message in the app

    mark_read(match, user=institute_editor)
    mails(post_message, match, user=party_editor, body="Message 3")
    assert len(inbox(institute_editor)) == 2  # read, so told again
    assert len(inbox(institute_viewer)) == 1  # still has not read


def test_each_side_is_emailed_about_the_others_messages(mails, match, party_editor, institute_editor):
    mail.outbox.clear()
    mails(post_message, match, user=party_editor, body="Question?")
    mails(post_message, match, user=institute_editor, body="Answer.")
    mails(post_message, match, user=party_editor, body="Thanks; another question?")
    assert len(inbox(institute_editor)) == 1 and len(inbox(party_editor)) == 1


def test_who_switched_emails_off_is_told_in_the_app_only(mails, match, party_editor, institute_editor):
    set_alert_preferences(institute_editor, email=False)
    mail.outbox.clear()
    mails(post_message, match, user=party_editor, body="Hello")
    assert told(institute_editor).count() == 1 and not inbox(institute_editor)


def test_each_recipient_is_told_in_their_language(
    mails, match, party_editor, institute_editor, institute_viewer
):
    set_alert_preferences(institute_editor, language="fr")
    mail.outbox.clear()
    mails(post_message, match, user=party_editor, body="Bonjour")
    [french] = inbox(institute_editor)
    [english] = inbox(institute_viewer)
    assert "your offer “" in english.subject
    assert "offre" in french.subject and "offer" not in french.subject.replace(match.offer.title, "")


def test_an_inactive_member_is_not_told(mails, match, party_editor, institute_editor):
    institute_editor.is_active = False
    institute_editor.save(update_fields=["is_active"])
    mails(post_message, match, user=party_editor, body="Hello")
    assert not told(institute_editor).exists()


# --------------------------------------------------------------------------- what each reader has read


def test_unread_counts_what_others_wrote_since_the_reader_last_read(
    match, party_editor, party_viewer, institute_editor, staff
):
    post_message(match, user=party_editor, body="One")
    post_message(match, user=party_editor, body="Two")
    assert unread(match, institute_editor) == 2
    assert unread(match, party_viewer) == 2  # a colleague's messages are new to them too
    assert unread(match, party_editor) == 0  # one's own messages never are
    assert unread(match, staff) == 2
    mark_read(match, user=institute_editor)
    assert unread(match, institute_editor) == 0
    post_message(match, user=party_editor, body="Three")
    assert unread(match, institute_editor) == 1


def test_mark_read_returns_what_was_read_before_and_never_moves_back(match, party_editor, institute_editor):
    first = post_message(match, user=party_editor, body="One")
    second = post_message(match, user=party_editor, body="Two")
    assert mark_read(match, user=institute_editor, up_to=first.pk) is None
    assert mark_read(match, user=institute_editor) == first.pk
    assert mark_read(match, user=institute_editor, up_to=first.pk) == second.pk
    assert MessageReadMarker.objects.get(user=institute_editor, match=match).last_read_id == second.pk


def test_reading_the_latest_message_marks_its_notifications_read(match, party_editor, institute_editor):
    first = post_message(match, user=party_editor, body="One")
    post_message(match, user=party_editor, body="Two")
    mark_read(match, user=institute_editor, up_to=first.pk)  # an older page
    assert told(institute_editor).filter(read_at=None).count() == 2
    assert MessageReadMarker.objects.get(user=institute_editor, match=match).emailed
    mark_read(match, user=institute_editor)
    assert not told(institute_editor).filter(read_at=None).exists()
    assert not MessageReadMarker.objects.get(user=institute_editor, match=match).emailed


def test_opening_a_conversation_without_messages_writes_nothing(match, institute_editor):
    assert mark_read(match, user=institute_editor) is None
    assert not MessageReadMarker.objects.exists()


# --------------------------------------------------------------------------- moderation


@pytest.fixture
def message(match, party_editor):
    return post_message(match, user=party_editor, body="Call me on +32 2 000 00 00, spam spam.")


def test_staff_hide_a_message_which_is_kept_and_audited(message, staff):
    hidden = hide_message(message, user=staff, reason="Spam.")
    hidden.refresh_from_db()
    assert hidden.is_hidden and hidden.hidden_by == staff and hidden.hidden_reason == "Spam."
    assert hidden.body.startswith("Call me")
    entry = AuditLog.objects.of(message).get(operation="hide_message")
    assert entry.actor == staff and entry.changes["hidden_reason"] == ["", "Spam."]


@pytest.mark.parametrize("who", ["party_editor", "institute_editor", "outsider"])
def test_only_staff_hide_a_message(request, message, who):
    with pytest.raises(NotAllowed) as refused:
        hide_message(message, user=request.getfixturevalue(who), reason="No.")
    assert refused.value.code == "staff_only"
    message.refresh_from_db()
    assert not message.is_hidden


def test_hiding_needs_a_reason(message, staff):
    with pytest.raises(ServiceError) as refused:
        hide_message(message, user=staff, reason="  ")
    assert refused.value.field == "reason"
    message.refresh_from_db()
    assert not message.is_hidden


def test_a_message_is_hidden_once(message, staff):
    hide_message(message, user=staff, reason="Spam.")
    with pytest.raises(Conflict) as refused:
        hide_message(message, user=staff, reason="Again.")
    assert refused.value.code == "already_hidden"
    message.refresh_from_db()
    assert message.hidden_reason == "Spam."


def test_a_hidden_message_stays_in_a_closed_conversation(message, staff, institute_editor):
    decline_match(message.match, user=institute_editor)
    hide_message(message, user=staff, reason="Spam.")
    assert Match.objects.get(pk=message.match_id).status == MatchStatus.DECLINED
    assert MatchMessage.objects.filter(pk=message.pk, hidden_at__isnull=False).exists()
