"""No data lost: every change to an opportunity, a match or an outcome is in the audit log (who, when,
what), and opportunities with matches, matches and outcomes are never deleted."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import Moderation, OpportunityStatus
from matchmaking.models import AuditAction, AuditLog, Match, Opportunity, Outcome
from matchmaking.services.alerts import close_expired_opportunities
from matchmaking.services.matches import accept_match, express_interest, start_match
from matchmaking.services.moderation import approve_opportunity, hide_opportunity, verify_organization
from matchmaking.services.opportunities import create_opportunity
from matchmaking.services.outcomes import complete_match, update_outcome
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db


def entries(instance):
    return list(AuditLog.objects.of(instance).order_by("id"))


# --------------------------------------------------------------------------- opportunities


def test_creating_an_opportunity_is_logged_with_who_and_what(client_for, party, party_editor):
    data = {
        "direction": "request",
        "title": "Our CHM website needs a host",
        "description": "Our server fails.",
        "organization": party.pk,
        "themes": ["information_systems", "forest"],
    }
    response = client_for("party_editor").post("/api/v1/opportunities/", data, format="json")
    opportunity = Opportunity.objects.get(pk=response.json()["id"])
    [entry] = entries(opportunity)
    assert (entry.action, entry.actor, entry.actor_name) == (AuditAction.CREATE, party_editor, "party_editor")
    assert (entry.model, entry.object_id, entry.operation) == (
        "matchmaking.opportunity",
        str(opportunity.pk),
        "create_opportunity",
    )
    assert entry.changes["title"] == [None, "Our CHM website needs a host"]
    assert entry.changes["organization"] == [None, party.pk]
    assert entry.changes["themes"] == [None, ["forest", "information_systems"]]
    assert "updated_at" not in entry.changes
    assert timezone.now() - entry.created_at < datetime.timedelta(minutes=1)


def test_changing_an_opportunity_logs_only_what_changed(client_for, party_request):
    client = client_for("party_editor")
    url = f"/api/v1/opportunities/{party_request.pk}/"
    client.patch(url, {"title": "A new title", "themes": ["forest"]}, format="json")
    client.patch(url, {"title": "A new title"}, format="json")  # no change: no entry
    [created, changed] = entries(party_request)
    assert changed.action == AuditAction.UPDATE and changed.operation == "update_opportunity"
    assert changed.changes == {
        "title": ["Our national CHM website needs a reliable host", "A new title"],
        "themes": [["information_systems"], ["forest"]],
        "moderation": ["approved", "pending"],  # the Party is not verified: a new text waits for approval
    }


def test_closing_an_opportunity_is_logged(client_for, party_request, party_editor):
    client_for("party_editor").post(f"/api/v1/opportunities/{party_request.pk}/close/")
    entry = entries(party_request)[-1]
    assert (entry.operation, entry.actor) == ("close_opportunity", party_editor)
    assert entry.changes == {"status": ["open", "closed"]}


def test_editing_on_the_web_pages_is_logged(client_as, party_editor, party_request):
    client_as(party_editor).post(
        reverse("web:opportunity_close", args=[party_request.pk]), {"confirm": "yes"}
    )
    assert entries(party_request)[-1].changes == {"status": ["open", "closed"]}


def test_moderation_is_logged(staff, party, party_editor):
    opportunity = make_opportunity(party, "request", "Waiting")
    opportunity.moderation = Moderation.PENDING
    opportunity.save()
    hide_opportunity(opportunity, user=staff, reason="Spam")
    approve_opportunity(opportunity, user=staff)
    hidden, approved = entries(opportunity)[-2:]
    assert hidden.changes == {"moderation": ["pending", "hidden"], "moderation_reason": ["", "Spam"]}
    assert approved.actor == staff and approved.changes["moderation"] == ["hidden", "approved"]


def test_verifying_an_organization_logs_the_opportunities_it_approves(staff, party, party_editor):
    waiting = create_opportunity(
        user=party_editor,
        data={"direction": "request", "title": "Waits", "description": "-", "organization": party},
    )
    assert waiting.moderation == Moderation.PENDING
    verify_organization(party, user=staff)
    entry = entries(waiting)[-1]
    assert (entry.operation, entry.actor) == ("verify_organization", staff)
    assert entry.changes == {"moderation": ["pending", "approved"]}


def test_the_scheduled_closing_is_logged_without_a_user(party):
    opportunity = make_opportunity(
        party, "request", "Ended", ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert close_expired_opportunities() == 1
    entry = entries(opportunity)[-1]
    assert (entry.operation, entry.actor, entry.actor_name) == ("close_expired_opportunities", None, "")
    assert entry.changes == {"status": [OpportunityStatus.OPEN, OpportunityStatus.CLOSED]}


# --------------------------------------------------------------------------- matches and outcomes


def test_a_match_and_its_outcome_are_logged_step_by_step(
    party_request, institute_offer, party_editor, institute_editor
):
    match = express_interest(user=party_editor, request=party_request, offer=institute_offer)
    accept_match(match, user=institute_editor)
    start_match(match, user=party_editor)
    outcome = complete_match(
        match,
        user=institute_editor,
        outcome={"summary": "Hosted.", "indicators": [{"key": "websites_hosted", "value": 1}]},
    )
    log = entries(match)
    assert [(e.operation, e.actor.username) for e in log] == [
        ("express_interest", "party_editor"),
        ("accept_match", "institute_editor"),
        ("start_match", "party_editor"),
        ("complete_match", "institute_editor"),
    ]
    assert log[0].action == AuditAction.CREATE and log[0].changes["request"] == [None, party_request.pk]
    assert log[1].changes == {"status": ["proposed", "accepted"]}
    [recorded] = entries(outcome)
    assert recorded.action == AuditAction.CREATE
    assert recorded.changes["summary"] == [None, "Hosted."]
    assert recorded.changes["indicators"] == [
        None,
        [{"key": "websites_hosted", "label": "", "value": "1.00", "unit": ""}],
    ]

    update_outcome(
        outcome,
        user=party_editor,
        data={"summary": "Hosted since May.", "indicators": [{"key": "websites_hosted", "value": 1}]},
    )
    changed = entries(outcome)[-1]
    assert (changed.operation, changed.actor) == ("update_outcome", party_editor)
    assert changed.changes == {"summary": ["Hosted.", "Hosted since May."]}  # same indicators: not listed


# --------------------------------------------------------------------------- the admin


def test_admin_changes_are_logged(client, superuser, party_request):
    client.force_login(superuser)
    url = reverse("admin:matchmaking_opportunity_change", args=[party_request.pk])
    data = {
        "direction": "request",
        "title": "Renamed by the secretariat",
        "description": party_request.description,
        "cooperation_type": "hosting",
        "organization": party_request.organization_id,
        "themes": ["information_systems"],
        "languages": ["fr"],
        "capacity": 1,
        "status": "open",
        "moderation": "approved",
        "_save": "Save",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = entries(party_request)[-1]
    assert (entry.operation, entry.actor, entry.action) == (
        "update_opportunity",
        superuser,
        AuditAction.UPDATE,
    )
    assert entry.changes == {
        "title": ["Our national CHM website needs a reliable host", "Renamed by the secretariat"]
    }


def test_an_opportunity_without_matches_can_be_deleted_in_the_admin_and_it_is_logged(
    client, superuser, party
):
    opportunity = make_opportunity(party, "request", "Spam", themes=["forest"])
    client.force_login(superuser)
    response = client.post(
        reverse("admin:matchmaking_opportunity_delete", args=[opportunity.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
    [_, deleted] = entries(opportunity)
    assert (deleted.action, deleted.actor) == (AuditAction.DELETE, superuser)
    assert deleted.changes["title"] == ["Spam", None] and deleted.changes["themes"] == [["forest"], None]


# --------------------------------------------------------------------------- nothing is deleted


@pytest.fixture
def matched(party_request, institute_offer, party_editor):
    return express_interest(user=party_editor, request=party_request, offer=institute_offer)


def test_an_opportunity_with_matches_cannot_be_deleted_only_closed(client, superuser, matched, party_request):
    client.force_login(superuser)
    url = reverse("admin:matchmaking_opportunity_delete", args=[party_request.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    request = RequestFactory().get("/")
    request.user = superuser
    admin = site._registry[Opportunity]
    assert not admin.has_delete_permission(request, party_request)
    with pytest.raises(ProtectedError):
        party_request.delete()
    assert Opportunity.objects.filter(pk=party_request.pk).exists()


def test_matches_and_outcomes_are_never_deleted_in_the_admin(superuser, matched):
    request = RequestFactory().get("/")
    request.user = superuser
    assert not site._registry[Match].has_delete_permission(request, matched)
    assert not site._registry[Outcome].has_delete_permission(request)


def test_the_api_deletes_no_opportunity(client_for, party_request):
    response = client_for("party_editor").delete(f"/api/v1/opportunities/{party_request.pk}/")
    assert response.status_code == 405
    assert Opportunity.objects.filter(pk=party_request.pk).exists()


def test_the_audit_log_is_read_only_in_the_admin(client, superuser, party_request):
    client.force_login(superuser)
    entry = entries(party_request)[0]
    assert client.get(reverse("admin:matchmaking_auditlog_changelist")).status_code == 200
    page = client.get(reverse("admin:matchmaking_auditlog_change", args=[entry.pk]))
    assert page.status_code == 200 and "Save" not in page.content.decode()
    assert (
        client.post(
            reverse("admin:matchmaking_auditlog_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditLog.objects.filter(pk=entry.pk).exists()
