"""Writes at the same moment keep the rules: editors accepting at once never oversell an offer, and
two editors demoting or removing each other at once leave one editor. The writes run in threads, each
on its own PostgreSQL connection, in real transactions."""

import threading

import pytest
from django.db import connection, connections

from matchmaking.choices import CAPACITY_HOLDING_STATUSES, MatchStatus, MemberRole
from matchmaking.models import Country, Match
from matchmaking.reference import load_reference
from matchmaking.services import memberships
from matchmaking.services.errors import Conflict, ServiceError
from matchmaking.services.matches import accept_match, check_capacity, express_interest
from tests.conftest import make_opportunity, make_user

THREADS = 6


# A transactional test ends by emptying every table, and so the reference data that migration 0002
# loaded. Django's `serialized_rollback` is no help: it restores the data at the start of the next
# such test, not after the last one, and not at all once another module's Playwright tests have
# swapped the connection object that holds its snapshot. So these tests load the reference data
# themselves when it is missing, and put it back when the module is done.


@pytest.fixture(scope="module")
def reference_data_after(django_db_setup, django_db_blocker):
    """Puts the reference data back once the module is done: a module fixture is torn down after
    the last test's flush, so the tests after these find it, in any order."""
    yield
    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture(autouse=True)
def reference_data(reference_data_after, transactional_db):
    if not Country.objects.exists():  # emptied by the flush of an earlier transactional test
        load_reference()


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fake_embedder"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def slow_capacity_check(monkeypatch):
    """Holds each accept for a moment between its capacity check and its write, so that without row
    locks every thread would pass the check before any of them wrote."""
    check = check_capacity

    def slow(match):
        check(match)
        threading.Event().wait(0.15)

    monkeypatch.setattr("matchmaking.services.matches.check_capacity", slow)


def run_together(calls):
    """Runs the calls at the same moment, one thread (and connection) each; returns what each gave."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            call()
            results[i] = "done"
        except Conflict:
            results[i] = "conflict"
        except ServiceError:
            results[i] = "refused"
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            results[i] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_accepts_of_a_capacity_one_offer_accept_exactly_one(
    party, party_editor, institute, institute_editor, staff, slow_capacity_check
):
    offer = make_opportunity(institute, "offer", "One hosting slot", capacity=1)
    matches = [
        express_interest(
            user=party_editor, request=make_opportunity(party, "request", f"Need {n}"), offer=offer
        )
        for n in range(THREADS)
    ]
    second_editor = make_user("second_institute_editor")
    institute.memberships.create(user=second_editor, role="editor")
    editors = [institute_editor, second_editor, staff]

    results = run_together(
        [
            lambda match=match, n=n: accept_match(match, user=editors[n % len(editors)])
            for n, match in enumerate(matches)
        ]
    )

    assert sorted(results) == ["conflict"] * (THREADS - 1) + ["done"]
    assert Match.objects.filter(offer=offer, status__in=CAPACITY_HOLDING_STATUSES).count() == 1
    # the offer filled up: its other proposals are closed
    assert Match.objects.filter(offer=offer, status=MatchStatus.FILLED).count() == THREADS - 1


def test_concurrent_accepts_of_a_capacity_two_request_accept_exactly_two(
    party, party_editor, institute, institute_editor, staff, slow_capacity_check
):
    request = make_opportunity(party, "request", "Two webmasters to train", capacity=2)
    offers = [make_opportunity(institute, "offer", f"Training course {n}") for n in range(3)]
    matches = [express_interest(user=institute_editor, request=request, offer=offer) for offer in offers]
    second_editor = make_user("second_party_editor")
    party.memberships.create(user=second_editor, role="editor")
    editors = [party_editor, second_editor, staff]

    results = run_together(
        [
            lambda match=match, editor=editor: accept_match(match, user=editor)
            for match, editor in zip(matches, editors, strict=True)
        ]
    )

    assert sorted(results) == ["conflict", "done", "done"]
    assert Match.objects.filter(request=request, status__in=CAPACITY_HOLDING_STATUSES).count() == 2
    assert Match.objects.filter(request=request, status=MatchStatus.FILLED).count() == 1
    assert Match.objects.filter(request=request, status=MatchStatus.PROPOSED).count() == 0


def test_a_match_accepted_twice_at_once_is_accepted_once(
    party_editor, party_request, institute_offer, institute_editor, staff, slow_capacity_check
):
    match = express_interest(user=party_editor, request=party_request, offer=institute_offer)
    results = run_together(
        [
            lambda: accept_match(match, user=institute_editor),
            lambda: accept_match(match, user=staff),
        ]
    )
    assert sorted(results) == ["conflict", "done"]
    assert match.events.filter(to_status=MatchStatus.ACCEPTED).count() == 1


@pytest.fixture
def slow_last_editor_check(monkeypatch):
    """Holds each membership change for a moment after it checked that another editor is left, so
    that without the organization's row lock both changes would pass the check before either wrote."""
    check = memberships.is_last_editor

    def slow(membership):
        answer = check(membership)
        threading.Event().wait(0.15)
        return answer

    monkeypatch.setattr("matchmaking.services.memberships.is_last_editor", slow)


@pytest.fixture
def two_editors(institute, institute_editor):
    second = make_user("second_institute_editor")
    institute.memberships.create(user=second, role=MemberRole.EDITOR)
    return [institute.memberships.get(user=user) for user in (institute_editor, second)]


def test_the_last_two_editors_demoting_each_other_at_once_leave_one_editor(
    institute, two_editors, slow_last_editor_check
):
    first, second = two_editors
    results = run_together(
        [
            lambda: memberships.change_role(second, user=first.user, role=MemberRole.VIEWER),
            lambda: memberships.change_role(first, user=second.user, role=MemberRole.VIEWER),
        ]
    )
    assert sorted(results) == ["done", "refused"]
    assert institute.memberships.filter(role=MemberRole.EDITOR).count() == 1


def test_the_last_two_editors_removing_each_other_at_once_leave_one_editor(
    institute, two_editors, slow_last_editor_check
):
    first, second = two_editors
    results = run_together(
        [
            lambda: memberships.remove_member(second, user=first.user),
            lambda: memberships.remove_member(first, user=second.user),
        ]
    )
    assert sorted(results) == ["done", "refused"]
    assert institute.memberships.filter(role=MemberRole.EDITOR).count() == 1
