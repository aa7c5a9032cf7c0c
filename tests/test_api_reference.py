"""Read-only reference data: countries, cooperation types, themes, frameworks and objectives."""

import pytest

pytestmark = pytest.mark.django_db

V1 = "/api/v1/"


@pytest.fixture
def anonymous(client_for):
    return client_for("anonymous")


def test_countries_carry_their_groups(anonymous):
    congo = anonymous.get(f"{V1}countries/CD/").json()
    assert congo["un_group"] == "AFR"
    assert {"developing", "ldc"} <= set(congo["groups"])
    assert anonymous.get(f"{V1}countries/NO/").json()["groups"] == []


def test_countries_filter_by_un_group_and_group(anonymous):
    sids = {row["code"] for row in anonymous.get(f"{V1}countries/", {"group": "sids"}).json()}
    assert {"SC", "MU"} <= sids and "MG" not in sids
    weog = {row["code"] for row in anonymous.get(f"{V1}countries/", {"un_group": "WEOG"}).json()}
    assert {"BE", "NO"} <= weog and "CD" not in weog
    assert anonymous.get(f"{V1}countries/", {"group": "nordic"}).status_code == 400


def test_cooperation_types_are_the_design_vocabulary(anonymous):
    slugs = [row["slug"] for row in anonymous.get(f"{V1}cooperation-types/").json()]
    assert set(slugs) == {
        "hosting", "mirroring", "technical_advice", "website_development", "training", "funding",
        "collection_access", "data_sharing", "technology_transfer", "mentoring", "research", "other",
    }  # fmt: skip
    assert anonymous.get(f"{V1}cooperation-types/hosting/").json()["label"]


def test_themes_are_the_design_vocabulary(anonymous):
    slugs = {row["slug"] for row in anonymous.get(f"{V1}themes/").json()}
    assert len(slugs) == 16 and {"cepa", "information_systems", "taxonomy"} <= slugs


def test_frameworks_nest_goals_and_objectives(anonymous):
    frameworks = {row["code"]: row for row in anonymous.get(f"{V1}frameworks/").json()}
    plan = frameworks["CHM-2010"]
    assert [goal["code"] for goal in plan["goals"]] == ["1", "2", "3"]
    assert [o["code"] for o in plan["goals"][1]["objectives"]] == ["2.1", "2.2", "2.3", "2.4", "2.5"]
    assert plan["objectives"] == []
    assert "GBF-TARGET-01" in [o["code"] for o in frameworks["GBF"]["objectives"]]
    assert anonymous.get(f"{V1}frameworks/CHM-2010/").json()["name"] == plan["name"]


def test_objectives_filter_by_framework_and_goal(anonymous):
    plan = [row["code"] for row in anonymous.get(f"{V1}objectives/", {"framework": "CHM-2010"}).json()]
    assert plan[:3] == ["1.1", "1.2", "1.3"] and len(plan) == 12
    goal = [
        row["code"]
        for row in anonymous.get(f"{V1}objectives/", {"framework": "CHM-2010", "goal": "3"}).json()
    ]
    assert goal == ["3.1", "3.2", "3.3", "3.4"]
    assert anonymous.get(f"{V1}objectives/", {"framework": "NOPE"}).status_code == 400


def test_an_objective_is_found_by_its_dotted_code(anonymous):
    objective = anonymous.get(f"{V1}objectives/2.5/").json()
    assert (objective["code"], objective["framework"], objective["goal"]) == ("2.5", "CHM-2010", "2")
    assert anonymous.get(f"{V1}objectives/9.9/").status_code == 404


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("staff", 405)])
@pytest.mark.parametrize("resource", ["countries", "cooperation-types", "themes", "frameworks", "objectives"])
def test_reference_data_is_read_only(client_for, resource, who, status):
    assert client_for(who).post(f"{V1}{resource}/", {"code": "XX"}, format="json").status_code == status


@pytest.mark.parametrize(
    "resource, most",
    [("countries", 2), ("cooperation-types", 1), ("themes", 1), ("frameworks", 4), ("objectives", 1)],
)
def test_reference_lists_make_a_fixed_number_of_queries(
    anonymous, resource, most, django_assert_max_num_queries
):
    with django_assert_max_num_queries(most):
        assert anonymous.get(f"{V1}{resource}/").status_code == 200
