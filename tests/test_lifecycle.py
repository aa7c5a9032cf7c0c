"""The match lifecycle in the services: who may take which step from which state, the hard filters
and capacity, the history, outcomes and their edit window, and who sees hidden contact details."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from matchmaking.choices import MatchStatus
from matchmaking.models import Match, MatchEvent, Objective, Opportunity, Organization, Outcome
from matchmaking.recommendations.filters import candidates_for
from matchmaking.recommendations.recommend import recommend
from matchmaking.services import matches
from matchmaking.services.contacts import can_see_contact
from matchmaking.services.errors import Conflict, NotAllowed, ServiceError
from matchmaking.services.matches import (
    TRANSITIONS,
    accept_match,
    allowed_actions,
    cancel_match,
    check_matchable,
    decline_match,
    express_interest,
    start_match,
)
from matchmaking.services.outcomes import complete_match, update_outcome
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CAST = ["party_editor", "institute_editor", "party_viewer", "outsider", "staff"]


@pytest.fixture
def cast(request):
    return {who: request.getfixturevalue(who) for who in CAST}


@pytest.fixture
def proposed(party_editor, party_request, institute_offer):
    """The Party's editor is interested in the institute's hosting offer."""
    return express_interest(
        user=party_editor, request=party_request, offer=institute_offer, message="We need a host."
    )


def in_status(match, status):
    Match.objects.filter(pk=match.pk).update(status=status)
    match.refresh_from_db()
    return match


# --------------------------------------------------------------------------- expressing interest


def test_expressing_interest_starts_a_proposed_match_with_its_first_event(proposed, party, party_editor):
    assert proposed.status == MatchStatus.PROPOSED
    assert proposed.initiated_by == party
    assert proposed.created_by == party_editor
    [event] = proposed.events.all()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        party_editor,
        "",
        "proposed",
        "We need a host.",
    )


def test_the_offering_side_may_express_interest_too(
    institute_editor, institute, party_request, institute_offer
):
    match = express_interest(user=institute_editor, request=party_request, offer=institute_offer)
    assert match.initiated_by == institute


@pytest.mark.parametrize("who", ["party_viewer", "outsider"])
def test_only_editors_of_a_side_may_express_interest(cast, party_request, institute_offer, who):
    with pytest.raises(NotAllowed):
        express_interest(user=cast[who], request=party_request, offer=institute_offer)
    assert not Match.objects.exists()


def test_staff_name_the_side_they_act_for(staff, institute, party_request, institute_offer):
    with pytest.raises(ServiceError) as error:
        express_interest(user=staff, request=party_request, offer=institute_offer)
    assert error.value.field == "initiated_by"
    match = express_interest(user=staff, request=party_request, offer=institute_offer, initiated_by=institute)
    assert match.initiated_by == institute


def test_an_editor_cannot_express_interest_for_a_third_organization(
    party_editor, party_request, institute_offer
):
    elsewhere = Organization.objects.create(name="Museum", kind="institute", country_id="NL")
    with pytest.raises(ServiceError) as error:
        express_interest(
            user=party_editor, request=party_request, offer=institute_offer, initiated_by=elsewhere
        )
    assert error.value.field == "initiated_by"


def test_directions_must_fit(party_editor, party_request, institute_offer):
    with pytest.raises(ServiceError) as error:
        express_interest(user=party_editor, request=institute_offer, offer=party_request)
    assert error.value.field == "request"
    assert not isinstance(error.value, Conflict)


def test_an_organization_cannot_match_its_own_opportunities(party, party_editor, party_request):
    own_offer = make_opportunity(party, "offer", "We also offer something")
    with pytest.raises(ServiceError):
        express_interest(user=party_editor, request=party_request, offer=own_offer)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "closed"}, "The offer is not open."),
        ({"status": "draft"}, "The offer is not open."),
        ({"ends_on": TODAY - datetime.timedelta(days=1)}, "The offer has ended"),
        ({"application_deadline": TODAY - datetime.timedelta(days=1)}, "The offer has ended"),
    ],
)
def test_interest_needs_an_open_live_offer(party_editor, party_request, institute_offer, change, message):
    Opportunity.objects.filter(pk=institute_offer.pk).update(**change)
    institute_offer.refresh_from_db()
    with pytest.raises(Conflict, match=message):
        express_interest(user=party_editor, request=party_request, offer=institute_offer)


def test_interest_needs_an_eligible_country(party_editor, party_request, institute):
    eu_only = make_opportunity(institute, "offer", "For the EU only", eligible_groups=["eu"])
    with pytest.raises(Conflict, match="not eligible"):
        express_interest(user=party_editor, request=party_request, offer=eu_only)


def test_interest_needs_capacity_left(party, party_editor, party_request, institute, institute_offer):
    other = make_opportunity(party, "request", "Another need")
    Match.objects.create(
        request=other, offer=institute_offer, initiated_by=party, status=MatchStatus.ACCEPTED
    )
    with pytest.raises(Conflict, match="no capacity left"):
        express_interest(user=party_editor, request=party_request, offer=institute_offer)


def test_a_pair_has_one_match_under_way_at_a_time(proposed, party_editor, institute_editor):
    with pytest.raises(Conflict, match="already"):
        express_interest(user=party_editor, request=proposed.request, offer=proposed.offer)
    decline_match(proposed, user=institute_editor, note="Not now.")
    again = express_interest(user=party_editor, request=proposed.request, offer=proposed.offer)
    assert again.status == MatchStatus.PROPOSED


def test_the_matchable_check_agrees_with_the_recommendations(fake_embedder, party, institute, party_editor):
    """`check_matchable` and `candidates_for` apply the same hard filters."""
    request = make_opportunity(party, "request", "Our CHM site needs a host")
    offers = [
        make_opportunity(institute, "offer", "Open to all"),
        make_opportunity(institute, "offer", "EU only", eligible_groups=["eu"]),
        make_opportunity(institute, "offer", "LDCs", eligible_groups=["ldc"]),
        make_opportunity(institute, "offer", "Ended", ends_on=TODAY - datetime.timedelta(days=2)),
        make_opportunity(institute, "offer", "Closed", status="closed"),
    ]
    candidates = set(candidates_for(request).values_list("pk", flat=True))
    for offer in offers:
        try:
            check_matchable(request, offer)
            passes = True
        except Conflict:
            passes = False
        assert passes is (offer.pk in candidates), offer.title


# --------------------------------------------------------------------------- every step, by whom

# (action, state it starts from) -> who of the cast may take it; the Party expressed interest.
ALLOWED = {
    ("accept", "proposed"): {"institute_editor", "staff"},
    ("decline", "proposed"): {"institute_editor", "staff"},
    ("withdraw", "proposed"): {"party_editor", "staff"},
    ("start", "accepted"): {"party_editor", "institute_editor", "staff"},
    ("complete", "in_progress"): {"party_editor", "institute_editor", "staff"},
    ("cancel", "accepted"): {"party_editor", "institute_editor", "staff"},
    ("cancel", "in_progress"): {"party_editor", "institute_editor", "staff"},
}
TARGET = {
    "accept": "accepted",
    "decline": "declined",
    "withdraw": "withdrawn",
    "start": "in_progress",
    "complete": "completed",
    "cancel": "cancelled",
}
STEPS = {
    **matches.STEPS,
    "complete": lambda match, user, note: complete_match(match, user=user, outcome={"summary": note}),
}


def expected_result(action, state, who):
    if who in ALLOWED.get((action, state), set()):
        return TARGET[action]
    if who in ("party_viewer", "outsider"):
        return "not allowed"  # not an editor of either side: refused whatever the state
    if (action, state) not in ALLOWED:
        return "conflict"  # the state does not allow this step
    return "not allowed"  # the wrong side


@pytest.mark.parametrize("state", list(MatchStatus))
@pytest.mark.parametrize("action", list(TARGET))
def test_every_step_from_every_state_by_everyone(cast, proposed, action, state):
    results, expected = {}, {}
    for who, user in cast.items():
        Outcome.objects.filter(match=proposed).delete()
        match = in_status(proposed, state)
        events = MatchEvent.objects.filter(match=match).count()
        try:
            STEPS[action](match, user=user, note=f"{action} by {who}")
            results[who] = Match.objects.get(pk=match.pk).status
            assert MatchEvent.objects.filter(match=match).count() == events + 1
        except Conflict:
            results[who] = "conflict"
        except NotAllowed:
            results[who] = "not allowed"
        if results[who] in ("conflict", "not allowed"):
            assert Match.objects.get(pk=match.pk).status == state  # never a silent change
            assert MatchEvent.objects.filter(match=match).count() == events
        expected[who] = expected_result(action, state, who)
    assert results == expected


def test_the_transition_table_is_the_one_tested():
    table = {(action, str(state)) for action, (sources, _, _) in TRANSITIONS.items() for state in sources}
    assert table == set(ALLOWED)
    assert {action: str(target) for action, (_, target, _) in TRANSITIONS.items()} == TARGET


@pytest.mark.parametrize(
    ("who", "actions"),
    [
        ("party_editor", ["withdraw"]),
        ("institute_editor", ["accept", "decline"]),
        ("party_viewer", []),
        ("outsider", []),
        ("staff", ["accept", "decline", "withdraw"]),
    ],
)
def test_allowed_actions_name_the_buttons_to_show(cast, proposed, who, actions):
    assert allowed_actions(proposed, cast[who]) == actions


def test_allowed_actions_of_an_accepted_match(proposed, institute_editor, party_editor):
    match = accept_match(proposed, user=institute_editor)
    assert allowed_actions(match, party_editor) == ["start", "cancel"]
    assert allowed_actions(match, AnonymousUser()) == []


def test_every_step_is_recorded(proposed, party_editor, institute_editor):
    accept_match(proposed, user=institute_editor, note="Welcome.")
    start_match(proposed, user=party_editor)
    cancel_match(proposed, user=party_editor, note="Our ministry changed its plans.")
    history = [(e.actor.username, e.from_status, e.to_status, e.note) for e in proposed.events.all()]
    assert history == [
        ("party_editor", "", "proposed", "We need a host."),
        ("institute_editor", "proposed", "accepted", "Welcome."),
        ("party_editor", "accepted", "in_progress", ""),
        ("party_editor", "in_progress", "cancelled", "Our ministry changed its plans."),
    ]
    assert all(e.created_at for e in proposed.events.all())


# --------------------------------------------------------------------------- capacity and hard filters


def test_accepting_rechecks_the_hard_filters(proposed, institute_editor):
    Opportunity.objects.filter(pk=proposed.offer_id).update(status="closed")
    with pytest.raises(Conflict, match="not open"):
        accept_match(proposed, user=institute_editor)
    assert Match.objects.get(pk=proposed.pk).status == MatchStatus.PROPOSED


def test_accepting_rechecks_eligibility(proposed, institute_editor):
    proposed.offer.eligible_groups.set(["eu"])
    with pytest.raises(Conflict, match="not eligible"):
        accept_match(proposed, user=institute_editor)


def test_an_offer_is_never_accepted_beyond_its_capacity(
    party, party_editor, institute, institute_editor, fake_embedder
):
    offer = make_opportunity(institute, "offer", "Two places for webmaster training", capacity=2)
    requests = [make_opportunity(party, "request", f"Need {n}") for n in range(3)]
    matches = [express_interest(user=party_editor, request=r, offer=offer) for r in requests]
    accept_match(matches[0], user=institute_editor)
    matches[2].refresh_from_db()
    assert matches[2].status == MatchStatus.PROPOSED  # one place left
    accept_match(matches[1], user=institute_editor)
    matches[2].refresh_from_db()
    assert matches[2].status == MatchStatus.FILLED  # the offer filled up: its last proposal is closed
    with pytest.raises(Conflict, match="one of the two postings has no room left") as refused:
        accept_match(matches[2], user=institute_editor)
    assert refused.value.code == "no_capacity"
    assert Match.objects.filter(offer=offer, status=MatchStatus.ACCEPTED).count() == 2
    with pytest.raises(Conflict, match="The offer has no capacity left") as refused:
        express_interest(user=party_editor, request=make_opportunity(party, "request", "Need 4"), offer=offer)
    assert refused.value.code == "no_capacity"


def test_a_request_takes_one_partner(party, party_editor, party_request, institute, institute_editor):
    first = make_opportunity(institute, "offer", "Hosting, first")
    second = make_opportunity(institute, "offer", "Hosting, second")
    a = express_interest(user=party_editor, request=party_request, offer=first)
    b = express_interest(user=party_editor, request=party_request, offer=second)
    accept_match(a, user=institute_editor)
    b.refresh_from_db()
    assert b.status == MatchStatus.FILLED
    with pytest.raises(Conflict, match="has no room left"):
        accept_match(b, user=institute_editor)
    with pytest.raises(Conflict, match="The request has no capacity left"):
        express_interest(user=party_editor, request=party_request, offer=second)


def test_a_full_offer_stops_being_recommended_until_a_match_is_cancelled(
    proposed, party, party_editor, institute_editor, fake_embedder
):
    other_need = make_opportunity(
        party, "request", "Another CHM site needs a host", cooperation_type_id="hosting"
    )
    offer = proposed.offer
    assert offer.pk in [r["opportunity"].pk for r in recommend(other_need)]
    accept_match(proposed, user=institute_editor)
    assert offer.pk not in [r["opportunity"].pk for r in recommend(other_need)]
    cancel_match(proposed, user=party_editor, note="No longer needed.")
    assert offer.pk in [r["opportunity"].pk for r in recommend(other_need)]


# --------------------------------------------------------------------------- outcomes


@pytest.fixture
def in_progress(proposed, institute_editor, party_editor):
    accept_match(proposed, user=institute_editor)
    return start_match(proposed, user=party_editor)


def test_completing_records_the_outcome_with_defaults(
    in_progress, party_editor, party_request, institute_offer
):
    party_request.objectives.set(Objective.objects.filter(code__in=["3.1"]))
    institute_offer.objectives.set(Objective.objects.filter(code__in=["3.1", "2.5"]))
    outcome = complete_match(
        in_progress,
        user=party_editor,
        outcome={
            "summary": "The national CHM site is hosted in Brussels.",
            "indicators": [
                {"key": "websites_hosted", "value": 1},
                {"key": "other", "label": "Webmasters trained remotely", "value": "2", "unit": "people"},
            ],
        },
    )
    assert Match.objects.get(pk=in_progress.pk).status == MatchStatus.COMPLETED
    assert outcome.achieved_on == TODAY
    assert outcome.is_private is False
    assert outcome.evidence_url == ""
    assert sorted(outcome.objectives.values_list("code", flat=True)) == ["2.5", "3.1"]
    assert [(i.key, i.label, float(i.value), i.unit) for i in outcome.indicators.all()] == [
        ("websites_hosted", "", 1.0, ""),
        ("other", "Webmasters trained remotely", 2.0, "people"),
    ]
    assert outcome.created_by == party_editor


def test_the_objectives_may_come_from_any_framework(in_progress, institute_editor):
    chosen = list(Objective.objects.filter(code__in=["1.1", "GBF-TARGET-20"]))
    assert {o.framework.code for o in chosen} == {"CHM-2010", "GBF"}
    outcome = complete_match(
        in_progress, user=institute_editor, outcome={"summary": "Done.", "objectives": chosen}
    )
    assert set(outcome.objectives.all()) == set(chosen)


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ({"summary": "  "}, "summary"),
        ({"summary": "Done.", "achieved_on": TODAY + datetime.timedelta(days=1)}, "achieved_on"),
        ({"summary": "Done.", "indicators": [{"key": "other", "value": 3}]}, "indicators"),
        ({"summary": "Done.", "indicators": [{"key": "people_trained", "value": -1}]}, "indicators"),
        ({"summary": "Done.", "indicators": [{"key": "trees_planted", "value": 1}]}, "indicators"),
    ],
)
def test_a_bad_outcome_is_refused_and_the_match_stays_in_progress(in_progress, party_editor, outcome, field):
    with pytest.raises(ServiceError) as error:
        complete_match(in_progress, user=party_editor, outcome=outcome)
    assert error.value.field == field
    assert Match.objects.get(pk=in_progress.pk).status == MatchStatus.IN_PROGRESS
    assert not Outcome.objects.exists()


@pytest.fixture
def outcome(in_progress, party_editor):
    return complete_match(
        in_progress,
        user=party_editor,
        outcome={"summary": "Hosted.", "indicators": [{"key": "websites_hosted", "value": 1}]},
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("party_editor", True),
        ("institute_editor", True),
        ("staff", True),
        ("party_viewer", False),
        ("outsider", False),
    ],
)
def test_either_sides_editors_may_edit_the_outcome(cast, outcome, who, allowed):
    data = {"summary": "Hosted, and mirrored.", "indicators": [{"key": "websites_hosted", "value": 2}]}
    if allowed:
        update_outcome(outcome, user=cast[who], data=data)
        outcome.refresh_from_db()
        assert outcome.summary == "Hosted, and mirrored."
        assert [float(i.value) for i in outcome.indicators.all()] == [2.0]
    else:
        with pytest.raises(NotAllowed):
            update_outcome(outcome, user=cast[who], data=data)


def test_the_outcome_can_be_edited_for_thirty_days(outcome, party_editor, institute_editor, staff):
    Outcome.objects.filter(pk=outcome.pk).update(created_at=timezone.now() - datetime.timedelta(days=29))
    update_outcome(outcome, user=institute_editor, data={"is_private": True})
    Outcome.objects.filter(pk=outcome.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    with pytest.raises(Conflict, match="no longer be changed"):
        update_outcome(outcome, user=party_editor, data={"summary": "Too late."})
    update_outcome(outcome, user=staff, data={"summary": "Corrected by the secretariat."})
    outcome.refresh_from_db()
    assert (outcome.is_private, outcome.summary) == (True, "Corrected by the secretariat.")


def test_editing_keeps_what_is_not_given(outcome, party_editor):
    update_outcome(outcome, user=party_editor, data={"evidence_url": "https://chm.example.org/cd"})
    outcome.refresh_from_db()
    assert outcome.summary == "Hosted."
    assert outcome.indicators.count() == 1


def test_private_outcomes_are_seen_by_the_two_sides_and_staff(cast, outcome):
    Outcome.objects.filter(pk=outcome.pk).update(is_private=True)
    seen = {
        who: Outcome.objects.visible_to(user).filter(pk=outcome.pk).exists() for who, user in cast.items()
    }
    assert seen == {
        "party_editor": True,
        "institute_editor": True,
        "party_viewer": True,
        "outsider": False,
        "staff": True,
    }
    assert not Outcome.objects.visible_to(AnonymousUser()).exists()


# --------------------------------------------------------------------------- who sees what


def test_matches_are_visible_to_both_sides_and_staff(cast, proposed):
    seen = {who: Match.objects.visible_to(user).filter(pk=proposed.pk).exists() for who, user in cast.items()}
    assert seen == {
        "party_editor": True,
        "institute_editor": True,
        "party_viewer": True,
        "outsider": False,
        "staff": True,
    }
    assert not Match.objects.visible_to(AnonymousUser()).exists()


def test_hidden_contacts_are_shown_to_the_partner_once_accepted(
    cast, proposed, institute_editor, party_editor
):
    offer = proposed.offer
    Opportunity.objects.filter(pk=offer.pk).update(contact_email="ann@example.org", hide_contact=True)
    offer.refresh_from_db()

    def seen():
        return {who: can_see_contact(offer, user) for who, user in cast.items()}

    assert seen() == {
        "party_editor": False,
        "institute_editor": True,
        "party_viewer": False,
        "outsider": False,
        "staff": True,
    }
    accept_match(proposed, user=institute_editor)
    assert seen() == {
        "party_editor": True,
        "institute_editor": True,
        "party_viewer": True,
        "outsider": False,
        "staff": True,
    }
    start_match(proposed, user=party_editor)
    assert seen()["party_editor"] is True
    cancel_match(proposed, user=party_editor)
    assert seen()["party_editor"] is False
    assert can_see_contact(offer, AnonymousUser()) is False


def test_a_declined_match_does_not_reveal_contacts(proposed, party_editor, institute_editor):
    Opportunity.objects.filter(pk=proposed.offer_id).update(hide_contact=True)
    decline_match(proposed, user=institute_editor)
    assert can_see_contact(Opportunity.objects.get(pk=proposed.offer_id), party_editor) is False
