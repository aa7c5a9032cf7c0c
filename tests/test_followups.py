"""The daily run follows matches up: the side that must answer a proposal is reminded after seven days,
the proposal expires on day thirty (not earlier) and both sides are told, an accepted match not started
after fourteen days is reminded to both sides; every delay is a setting, and a second run the same day
sends nothing new."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import formats, timezone, translation

from matchmaking.choices import MatchStatus, NotificationKind
from matchmaking.models import AuditLog, Match, MatchEvent, Notification, ReminderSent
from matchmaking.services.alerts import set_alert_preferences
from matchmaking.services.followups import expire_proposals, remind_proposals, remind_unstarted
from matchmaking.services.matches import accept_match, allowed_actions, express_interest, start_match
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def day(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """The daily run ranks postings for its digests; the real model is never loaded here."""


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    """E-mails go out once the transaction commits: run the callbacks as a commit would."""

    def capture(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return capture


def inbox(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def kinds(user):
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


@pytest.fixture
def proposed(party_editor, party_request, institute_offer, institute_editor):
    """The Party expressed interest in the institute's offer today; the institute must answer."""
    match = express_interest(user=party_editor, request=party_request, offer=institute_offer)
    mail.outbox.clear()
    Notification.objects.all().delete()
    return match


def made_days_ago(match, days):
    moment = timezone.now() - datetime.timedelta(days=days)
    Match.objects.filter(pk=match.pk).update(created_at=moment)
    return match


# --------------------------------------------------------------------------- proposals waiting


def test_the_answering_side_is_reminded_after_seven_days(mails, proposed, party_editor, institute_editor):
    assert mails(remind_proposals, today=day(6)) == 0
    assert mails(remind_proposals, today=day(7)) == 1
    assert kinds(institute_editor) == [NotificationKind.PROPOSAL_REMINDER]
    assert kinds(party_editor) == []  # the side that waits is not reminded
    [message] = inbox(institute_editor)
    assert message.subject == (
        "Point focal CHM de la RD Congo is waiting for your answer about "
        "“Hosting of national clearing-house mechanism websites”"
    )
    assert "7 days ago" in message.body
    assert formats.date_format(day(30), "DATE_FORMAT") in message.body  # when it expires
    assert f"/matches/{proposed.pk}/" in message.body
    assert Notification.objects.get(user=institute_editor).match == proposed


def test_a_proposal_is_reminded_once(mails, proposed, institute_editor):
    assert mails(remind_proposals, today=day(7)) == 1
    assert mails(remind_proposals, today=day(7)) == 0  # the same day again
    assert mails(remind_proposals, today=day(8)) == 0
    assert len(inbox(institute_editor)) == 1
    assert ReminderSent.objects.get().match == proposed


def test_the_reminder_delay_is_a_setting(mails, settings, proposed, institute_editor):
    settings.PROPOSAL_REMINDER_DAYS = 2
    assert mails(remind_proposals, today=day(1)) == 0
    assert mails(remind_proposals, today=day(2)) == 1


def test_a_proposal_expires_on_day_thirty_and_not_earlier(mails, proposed, party_editor, institute_editor):
    assert mails(expire_proposals, today=day(29)) == 0
    proposed.refresh_from_db()
    assert proposed.status == MatchStatus.PROPOSED
    assert mails(expire_proposals, today=day(30)) == 1
    proposed.refresh_from_db()
    assert proposed.status == MatchStatus.EXPIRED
    event = MatchEvent.objects.filter(match=proposed).last()
    assert (event.from_status, event.to_status, event.actor) == ("proposed", "expired", None)
    entry = AuditLog.objects.of(proposed).order_by("id").last()
    assert (entry.operation, entry.changes) == ("expire_match", {"status": ["proposed", "expired"]})
    assert allowed_actions(proposed, institute_editor) == []
    assert allowed_actions(proposed, party_editor) == []


def test_both_sides_are_told_a_proposal_expired(mails, proposed, party_editor, institute_editor):
    mails(expire_proposals, today=day(30))
    assert kinds(party_editor) == kinds(institute_editor) == [NotificationKind.PROPOSAL_EXPIRED]
    for editor in (party_editor, institute_editor):
        [message] = inbox(editor)
        assert message.subject == (
            "Interest in “Hosting of national clearing-house mechanism websites” expired without an answer"
        )
        assert "within 30 days" in message.body
    assert mails(expire_proposals, today=day(31)) == 0
    assert len(mail.outbox) == 2


def test_the_expiry_delay_is_a_setting(mails, settings, proposed):
    settings.PROPOSAL_EXPIRY_DAYS = 10
    assert mails(expire_proposals, today=day(9)) == 0
    assert mails(expire_proposals, today=day(10)) == 1


def test_interest_can_be_expressed_again_once_a_proposal_expired(
    mails, proposed, party_editor, party_request, institute_offer
):
    mails(expire_proposals, today=day(30))
    again = express_interest(user=party_editor, request=party_request, offer=institute_offer)
    assert again.status == MatchStatus.PROPOSED and again.pk != proposed.pk


def test_an_answered_proposal_is_neither_reminded_nor_expired(mails, proposed, institute_editor):
    accept_match(proposed, user=institute_editor)
    assert mails(remind_proposals, today=day(7)) == 0
    assert mails(expire_proposals, today=day(30)) == 0
    proposed.refresh_from_db()
    assert proposed.status == MatchStatus.ACCEPTED


def test_a_proposal_due_to_expire_is_expired_not_reminded(mails, proposed, institute_editor):
    made_days_ago(proposed, 40)  # the daily run did not run for weeks
    assert mails(expire_proposals, today=TODAY) == 1
    assert mails(remind_proposals, today=TODAY) == 0
    assert kinds(institute_editor) == [NotificationKind.PROPOSAL_EXPIRED]


# --------------------------------------------------------------------------- accepted, not started


@pytest.fixture
def accepted(proposed, institute_editor):
    match = accept_match(proposed, user=institute_editor)
    mail.outbox.clear()
    Notification.objects.all().delete()
    return match


def test_an_accepted_match_not_started_is_reminded_to_both_sides_once(
    mails, accepted, party_editor, institute_editor
):
    assert mails(remind_unstarted, today=day(13)) == 0
    assert mails(remind_unstarted, today=day(14)) == 1
    assert kinds(party_editor) == kinds(institute_editor) == [NotificationKind.START_REMINDER]
    [message] = inbox(party_editor)
    assert message.subject == (
        "Not started yet: “Our national CHM website needs a reliable host” and "
        "“Hosting of national clearing-house mechanism websites”"
    )
    assert "accepted 14 days ago" in message.body
    assert f"/matches/{accepted.pk}/" in message.body
    assert mails(remind_unstarted, today=day(14)) == 0
    assert mails(remind_unstarted, today=day(20)) == 0
    assert len(mail.outbox) == 2


def test_the_start_reminder_delay_is_a_setting(mails, settings, accepted):
    settings.START_REMINDER_DAYS = 3
    assert mails(remind_unstarted, today=day(2)) == 0
    assert mails(remind_unstarted, today=day(3)) == 1


def test_a_started_match_is_not_reminded(mails, accepted, party_editor):
    start_match(accepted, user=party_editor)
    assert mails(remind_unstarted, today=day(20)) == 0


# --------------------------------------------------------------------------- the daily command


def run(mails, on):
    out = StringIO()
    mails(call_command, "send_match_alerts", "--date", on.isoformat(), stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_the_daily_command_follows_up_and_sends_nothing_new_when_run_again(
    mails, proposed, party, party_editor, institute, institute_editor
):
    # `proposed` is 8 days old on day 8: reminded; `old`, 30 days old then: expires
    old = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "Mirror needed"), offer=proposed.offer
    )
    made_days_ago(old, 22)
    started_late = express_interest(
        user=party_editor,
        request=make_opportunity(party, "request", "Training needed"),
        offer=make_opportunity(institute, "offer", "Training"),
    )
    accept_match(started_late, user=institute_editor)
    accepted_at = timezone.now() - datetime.timedelta(days=6)  # 14 days before day 8
    MatchEvent.objects.filter(match=started_late, to_status=MatchStatus.ACCEPTED).update(
        created_at=accepted_at
    )
    mail.outbox.clear()

    assert run(mails, day(8)) == (
        "Expired 1 unanswered proposal(s), reminded about 1 waiting for an answer and 1 accepted "
        "match(es) not started."
    )
    old.refresh_from_db()
    assert old.status == MatchStatus.EXPIRED
    sent = len(mail.outbox)
    assert sent == 5  # expired: both sides; the reminder: the institute; not started: both sides
    assert run(mails, day(8)) == (
        "Expired 0 unanswered proposal(s), reminded about 0 waiting for an answer and 0 accepted "
        "match(es) not started."
    )
    assert len(mail.outbox) == sent


# --------------------------------------------------------------------------- languages


def test_follow_ups_are_written_in_each_recipients_language(mails, proposed, institute, institute_editor):
    second = make_user("second_institute_editor")
    institute.memberships.create(user=second, role="editor")
    set_alert_preferences(second, language="fr")
    mails(remind_proposals, today=day(7))
    with translation.override("fr"):
        french_date = formats.date_format(day(30), "DATE_FORMAT")
    english_date = formats.date_format(day(30), "DATE_FORMAT")
    assert french_date != english_date
    [english] = inbox(institute_editor)
    [french] = inbox(second)
    assert english_date in english.body and french_date not in english.body
    assert french_date in french.body
