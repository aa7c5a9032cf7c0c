"""Renewing a posting: its editors extend its end date, and its application deadline with it, in one
step (API and page); a posting closed by its end date opens again and is recommended again; the
renewal is audited; the expiry reminder links to it and comes again before the new end; and every
refusal says why, leaving the posting as it was."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import NotificationKind, OpportunityStatus
from matchmaking.models import AuditLog, Notification, Opportunity
from matchmaking.recommendations.recommend import recommend
from matchmaking.services.alerts import close_expired_opportunities, remind_expiring_opportunities
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"
TODAY = timezone.localdate()


def day(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Recommendations embed; the real model is never loaded here."""


def renew_url(opportunity):
    return f"{URL}{opportunity.pk}/renew/"


@pytest.fixture
def ending(institute):
    """An open offer of the institute that ends in ten days, with its deadline five days before."""
    return make_opportunity(
        institute,
        "offer",
        "Hosting of national clearing-house mechanism websites",
        cooperation_type_id="hosting",
        themes=["information_systems"],
        ends_on=day(10),
        application_deadline=day(5),
    )


def renew(client_for, who, opportunity, **body):
    body = {name: value.isoformat() for name, value in body.items()}
    return client_for(who).post(renew_url(opportunity), body, format="json")


# --------------------------------------------------------------------------- the API


def test_an_editor_renews_a_posting_and_its_deadline_moves_with_it(client_for, ending, institute_editor):
    response = renew(client_for, "institute_editor", ending, ends_on=day(70))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["ends_on"], body["application_deadline"], body["status"]) == (
        day(70).isoformat(),
        day(65).isoformat(),  # moved by the same 60 days
        "open",
    )
    entry = AuditLog.objects.of(ending).order_by("id").last()
    assert (entry.operation, entry.actor) == ("renew_opportunity", institute_editor)
    assert entry.changes == {
        "ends_on": [day(10).isoformat(), day(70).isoformat()],
        "application_deadline": [day(5).isoformat(), day(65).isoformat()],
    }


def test_a_new_deadline_may_be_given(client_for, ending):
    response = renew(client_for, "institute_editor", ending, ends_on=day(70), application_deadline=day(40))
    assert response.status_code == 200
    assert response.json()["application_deadline"] == day(40).isoformat()


def test_a_posting_closed_by_its_end_date_is_renewed_open_and_recommended_again(
    client_for, ending, party_request, staff
):
    Opportunity.objects.filter(pk=ending.pk).update(ends_on=day(-3), application_deadline=day(-8))
    assert close_expired_opportunities() == 1
    assert ending.pk not in [r["opportunity"].pk for r in recommend(party_request)]
    response = renew(client_for, "institute_editor", ending, ends_on=day(90))
    assert response.status_code == 200
    ending.refresh_from_db()
    assert (ending.status, ending.ends_on, ending.application_deadline) == ("open", day(90), day(85))
    assert ending.pk in [r["opportunity"].pk for r in recommend(party_request)]
    entry = AuditLog.objects.of(ending).order_by("id").last()
    assert entry.changes["status"] == ["closed", "open"]


def test_staff_may_renew(client_for, ending):
    assert renew(client_for, "staff", ending, ends_on=day(30)).status_code == 200


@pytest.mark.parametrize(
    "days, code_message",
    [
        (0, "The new end date must be in the future."),
        (-1, "The new end date must be in the future."),
        (10, "The new end date must be later than the current one"),
        (9, "The new end date must be later than the current one"),
        (366, "A posting is renewed for at most 365 days"),
    ],
)
def test_the_new_end_date_is_checked(client_for, ending, days, code_message):
    response = renew(client_for, "institute_editor", ending, ends_on=day(days))
    assert response.status_code == 400
    [message] = response.json()["ends_on"]
    assert message.startswith(code_message)
    ending.refresh_from_db()
    assert (ending.ends_on, ending.application_deadline) == (day(10), day(5))


def test_the_longest_renewal_is_a_setting(client_for, settings, ending):
    settings.RENEWAL_MAX_DAYS = 30
    assert renew(client_for, "institute_editor", ending, ends_on=day(31)).status_code == 400
    assert renew(client_for, "institute_editor", ending, ends_on=day(30)).status_code == 200


def test_an_end_date_is_required(client_for, ending):
    response = client_for("institute_editor").post(renew_url(ending), {}, format="json")
    assert response.status_code == 400
    assert response.json()["ends_on"] == ["This field is required."]


@pytest.mark.parametrize(
    "deadline, message",
    [
        (-1, "The new application deadline must be neither past nor earlier than the current one."),
        (4, "The new application deadline must be neither past nor earlier than the current one."),
        (71, "The application deadline must not be after the end date."),
    ],
)
def test_a_new_deadline_is_checked(client_for, ending, deadline, message):
    response = renew(
        client_for, "institute_editor", ending, ends_on=day(70), application_deadline=day(deadline)
    )
    assert response.status_code == 400
    assert response.json()["application_deadline"] == [message]
    ending.refresh_from_db()
    assert ending.ends_on == day(10)


def test_a_deadline_still_past_once_moved_must_be_given(client_for, ending):
    Opportunity.objects.filter(pk=ending.pk).update(ends_on=day(-1), application_deadline=day(-100))
    response = renew(client_for, "institute_editor", ending, ends_on=day(30))
    assert response.status_code == 400
    assert "give a new one" in response.json()["application_deadline"][0]
    response = renew(client_for, "institute_editor", ending, ends_on=day(30), application_deadline=day(20))
    assert response.status_code == 200


def test_a_posting_without_a_deadline_gets_none(client_for, institute):
    offer = make_opportunity(institute, "offer", "Mirror sites", ends_on=day(10))
    response = renew(client_for, "institute_editor", offer, ends_on=day(40), application_deadline=day(20))
    assert response.status_code == 400
    assert response.json()["application_deadline"] == [
        "This posting has no application deadline: set one by editing it."
    ]
    body = renew(client_for, "institute_editor", offer, ends_on=day(40)).json()
    assert (body["ends_on"], body["application_deadline"]) == (day(40).isoformat(), None)


def test_a_draft_and_a_posting_without_end_date_are_not_renewed(client_for, institute, party_draft):
    Opportunity.objects.filter(pk=party_draft.pk).update(ends_on=day(5))
    response = renew(client_for, "party_editor", party_draft, ends_on=day(30))
    assert (response.status_code, response.json()["code"]) == (409, "not_published")
    endless = make_opportunity(institute, "offer", "Hosting, for as long as it takes")
    response = renew(client_for, "institute_editor", endless, ends_on=day(30))
    assert (response.status_code, response.json()["code"]) == (409, "no_end_date")
    party_draft.refresh_from_db()
    assert party_draft.status == OpportunityStatus.DRAFT


@pytest.mark.parametrize(
    "who, status", [("party_editor", 403), ("outsider", 403), ("anonymous", 401), ("party_viewer", 403)]
)
def test_only_its_editors_and_staff_renew_a_posting(client_for, ending, party_viewer, who, status):
    assert renew(client_for, who, ending, ends_on=day(30)).status_code == status
    ending.refresh_from_db()
    assert ending.ends_on == day(10)


# --------------------------------------------------------------------------- the reminder


def test_the_expiry_reminder_links_to_the_renewal_and_comes_again_before_the_new_end(
    client_for, django_capture_on_commit_callbacks, ending, institute_editor
):
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_expiring_opportunities() == 1
    [message] = mail.outbox
    assert f"/postings/{ending.pk}/renew/" in message.body
    assert renew(client_for, "institute_editor", ending, ends_on=day(40)).status_code == 200
    assert remind_expiring_opportunities() == 0  # the new end is more than 14 days away
    assert remind_expiring_opportunities(today=day(25)) == 0
    assert remind_expiring_opportunities(today=day(26)) == 1  # 14 days before the new end
    assert remind_expiring_opportunities(today=day(27)) == 0
    reminders = Notification.objects.filter(user=institute_editor, kind=NotificationKind.OPPORTUNITY_EXPIRING)
    assert reminders.count() == 2


def test_the_closing_notice_links_to_the_renewal(
    django_capture_on_commit_callbacks, ending, institute_editor
):
    Opportunity.objects.filter(pk=ending.pk).update(ends_on=day(-1))
    with django_capture_on_commit_callbacks(execute=True):
        close_expired_opportunities()
    [message] = mail.outbox
    assert f"/postings/{ending.pk}/renew/" in message.body


# --------------------------------------------------------------------------- the pages


def page_url(opportunity, name="web:opportunity"):
    return reverse(name, args=[opportunity.pk])


def test_the_posting_page_offers_renewal_to_its_editors(
    client, client_as, ending, institute_editor, party_editor
):
    link = f'href="{page_url(ending, "web:opportunity_renew")}"'
    assert link in client_as(institute_editor).get(page_url(ending)).text
    assert link not in client_as(party_editor).get(page_url(ending)).text
    assert link not in client.get(page_url(ending)).text


def test_no_renewal_is_offered_for_a_posting_without_end_date(client_as, institute_offer, institute_editor):
    html = client_as(institute_editor).get(page_url(institute_offer)).text
    assert page_url(institute_offer, "web:opportunity_renew") not in html


def test_an_editor_renews_from_the_page(client_as, ending, institute_editor):
    client = client_as(institute_editor)
    form = client.get(page_url(ending, "web:opportunity_renew")).context["form"]
    assert list(form.fields) == ["ends_on", "application_deadline"]
    response = client.post(
        page_url(ending, "web:opportunity_renew"), {"ends_on": day(60).isoformat()}, follow=True
    )
    assert response.redirect_chain[-1][0] == page_url(ending)
    assert "Renewed until" in response.text
    ending.refresh_from_db()
    assert (ending.ends_on, ending.application_deadline) == (day(60), day(55))


def test_the_page_shows_why_a_renewal_is_refused(client_as, ending, institute_editor):
    response = client_as(institute_editor).post(
        page_url(ending, "web:opportunity_renew"), {"ends_on": day(400).isoformat()}
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["ends_on"]
    assert message.startswith("A posting is renewed for at most 365 days")
    ending.refresh_from_db()
    assert ending.ends_on == day(10)


def test_a_posting_without_deadline_is_renewed_by_its_end_date_alone(client_as, institute, institute_editor):
    offer = make_opportunity(institute, "offer", "Mirror sites", ends_on=day(10))
    form = client_as(institute_editor).get(page_url(offer, "web:opportunity_renew")).context["form"]
    assert list(form.fields) == ["ends_on"]


def test_only_its_editors_reach_the_renewal_page(client, client_as, ending, party_editor):
    assert client_as(party_editor).get(page_url(ending, "web:opportunity_renew")).status_code == 404
    client.logout()
    response = client.get(page_url(ending, "web:opportunity_renew"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
