"""The matches and outcomes endpoints: expressing interest, each step by whom, the history, the
filters, the outcomes and who sees hidden contact details (API and pages)."""

import datetime

import pytest
from django.utils import timezone

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, Objective, Opportunity, Organization, Outcome
from matchmaking.services.matches import accept_match, decline_match, express_interest, start_match
from matchmaking.services.outcomes import complete_match
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/matches/"
OUTCOMES = "/api/v1/outcomes/"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def no_real_model(fake_embedder):
    """Recommendations may embed; the real model is never loaded here."""


def step_url(match, action):
    return f"{URL}{match.pk}/{action}/"


@pytest.fixture
def proposed(party_editor, party_request, institute_offer):
    return express_interest(
        user=party_editor, request=party_request, offer=institute_offer, message="We need a host."
    )


@pytest.fixture
def accepted(proposed, institute_editor):
    return accept_match(proposed, user=institute_editor, note="Welcome aboard.")


@pytest.fixture
def in_progress(accepted, party_editor):
    return start_match(accepted, user=party_editor)


# --------------------------------------------------------------------------- expressing interest


def test_expressing_interest_answers_the_match_record(client_for, party, party_request, institute_offer):
    response = client_for("party_editor").post(
        URL,
        {"request": party_request.pk, "offer": institute_offer.pk, "message": "We need a host."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "proposed"
    assert body["initiated_by"] == party.pk
    assert body["request"]["id"] == party_request.pk
    assert body["offer"]["id"] == institute_offer.pk
    assert body["message"] == "We need a host."
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in body["history"]] == [
        ("", "proposed", "party_editor")
    ]
    assert body["outcome"] is None
    assert body["allowed_actions"] == ["withdraw"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("party_editor", 201),
        ("institute_editor", 201),
        ("party_viewer", 403),
        ("outsider", 403),
        ("staff", 400),  # staff edit for neither side: they must name it
        ("anonymous", 401),
    ],
)
def test_who_may_express_interest(client_for, party_request, institute_offer, who, status):
    data = {"request": party_request.pk, "offer": institute_offer.pk}
    response = client_for(who).post(URL, data, format="json")
    assert response.status_code == status, response.json()


def test_staff_express_interest_for_a_named_side(client_for, institute, party_request, institute_offer):
    data = {"request": party_request.pk, "offer": institute_offer.pk, "initiated_by": institute.pk}
    response = client_for("staff").post(URL, data, format="json")
    assert response.status_code == 201
    assert response.json()["initiated_by"] == institute.pk


def test_interest_in_a_closed_offer_is_a_409(client_for, party_request, institute_offer):
    Opportunity.objects.filter(pk=institute_offer.pk).update(status="closed")
    data = {"request": party_request.pk, "offer": institute_offer.pk}
    response = client_for("party_editor").post(URL, data, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "The offer is not open.", "code": "not_open"}


def test_interest_twice_in_the_same_pair_is_a_409(client_for, proposed):
    data = {"request": proposed.request_id, "offer": proposed.offer_id}
    assert client_for("party_editor").post(URL, data, format="json").status_code == 409


def test_interest_in_a_hidden_draft_looks_like_a_missing_opportunity(client_for, party_request, institute):
    draft = make_opportunity(institute, "offer", "Not yet", status="draft")
    client = client_for("party_editor")
    hidden = client.post(URL, {"request": party_request.pk, "offer": draft.pk}, format="json")
    missing = client.post(URL, {"request": party_request.pk, "offer": draft.pk + 1000}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert set(hidden.json()) == {"offer"}


def test_interest_with_the_directions_swapped_is_a_400(client_for, party_request, institute_offer):
    data = {"request": institute_offer.pk, "offer": party_request.pk}
    response = client_for("party_editor").post(URL, data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"request"}


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("who", "sees_theirs", "sees_others"),
    [
        ("party_editor", True, False),
        ("party_viewer", True, False),
        ("institute_editor", True, False),
        ("outsider", False, False),
        ("staff", True, True),
    ],
)
def test_the_list_holds_the_matches_of_the_users_organizations(
    client_for, proposed, staff, who, sees_theirs, sees_others
):
    museum = Organization.objects.create(name="Museum", kind="institute", country_id="NL")
    chile = Organization.objects.create(name="Ministerio", kind="party", country_id="CL")
    others = express_interest(
        user=staff,
        request=make_opportunity(chile, "request", "Training"),
        offer=make_opportunity(museum, "offer", "Training"),
        initiated_by=chile,
    )
    response = client_for(who).get(URL)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert (proposed.pk in ids) is sees_theirs
    assert (others.pk in ids) is sees_others


def test_the_list_needs_a_login(client_for, proposed):
    assert client_for("anonymous").get(URL).status_code == 401
    assert client_for("anonymous").get(f"{URL}{proposed.pk}/").status_code == 401


def test_an_outsider_cannot_see_a_match(client_for, proposed):
    assert client_for("outsider").get(f"{URL}{proposed.pk}/").status_code == 404


def test_a_match_shows_its_history(client_for, in_progress):
    body = client_for("institute_editor").get(f"{URL}{in_progress.pk}/").json()
    assert [(e["actor"], e["from_status"], e["to_status"], e["note"]) for e in body["history"]] == [
        ("party_editor", "", "proposed", "We need a host."),
        ("institute_editor", "proposed", "accepted", "Welcome aboard."),
        ("party_editor", "accepted", "in_progress", ""),
    ]
    assert body["allowed_actions"] == ["complete", "cancel"]


def test_the_list_makes_a_fixed_number_of_queries(
    client_for, party, party_editor, institute, institute_editor, django_assert_max_num_queries
):
    for n in range(8):
        offer = make_opportunity(
            institute, "offer", f"Offer {n}", hide_contact=True, contact_email="a@example.org"
        )
        request = make_opportunity(party, "request", f"Request {n}")
        match = express_interest(user=party_editor, request=request, offer=offer)
        accept_match(match, user=institute_editor)
        start_match(match, user=party_editor)
        if n % 2:
            complete_match(match, user=party_editor, outcome={"summary": f"Done {n}."})
    client = client_for("party_editor")
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert len(response.json()["results"]) == 8


# --------------------------------------------------------------------------- steps


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("institute_editor", 200),
        ("staff", 200),
        ("party_editor", 403),  # the interested side cannot accept its own interest
        ("party_viewer", 403),
        ("outsider", 404),
        ("anonymous", 401),
    ],
)
def test_who_may_accept(client_for, proposed, who, status):
    response = client_for(who).post(step_url(proposed, "accept"), {"note": "Yes."}, format="json")
    assert response.status_code == status, response.json()
    expected = "accepted" if status == 200 else "proposed"
    assert Match.objects.get(pk=proposed.pk).status == expected


@pytest.mark.parametrize(
    ("action", "who", "before", "after"),
    [
        ("decline", "institute_editor", "proposed", "declined"),
        ("withdraw", "party_editor", "proposed", "withdrawn"),
        ("start", "party_editor", "accepted", "in_progress"),
        ("start", "institute_editor", "accepted", "in_progress"),
        ("cancel", "institute_editor", "accepted", "cancelled"),
        ("cancel", "party_editor", "in_progress", "cancelled"),
    ],
)
def test_each_step_through_the_api(client_for, proposed, action, who, before, after):
    Match.objects.filter(pk=proposed.pk).update(status=before)
    response = client_for(who).post(step_url(proposed, action), {"note": "Because."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == after
    assert response.json()["history"][-1]["note"] == "Because."


@pytest.mark.parametrize(
    ("action", "before"),
    [("accept", "declined"), ("withdraw", "accepted"), ("start", "proposed"), ("cancel", "completed")],
)
def test_a_step_the_state_does_not_allow_is_a_409(client_for, proposed, action, before):
    Match.objects.filter(pk=proposed.pk).update(status=before)
    who = "party_editor" if action == "withdraw" else "institute_editor"
    response = client_for(who).post(step_url(proposed, action), {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_status"
    assert str(MatchStatus(before).label) in response.json()["detail"]
    assert Match.objects.get(pk=proposed.pk).status == before


def test_withdrawing_someone_elses_interest_is_a_403(client_for, proposed):
    response = client_for("institute_editor").post(step_url(proposed, "withdraw"), {}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the side that expressed interest may withdraw it.",
        "code": "not_the_initiator",
    }


def test_errors_are_said_in_the_language_of_the_request_with_a_code_for_programs(client_for, proposed):
    Match.objects.filter(pk=proposed.pk).update(status="declined")
    client = client_for("institute_editor")
    answers = {
        language: client.post(
            step_url(proposed, "accept"), {}, format="json", HTTP_ACCEPT_LANGUAGE=language
        ).json()
        for language in ("en", "fr", "es", "ar", "zh-hans", "ru", "pt")
    }
    assert {answer["code"] for answer in answers.values()} == {"wrong_status"}
    details = [answer["detail"] for answer in answers.values()]
    assert len(set(details)) == 7, details  # one sentence per language
    assert answers["en"]["detail"] == "This match is “Declined”. Only a proposed match can be accepted."


def test_completing_records_the_outcome(client_for, in_progress, party_request, institute_offer):
    party_request.objectives.set(Objective.objects.filter(code="3.1"))
    institute_offer.objectives.set(Objective.objects.filter(code="2.5"))
    data = {
        "summary": "The DR Congo CHM site is hosted in Brussels.",
        "evidence_url": "https://chm.example.org/cd",
        "indicators": [
            {"key": "websites_hosted", "value": 1},
            {"key": "other", "label": "Server migrations", "value": 1, "unit": "servers"},
        ],
    }
    response = client_for("institute_editor").post(step_url(in_progress, "complete"), data, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "completed"
    outcome = body["outcome"]
    assert outcome["summary"] == data["summary"]
    assert outcome["achieved_on"] == TODAY.isoformat()
    assert sorted(outcome["objectives"]) == ["2.5", "3.1"]
    assert outcome["indicators"] == [
        {"key": "websites_hosted", "label": "", "value": 1.0, "unit": ""},
        {"key": "other", "label": "Server migrations", "value": 1.0, "unit": "servers"},
    ]
    assert outcome["is_private"] is False
    assert body["allowed_actions"] == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "summary"),
        ({"summary": "Done.", "indicators": [{"key": "other", "value": 1}]}, "indicators"),
        ({"summary": "Done.", "indicators": [{"key": "people_trained", "value": -2}]}, "indicators"),
        ({"summary": "Done.", "objectives": ["9.9"]}, "objectives"),
        ({"summary": "Done.", "achieved_on": "2999-01-01"}, "achieved_on"),
    ],
)
def test_a_bad_outcome_is_a_400(client_for, in_progress, data, field):
    response = client_for("party_editor").post(step_url(in_progress, "complete"), data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Match.objects.get(pk=in_progress.pk).status == MatchStatus.IN_PROGRESS


# --------------------------------------------------------------------------- filters


@pytest.fixture
def several(party, party_editor, institute, institute_editor, proposed):
    """The proposed match, one declined with another offer, and one of a third organization."""
    other_offer = make_opportunity(
        institute, "offer", "Training of webmasters", cooperation_type_id="training"
    )
    declined = express_interest(user=party_editor, request=proposed.request, offer=other_offer)
    decline_match(declined, user=institute_editor)
    museum = Organization.objects.create(name="Museum", kind="institute", country_id="NL")
    museum_offer = make_opportunity(museum, "offer", "Mirror sites")
    third = express_interest(user=party_editor, request=proposed.request, offer=museum_offer)
    return {"proposed": proposed, "declined": declined, "third": third, "museum": museum}


def found(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_filter_by_status(client_for, several):
    client = client_for("party_editor")
    assert found(client, status="declined") == {several["declined"].pk}
    assert found(client, status=["proposed", "declined"]) == {
        m.pk for k, m in several.items() if k != "museum"
    }


def test_filter_by_organization(client_for, several):
    assert found(client_for("party_editor"), organization=several["museum"].pk) == {several["third"].pk}


def test_filter_by_opportunity(client_for, several):
    client = client_for("party_editor")
    assert found(client, posting=several["declined"].offer_id) == {several["declined"].pk}
    assert len(found(client, posting=several["proposed"].request_id)) == 3


def test_filter_by_initiating_organization(client_for, several, institute, party):
    assert len(found(client_for("party_editor"), initiated_by=party.pk)) == 3
    assert found(client_for("party_editor"), initiated_by=institute.pk) == set()


def test_filter_by_date(client_for, several):
    Match.objects.filter(pk=several["declined"].pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    client = client_for("party_editor")
    last_month = (TODAY - datetime.timedelta(days=30)).isoformat()
    assert found(client, created_before=last_month) == {several["declined"].pk}
    assert several["declined"].pk not in found(client, created_after=last_month)


def test_search(client_for, several):
    assert found(client_for("party_editor"), q="webmasters") == {several["declined"].pk}


# --------------------------------------------------------------------------- hidden contacts


@pytest.fixture
def hidden_offer(proposed):
    Opportunity.objects.filter(pk=proposed.offer_id).update(
        contact_name="Ann Peeters", contact_email="ann@naturalsciences.example", hide_contact=True
    )
    return proposed.offer


def leaks(response):
    return "ann@naturalsciences.example" in response.content.decode()


def api_views_of_the_offer(client, match, party_request):
    return [
        client.get(f"{URL}{match.pk}/"),
        client.get(URL),
        client.get(f"/api/v1/opportunities/{match.offer_id}/"),
        client.get("/api/v1/opportunities/"),
        client.get(f"/api/v1/opportunities/{party_request.pk}/matches/"),
    ]


def test_hidden_contacts_do_not_leak_through_the_api_before_acceptance(
    client_for, proposed, hidden_offer, party_request, institute_editor
):
    for who in ("party_editor", "party_viewer", "outsider", "anonymous"):
        for response in api_views_of_the_offer(client_for(who), proposed, party_request):
            assert response.status_code in (200, 401, 404)
            assert not leaks(response), (who, response.request["PATH_INFO"])
    accept_match(proposed, user=institute_editor)
    for who in ("party_editor", "party_viewer"):
        client = client_for(who)
        match = client.get(f"{URL}{proposed.pk}/").json()
        assert match["offer"]["contact_email"] == "ann@naturalsciences.example"
        opportunity = client.get(f"/api/v1/opportunities/{proposed.offer_id}/").json()
        assert opportunity["contact_name"] == "Ann Peeters"
    for response in api_views_of_the_offer(client_for("outsider"), proposed, party_request):
        assert not leaks(response)


def test_hidden_contacts_do_not_leak_through_the_pages_before_acceptance(
    client_as, party_editor, proposed, hidden_offer, institute_editor
):
    client = client_as(party_editor)
    pages = [
        f"/postings/{proposed.offer_id}/",
        f"/matches/{proposed.pk}/",
        f"/postings/{proposed.request_id}/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert not leaks(response), page
    accept_match(proposed, user=institute_editor)
    assert leaks(client.get(f"/matches/{proposed.pk}/"))
    assert leaks(client.get(f"/postings/{proposed.offer_id}/"))


# --------------------------------------------------------------------------- outcomes


@pytest.fixture
def outcome(in_progress, party_editor, party_request, institute_offer):
    party_request.objectives.set(Objective.objects.filter(code="3.1"))
    institute_offer.objectives.set(Objective.objects.filter(code="GBF-TARGET-20"))
    return complete_match(
        in_progress,
        user=party_editor,
        outcome={
            "summary": "Hosted in Brussels.",
            "achieved_on": datetime.date(2025, 6, 1),
            "indicators": [{"key": "websites_hosted", "value": 1}],
        },
    )


def outcome_ids(client, **params):
    response = client.get(OUTCOMES, params)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_outcomes_are_public_unless_private(client_for, outcome):
    assert outcome_ids(client_for("anonymous")) == [outcome.pk]
    Outcome.objects.filter(pk=outcome.pk).update(is_private=True)
    assert outcome_ids(client_for("anonymous")) == []
    assert outcome_ids(client_for("outsider")) == []
    assert outcome_ids(client_for("party_viewer")) == [outcome.pk]
    assert outcome_ids(client_for("staff")) == [outcome.pk]


def test_an_outcome_names_both_sides_and_hides_no_secrets(client_for, outcome, hidden_offer):
    body = client_for("anonymous").get(f"{OUTCOMES}{outcome.pk}/").json()
    assert body["request"]["organization_name"] == "Point focal CHM de la RD Congo"
    assert body["offer"]["country"] == "BE"
    assert "contact_email" not in body["offer"]
    assert sorted(body["objectives"]) == ["3.1", "GBF-TARGET-20"]


@pytest.mark.parametrize(
    ("params", "hit"),
    [
        ({"objective": "3.1"}, True),
        ({"objective": ["1.1", "GBF-TARGET-20"]}, True),
        ({"objective": "1.1"}, False),
        ({"goal": "3"}, True),
        ({"goal": "1"}, False),
        ({"framework": "GBF"}, True),
        ({"framework": "CHM-2010"}, True),
        ({"country": "CD"}, True),
        ({"country": "BE"}, True),
        ({"country": "CL"}, False),
        ({"un_group": "AFR"}, True),
        ({"un_group": "GRULAC"}, False),
        ({"cooperation_type": "hosting"}, True),
        ({"cooperation_type": "funding"}, False),
        ({"year": 2025}, True),
        ({"year": 2024}, False),
        ({"q": "brussels"}, True),
    ],
)
def test_outcome_filters(client_for, outcome, params, hit):
    assert (outcome.pk in outcome_ids(client_for("anonymous"), **params)) is hit


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("party_editor", 200),
        ("institute_editor", 200),
        ("staff", 200),
        ("party_viewer", 403),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_edit_an_outcome(client_for, outcome, who, status):
    response = client_for(who).patch(
        f"{OUTCOMES}{outcome.pk}/", {"summary": "Hosted, and mirrored."}, format="json"
    )
    assert response.status_code == status, response.json()


def test_an_outcome_cannot_be_edited_after_thirty_days(client_for, outcome):
    Outcome.objects.filter(pk=outcome.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    response = client_for("party_editor").patch(
        f"{OUTCOMES}{outcome.pk}/", {"is_private": True}, format="json"
    )
    assert response.status_code == 409
    assert "30 days" in response.json()["detail"]


def test_editing_an_outcome_replaces_its_indicators(client_for, outcome):
    data = {
        "indicators": [{"key": "people_trained", "value": 4, "unit": "webmasters"}],
        "objectives": ["1.1"],
    }
    response = client_for("institute_editor").patch(f"{OUTCOMES}{outcome.pk}/", data, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["indicators"] == [
        {"key": "people_trained", "label": "", "value": 4.0, "unit": "webmasters"}
    ]
    assert response.json()["objectives"] == ["1.1"]
