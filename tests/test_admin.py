"""The admin writes through the services: a match's status changes only by the lifecycle's steps, a
changed text is embedded again, and memberships keep their last editor."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from matchmaking.choices import EmbeddingStatus, MatchStatus, MemberRole, Moderation, NotificationKind
from matchmaking.models import AuditLog, Match, MatchEvent, Notification, OpportunityEmbedding, RankerWeights
from matchmaking.recommendations.embedding import embedding_text, text_hash
from matchmaking.recommendations.weights import weights_in_use
from matchmaking.services.matches import accept_match, express_interest
from tests.conftest import make_opportunity

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_embedder")]


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def proposal(party_editor, party_request, institute_offer):
    return express_interest(user=party_editor, request=party_request, offer=institute_offer, message="Hello")


def run_action(admin_client, model, action, objects):
    url = reverse(f"admin:matchmaking_{model}_changelist")
    response = admin_client.post(
        url, {"action": action, "_selected_action": [obj.pk for obj in objects]}, follow=True
    )
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


# --------------------------------------------------------------------------- matches


def test_admin_accepts_a_proposal_through_the_lifecycle(admin_client, superuser, proposal, institute_editor):
    run_action(admin_client, "match", "accept", [proposal])
    proposal.refresh_from_db()
    assert proposal.status == MatchStatus.ACCEPTED
    event = MatchEvent.objects.get(match=proposal, to_status=MatchStatus.ACCEPTED)
    assert (event.from_status, event.actor) == (MatchStatus.PROPOSED, superuser)
    assert AuditLog.objects.filter(
        object_id=str(proposal.pk), operation="accept_match", actor=superuser
    ).exists()
    assert Notification.objects.filter(match=proposal, kind=NotificationKind.INTEREST_ACCEPTED).exists()


def test_admin_cannot_take_a_step_the_status_does_not_allow(admin_client, proposal):
    messages = run_action(admin_client, "match", "start", [proposal])
    proposal.refresh_from_db()
    assert proposal.status == MatchStatus.PROPOSED
    assert any("Only an accepted match can be started." in message for message in messages)
    assert not MatchEvent.objects.filter(match=proposal, to_status=MatchStatus.IN_PROGRESS).exists()


def test_admin_accepting_keeps_the_capacity_of_the_offer(
    admin_client, party, party_editor, institute_offer, institute_editor, proposal
):
    other = express_interest(
        user=party_editor, request=make_opportunity(party, "request", "A second need"), offer=institute_offer
    )
    accept_match(proposal, user=institute_editor)  # the offer's one slot is taken: `other` is closed
    messages = run_action(admin_client, "match", "accept", [other])
    other.refresh_from_db()
    assert other.status == MatchStatus.FILLED
    assert any("has no room left" in message for message in messages)
    assert not MatchEvent.objects.filter(match=other, to_status=MatchStatus.ACCEPTED).exists()


def test_admin_cannot_edit_a_match_by_hand(admin_client, proposal):
    url = reverse("admin:matchmaking_match_change", args=[proposal.pk])
    assert admin_client.get(url).status_code == 200  # shown, read-only
    response = admin_client.post(url, {"status": MatchStatus.COMPLETED, "message": "edited"})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert (proposal.status, proposal.message) == (MatchStatus.PROPOSED, "Hello")
    assert admin_client.get(reverse("admin:matchmaking_match_add")).status_code == 403


# --------------------------------------------------------------------------- opportunities


def opportunity_form(opportunity, **changes):
    return {
        "title": opportunity.title,
        "description": opportunity.description,
        "cooperation_type": opportunity.cooperation_type_id,
        "themes": [t.pk for t in opportunity.themes.all()],
        "languages": [lang.pk for lang in opportunity.languages.all()],
        "capacity": opportunity.capacity,
        **changes,
    }


def test_admin_text_edit_embeds_the_opportunity_again(
    admin_client, party_request, fake_embedder, django_capture_on_commit_callbacks
):
    url = reverse("admin:matchmaking_opportunity_change", args=[party_request.pk])
    new_text = "Our server failed: we need a host for the national CHM website."
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, opportunity_form(party_request, description=new_text))
    assert response.status_code == 302
    stored = OpportunityEmbedding.objects.get(pk=party_request.pk)
    expected = embedding_text(party_request.title, new_text)
    assert (stored.status, stored.text_hash) == (EmbeddingStatus.READY, text_hash(expected))
    assert expected in fake_embedder.encoded


def test_admin_edit_that_keeps_the_text_does_not_embed_again(admin_client, party_request, fake_embedder):
    before = len(fake_embedder.encoded)
    url = reverse("admin:matchmaking_opportunity_change", args=[party_request.pk])
    assert admin_client.post(url, opportunity_form(party_request, capacity=3)).status_code == 302
    party_request.refresh_from_db()
    assert party_request.capacity == 3
    assert len(fake_embedder.encoded) == before


def test_admin_closes_and_approves_through_actions(admin_client, party_request, institute_offer):
    institute_offer.moderation = Moderation.PENDING
    institute_offer.save(update_fields=["moderation"])
    run_action(admin_client, "opportunity", "close", [party_request])
    run_action(admin_client, "opportunity", "approve", [institute_offer])
    party_request.refresh_from_db()
    institute_offer.refresh_from_db()
    assert (party_request.status, institute_offer.moderation) == ("closed", Moderation.APPROVED)
    operations = set(AuditLog.objects.values_list("operation", flat=True))
    assert {"close_opportunity", "approve_opportunity"} <= operations


def test_admin_cannot_delete_an_opportunity_with_matches(admin_client, proposal, party_request):
    url = reverse("admin:matchmaking_opportunity_delete", args=[party_request.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Match.objects.filter(pk=proposal.pk).exists()


# --------------------------------------------------------------------------- organizations and members


def test_admin_keeps_the_last_editor(admin_client, institute, institute_editor):
    membership = institute.memberships.get(user=institute_editor)
    url = reverse("admin:matchmaking_membership_change", args=[membership.pk])
    response = admin_client.post(url, {"role": MemberRole.VIEWER}, follow=True)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "An organization keeps at least one editor." in messages
    membership.refresh_from_db()
    assert membership.role == MemberRole.EDITOR


def test_admin_verifying_an_organization_approves_its_waiting_opportunities(
    admin_client, party, party_editor
):
    waiting = make_opportunity(party, "request", "Waiting for approval")
    waiting.moderation = Moderation.PENDING
    waiting.save(update_fields=["moderation"])
    url = reverse("admin:matchmaking_organization_change", args=[party.pk])
    members = list(party.memberships.all())
    form = {
        "name": party.name,
        "kind": party.kind,
        "country": party.country_id,
        "verified": "on",
        "memberships-TOTAL_FORMS": len(members),
        "memberships-INITIAL_FORMS": len(members),
        **{f"memberships-{i}-id": m.pk for i, m in enumerate(members)},
        **{f"memberships-{i}-organization": party.pk for i in range(len(members))},
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    party.refresh_from_db()
    waiting.refresh_from_db()
    assert party.verified and waiting.moderation == Moderation.APPROVED


# --------------------------------------------------------------------------- ranking weights


def test_admin_stops_and_starts_using_learned_weights(admin_client):
    stored = RankerWeights.objects.create(
        weights={"semantic": 0.9, "lexical": 0.1},
        method="test",
        labels=60,
        positives=30,
        score=0.8,
        baseline_score=0.7,
        baseline={},
    )
    assert weights_in_use()[1]["source"] == "learned"
    run_action(admin_client, "rankerweights", "stop_using", [stored])
    assert weights_in_use()[1]["source"] == "hand-set"
    run_action(admin_client, "rankerweights", "use", [stored])
    assert weights_in_use()[1]["id"] == stored.pk
