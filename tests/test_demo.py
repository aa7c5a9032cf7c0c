"""The demo (`manage.py load_demo --with-history`): varied postings in seven languages, demo accounts
that sign in, a history of matches at every stage written through the services, loaded once, and
refused on a production site."""

import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from matchmaking.choices import CAPACITY_HOLDING_STATUSES, MatchStatus, Moderation, OpportunityStatus
from matchmaking.management.demo import Demo
from matchmaking.models import (
    AuditLog,
    CooperationType,
    JoinRequest,
    Match,
    MatchEvent,
    Notification,
    Opportunity,
    Organization,
    Outcome,
)
from matchmaking.recommendations.index import forget
from matchmaking.reference import read
from matchmaking.reports import base, gaps
from tests.conftest import FakeEmbedder

pytestmark = pytest.mark.django_db
ACCOUNTS = {row["username"]: row["password"] for row in read("demo.json")["people"] if row.get("password")}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo with its history, loaded once for the module (each test runs in a savepoint of its
    transaction) and rolled back after it; the command's output."""
    fast = override_settings(DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, pytest.MonkeyPatch.context() as patch:
        patch.setattr("matchmaking.recommendations.embedding.embedder", FakeEmbedder)
        with transaction.atomic():
            out = io.StringIO()
            call_command("load_demo", "--with-history", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
        forget()  # the process's index read postings that are gone


def counts():
    return [
        model.objects.count()
        for model in (
            get_user_model(),
            Organization,
            Opportunity,
            Match,
            MatchEvent,
            Outcome,
            Notification,
            AuditLog,
        )
    ]


def test_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="DJANGO_DEBUG=0"):
        call_command("load_demo", "--with-history")
    assert counts() == before


def test_refused_by_a_production_process(tmp_path):
    database = tmp_path / "demo.sqlite3"
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_ENV_FILE": str(tmp_path / "none.env"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "refused when DJANGO_DEBUG=0" in result.stderr
    assert not database.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda entry: entry.update(day=-600),  # before the postings were published
        lambda entry: entry["steps"][1].update(
            day=entry["steps"][0]["day"] - 1
        ),  # a step before the one before
        lambda entry: entry["steps"][-1].update(day=-1),  # after its request was closed
    ],
)
def test_refuses_a_history_out_of_order(change):
    data = read("demo.json")
    demo = Demo(data)
    entry = next(entry for entry in data["history"] if len(entry.get("steps", [])) == 3)
    demo.check_days(entry)
    change(entry)
    with pytest.raises(CommandError, match="must follow each other"):
        demo.check_days(entry)


def test_postings_are_many_varied_and_in_seven_languages(demo):
    postings = list(Opportunity.objects.all())
    assert 60 <= len(postings) <= 120
    titles = [posting.title for posting in postings]
    assert len(set(titles)) == len(titles)
    # no sentence is shared by two postings: none is a template filled in
    sentences = Counter(
        sentence.strip()
        for posting in postings
        for sentence in set(re.split(r"(?<=[.!?;:。！？؟])\s*", posting.description))
        if len(sentence.strip()) > 20
    )
    assert [sentence for sentence, n in sentences.items() if n > 1] == []
    languages = Counter(posting.text_language for posting in postings)
    assert set(languages) == {"en", "fr", "es", "pt", "ar", "zh", "ru"}
    assert languages["en"] + languages["fr"] + languages["es"] > len(postings) * 0.6
    assert {posting.direction for posting in postings} == {"offer", "request"}
    used = {posting.cooperation_type_id for posting in postings}
    assert set(CooperationType.objects.exclude(slug="other").values_list("slug", flat=True)) <= used
    assert Organization.objects.values("country").distinct().count() >= 40
    assert Opportunity.objects.filter(direction="offer").exclude(eligible_groups=None).exists()
    assert Opportunity.objects.filter(ends_on__isnull=False).exists()
    for posting in postings:
        posting.full_clean()
        assert posting.contact_email and posting.contact_name


def test_demo_accounts_sign_in_and_play_their_parts(demo, client):
    for username, password in ACCOUNTS.items():
        assert f"{username} / {password}" in demo
        response = client.post(reverse("web:login"), {"username": username, "password": password})
        assert response.status_code == 302 and response.url == reverse("web:my_organization"), username
        client.logout()
    focal_point = Organization.objects.get(
        memberships__user__username="focal-point", memberships__role="editor"
    )
    assert focal_point.verified and focal_point.kind == "party"
    assert focal_point.focal_point_of_id == focal_point.country_id
    institute = Organization.objects.get(
        memberships__user__username="institute-editor", memberships__role="editor"
    )
    assert institute.verified and institute.kind == "institute"
    assert get_user_model().objects.get(username="secretariat").is_staff
    others = get_user_model().objects.exclude(username__in=ACCOUNTS)
    assert others.exists() and not any(user.has_usable_password() for user in others)


def test_each_demo_account_has_steps_to_take(demo):
    focal_point = Organization.objects.get(memberships__user__username="focal-point")
    institute = Organization.objects.get(memberships__user__username="institute-editor")
    both = Match.objects.filter(request__organization=focal_point, offer__organization=institute)
    assert both.filter(status=MatchStatus.PROPOSED, initiated_by=institute).exists()  # to answer
    mine = Match.objects.filter(request__organization=focal_point)
    assert {MatchStatus.PROPOSED, MatchStatus.IN_PROGRESS, MatchStatus.COMPLETED} <= set(
        mine.values_list("status", flat=True)
    )
    theirs = Match.objects.filter(offer__organization=institute)
    assert theirs.filter(status=MatchStatus.PROPOSED).exclude(initiated_by=institute).exists()
    assert {MatchStatus.IN_PROGRESS, MatchStatus.COMPLETED} <= set(theirs.values_list("status", flat=True))
    assert focal_point.opportunities.filter(status=OpportunityStatus.DRAFT).exists()
    assert JoinRequest.objects.filter(organization=focal_point).exists()
    assert Opportunity.objects.filter(moderation=Moderation.PENDING).count() >= 2  # for the staff
    assert Organization.objects.filter(verified=False).exists()


def test_history_has_every_status_and_is_consistent(demo):
    now = timezone.now()
    matches = Match.objects.select_related("request", "offer").prefetch_related("events")
    assert set(matches.values_list("status", flat=True)) == set(MatchStatus.values)
    for made in matches:
        events = list(made.events.all())
        steps = [(event.from_status, event.to_status) for event in events]
        assert steps[0] == ("", MatchStatus.PROPOSED)
        assert all(steps[i][1] == steps[i + 1][0] for i in range(len(steps) - 1))
        assert steps[-1][1] == made.status
        # every step is someone's, but those the service takes itself: an expiry, a posting filled
        system = {MatchStatus.EXPIRED, MatchStatus.FILLED}
        assert all((event.actor is None) == (event.to_status in system) for event in events)
        moments = [event.created_at for event in events]
        assert moments == sorted(moments) and moments[0] == made.created_at and moments[-1] == made.updated_at
        assert max(made.request.published_at, made.offer.published_at) < made.created_at < now
        # the audit log and the notifications tell the same story, on the same days
        audited = AuditLog.objects.filter(model="matchmaking.match", object_id=str(made.pk))
        assert sorted(audited.values_list("created_at", flat=True)) == moments
        notified = set(Notification.objects.filter(match=made).values_list("created_at", flat=True))
        assert notified and notified <= set(moments)
        assert (made.status == MatchStatus.COMPLETED) == Outcome.objects.filter(match=made).exists()
    assert (now - Match.objects.order_by("created_at").first().created_at).days > 365  # spread over months
    for opportunity in Opportunity.objects.with_capacity_held():
        assert opportunity.capacity_held <= opportunity.capacity
    held = Match.objects.filter(status__in=CAPACITY_HOLDING_STATUSES)
    assert held.values("request").distinct().count() == held.count()  # a request takes one partner
    for outcome in Outcome.objects.select_related("match"):
        assert outcome.achieved_on == outcome.match.updated_at.date() and outcome.summary
    assert Outcome.objects.filter(indicators__isnull=False).distinct().count() >= 15


def test_history_pairs_postings_that_fit(demo):
    served_by = {row["slug"]: row.get("served_by") for row in read("vocabularies.json")["cooperation_types"]}
    for made in Match.objects.select_related("request__organization__country", "offer"):
        assert served_by[made.request.cooperation_type_id].get(made.offer.cooperation_type_id, 0) >= 0.7
        assert (
            Opportunity.objects.filter(pk=made.offer_id)
            .eligible_for(made.request.organization.country)
            .exists()
        )
        shared_themes = set(made.request.themes.values_list("slug", flat=True)) & set(
            made.offer.themes.values_list("slug", flat=True)
        )
        assert shared_themes, (made.request.title, made.offer.title)


def test_history_leaves_gaps_for_the_reports(demo):
    uncovered = {row["theme"] for row in gaps.uncovered_themes(base.ReportFilters())}
    assert {"biosafety", "traditional_knowledge"} <= uncovered


def test_old_notifications_are_read_and_recent_ones_are_not(demo):
    cutoff = timezone.now() - timezone.timedelta(days=14)
    assert not Notification.objects.filter(created_at__lt=cutoff, read_at=None).exists()
    for notification in Notification.objects.filter(read_at__isnull=False):
        assert notification.read_at > notification.created_at
    assert Notification.objects.filter(user__username="focal-point", read_at=None).exists()


def test_loading_again_creates_nothing(demo):
    before = counts()
    out = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("load_demo", "--with-history", stdout=out)
    assert counts() == before
    assert (
        "0 new people, 0 new organizations, 0 new join requests, 0 new postings, 0 new matches"
        in out.getvalue()
    )


def test_pages_show_the_demo(demo, client):
    client.post(reverse("web:login"), {"username": "focal-point", "password": ACCOUNTS["focal-point"]})
    page = client.get(reverse("web:my_organization"), follow=True).content.decode()
    assert escape("Former notre équipe à la publication des données d'inventaire") in page
    assert "Naturalis Biodiversity Center" in page
    client.logout()
    client.post(reverse("web:login"), {"username": "secretariat", "password": ACCOUNTS["secretariat"]})
    page = client.get(reverse("web:moderation")).content.decode()
    for posting in Opportunity.objects.filter(moderation=Moderation.PENDING):
        assert escape(posting.title) in page
    assert client.get(reverse("web:dashboard")).status_code == 200
