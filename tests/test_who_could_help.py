"""Who could help with a request that had no proposal and no good match: the organizations suggested
(past offers, completed cooperation; never the request's own, nor one without editors, nor one unlike
it), when they are suggested, inviting one (once, told in their language, audited), who may see and
invite, on the API and on the pages."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from matchmaking.choices import HelpStatus, NotificationKind
from matchmaking.models import AuditLog, HelpInvitation, Notification, Opportunity, Organization
from matchmaking.services.alerts import set_alert_preferences
from matchmaking.services.embeddings import embed_opportunities
from matchmaking.services.errors import Conflict, NotAllowed, ServiceError
from matchmaking.services.matches import accept_match, decline_match, express_interest, start_match
from matchmaking.services.moderation import hide_opportunity
from matchmaking.services.opportunities import close_opportunity
from matchmaking.services.outcomes import complete_match
from matchmaking.services.who_could_help import (
    invite_to_help,
    requests_waiting_for_help,
    who_could_help,
)
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HELP = "/api/v1/opportunities/{}/who-could-help/"
INVITE = "/api/v1/opportunities/{}/who-could-help/invite/"


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Likeness in meaning is read from the fake model's vectors; the real model is never loaded."""


def posting(*args, **kwargs):
    """An opportunity, embedded as the task does once its transaction commits (tests never commit)."""
    opportunity = make_opportunity(*args, **kwargs)
    embed_opportunities([opportunity.pk])
    return opportunity


def published_days_ago(opportunity, days):
    Opportunity.objects.filter(pk=opportunity.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=days)
    )
    opportunity.refresh_from_db()
    return opportunity


def organization_with_editor(name, country, username):
    organization = Organization.objects.create(name=name, kind="institute", country_id=country, verified=True)
    editor = make_user(username)
    organization.memberships.create(user=editor, role="editor")
    return organization, editor


@pytest.fixture
def waiting(party_request):
    """The Party's request for a host, published three weeks ago: nobody has proposed anything."""
    embed_opportunities([party_request.pk])
    return published_days_ago(party_request, 21)


@pytest.fixture
def past_offer(institute, institute_editor):
    """The institute hosted national CHM sites before: its offer is closed now."""
    offer = posting(
        institute,
        "offer",
        "Hosting of national clearing-house mechanism websites",
        description="Servers in Brussels for the CHM websites of developing countries.",
        cooperation_type_id="hosting",
    )
    return close_opportunity(offer, user=institute_editor)


@pytest.fixture
def mirror_org(db):
    return organization_with_editor("Mirror Network Foundation", "NL", "mirror_editor")


@pytest.fixture
def completed(mirror_org):
    """The foundation mirrored Senegal's CHM website for it, and recorded the outcome."""
    mirror, mirror_editor = mirror_org
    senegal, senegal_editor = organization_with_editor("Point focal CHM du Sénégal", "SN", "senegal_editor")
    request = posting(
        senegal,
        "request",
        "A reliable host or mirror for our national CHM website",
        description="Our national CHM website is often down: we need a reliable host or a mirror.",
        cooperation_type_id="mirroring",
    )
    offer = posting(
        mirror,
        "offer",
        "Synchronised copies of biodiversity portals",
        description="Servers in Amsterdam keep copies of portals.",
        cooperation_type_id="mirroring",
    )
    match = express_interest(user=mirror_editor, request=request, offer=offer)
    accept_match(match, user=senegal_editor)
    start_match(match, user=mirror_editor)
    complete_match(
        match, user=mirror_editor, outcome={"summary": "Mirrored.", "achieved_on": datetime.date(2025, 3, 1)}
    )
    close_opportunity(offer, user=mirror_editor)  # not an open offer any more
    return match


def suggested(advice):
    return {suggestion.organization.name: suggestion for suggestion in advice.suggestions}


# --------------------------------------------------------------------------- who is suggested


def test_organizations_that_offered_or_completed_similar_cooperation_are_suggested(
    waiting, past_offer, completed, institute
):
    advice = who_could_help(waiting)
    assert advice.status == HelpStatus.WAITING
    assert advice.best_score == 0.0  # no open offer at all
    assert advice.waiting_since == TODAY - datetime.timedelta(days=21)
    found = suggested(advice)
    assert set(found) == {institute.name, "Mirror Network Foundation"}
    [offered] = found[institute.name].reasons
    assert offered.posting == past_offer and offered.same_type
    assert offered.text == f"offered “Hosting of national clearing-house mechanism websites” in {TODAY.year}"
    [cooperated] = found["Mirror Network Foundation"].reasons
    assert cooperated.match == completed and not cooperated.same_type  # mirroring, not hosting
    assert cooperated.likeness >= 0.35  # but close in meaning
    assert cooperated.text == (
        "completed a similar cooperation with Point focal CHM du Sénégal in 2025: "
        "“A reliable host or mirror for our national CHM website”"
    )
    scores = [suggestion.score for suggestion in advice.suggestions]
    assert scores == sorted(scores, reverse=True)  # best first
    assert found[institute.name].score == offered.likeness + 0.25  # the same kind counts for more


def test_a_past_offer_close_in_meaning_counts_whatever_its_kind(waiting, institute, institute_editor):
    advice_offer = posting(
        institute,
        "offer",
        "Advice on a reliable host for your national CHM website",
        description="Our national CHM website needs a reliable host: we advise on hosting.",
        cooperation_type_id="technical_advice",
        ends_on=TODAY - datetime.timedelta(days=3),
    )
    [suggestion] = who_could_help(waiting).suggestions
    [reason] = suggestion.reasons
    assert reason.posting == advice_offer and not reason.same_type and reason.likeness >= 0.35


def test_unlike_past_cooperation_is_not_a_reason(waiting, institute, institute_editor):
    unlike = posting(
        institute,
        "offer",
        "Grants for marine turtle tagging",
        description="Funding for coastal researchers studying sea turtles.",
        cooperation_type_id="funding",
    )
    close_opportunity(unlike, user=institute_editor)
    advice = who_could_help(waiting)
    assert advice.status == HelpStatus.WAITING
    assert advice.suggestions == []


def test_the_requests_own_organization_is_never_suggested(waiting, party, party_editor):
    own = posting(
        party,
        "offer",
        "Hosting of national clearing-house mechanism websites",
        cooperation_type_id="hosting",
    )
    close_opportunity(own, user=party_editor)
    assert who_could_help(waiting).suggestions == []


def test_organizations_without_editors_are_not_suggested(waiting, institute, past_offer):
    institute.memberships.all().delete()
    assert who_could_help(waiting).suggestions == []


def test_an_organization_whose_editors_are_inactive_is_not_suggested(waiting, institute_editor, past_offer):
    institute_editor.is_active = False
    institute_editor.save()
    assert who_could_help(waiting).suggestions == []


def test_drafts_hidden_and_pending_offers_are_not_reasons(waiting, institute, staff):
    posting(institute, "offer", "Hosting of CHM websites", cooperation_type_id="hosting", status="draft")
    hidden = posting(institute, "offer", "Hosting of CHM websites", cooperation_type_id="hosting")
    hide_opportunity(hidden, user=staff, reason="Spam")
    close_opportunity(hidden, user=staff)
    pending = posting(institute, "offer", "Hosting of CHM websites", cooperation_type_id="hosting")
    Opportunity.objects.filter(pk=pending.pk).update(moderation="pending", status="closed")
    assert who_could_help(waiting).suggestions == []


def test_a_private_outcome_is_not_a_reason(waiting, completed):
    completed.outcome.is_private = True
    completed.outcome.save()
    assert who_could_help(waiting).suggestions == []


def test_an_organization_that_already_answered_the_request_is_not_suggested_again(
    waiting, party_editor, institute, institute_editor, past_offer
):
    current = posting(institute, "offer", "Some other offer", cooperation_type_id="training")
    match = express_interest(user=institute_editor, request=waiting, offer=current)
    decline_match(match, user=party_editor)  # a declined proposal is no proposal under way
    close_opportunity(current, user=institute_editor)
    advice = who_could_help(waiting)
    assert advice.status == HelpStatus.WAITING
    assert institute.name not in suggested(advice)


# --------------------------------------------------------------------------- when


def test_nothing_is_suggested_before_the_set_number_of_days(settings, party_request, past_offer):
    assert who_could_help(published_days_ago(party_request, 13)).status == HelpStatus.TOO_EARLY
    assert who_could_help(published_days_ago(party_request, 14)).status == HelpStatus.WAITING
    settings.WHO_COULD_HELP_AFTER_DAYS = 30
    advice = who_could_help(published_days_ago(party_request, 29))
    assert (advice.status, advice.suggestions) == (HelpStatus.TOO_EARLY, [])


def test_nothing_is_suggested_when_a_good_match_exists(settings, waiting, institute_offer, past_offer):
    settings.WHO_COULD_HELP_GOOD_MATCH = 0.2
    advice = who_could_help(waiting)
    assert advice.status == HelpStatus.GOOD_MATCH
    assert advice.best_score >= 0.2 and advice.suggestions == []
    settings.WHO_COULD_HELP_GOOD_MATCH = 0.99  # the same offer is not a good enough match
    advice = who_could_help(waiting)
    assert advice.status == HelpStatus.WAITING and 0 < advice.best_score < 0.99


def test_nothing_is_suggested_while_a_proposal_is_under_way(
    waiting, institute_offer, institute_editor, past_offer
):
    express_interest(user=institute_editor, request=waiting, offer=institute_offer)
    assert who_could_help(waiting).status == HelpStatus.HAS_PROPOSAL


@pytest.mark.parametrize("change", ["closed", "ended", "hidden"])
def test_nothing_is_suggested_for_a_request_that_is_not_running(waiting, staff, past_offer, change):
    if change == "closed":
        close_opportunity(waiting, user=staff)
    elif change == "ended":
        Opportunity.objects.filter(pk=waiting.pk).update(ends_on=TODAY - datetime.timedelta(days=1))
    else:
        hide_opportunity(waiting, user=staff, reason="Spam")
    assert who_could_help(waiting).status == HelpStatus.NOT_OPEN


def test_offers_get_no_suggestions(institute_offer):
    assert who_could_help(published_days_ago(institute_offer, 30)).status == HelpStatus.NOT_A_REQUEST


def test_staff_list_the_requests_waiting_for_help(waiting, party, past_offer, institute):
    recent = posting(party, "request", "Training of webmasters", cooperation_type_id="training")
    older = published_days_ago(posting(party, "request", "Hosting again", cooperation_type_id="hosting"), 40)
    listed = requests_waiting_for_help()
    assert [advice.request for advice in listed] == [older, waiting]
    assert recent not in [advice.request for advice in listed]
    assert [s.organization for s in listed[1].suggestions] == [institute]


# --------------------------------------------------------------------------- inviting


@pytest.fixture
def mails(django_capture_on_commit_callbacks):
    def capture(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return capture


def test_an_invitation_tells_the_organizations_editors_once(
    mails, waiting, past_offer, party_editor, institute, institute_editor
):
    colleague = make_user("institute_colleague")
    institute.memberships.create(user=colleague, role="editor")
    set_alert_preferences(colleague, language="fr")
    invitation = mails(invite_to_help, waiting, institute, user=party_editor)
    assert (invitation.invited_by, invitation.reasons[0]["posting"]) == (party_editor, past_offer.pk)
    told = Notification.objects.filter(kind=NotificationKind.HELP_INVITED)
    assert {n.user for n in told} == {institute_editor, colleague}
    assert {n.opportunity for n in told} == {waiting}
    [english] = [m for m in mail.outbox if m.to == [institute_editor.email]]
    assert english.subject == (
        "Point focal CHM de la RD Congo invites you to help with the request "
        "“Our national CHM website needs a reliable host”"
    )
    assert f"offered “{past_offer.title}” in {TODAY.year}" in english.body
    assert f"/postings/{waiting.pk}/" in english.body
    assert "(Congo - Kinshasa)" in english.body
    [french] = [m for m in mail.outbox if m.to == [colleague.email]]
    assert "(Congo-Kinshasa)" in french.body  # written in the colleague's language
    entry = AuditLog.objects.get(model="matchmaking.helpinvitation")
    assert (entry.operation, entry.actor, entry.object_id) == (
        "invite_to_help",
        party_editor,
        str(invitation.pk),
    )

    with pytest.raises(Conflict) as refused:
        mails(invite_to_help, waiting, institute, user=party_editor)
    assert refused.value.code == "already_invited"
    assert HelpInvitation.objects.count() == 1 and told.count() == 2 and len(mail.outbox) == 2
    assert who_could_help(waiting).suggestions[0].invitation == invitation


def test_staff_invite_in_the_name_of_the_secretariat(
    mails, waiting, past_offer, staff, institute, institute_editor
):
    mails(invite_to_help, waiting, institute, user=staff)
    assert mail.outbox[0].subject.startswith("The secretariat of the Clearing-House Mechanism invites you")


def test_only_a_suggested_organization_is_invited(waiting, past_offer, party_editor, mirror_org):
    with pytest.raises(ServiceError) as refused:
        invite_to_help(waiting, mirror_org[0], user=party_editor)  # it did nothing like it
    assert (refused.value.field, refused.value.code) == ("organization", "not_suggested")
    assert not HelpInvitation.objects.exists()


def test_a_request_that_does_not_wait_for_help_invites_nobody(
    party_request, past_offer, party_editor, institute
):
    with pytest.raises(Conflict) as refused:
        invite_to_help(party_request, institute, user=party_editor)
    assert refused.value.code == HelpStatus.TOO_EARLY
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["party_viewer", "institute_editor", "outsider"])
def test_only_the_requests_editors_and_staff_invite(request, waiting, past_offer, institute, who):
    with pytest.raises(NotAllowed):
        invite_to_help(waiting, institute, user=request.getfixturevalue(who))
    assert not HelpInvitation.objects.exists()


# --------------------------------------------------------------------------- the API


def test_the_requests_editors_read_who_could_help(
    client_for, waiting, past_offer, completed, institute, django_assert_max_num_queries
):
    client = client_for("party_editor")
    client.get(HELP.format(waiting.pk))  # the process reads the open postings once
    with django_assert_max_num_queries(22):
        response = client.get(HELP.format(waiting.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "waiting" and body["waiting_since"] == str(TODAY - datetime.timedelta(days=21))
    [first] = [s for s in body["suggestions"] if s["organization"]["id"] == institute.pk]
    assert first["organization"] == {"id": institute.pk, "name": institute.name, "country": "BE"}
    assert first["invited_at"] is None
    assert first["reasons"] == [
        {
            "kind": "offered",
            "posting": {
                "id": past_offer.pk,
                "direction": "offer",
                "title": past_offer.title,
                "cooperation_type": "hosting",
            },
            "partner": None,
            "year": TODAY.year,
            "likeness": pytest.approx(first["reasons"][0]["likeness"]),
            "same_type": True,
            "text": f"offered “{past_offer.title}” in {TODAY.year}",
        }
    ]
    [second] = [s["reasons"][0] for s in body["suggestions"] if s["organization"]["id"] != institute.pk]
    assert (second["kind"], second["partner"]["name"], second["year"]) == (
        "completed",
        "Point focal CHM du Sénégal",
        2025,
    )


def test_suggestions_make_a_fixed_number_of_queries(
    client_for, waiting, staff, django_assert_max_num_queries
):
    for n in range(6):
        organization, _editor = organization_with_editor(f"Host {n}", "FR", f"host_editor_{n}")
        for title in ("Hosting of CHM websites", "Hosting of national websites"):
            close_opportunity(
                posting(organization, "offer", title, cooperation_type_id="hosting"), user=staff
            )
    client = client_for("party_editor")
    client.get(HELP.format(waiting.pk))  # the process reads the open postings once
    with django_assert_max_num_queries(22):
        body = client.get(HELP.format(waiting.pk)).json()
    assert len(body["suggestions"]) == 6 and all(len(s["reasons"]) == 2 for s in body["suggestions"])


def test_the_api_says_why_nothing_is_suggested(client_for, party_request):
    body = client_for("party_editor").get(HELP.format(party_request.pk)).json()
    assert (body["status"], body["suggestions"]) == ("too_early", [])
    assert body["status_text"] == "It was published too recently"


@pytest.mark.parametrize(
    "who, status",
    [("anonymous", 401), ("outsider", 403), ("party_viewer", 403), ("institute_editor", 403), ("staff", 200)],
)
def test_who_may_read_who_could_help(client_for, waiting, who, status):
    assert client_for(who).get(HELP.format(waiting.pk)).status_code == status


def test_a_draft_request_is_not_found_by_outsiders(client_for, party_draft):
    assert client_for("outsider").get(HELP.format(party_draft.pk)).status_code == 404
    assert client_for("outsider").post(INVITE.format(party_draft.pk), {"organization": 1}).status_code == 404


def test_an_editor_invites_through_the_api_once(client_for, waiting, past_offer, institute, institute_editor):
    client = client_for("party_editor")
    response = client.post(INVITE.format(waiting.pk), {"organization": institute.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["organization"] == institute.pk
    assert response.json()["invited_by"] == "party_editor"
    again = client.post(INVITE.format(waiting.pk), {"organization": institute.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_invited"
    assert Notification.objects.filter(user=institute_editor, kind=NotificationKind.HELP_INVITED).count() == 1
    [suggestion] = client.get(HELP.format(waiting.pk)).json()["suggestions"]
    assert suggestion["invited_at"]


def test_inviting_checks_the_organization(client_for, waiting, past_offer, party):
    client = client_for("party_editor")
    assert client.post(INVITE.format(waiting.pk), {}, format="json").json() == {
        "organization": ["This field is required."]
    }
    response = client.post(INVITE.format(waiting.pk), {"organization": party.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["organization"] == [
        "This organization is not among those suggested for this request."
    ]


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("outsider", 403), ("institute_editor", 403)])
def test_outsiders_cannot_invite_through_the_api(client_for, waiting, past_offer, institute, who, status):
    response = client_for(who).post(INVITE.format(waiting.pk), {"organization": institute.pk}, format="json")
    assert response.status_code == status
    assert not HelpInvitation.objects.exists()


# --------------------------------------------------------------------------- the pages


def test_the_requests_editors_see_who_could_help_on_its_page(
    client_as, party_editor, waiting, past_offer, institute
):
    html = client_as(party_editor).get(reverse("web:opportunity", args=[waiting.pk])).content.decode()
    assert "Who could help" in html
    assert f"offered “{past_offer.title}” in {TODAY.year}" in html
    assert f'name="organization" value="{institute.pk}"' in html


@pytest.mark.parametrize("who", ["party_viewer", "institute_editor", "outsider"])
def test_others_do_not_see_who_could_help(request, client_as, waiting, past_offer, who):
    html = (
        client_as(request.getfixturevalue(who))
        .get(reverse("web:opportunity", args=[waiting.pk]))
        .content.decode()
    )
    assert "Who could help" not in html


def test_a_young_request_shows_no_suggestions(client_as, party_editor, party_request, past_offer):
    html = client_as(party_editor).get(reverse("web:opportunity", args=[party_request.pk])).content.decode()
    assert "Who could help" not in html


def test_an_editor_invites_from_the_requests_page(
    client_as, party_editor, waiting, past_offer, institute, institute_editor
):
    client = client_as(party_editor)
    url = reverse("web:invite_to_help", args=[waiting.pk])
    response = client.post(url, {"organization": institute.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:opportunity", args=[waiting.pk])
    html = response.content.decode()
    assert "is invited to help: its editors have been told." in html
    assert "Invited on" in html
    again = client.post(url, {"organization": institute.pk}, follow=True)
    assert "was already invited to help with this request." in again.content.decode()
    assert Notification.objects.filter(user=institute_editor, kind=NotificationKind.HELP_INVITED).count() == 1


@pytest.mark.parametrize("who", ["party_viewer", "institute_editor", "outsider"])
def test_others_cannot_invite_from_the_pages(request, client_as, waiting, past_offer, institute, who):
    url = reverse("web:invite_to_help", args=[waiting.pk])
    assert (
        client_as(request.getfixturevalue(who)).post(url, {"organization": institute.pk}).status_code == 404
    )
    assert not HelpInvitation.objects.exists()


def test_staff_see_and_invite_from_the_list_of_requests_waiting_for_help(
    client_as, staff, waiting, past_offer, institute
):
    client = client_as(staff)
    url = reverse("web:waiting_for_help")
    html = client.get(url).content.decode()
    assert waiting.title in html and f"offered “{past_offer.title}”" in html
    assert url in client.get(reverse("web:moderation")).content.decode()
    response = client.post(
        reverse("web:invite_to_help", args=[waiting.pk]), {"organization": institute.pk, "next": url}
    )
    assert response.url == url
    assert HelpInvitation.objects.get().invited_by == staff


def test_only_staff_see_the_list_of_requests_waiting_for_help(client_as, party_editor, waiting):
    response = client_as(party_editor).get(reverse("web:waiting_for_help"))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))
