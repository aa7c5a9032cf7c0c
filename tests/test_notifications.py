"""Who is told what, by e-mail and in the app: the steps of a match, the daily digest of new opportunities
(its content, one per organization per day, never the same suggestion twice), and the expiry of
opportunities; and the notifications endpoints."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from matchmaking.choices import NotificationKind
from matchmaking.models import AlertSent, Match, Notification, Opportunity
from matchmaking.services.alerts import (
    alert_preferences,
    close_expired_opportunities,
    remind_expiring_opportunities,
    send_suggestion_digests,
    set_alert_preferences,
)
from matchmaking.services.errors import Conflict
from matchmaking.services.matches import accept_match, decline_match, express_interest, start_match
from matchmaking.services.outcomes import complete_match
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Digests rank opportunities; the real model is never loaded here."""


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
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --------------------------------------------------------------------------- match steps


@pytest.fixture
def second_institute_editor(institute):
    user = make_user("second_institute_editor")
    institute.memberships.create(user=user, role="editor")
    return user


@pytest.fixture
def proposed(mails, party_editor, party_request, institute_offer, institute_editor, second_institute_editor):
    return mails(
        express_interest,
        user=party_editor,
        request=party_request,
        offer=institute_offer,
        message="Our server fails every week.",
    )


def test_interest_is_told_to_the_other_sides_editors(
    proposed, party_editor, party_viewer, institute_editor, second_institute_editor
):
    for editor in (institute_editor, second_institute_editor):
        assert kinds(editor) == [NotificationKind.INTEREST_EXPRESSED]
        [message] = inbox(editor)
        assert message.subject == (
            "Point focal CHM de la RD Congo is interested in your offer "
            "“Hosting of national clearing-house mechanism websites”"
        )
        assert "Our server fails every week." in message.body
        assert f"/matches/{proposed.pk}/" in message.body
    assert kinds(party_editor) == kinds(party_viewer) == []
    assert len(mail.outbox) == 2


def test_acceptance_is_told_to_the_interested_side(mails, proposed, party_editor, institute_editor):
    mail.outbox.clear()
    mails(accept_match, proposed, user=institute_editor, note="Send us your files.")
    assert kinds(party_editor) == [NotificationKind.INTEREST_ACCEPTED]
    [message] = mail.outbox
    assert message.to == [party_editor.email]
    assert "accepted your interest" in message.subject
    assert "Send us your files." in message.body


def test_a_refusal_is_told_with_its_reason(mails, proposed, party_editor, institute_editor):
    mail.outbox.clear()
    mails(decline_match, proposed, user=institute_editor, note="Our servers are full this year.")
    assert kinds(party_editor) == [NotificationKind.INTEREST_DECLINED]
    assert "Our servers are full this year." in inbox(party_editor)[0].body


def test_completion_is_told_to_both_sides_but_not_the_actor(
    mails, proposed, party_editor, institute_editor, second_institute_editor
):
    accept_match(proposed, user=institute_editor)
    start_match(proposed, user=institute_editor)
    mail.outbox.clear()
    mails(complete_match, proposed, user=institute_editor, outcome={"summary": "Hosted."})
    assert NotificationKind.MATCH_COMPLETED in kinds(party_editor)
    assert NotificationKind.MATCH_COMPLETED in kinds(second_institute_editor)
    assert NotificationKind.MATCH_COMPLETED not in kinds(institute_editor)
    assert {m.to[0] for m in mail.outbox} == {party_editor.email, second_institute_editor.email}


def test_a_user_who_switched_emails_off_is_told_in_the_app_only(
    mails, party_editor, party_request, institute_offer, institute_editor
):
    set_alert_preferences(institute_editor, email=False)
    mails(express_interest, user=party_editor, request=party_request, offer=institute_offer)
    assert kinds(institute_editor) == [NotificationKind.INTEREST_EXPRESSED]
    assert inbox(institute_editor) == []


def test_a_refused_step_tells_nobody(mails, proposed, party, institute_editor, party_editor):
    Opportunity.objects.filter(pk=proposed.offer_id).update(status="closed")
    mail.outbox.clear()
    with pytest.raises(Conflict):
        mails(accept_match, proposed, user=institute_editor)
    assert kinds(party_editor) == []
    assert mail.outbox == []


def test_a_failing_mail_server_does_not_fail_the_step(mails, settings, proposed, institute_editor, caplog):
    settings.EMAIL_BACKEND = "tests.test_notifications.BrokenBackend"
    match = mails(accept_match, proposed, user=institute_editor)
    assert match.status == "accepted"
    assert "Could not send" in caplog.text


class BrokenBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


# --------------------------------------------------------------------------- the daily digest


def days_ago(opportunity, days):
    Opportunity.objects.filter(pk=opportunity.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=days)
    )
    opportunity.refresh_from_db()
    return opportunity


@pytest.fixture
def older_offer(institute_offer):
    """The institute posted its offer a month ago."""
    return days_ago(institute_offer, 30)


@pytest.fixture
def threshold(settings):
    settings.MATCH_ALERT_THRESHOLD = 0.2
    return settings


def send_digests(mails, today=TODAY):
    return mails(send_suggestion_digests, today=today)


def test_a_new_opportunity_that_fits_is_suggested_to_the_older_opportunities_organization(
    mails, threshold, older_offer, party, institute_editor, party_editor
):
    new = make_opportunity(
        party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting"
    )
    assert send_digests(mails) == 1
    [digest] = Notification.objects.filter(kind=NotificationKind.SUGGESTIONS)
    assert digest.user == institute_editor
    [message] = inbox(institute_editor)
    assert message.subject == "1 new posting that fits yours"
    assert "For your offer “Hosting of national clearing-house mechanism websites”:" in message.body
    assert f"Request “{new.title}” by Point focal CHM de la RD Congo (score 0." in message.body
    assert f"/postings/{new.pk}/" in message.body
    # the Party saw the older offer among its own recommendations when it posted
    assert inbox(party_editor) == []
    [sent] = AlertSent.objects.all()
    assert (sent.organization_id, sent.suggested, sent.for_opportunity) == (
        older_offer.organization_id,
        new,
        older_offer,
    )


def test_one_digest_per_organization_per_day(
    mails, threshold, older_offer, party, institute, institute_editor
):
    second_offer = days_ago(
        make_opportunity(
            institute, "offer", "Mirror sites for CHM websites", cooperation_type_id="mirroring"
        ),
        20,
    )
    make_opportunity(party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting")
    make_opportunity(party, "request", "A mirror for our CHM website", cooperation_type_id="mirroring")
    assert send_digests(mails) == 1
    [message] = inbox(institute_editor)
    assert message.subject == "2 new postings that fit yours"
    assert older_offer.title in message.body or second_offer.title in message.body
    later = make_opportunity(
        party, "request", "Hosting of our CHM site, again", cooperation_type_id="hosting"
    )
    assert send_digests(mails) == 0  # already one today
    assert send_digests(mails, today=TODAY + datetime.timedelta(days=1)) == 1
    tomorrow = inbox(institute_editor)[1]
    assert later.title in tomorrow.body
    assert "Our national CHM website needs a host" not in tomorrow.body  # never the same suggestion twice


def test_a_suggestion_is_never_sent_twice(mails, threshold, older_offer, party, institute_editor):
    make_opportunity(party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting")
    assert send_digests(mails) == 1
    for days in range(1, 4):
        assert send_digests(mails, today=TODAY + datetime.timedelta(days=days)) == 0
    assert len(inbox(institute_editor)) == 1


def test_opportunities_below_the_threshold_are_not_suggested(mails, settings, older_offer, party):
    settings.MATCH_ALERT_THRESHOLD = 0.99
    make_opportunity(party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting")
    assert send_digests(mails) == 0
    assert not AlertSent.objects.exists()


def test_opportunities_already_matched_are_not_suggested(mails, threshold, older_offer, party, party_editor):
    new = make_opportunity(
        party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting"
    )
    express_interest(user=party_editor, request=new, offer=older_offer)
    assert send_digests(mails) == 0


def test_old_opportunities_are_not_suggested(mails, threshold, older_offer, party):
    days_ago(
        make_opportunity(
            party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting"
        ),
        10,
    )
    assert send_digests(mails) == 0


def test_users_who_switched_suggestions_off_get_no_digest(
    mails, threshold, older_offer, party, institute_editor, second_institute_editor
):
    set_alert_preferences(institute_editor, suggestions=False)
    make_opportunity(party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting")
    assert send_digests(mails) == 1
    assert inbox(institute_editor) == [] and kinds(institute_editor) == []
    assert len(inbox(second_institute_editor)) == 1


def test_no_digest_is_recorded_when_nobody_wants_it(mails, threshold, older_offer, party, institute_editor):
    set_alert_preferences(institute_editor, suggestions=False)
    make_opportunity(party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting")
    assert send_digests(mails) == 0
    assert not AlertSent.objects.exists()


# --------------------------------------------------------------------------- expiry


def test_an_ended_opportunity_is_closed_and_its_editors_told(mails, institute, institute_editor):
    ended = make_opportunity(
        institute, "offer", "Grants for 2025", ends_on=TODAY - datetime.timedelta(days=1)
    )
    running = make_opportunity(institute, "offer", "Hosting", ends_on=TODAY)
    assert mails(close_expired_opportunities) == 1
    ended.refresh_from_db()
    running.refresh_from_db()
    assert (ended.status, running.status) == ("closed", "open")
    assert kinds(institute_editor) == [NotificationKind.OPPORTUNITY_CLOSED]
    assert "ended and was closed" in inbox(institute_editor)[0].subject
    assert mails(close_expired_opportunities) == 0


def test_editors_are_reminded_once_fourteen_days_before_the_end(mails, institute, institute_editor):
    soon = make_opportunity(institute, "offer", "Ends soon", ends_on=TODAY + datetime.timedelta(days=14))
    make_opportunity(institute, "offer", "Ends later", ends_on=TODAY + datetime.timedelta(days=15))
    assert mails(remind_expiring_opportunities) == 1
    [message] = inbox(institute_editor)
    assert message.subject == "Your offer “Ends soon” ends in 14 days"
    assert Notification.objects.get(user=institute_editor).opportunity == soon
    assert mails(remind_expiring_opportunities, today=TODAY + datetime.timedelta(days=1)) == 1  # "Ends later"
    assert mails(remind_expiring_opportunities, today=TODAY + datetime.timedelta(days=2)) == 0


def test_the_scheduled_command_closes_reminds_and_sends_digests(
    mails, threshold, older_offer, institute, party, institute_editor
):
    make_opportunity(institute, "offer", "Ended", ends_on=TODAY - datetime.timedelta(days=3))
    make_opportunity(institute, "offer", "Ends soon", ends_on=TODAY + datetime.timedelta(days=5))
    make_opportunity(party, "request", "Our national CHM website needs a host", cooperation_type_id="hosting")
    out = StringIO()
    mails(call_command, "send_match_alerts", stdout=out)
    assert out.getvalue().strip() == (
        "Closed 1 expired posting(s), reminded about 1 ending soon, sent 1 digest(s).\n"
        "Expired 0 unanswered proposal(s), reminded about 0 waiting for an answer and 0 accepted "
        "match(es) not started."
    )
    assert sorted(kinds(institute_editor)) == ["posting_closed", "posting_expiring", "suggestions"]


def test_the_command_takes_a_date(mails, institute):
    opportunity = make_opportunity(
        institute, "offer", "Ends next month", ends_on=TODAY + datetime.timedelta(days=30)
    )
    tomorrow_of_end = (TODAY + datetime.timedelta(days=31)).isoformat()
    mails(call_command, "send_match_alerts", "--date", tomorrow_of_end, stdout=StringIO())
    opportunity.refresh_from_db()
    assert opportunity.status == "closed"


# --------------------------------------------------------------------------- the endpoints

NOTIFICATIONS = "/api/v1/notifications/"


def test_users_list_their_own_notifications(client_for, proposed, institute_editor, party_editor):
    body = client_for("institute_editor").get(NOTIFICATIONS).json()
    assert [row["kind"] for row in body["results"]] == ["interest_expressed"]
    assert body["results"][0]["match"] == proposed.pk
    assert client_for("party_editor").get(NOTIFICATIONS).json()["results"] == []
    assert client_for("anonymous").get(NOTIFICATIONS).status_code == 401


def test_a_notification_is_marked_read(client_for, proposed, institute_editor):
    client = client_for("institute_editor")
    [row] = client.get(NOTIFICATIONS, {"unread": "true"}).json()["results"]
    response = client.post(f"{NOTIFICATIONS}{row['id']}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get(NOTIFICATIONS, {"unread": "true"}).json()["results"] == []
    assert client_for("party_editor").post(f"{NOTIFICATIONS}{row['id']}/read/").status_code == 404


def test_alerts_are_switched_off_and_on(client_for, institute_editor):
    client = client_for("institute_editor")
    assert client.get(f"{NOTIFICATIONS}preferences/").json() == {
        "email": True,
        "suggestions": True,
        "language": "",
    }
    response = client.patch(f"{NOTIFICATIONS}preferences/", {"suggestions": False}, format="json")
    assert response.json() == {"email": True, "suggestions": False, "language": ""}
    assert alert_preferences(institute_editor).suggestions is False
    assert client_for("anonymous").get(f"{NOTIFICATIONS}preferences/").status_code == 401


def test_match_notifications_point_at_their_match(proposed, institute_editor):
    assert Match.objects.get(pk=Notification.objects.get(user=institute_editor).match_id) == proposed


# --------------------------------------------------------------------------- the recipient's language


def test_each_recipient_is_told_in_their_own_language(
    mails, party_editor, party_request, institute_offer, institute_editor, second_institute_editor
):
    set_alert_preferences(institute_editor, language="fr")
    set_alert_preferences(second_institute_editor, language="ar")
    mails(
        express_interest, user=party_editor, request=party_request, offer=institute_offer, message="Bonjour"
    )
    [french] = inbox(institute_editor)
    [arabic] = inbox(second_institute_editor)
    assert french.subject.startswith("Point focal CHM de la RD Congo ")
    assert "is interested" not in french.subject and "offre" in french.subject
    assert "is interested" not in arabic.subject
    assert any("\u0600" <= character <= "\u06ff" for character in arabic.subject)
    in_app = Notification.objects.get(user=institute_editor).message
    assert in_app == french.body and "Bonjour" in in_app and "Offre" in in_app


def test_the_expiry_reminder_is_in_the_recipients_language(mails, institute, institute_editor):
    set_alert_preferences(institute_editor, language="es")
    make_opportunity(institute, "offer", "Termina pronto", ends_on=TODAY + datetime.timedelta(days=14))
    assert mails(remind_expiring_opportunities) == 1
    [message] = inbox(institute_editor)
    assert message.subject == "Su oferta «Termina pronto» termina en 14 días"


def test_choosing_a_language_on_the_pages_sets_the_language_of_notifications(client, institute_editor):
    client.force_login(institute_editor)
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert alert_preferences(institute_editor).language == "ru"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert alert_preferences(institute_editor).language == "ru"


def test_an_unknown_language_is_refused_by_the_api(client_for, institute_editor):
    response = client_for("institute_editor").patch(
        f"{NOTIFICATIONS}preferences/", {"language": "klingon"}, format="json"
    )
    assert response.status_code == 400 and "language" in response.json()
    assert alert_preferences(institute_editor).language == ""
