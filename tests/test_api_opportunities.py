"""The opportunities endpoint: create, read, update, close; its validation; who may and who may not."""

import datetime

import pytest

from matchmaking.models import AuditLog, Opportunity, Theme
from matchmaking.models.opportunities import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/opportunities/"

EVERYONE = ["party_editor", "institute_editor", "party_viewer", "outsider", "staff", "anonymous"]


def detail(opportunity, action=""):
    return f"{URL}{opportunity.pk}/{action + '/' if action else ''}"


def offer_data(org, **changes):
    data = {
        "direction": "offer",
        "title": "Training of national CHM webmasters",
        "description": "Two weeks in Brussels for two webmasters of a national clearing-house mechanism.",
        "cooperation_type": "training",
        "themes": ["information_systems", "taxonomy"],
        "objectives": ["1.1", "GBF-TARGET-20"],
        "organization": org.pk,
        "languages": ["fr", "en"],
        "eligible_groups": ["developing", "APAC"],
        "eligible_countries": ["CL"],
        "starts_on": "2027-03-01",
        "ends_on": "2027-03-14",
        "capacity": 2,
    }
    data.update(changes)
    return data


# --------------------------------------------------------------------------- create


def test_editor_posts_an_offer_with_every_field(client_for, institute, institute_editor):
    response = client_for("institute_editor").post(URL, offer_data(institute), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    opportunity = Opportunity.objects.get(pk=body["id"])
    assert opportunity.created_by == institute_editor
    assert body["status"] == "open" and opportunity.published_at is not None
    assert body["organization"] == institute.pk
    assert body["organization_name"] == institute.name
    assert body["cooperation_type"] == "training"
    assert set(body["themes"]) == {"information_systems", "taxonomy"}
    assert set(body["objectives"]) == {"1.1", "GBF-TARGET-20"}
    assert set(body["languages"]) == {"fr", "en"}
    assert set(body["eligible_groups"]) == {"developing", "APAC"}
    assert body["eligible_countries"] == ["CL"]
    assert (body["starts_on"], body["ends_on"], body["capacity"]) == ("2027-03-01", "2027-03-14", 2)
    assert set(opportunity.themes.values_list("slug", flat=True)) == {"information_systems", "taxonomy"}


def test_only_the_required_fields_give_the_defaults(client_for, party, party_editor):
    data = {
        "direction": "request",
        "title": "A host",
        "description": "We need one.",
        "organization": party.pk,
    }
    response = client_for("party_editor").post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["cooperation_type"] == "other"
    assert body["themes"] == body["objectives"] == body["languages"] == []
    assert body["eligible_groups"] == body["eligible_countries"] == []
    assert body["starts_on"] is None and body["ends_on"] is None
    assert body["capacity"] == 1
    assert body["status"] == "open"


def test_request_with_empty_eligibility_is_accepted(client_for, party, party_editor):
    data = offer_data(party, direction="request", eligible_countries=[])
    del data["eligible_groups"]
    assert client_for("party_editor").post(URL, data, format="json").status_code == 201


def test_opportunity_may_start_as_a_draft(client_for, party, party_editor):
    data = offer_data(party, direction="request", eligible_groups=[], eligible_countries=[], status="draft")
    response = client_for("party_editor").post(URL, data, format="json")
    assert response.status_code == 201
    assert Opportunity.objects.get(pk=response.json()["id"]).published_at is None


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"themes": ["forests"]}, "themes", ["forests", "Allowed:", "forest,"]),
        ({"cooperation_type": "hostin"}, "cooperation_type", ["hostin", "Allowed:", "hosting"]),
        ({"eligible_groups": ["nordic"]}, "eligible_groups", ["nordic", "Allowed:", "ldc"]),
        ({"objectives": ["1.1", "9.9"]}, "objectives", ["9.9"]),
        ({"eligible_countries": ["XX"]}, "eligible_countries", ["XX", "ISO 3166-1"]),
        ({"languages": ["english"]}, "languages", ["english", "ISO 639-1"]),
        ({"ends_on": "2027-02-01"}, "ends_on", ["end date"]),
        ({"starts_on": "next spring"}, "starts_on", ["Date"]),
        ({"capacity": 0}, "capacity", ["greater than or equal to 1"]),
        ({"capacity": None}, "capacity", ["null"]),
        ({"title": "x" * (TITLE_MAX_LENGTH + 1)}, "title", ["200"]),
        ({"title": "  "}, "title", ["blank"]),
        ({"description": "x" * (DESCRIPTION_MAX_LENGTH + 1)}, "description", ["20000"]),
        (
            {"languages": ["en", "fr", "es", "de", "it", "nl", "pt", "ru", "ar", "zh", "ja"]},
            "languages",
            ["10"],
        ),
        ({"eligible_countries": [f"{n:03}" for n in range(251)]}, "eligible_countries", ["250"]),
        ({"direction": "both"}, "direction", ["both"]),
        ({"organization": 999999}, "organization", ["999999"]),
        ({"status": "closed"}, "status", ["close action"]),
        ({"themes": "forest"}, "themes", ["list"]),
    ],
)
def test_bad_values_are_refused_on_their_field(
    client_for, institute, institute_editor, changes, field, words
):
    response = client_for("institute_editor").post(URL, offer_data(institute, **changes), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {field}, errors
    message = " ".join(map(str, errors[field]))
    for word in words:
        assert word in message
    assert not Opportunity.objects.exists()


def test_unknown_theme_message_names_every_allowed_slug(client_for, institute, institute_editor):
    response = client_for("institute_editor").post(
        URL, offer_data(institute, themes=["forests"]), format="json"
    )
    message = response.json()["themes"][0]
    assert all(slug in message for slug in Theme.objects.values_list("slug", flat=True))


def test_request_refuses_eligibility_restrictions(client_for, party, party_editor):
    data = offer_data(party, direction="request", eligible_groups=["ldc"], eligible_countries=["CD"])
    response = client_for("party_editor").post(URL, data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"eligible_groups", "eligible_countries"}
    assert not Opportunity.objects.exists()


def test_every_bad_field_is_reported_at_once(client_for, institute, institute_editor):
    data = offer_data(institute, themes=["nope"], languages=["zz"], capacity=0)
    response = client_for("institute_editor").post(URL, data, format="json")
    assert set(response.json()) == {"themes", "languages", "capacity"}


def test_missing_required_fields_are_named(client_for, institute_editor):
    response = client_for("institute_editor").post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"direction", "title", "description", "organization"}


def test_malformed_json_is_a_400(client_for, institute_editor):
    response = client_for("institute_editor").post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


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
def test_who_may_post_for_the_party(client_for, party, party_editor, who, status):
    data = offer_data(party, direction="request", eligible_groups=[], eligible_countries=[])
    response = client_for(who).post(URL, data, format="json")
    assert response.status_code == status
    assert Opportunity.objects.count() == (1 if status == 201 else 0)


# --------------------------------------------------------------------------- read


@pytest.mark.parametrize("who", EVERYONE)
def test_open_and_closed_opportunities_are_public(client_for, party_request, institute_offer, who):
    institute_offer.status = "closed"
    institute_offer.save()
    client = client_for(who)
    assert client.get(detail(party_request)).status_code == 200
    assert client.get(detail(institute_offer)).status_code == 200
    listed = {row["id"] for row in client.get(URL).json()["results"]}
    assert listed == {party_request.pk, institute_offer.pk}


@pytest.mark.parametrize(
    "who, visible",
    [
        ("party_editor", True),
        ("party_viewer", True),
        ("staff", True),
        ("institute_editor", False),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_drafts_are_seen_only_by_members_and_staff(
    client_for, party_draft, party_editor, party_viewer, who, visible
):
    client = client_for(who)
    response = client.get(detail(party_draft))
    assert response.status_code == (200 if visible else 404)
    listed = {row["id"] for row in client.get(URL).json()["results"]}
    assert (party_draft.pk in listed) is visible


def test_a_hidden_draft_looks_like_a_missing_opportunity(client_for, party_draft):
    client = client_for("outsider")
    hidden = client.get(detail(party_draft))
    missing = client.get(f"{URL}{party_draft.pk + 1000}/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("who, sees", [("institute_editor", True), ("staff", True), ("party_editor", False)])
def test_hidden_contact_details_are_shown_only_to_the_organization(client_for, institute_offer, who, sees):
    Opportunity.objects.filter(pk=institute_offer.pk).update(
        contact_name="Ann", contact_email="ann@example.org", hide_contact=True
    )
    body = client_for(who).get(detail(institute_offer)).json()
    assert (body["contact_email"] == "ann@example.org") is sees
    assert (body["contact_name"] == "Ann") is sees


def test_contact_details_are_public_unless_hidden(client_for, institute_offer):
    Opportunity.objects.filter(pk=institute_offer.pk).update(contact_email="ann@example.org")
    assert client_for("anonymous").get(detail(institute_offer)).json()["contact_email"] == "ann@example.org"


@pytest.mark.parametrize("who", ["anonymous", "party_editor", "staff"])
def test_list_makes_a_fixed_number_of_queries(
    client_for, institute, party, who, django_assert_max_num_queries
):
    for n in range(12):
        opportunity = make_opportunity(
            institute, "offer", f"Offer {n}", themes=["taxonomy"], languages=["en"], eligible_groups=["ldc"]
        )
        opportunity.objectives.set(opportunity.objectives.model.objects.filter(code__in=["1.1", "1.2"]))
        Opportunity.objects.filter(pk=opportunity.pk).update(hide_contact=True)
    client = client_for(who)
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert len(response.json()["results"]) == 12


def test_lists_come_in_the_order_of_their_reference_data(client_for, institute):
    # Given in an order of their own; read back in each reference model's ordering (objectives by
    # framework, then position), in the list and for one opportunity alike.
    opportunity = make_opportunity(
        institute,
        "offer",
        "Mentoring",
        themes=["information_systems", "taxonomy", "forest"],
        languages=["pt", "en", "fr"],
        eligible_groups=["sids", "APAC", "ldc"],
        eligible_countries=["CL", "BE", "WS"],
    )
    opportunity.objectives.set(
        opportunity.objectives.model.objects.filter(code__in=["GBF-TARGET-20", "1.2", "1.1"])
    )
    expected = {
        "themes": [theme.pk for theme in opportunity.themes.all()],
        "objectives": [objective.code for objective in opportunity.objectives.all()],
        "languages": [language.pk for language in opportunity.languages.all()],
        "eligible_groups": [group.pk for group in opportunity.eligible_groups.all()],
        "eligible_countries": [country.pk for country in opportunity.eligible_countries.all()],
    }
    assert expected["themes"] == ["forest", "taxonomy", "information_systems"]
    assert expected["objectives"][-1] == "GBF-TARGET-20" and expected["eligible_countries"] == [
        "BE",
        "CL",
        "WS",
    ]
    client = client_for("anonymous")
    listed = client.get(URL).json()["results"][0]
    shown = client.get(detail(opportunity)).json()
    for name, keys in expected.items():
        assert listed[name] == shown[name] == keys, name


def test_filters_choose_in_the_list_and_never_hide_one_opportunity(client_for, party_request):
    assert client_for("anonymous").get(URL, {"direction": "offer"}).json()["results"] == []
    assert client_for("anonymous").get(detail(party_request), {"direction": "offer"}).status_code == 200


# --------------------------------------------------------------------------- update


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("staff", 200),
        ("party_viewer", 403),
        ("institute_editor", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_edit_a_request(client_for, party_request, party_editor, party_viewer, who, status):
    response = client_for(who).patch(detail(party_request), {"title": "Changed"}, format="json")
    assert response.status_code == status
    party_request.refresh_from_db()
    assert (party_request.title == "Changed") is (status == 200)


@pytest.mark.parametrize(
    "who, status",
    [("party_viewer", 403), ("institute_editor", 404), ("outsider", 404), ("anonymous", 401)],
)
def test_outsiders_cannot_learn_of_a_draft_by_editing_it(client_for, party_draft, party_viewer, who, status):
    assert client_for(who).patch(detail(party_draft), {"title": "x"}, format="json").status_code == status


def test_editor_replaces_an_opportunity_with_put(client_for, institute, institute_offer, institute_editor):
    data = offer_data(institute, themes=["taxonomy"], eligible_groups=[], eligible_countries=[])
    response = client_for("institute_editor").put(detail(institute_offer), data, format="json")
    assert response.status_code == 200, response.json()
    institute_offer.refresh_from_db()
    assert institute_offer.title == data["title"]
    assert list(institute_offer.themes.values_list("slug", flat=True)) == ["taxonomy"]
    assert not institute_offer.eligible_groups.exists()


def test_partial_update_keeps_what_it_does_not_name(client_for, institute_offer, institute_editor):
    response = client_for("institute_editor").patch(detail(institute_offer), {"capacity": 3}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["capacity"] == 3
    assert body["eligible_groups"] == ["developing"]
    assert set(body["languages"]) == {"fr", "en"}


def test_publishing_a_draft_stamps_it(client_for, party_draft, party_editor):
    response = client_for("party_editor").patch(detail(party_draft), {"status": "open"}, format="json")
    assert response.status_code == 200
    assert response.json()["published_at"] is not None


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"ends_on": "2027-01-01"}, "ends_on"),
        ({"eligible_groups": ["ldc"]}, "eligible_groups"),
        ({"direction": "offer"}, "direction"),
        ({"status": "closed"}, "status"),
        ({"themes": ["nope"]}, "themes"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_written(
    client_for, party_request, party_editor, changes, field
):
    Opportunity.objects.filter(pk=party_request.pk).update(starts_on="2027-02-01")
    response = client_for("party_editor").patch(
        detail(party_request), {**changes, "capacity": 5}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {field}
    party_request.refresh_from_db()
    assert party_request.capacity == 1


def test_an_opportunity_cannot_move_to_another_organization(client_for, party_request, institute, staff):
    response = client_for("staff").patch(detail(party_request), {"organization": institute.pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"organization"}


# --------------------------------------------------------------------------- close


@pytest.mark.parametrize(
    "who, status",
    [
        ("party_editor", 200),
        ("staff", 200),
        ("party_viewer", 403),
        ("institute_editor", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_close_a_request(client_for, party_request, party_editor, party_viewer, who, status):
    response = client_for(who).post(detail(party_request, "close"))
    assert response.status_code == status
    party_request.refresh_from_db()
    assert (party_request.status == "closed") is (status == 200)
    if status == 200:
        assert response.json()["status"] == "closed"


def test_closing_twice_is_a_conflict(client_for, party_request, party_editor):
    client = client_for("party_editor")
    assert client.post(detail(party_request, "close")).status_code == 200
    response = client.post(detail(party_request, "close"))
    assert response.status_code == 409
    assert "already closed" in response.json()["detail"]


@pytest.mark.parametrize("start", ["open", "closed"])
def test_a_published_opportunity_never_returns_to_draft(client_for, party_request, party_editor, start):
    Opportunity.objects.filter(pk=party_request.pk).update(status=start)
    response = client_for("party_editor").patch(detail(party_request), {"status": "draft"}, format="json")
    assert response.status_code == 400
    assert "draft" in response.json()["status"][0]
    party_request.refresh_from_db()
    assert party_request.status == start


def test_a_closed_opportunity_opens_again_only_through_reopen(client_for, party_request, party_editor):
    client = client_for("party_editor")
    client.post(detail(party_request, "close"))
    response = client.patch(detail(party_request), {"status": "open"}, format="json")
    assert response.status_code == 400
    assert "reopen" in response.json()["status"][0]
    response = client.post(detail(party_request, "reopen"))
    assert response.status_code == 200
    assert response.json()["status"] == "open"
    assert client.post(detail(party_request, "reopen")).status_code == 409
    assert AuditLog.objects.filter(operation="reopen_opportunity", object_id=str(party_request.pk)).exists()


def test_an_ended_opportunity_is_not_reopened(client_for, party_request, party_editor):
    client = client_for("party_editor")
    client.post(detail(party_request, "close"))
    Opportunity.objects.filter(pk=party_request.pk).update(ends_on=datetime.date(2020, 1, 1))
    response = client.post(detail(party_request, "reopen"))
    assert response.status_code == 400
    assert "ends_on" in response.json()
    party_request.refresh_from_db()
    assert party_request.status == "closed"


@pytest.mark.parametrize(
    "who, status", [("party_viewer", 403), ("institute_editor", 403), ("anonymous", 401)]
)
def test_only_editors_reopen(client_for, party_request, party_viewer, who, status):
    Opportunity.objects.filter(pk=party_request.pk).update(status="closed")
    assert client_for(who).post(detail(party_request, "reopen")).status_code == status


def test_outsider_cannot_close_a_draft_it_cannot_see(client_for, party_draft):
    assert client_for("outsider").post(detail(party_draft, "close")).status_code == 404


def test_opportunities_cannot_be_deleted(client_for, party_request, party_editor):
    assert client_for("party_editor").delete(detail(party_request)).status_code == 405
