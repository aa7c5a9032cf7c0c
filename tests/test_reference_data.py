import datetime
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from matchmaking.models import (
    Activity,
    CooperationType,
    Country,
    CountryGroup,
    Framework,
    Goal,
    Language,
    Objective,
    Theme,
)

pytestmark = pytest.mark.django_db


def groups_of(code):
    return Country.objects.get(code=code).group_codes()


@pytest.mark.parametrize(
    ("code", "member_of", "not_member_of"),
    [
        ("CD", {"AFR", "developing", "ldc"}, {"sids", "eu"}),
        ("FJ", {"APAC", "developing", "sids"}, {"ldc", "eu"}),
        ("BE", {"WEOG", "eu"}, {"developing", "ldc", "sids"}),
        ("CL", {"GRULAC"}, {"developing"}),
        ("UY", {"GRULAC"}, {"developing"}),
        ("SC", {"AFR", "sids"}, {"developing", "ldc"}),
        ("CV", {"AFR", "developing", "sids"}, {"ldc"}),
        ("MG", {"AFR", "developing", "ldc"}, {"sids"}),
        ("NO", {"WEOG"}, {"eu", "developing"}),
        ("CH", {"WEOG"}, {"eu", "developing"}),
    ],
)
def test_country_memberships_hold(code, member_of, not_member_of):
    groups = groups_of(code)
    assert member_of <= groups
    assert not (not_member_of & groups)


def test_every_un_member_and_cbd_party_is_there():
    assert Country.objects.filter(un_member=True).count() == 193
    assert Country.objects.filter(cbd_party=True).count() == 196
    assert not Country.objects.get(code="US").cbd_party
    assert {"CK", "NU", "PS"} <= set(Country.objects.filter(un_member=False).values_list("code", flat=True))
    assert not Country.objects.filter(un_member=True, un_group__isnull=True).exists()


def test_eu_has_27_members_and_dac_list_is_dated():
    assert CountryGroup.objects.get(code="eu").members.count() == 27
    assert CountryGroup.objects.get(code="developing").as_of == datetime.date(2024, 1, 1)


def test_chm_plan_has_3_goals_12_objectives_53_activities():
    plan = Framework.objects.get(code="CHM-2010")
    assert plan.goals.count() == 3
    codes = list(plan.objectives.values_list("code", flat=True))
    assert codes == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4"]
    activities = Activity.objects.filter(objective__framework=plan)
    assert activities.count() == 53
    assert activities.filter(objective__code="2.3").count() == 9
    assert Activity.objects.get(code="3.4.8").objective.code == "3.4"
    assert Activity.objects.get(code="1.1.1").actor == "cbd"
    assert Activity.objects.get(code="2.1.3").actor == "national"
    assert Activity.objects.get(code="2.2.1").actor == "both"
    assert Objective.objects.get(code="1.2").text.startswith(
        "The clearing-house mechanism facilitates the transfer"
    )


def test_gbf_has_4_goals_and_23_targets():
    gbf = Framework.objects.get(code="GBF")
    assert list(gbf.goals.values_list("code", flat=True)) == [f"GBF-GOAL-{g}" for g in "ABCD"]
    targets = gbf.objectives.values_list("code", flat=True)
    assert list(targets) == [f"GBF-TARGET-{n:02d}" for n in range(1, 24)]


def test_vocabularies_have_the_design_slugs_in_three_languages():
    assert set(CooperationType.objects.values_list("slug", flat=True)) == {
        "hosting", "mirroring", "technical_advice", "website_development", "training", "funding",
        "collection_access", "data_sharing", "technology_transfer", "mentoring", "research", "other",
    }  # fmt: skip
    assert Theme.objects.count() == 16
    for term in [*CooperationType.objects.all(), *Theme.objects.all()]:
        assert term.label and term.label_fr and term.label_es
    assert Language.objects.filter(code__in=["en", "fr", "es", "bm"]).count() == 4


def test_load_reference_is_idempotent():
    counts = [
        Country.objects.count(),
        Objective.objects.count(),
        Activity.objects.count(),
        Theme.objects.count(),
    ]
    call_command("load_reference")
    call_command("load_reference")
    assert counts == [
        Country.objects.count(),
        Objective.objects.count(),
        Activity.objects.count(),
        Theme.objects.count(),
    ]


# The languages of the site other than English, as the reference data names them ("zh" for zh-hans).
OTHER_LANGUAGES = [code.split("-")[0] for code, _ in settings.LANGUAGES if code != "en"]


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_vocabulary_term_is_labelled_in_every_language(language):
    """A language added to LANGUAGES needs the vocabulary's labels: this says which are missing."""
    data = json.loads((settings.BASE_DIR / "matchmaking" / "data" / "vocabularies.json").read_text())
    missing = [
        term["slug"]
        for kind in ("cooperation_types", "themes")
        for term in data[kind]
        if not term["label"].get(language)
    ]
    assert missing == []


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_framework_goal_objective_and_target_is_named_in_every_language(language):
    """Each in the data, with whether the text is the official one or the team's translation."""
    for row in [*Framework.objects.all(), *Goal.objects.all(), *Objective.objects.all()]:
        local = row.translations[language]
        assert local["source"] in ("official", "team"), row
        for field in ("name",) if isinstance(row, Framework) else ("title", "text"):
            assert local.get(field) or not getattr(row, field), (row, field)


def test_objectives_are_named_in_the_readers_language():
    target = Objective.objects.get(code="GBF-TARGET-01")
    with translation.override("fr"):
        assert (
            target.short_text
            == "Planifier et gérer toutes les zones afin de réduire la perte de biodiversité"
        )
        assert (
            str(Framework.objects.get(code="GBF")) == "Cadre mondial de la biodiversité de Kunming-Montréal"
        )
    with translation.override("zh-hans"):
        assert target.local_text != target.text and target.local_title
    with translation.override("en"):
        assert target.short_text == target.title
