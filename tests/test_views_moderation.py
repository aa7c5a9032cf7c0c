"""Staff moderation: opportunities of unverified organizations wait for approval, staff hide opportunities with
a reason; the API, the pages and the recommendations all follow the same rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from matchmaking.choices import Moderation
from matchmaking.models import AuditLog, Opportunity, Organization
from matchmaking.recommendations.filters import candidates_for
from matchmaking.recommendations.recommend import recommend
from matchmaking.services.moderation import approve_opportunity, designate_focal_point
from matchmaking.services.opportunities import create_opportunity
from matchmaking.services.organizations import update_organization
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Recommendations embed; the real model is never loaded here."""


@pytest.fixture
def pending_request(party, party_editor):
    """A request the Party's editor posted before the Party was verified."""
    opportunity = create_opportunity(
        user=party_editor,
        data={
            "direction": "request",
            "title": "Hosting of our national CHM site",
            "description": "Our server is unreliable.",
            "organization": party,
            "cooperation_type_id": "hosting",
        },
    )
    assert opportunity.moderation == Moderation.PENDING
    return opportunity


@pytest.mark.parametrize(
    "who, status", [("staff", 200), ("party_editor", 302), ("outsider", 302), ("anonymous", 302)]
)
def test_the_moderation_page_is_for_staff(request, client, party_editor, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("web:moderation")).status_code == status


def test_staff_see_what_waits_for_them(client_as, staff, pending_request, party):
    context = client_as(staff).get(reverse("web:moderation")).context
    assert list(context["pending"]) == [pending_request]
    assert party in context["unverified"]


def test_a_pending_opportunity_is_seen_only_by_its_organization_and_staff(
    client, client_as, api, pending_request, party_viewer, institute_editor, staff
):
    url = reverse("web:opportunity", args=[pending_request.pk])
    assert client.get(url).status_code == 404
    assert client_as(institute_editor).get(url).status_code == 404
    assert client_as(party_viewer).get(url).status_code == 200
    assert client_as(staff).get(url).status_code == 200
    assert api.get("/api/v1/opportunities/").json()["count"] == 0


def test_a_pending_opportunity_is_never_recommended(pending_request, institute_offer):
    assert recommend(institute_offer) == []
    assert not candidates_for(institute_offer).exists()


def test_approving_shows_an_opportunity_to_everyone(
    client, client_as, staff, pending_request, institute_offer
):
    client_as(staff).post(reverse("web:moderation_approve", args=[pending_request.pk]))
    pending_request.refresh_from_db()
    assert pending_request.moderation == Moderation.APPROVED
    client.logout()
    assert client.get(reverse("web:opportunity", args=[pending_request.pk])).status_code == 200
    assert [r["opportunity"] for r in recommend(institute_offer)] == [pending_request]


def test_verifying_an_organization_approves_its_waiting_opportunities(
    client_as, staff, party, pending_request
):
    client_as(staff).post(reverse("web:moderation_verify", args=[party.pk]))
    party.refresh_from_db()
    pending_request.refresh_from_db()
    assert party.verified and pending_request.moderation == Moderation.APPROVED


def test_staff_hide_an_opportunity_with_a_reason_its_editors_read(
    client, client_as, api, staff, party_editor, party_request, institute_offer
):
    client_as(staff).post(
        reverse("web:moderation_hide", args=[party_request.pk]), {"reason": "Posted twice; see the other."}
    )
    party_request.refresh_from_db()
    assert party_request.moderation == Moderation.HIDDEN
    client.logout()
    url = reverse("web:opportunity", args=[party_request.pk])
    assert client.get(url).status_code == 404
    assert api.get(f"/api/v1/opportunities/{party_request.pk}/").status_code == 404
    assert recommend(institute_offer) == []
    page = client_as(party_editor).get(url)
    assert page.status_code == 200 and "Posted twice; see the other." in page.text


def test_hiding_needs_a_reason(client_as, staff, party_request):
    client_as(staff).post(reverse("web:moderation_hide", args=[party_request.pk]), {"reason": ""})
    party_request.refresh_from_db()
    assert party_request.moderation == Moderation.APPROVED


@pytest.mark.parametrize("who", ["party_editor", "institute_editor", "outsider"])
def test_only_staff_moderate(request, client, party_request, party_editor, who):
    client.force_login(request.getfixturevalue(who))
    client.post(reverse("web:moderation_hide", args=[party_request.pk]), {"reason": "No."})
    client.post(reverse("web:moderation_verify", args=[party_request.organization_id]))
    party_request.refresh_from_db()
    assert party_request.moderation == Moderation.APPROVED
    assert not party_request.organization.verified


def test_scripts_and_staff_post_without_waiting(party, staff):
    assert make_opportunity(party, "request", "By a script").moderation == Moderation.APPROVED
    data = {"direction": "request", "title": "By staff", "description": "x", "organization": party}
    assert create_opportunity(user=staff, data=data).moderation == Moderation.APPROVED
    assert Opportunity.objects.count() == 2


@pytest.mark.parametrize(
    "field, value", [("title", "Visit http://spam.example"), ("contact_email", "x@spam.example")]
)
def test_an_unverified_organizations_edit_of_text_or_contact_waits_for_approval_again(
    client_for, staff, pending_request, party_editor, field, value
):
    approve_opportunity(pending_request, user=staff)
    response = client_for("party_editor").patch(
        f"/api/v1/opportunities/{pending_request.pk}/", {field: value}
    )
    assert response.status_code == 200
    pending_request.refresh_from_db()
    assert pending_request.moderation == Moderation.PENDING
    assert not Opportunity.objects.visible_to(AnonymousUser()).filter(pk=pending_request.pk).exists()


def test_other_edits_and_verified_or_staff_edits_stay_approved(
    client_for, staff, pending_request, institute_offer
):
    approve_opportunity(pending_request, user=staff)
    assert (
        client_for("party_editor")
        .patch(f"/api/v1/opportunities/{pending_request.pk}/", {"capacity": 3})
        .status_code
        == 200
    )
    assert (
        client_for("staff")
        .patch(f"/api/v1/opportunities/{pending_request.pk}/", {"title": "Hosting, corrected by staff"})
        .status_code
        == 200
    )
    assert (
        client_for("institute_editor")
        .patch(f"/api/v1/opportunities/{institute_offer.pk}/", {"title": "New title"})
        .status_code
        == 200
    )
    for opportunity in (pending_request, institute_offer):
        opportunity.refresh_from_db()
        assert opportunity.moderation == Moderation.APPROVED


# --------------------------------------------------------------------------- who applied, focal points


def test_staff_see_who_registered_an_organization_and_who_asks_to_join(
    client_as, staff, party, party_editor, institute
):
    from matchmaking.services.memberships import request_to_join
    from tests.conftest import make_user

    lonely = Organization.objects.create(name="Herbier national du Mali", kind="institute", country_id="ML")
    applicant = make_user("applicant", first_name="Awa", last_name="Traoré")
    request_to_join(lonely, user=applicant, message="I run the herbarium's website.")
    page = client_as(staff).get(reverse("web:moderation")).content.decode()
    assert "party_editor@example.org" in page  # the unverified Party's registrant
    assert "Awa Traoré" in page and "applicant@example.org" in page
    assert "no editor yet" in page and "herbarium&#x27;s website" in page


def test_staff_answer_a_join_request_to_an_organization_without_editor(client_as, staff):
    from matchmaking.services.memberships import request_to_join
    from tests.conftest import make_user

    lonely = Organization.objects.create(name="Herbier national du Mali", kind="institute", country_id="ML")
    join = request_to_join(lonely, user=make_user("applicant"))
    response = client_as(staff).post(
        reverse("web:join_answer", args=[lonely.pk, join.pk]),
        {"answer": "accept", "role": "editor", "next": reverse("web:moderation")},
    )
    assert response.status_code == 302 and response.url == reverse("web:moderation")
    assert lonely.memberships.get().role == "editor"


def test_staff_designate_a_focal_point_which_is_audited_and_badged(
    client_as, client, staff, party, party_request
):
    response = client_as(staff).post(
        reverse("web:moderation_focal_point"),
        {"organization": party.pk, "country": "CD", "since": "2026-01-15"},
    )
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.focal_point_of_id == "CD" and party.focal_point_granted_by == staff and party.verified
    assert str(party.focal_point_since) == "2026-01-15"
    entry = AuditLog.objects.filter(operation="designate_focal_point").get()
    assert entry.actor == staff and entry.changes["focal_point_of"] == [None, "CD"]
    client.logout()
    assert "On behalf of" in client.get(reverse("web:opportunity", args=[party_request.pk])).content.decode()
    listed = client.get(reverse("web:browse"), {"on_behalf_of_party": "on"}).content.decode()
    assert party_request.title in listed

    client_as(staff).post(reverse("web:moderation_focal_point_withdraw", args=[party.pk]), {"confirm": "yes"})
    party.refresh_from_db()
    assert party.focal_point_of is None
    assert AuditLog.objects.filter(operation="withdraw_focal_point").exists()
    client.logout()
    assert (
        party_request.title
        not in client.get(reverse("web:browse"), {"on_behalf_of_party": "on"}).content.decode()
    )


def test_only_staff_designate_focal_points(client_as, party_editor, party):
    response = client_as(party_editor).post(
        reverse("web:moderation_focal_point"), {"organization": party.pk, "country": "CD"}
    )
    assert response.status_code == 302 and reverse("web:login") in response.url
    party.refresh_from_db()
    assert party.focal_point_of is None


def test_a_designation_cannot_start_in_the_future(client_as, staff, party):
    response = client_as(staff).post(
        reverse("web:moderation_focal_point"),
        {"organization": party.pk, "country": "CD", "since": "2999-01-01"},
        follow=True,
    )
    assert "cannot start in the future" in response.content.decode()
    party.refresh_from_db()
    assert party.focal_point_of is None


def test_renaming_a_focal_point_takes_the_designation_away(client_as, staff, party, party_editor):
    designate_focal_point(party, user=staff, country=party.country)
    update_organization(
        party, user=party_editor, data={"name": "Secretariat of the Convention on Biological Diversity"}
    )
    party.refresh_from_db()
    assert party.focal_point_of is None and not party.verified
