"""Organizations and their members: who may create, change, verify, and manage members."""

import pytest

from matchmaking.choices import Moderation
from matchmaking.models import AuditLog, Membership, Opportunity, Organization
from matchmaking.services.opportunities import create_opportunity
from tests.conftest import make_opportunity, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizations/"


def detail(organization):
    return f"{URL}{organization.pk}/"


def members(organization, username=None):
    return f"{URL}{organization.pk}/members/" + (f"{username}/" if username else "")


# --------------------------------------------------------------------------- organizations


@pytest.mark.parametrize("who", ["anonymous", "outsider", "staff"])
def test_organizations_are_public(client_for, party, institute, who):
    client = client_for(who)
    body = client.get(URL).json()
    assert body["count"] == 2
    assert [row["name"] for row in body["results"]] == sorted([party.name, institute.name])
    row = client.get(detail(party)).json()
    assert (row["country"], row["country_name"], row["kind"]) == (
        "CD",
        "Democratic Republic of the Congo",
        "party",
    )


def test_whoever_creates_an_organization_becomes_its_editor(client_for, outsider):
    data = {"name": "Jardin botanique de Meise", "kind": "institute", "country": "BE"}
    response = client_for("outsider").post(URL, data, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] and body["verified"] is False
    organization = Organization.objects.get(pk=body["id"])
    assert organization.has_editor(outsider)
    assert Membership.objects.get(organization=organization).role == "editor"


def test_anonymous_cannot_create_an_organization(client_for, db):
    data = {"name": "Jardin botanique de Meise", "kind": "institute", "country": "BE"}
    assert client_for("anonymous").post(URL, data, format="json").status_code == 401
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": "museum"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"country": "be"}, "country"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"website": "not a url"}, "website"),
        ({"verified": True}, "verified"),
    ],
)
def test_bad_organizations_are_refused_on_their_field(client_for, outsider, changes, field):
    data = {"name": "Jardin botanique de Meise", "kind": "institute", "country": "BE", **changes}
    response = client_for("outsider").post(URL, data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert not Organization.objects.exists()
    assert not Membership.objects.exists()


def test_staff_may_create_a_verified_organization(client_for, staff):
    data = {"name": "SCBD", "kind": "secretariat", "country": "CA", "verified": True}
    response = client_for("staff").post(URL, data, format="json")
    assert response.status_code == 201
    assert response.json()["verified"] is True


@pytest.mark.parametrize(
    "who, status",
    [
        ("institute_editor", 200),
        ("staff", 200),
        ("party_editor", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_change_an_organization(client_for, institute, institute_editor, party_editor, who, status):
    response = client_for(who).patch(
        detail(institute), {"website": "https://www.naturalsciences.be"}, format="json"
    )
    assert response.status_code == status
    institute.refresh_from_db()
    assert (institute.website != "") is (status == 200)


def test_a_viewer_cannot_change_its_organization(client_for, party, party_viewer):
    assert client_for("party_viewer").patch(detail(party), {"name": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("who, status", [("staff", 200), ("party_editor", 400)])
def test_only_staff_verify(client_for, party, party_editor, who, status):
    response = client_for(who).patch(detail(party), {"verified": True}, format="json")
    assert response.status_code == status
    party.refresh_from_db()
    assert party.verified is (status == 200)


def test_an_editor_may_send_back_the_verified_flag_unchanged(client_for, institute, institute_editor):
    data = {"name": institute.name, "kind": "institute", "country": "BE", "verified": True}
    data["website"] = "https://www.naturalsciences.be"
    assert client_for("institute_editor").put(detail(institute), data, format="json").status_code == 200
    institute.refresh_from_db()
    assert institute.verified


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Secretariat of the Convention on Biological Diversity"},
        {"kind": "secretariat"},
        {"country": "CA"},
        {"name": "Secretariat of the CBD", "kind": "secretariat", "country": "CA", "verified": True},
    ],
)
def test_a_verified_organization_that_changes_who_it_is_is_verified_again_first(
    client_for, institute, institute_editor, change
):
    assert client_for("institute_editor").patch(detail(institute), change, format="json").status_code == 200
    institute.refresh_from_db()
    assert not institute.verified
    posted = create_opportunity(
        user=institute_editor, data={"direction": "offer", "title": "Hosting", "organization": institute}
    )
    assert posted.moderation == Moderation.PENDING


def test_staff_may_rename_a_verified_organization(client_for, institute, staff):
    assert client_for("staff").patch(detail(institute), {"name": "RBINS"}, format="json").status_code == 200
    institute.refresh_from_db()
    assert institute.verified


def test_organizations_cannot_be_deleted(client_for, institute, staff):
    assert client_for("staff").delete(detail(institute)).status_code == 405


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"kind": "party"}, {"party"}),
        ({"country": "BE"}, {"institute"}),
        ({"un_group": "AFR"}, {"party"}),
        ({"verified": "true"}, {"institute"}),
        ({"q": "royal belgian"}, {"institute"}),
    ],
)
def test_organization_filters(client_for, party, institute, params, expected):
    names = {"party": party.name, "institute": institute.name}
    rows = client_for("anonymous").get(URL, params).json()["results"]
    assert {row["name"] for row in rows} == {names[key] for key in expected}


def test_an_unknown_filter_value_is_a_400(client_for, db):
    response = client_for("anonymous").get(URL, {"kind": "museum"})
    assert response.status_code == 400
    assert set(response.json()) == {"kind"}


def test_list_makes_a_fixed_number_of_queries(client_for, db, django_assert_max_num_queries):
    for n in range(15):
        Organization.objects.create(name=f"Organization {n}", kind="ngo", country_id="KE")
    with django_assert_max_num_queries(3):
        assert len(client_for("anonymous").get(URL).json()["results"]) == 15


# --------------------------------------------------------------------------- members


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("party_viewer", 200),
        ("staff", 200),
        ("institute_editor", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_see_the_members(client_for, party, party_editor, party_viewer, who, status):
    response = client_for(who).get(members(party))
    assert response.status_code == status
    if status == 200:
        assert {(row["username"], row["role"]) for row in response.json()} == {
            ("party_editor", "editor"),
            ("party_viewer", "viewer"),
        }


def test_members_of_a_missing_organization_are_a_404(client_for, staff):
    assert client_for("staff").get(f"{URL}999999/members/").status_code == 404


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 201),
        ("staff", 201),
        ("party_viewer", 403),
        ("institute_editor", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_add_a_member(client_for, party, party_editor, party_viewer, who, status):
    make_user("newcomer")
    data = {"username": "newcomer", "email": "newcomer@example.org", "role": "viewer"}
    response = client_for(who).post(members(party), data, format="json")
    assert response.status_code == status
    assert party.memberships.filter(user__username="newcomer").exists() is (status == 201)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"username": "nobody", "email": "nobody@example.org", "role": "viewer"}, "username"),
        ({"username": "party_viewer", "email": "party_viewer@example.org", "role": "viewer"}, "username"),
        ({"username": "outsider", "email": "outsider@example.org", "role": "owner"}, "role"),
        ({"username": "outsider", "role": "viewer"}, "email"),
    ],
)
def test_bad_members_are_refused(client_for, party, party_editor, party_viewer, outsider, data, field):
    response = client_for("party_editor").post(members(party), data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {field}


def test_adding_a_member_tells_nobody_who_is_registered(client_for, party, party_editor, outsider):
    """An unknown username and a known one with the wrong e-mail get the same answer."""
    client = client_for("party_editor")
    answers = [
        client.post(members(party), {"username": name, "email": email, "role": "viewer"}, format="json")
        for name, email in [("nobody", "nobody@example.org"), ("outsider", "someone-else@example.org")]
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert (
        answers[0].json()
        == answers[1].json()
        == {"username": ["No account has this username with this e-mail."]}
    )
    assert not party.memberships.filter(user=outsider).exists()


@pytest.mark.parametrize("who, status", [("party_editor", 200), ("staff", 200), ("party_viewer", 403)])
def test_who_may_change_a_role(client_for, party, party_editor, party_viewer, who, status):
    response = client_for(who).patch(members(party, "party_viewer"), {"role": "editor"}, format="json")
    assert response.status_code == status
    assert party.memberships.get(user=party_viewer).role == ("editor" if status == 200 else "viewer")


@pytest.mark.parametrize("who, status", [("party_editor", 204), ("staff", 204), ("party_viewer", 403)])
def test_who_may_remove_a_member(client_for, party, party_editor, party_viewer, who, status):
    assert client_for(who).delete(members(party, "party_viewer")).status_code == status
    assert party.memberships.filter(user=party_viewer).exists() is (status != 204)


def test_the_last_editor_cannot_leave_nor_step_down(client_for, party, party_editor):
    client = client_for("party_editor")
    response = client.patch(members(party, "party_editor"), {"role": "viewer"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"role"}
    assert client.delete(members(party, "party_editor")).status_code == 409
    assert party.memberships.get(user=party_editor).role == "editor"


def test_a_membership_cannot_move_to_another_user(client_for, party, party_editor, party_viewer, outsider):
    response = client_for("party_editor").patch(
        members(party, "party_viewer"), {"username": "outsider"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"username"}


def test_members_list_makes_a_fixed_number_of_queries(
    client_for, party, party_editor, django_assert_max_num_queries
):
    for n in range(10):
        party.memberships.create(user=make_user(f"member{n}"), role="viewer")
    with django_assert_max_num_queries(3):
        assert len(client_for("party_editor").get(members(party)).json()) == 11


def test_staff_verifying_through_the_api_approve_the_waiting_opportunities(client_for, party, party_editor):
    waiting = make_opportunity(party, "request", "Waiting for the secretariat")
    Opportunity.objects.filter(pk=waiting.pk).update(moderation=Moderation.PENDING)
    response = client_for("staff").patch(detail(party), {"verified": True}, format="json")
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.moderation == Moderation.APPROVED


def test_membership_changes_are_audited(client_for, party, party_editor, outsider):
    client = client_for("party_editor")
    client.post(
        members(party),
        {"username": "outsider", "email": "outsider@example.org", "role": "viewer"},
        format="json",
    )
    client.patch(members(party, "outsider"), {"role": "editor"}, format="json")
    client.delete(members(party, "outsider"))
    operations = list(
        AuditLog.objects.filter(model="matchmaking.membership")
        .order_by("id")
        .values_list("operation", "actor")
    )
    assert operations == [
        ("add_member", party_editor.pk),
        ("change_role", party_editor.pk),
        ("remove_member", party_editor.pk),
    ]


def test_staff_designate_a_focal_point_through_the_api(client_for, party, party_editor, party_request):
    response = client_for("staff").post(f"{detail(party)}focal-point/", {"country": "CD"}, format="json")
    assert response.status_code == 200
    assert response.json()["focal_point_of"] == "CD" and response.json()["verified"] is True
    posting = client_for("anonymous").get(f"/api/v1/opportunities/{party_request.pk}/").json()
    assert posting["on_behalf_of_party"] == "CD"
    found = client_for("anonymous").get("/api/v1/opportunities/", {"on_behalf_of_party": "true"}).json()
    assert [row["id"] for row in found["results"]] == [party_request.pk]
    assert client_for("anonymous").get(URL, {"focal_point": "true"}).json()["count"] == 1
    assert client_for("staff").delete(f"{detail(party)}focal-point/").json()["focal_point_of"] is None
    assert (
        client_for("anonymous").get(f"/api/v1/opportunities/{party_request.pk}/").json()["on_behalf_of_party"]
        is None
    )


@pytest.mark.parametrize("who", ["party_editor", "outsider", "anonymous"])
def test_only_staff_designate_focal_points_through_the_api(client_for, party, party_editor, outsider, who):
    response = client_for(who).post(f"{detail(party)}focal-point/", {"country": "CD"}, format="json")
    assert response.status_code in (401, 403)
    party.refresh_from_db()
    assert party.focal_point_of is None


def test_a_focal_point_designation_is_checked(client_for, party):
    response = client_for("staff").post(
        f"{detail(party)}focal-point/", {"country": "XX", "since": "2999-01-01"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"country", "since"}


def test_an_editor_cannot_make_their_organization_a_focal_point(client_for, party, party_editor):
    response = client_for("party_editor").patch(detail(party), {"focal_point_of": "CD"}, format="json")
    assert response.status_code == 200
    party.refresh_from_db()
    assert party.focal_point_of is None
