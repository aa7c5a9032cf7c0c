"""The demo of `manage.py load_demo`, read from matchmaking/data/demo.json: its people (three of them
demo accounts with known passwords), organizations, offers and requests and, with the history, the
matches between them, followed to their outcomes.

Everything is written through the services, by the organizations' own editors (staff verify them and
designate focal points), so that the audit log, the match events and the notifications are those the
product writes. Each step is then dated back to its day in the file (days are counted back from the
day of the load) by moving the timestamps the step wrote. Running it again adds only what is missing:
people by username, organizations and postings by their key in the file, matches by their pair.
"""

import datetime
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from matchmaking import models
from matchmaking.choices import Direction, MemberRole, OpportunityStatus
from matchmaking.models.opportunities import LIST_FIELDS, NEEDS_FIELDS
from matchmaking.reference import read
from matchmaking.services import (
    alerts,
    matches,
    memberships,
    moderation,
    notifications,
    organizations,
    outcomes,
)
from matchmaking.services.errors import ServiceError
from matchmaking.services.opportunities import close_opportunity, create_opportunity

KEY_PREFIX = "demo:"
DIRECTIONS = {"offers": Direction.OFFER, "requests": Direction.REQUEST}
# Notifications older than this were read, the day after they came.
READ_AFTER = datetime.timedelta(days=14)


def written_stamps():
    """The timestamps that the services write, by model: what dates a step."""
    return {
        get_user_model(): ["date_joined"],
        models.Organization: ["created_at", "updated_at"],
        models.Membership: ["created_at"],
        models.JoinRequest: ["created_at"],
        models.Opportunity: ["created_at", "updated_at", "published_at"],
        models.Match: ["created_at", "updated_at"],
        models.MatchEvent: ["created_at"],
        models.Outcome: ["created_at", "updated_at"],
        models.Notification: ["created_at", "read_at"],
        models.AuditLog: ["created_at"],
    }


class Backdating:
    """Dates steps back: each step runs in `at(moment)`, then `apply()` moves every timestamp that a
    step wrote to that step's moment (a row written by several steps keeps the moment of the step
    that wrote each of its timestamps last)."""

    def __init__(self, stamps=None):
        self.stamps = stamps or written_stamps()
        self.spans = []  # (start, end, moment)

    @contextmanager
    def at(self, moment):
        start = timezone.now()
        yield
        self.spans.append((start, timezone.now(), moment))

    def apply(self):
        if not self.spans:
            return
        first = self.spans[0][0]
        for model, fields in self.stamps.items():
            for field in fields:
                moments = [
                    When(**{f"{field}__range": (start, end)}, then=Value(moment))
                    for start, end, moment in self.spans
                ]
                model.objects.filter(**{f"{field}__gte": first}).update(
                    **{field: Case(*moments, default=F(field))}
                )
        self.spans = []


@contextmanager
def emails_off(users):
    """Past events are told in the app only: nobody gets today an e-mail about them."""
    before = {user.pk: alerts.alert_preferences(user).email for user in users}
    for user in users:
        alerts.set_alert_preferences(user, email=False)
    yield
    for user in users:
        alerts.set_alert_preferences(user, email=before[user.pk])


class Demo:
    """One load of the demo data (`data`, demo.json by default) as of `today`."""

    def __init__(self, data=None, today=None):
        self.data = data if data is not None else read("demo.json")
        self.today = today or timezone.localdate()
        self.people = {}  # username -> User
        self.organizations = {}  # key -> Organization
        self.editors = {}  # organization key -> User
        self.postings = {}  # key -> Opportunity
        self.rows = {row["key"]: row for name in DIRECTIONS for row in self.data[name]}
        self.new_postings = []
        self.ranks = {}
        self.backdating = Backdating()
        days = [row["published"] for row in self.rows.values()] + [e["day"] for e in self.data["history"]]
        self.first_day = min(days) - 7

    def moment(self, day):
        """A working hour of the day `day` days from today (before it), a few minutes after the step
        before it on that day."""
        if day >= 0:
            raise CommandError(f"Demo data: day {day} is not in the past.")
        rank = self.ranks[day] = self.ranks.get(day, -1) + 1
        start = datetime.datetime.combine(self.today + datetime.timedelta(days=day), datetime.time(8, 30))
        return timezone.make_aware(start + datetime.timedelta(minutes=7 * rank))

    def date(self, day):
        return None if day is None else self.today + datetime.timedelta(days=day)

    def load(self, *, with_history=False):
        """Loads what is missing; returns how many of each were created."""
        with transaction.atomic():
            counts = {
                "people": self.load_people(),
                "organizations": self.load_organizations(),
                "join requests": self.load_join_requests(),
                "postings": self.load_postings(),
            }
            self.backdating.apply()
            if with_history:
                counts["matches"] = self.load_history()
        return counts

    # ------------------------------------------------------------------------------ people

    def load_people(self):
        User = get_user_model()
        created = 0
        with self.backdating.at(self.moment(self.first_day)):
            for row in self.data["people"]:
                user = User.objects.filter(username=row["username"]).first()
                if user is None:
                    staff = row.get("staff", False)
                    user = User.objects.create_user(
                        row["username"],
                        row["email"],
                        row.get("password"),  # none: the account cannot sign in
                        first_name=row["first_name"],
                        last_name=row["last_name"],
                        is_staff=staff,
                        is_superuser=staff,
                    )
                    if not row.get("password"):
                        alerts.set_alert_preferences(user, email=False)  # an invented address
                    created += 1
                self.people[row["username"]] = user
        staff = [user for user in self.people.values() if user.is_staff]
        if not staff:
            raise CommandError("Demo data: nobody on the staff to verify the organizations.")
        self.staff = staff[0]
        return created

    def accounts(self):
        """The demo accounts, that sign in with a known password: (username, password, about)."""
        return [
            (row["username"], row["password"], row["about"])
            for row in self.data["people"]
            if row.get("password")
        ]

    # ------------------------------------------------------------------------------ organizations

    def load_organizations(self):
        created = 0
        with self.backdating.at(self.moment(self.first_day)):
            for row in self.data["organizations"]:
                key = KEY_PREFIX + row["key"]
                editor = self.people[row["editor"]]
                organization = models.Organization.objects.filter(import_key=key).first()
                if organization is None:
                    organization = self.register(key, row, editor)
                    created += 1
                self.organizations[row["key"]] = organization
                self.editors[row["key"]] = editor
        return created

    def register(self, key, row, editor):
        country = models.Country.objects.get(pk=row["country"])
        data = {
            "name": row["name"],
            "kind": row["kind"],
            "country": country,
            "website": row.get("website", ""),
        }
        organization = organizations.import_organization(key=key, data=data)
        if not organization.memberships.filter(user=editor).exists():
            memberships.add_member(organization, user=self.staff, member=editor, role=MemberRole.EDITOR)
        if row["verified"]:
            organization = moderation.verify_organization(organization, user=self.staff)
        if "focal_point_since" in row:
            organization = moderation.designate_focal_point(
                organization, user=self.staff, country=country, since=self.date(row["focal_point_since"])
            )
        return organization

    def load_join_requests(self):
        created = 0
        for row in self.data["join_requests"]:
            user, organization = self.people[row["person"]], self.organizations[row["organization"]]
            if organization.has_member(user) or organization.join_requests.filter(user=user).exists():
                continue
            with self.backdating.at(self.moment(row["day"])):
                memberships.request_to_join(organization, user=user, message=row["message"])
            created += 1
        return created

    # ------------------------------------------------------------------------------ postings

    def load_postings(self):
        """Creates the postings that are missing, each by its organization's editor on the day it was
        published, and closes those that were closed (unless the history closes them)."""
        in_history = {entry[side] for entry in self.data["history"] for side in ("request", "offer")}
        rows = sorted(
            ((row["published"], n, direction, row) for n, (direction, row) in enumerate(self.all_rows())),
            key=lambda item: item[:2],
        )
        closings = []
        for day, _, direction, row in rows:
            posting = models.Opportunity.objects.filter(import_key=KEY_PREFIX + row["key"]).first()
            if posting is None:
                with self.backdating.at(self.moment(day)):
                    posting = self.create_posting(direction, row)
                self.new_postings.append(posting.pk)
                if "closed" in row and row["key"] not in in_history:
                    closings.append((row["closed"], row["key"]))
            self.postings[row["key"]] = posting
        for day, key in sorted(closings):
            self.close(key, day)
        return len(self.new_postings)

    def all_rows(self):
        for name, direction in DIRECTIONS.items():
            for row in self.data[name]:
                yield direction, row

    def create_posting(self, direction, row):
        editor = self.editors[row["organization"]]
        lists = {name: row.get(name, []) for name in LIST_FIELDS}
        objectives = list(models.Objective.objects.filter(code__in=lists["objectives"]))
        dates = {
            "starts_on": self.date(row.get("starts")),
            "ends_on": self.date(row.get("ends")),
            "application_deadline": self.date(row.get("deadline")),
        }
        try:
            if len(objectives) != len(set(lists["objectives"])):
                raise ValidationError({"objectives": f"unknown codes among {lists['objectives']}"})
            models.Opportunity.clean_lists(direction, lists)
            models.Opportunity.clean_dates(**dates)
            needs = row.get("needs", {})
            if unknown := set(needs) - set(NEEDS_FIELDS):
                raise ValidationError({"needs": f"unknown fields {sorted(unknown)}"})
            models.Opportunity.clean_needs(direction, needs)
            return create_opportunity(
                user=editor,
                data={
                    **lists,
                    **dates,
                    "objectives": objectives,
                    "direction": direction,
                    "title": row["title"],
                    "description": row["description"],
                    "organization": self.organizations[row["organization"]],
                    "cooperation_type_id": row["cooperation_type"],
                    "capacity": row.get("capacity", 1),
                    "status": row.get("status", "open"),
                    "contact_name": row.get("contact_name") or editor.get_full_name(),
                    "contact_email": editor.email,
                    "hide_contact": row.get("hide_contact", False),
                    "import_key": KEY_PREFIX + row["key"],
                    **needs,
                },
                embed=False,
            )
        except (ValidationError, ServiceError) as error:
            raise CommandError(f"Demo posting {row['key']!r} could not be loaded: {error}") from error

    def close(self, key, day):
        posting = self.postings[key]
        if posting.status == OpportunityStatus.CLOSED:  # closed by hand since an earlier load
            return
        with self.backdating.at(self.moment(day)):
            self.postings[key] = close_opportunity(posting, user=self.editors[self.rows[key]["organization"]])

    # ------------------------------------------------------------------------------ history

    def load_history(self):
        """Plays the matches of the file that are not there yet, every step of all of them in the
        order of their days, then closes the postings whose need was met, as of their day."""
        entries = [
            entry
            for entry in self.data["history"]
            if not models.Match.objects.filter(
                request=self.postings[entry["request"]], offer=self.postings[entry["offer"]]
            ).exists()
        ]
        steps = []
        for number, entry in enumerate(entries):
            self.check_days(entry)
            steps.append((entry["day"], number, 0, entry, None))
            for rank, step in enumerate(entry.get("steps", []), start=1):
                steps.append((step["day"], number, rank, entry, step))
        touched = sorted({entry[side] for entry in entries for side in ("request", "offer")})
        closings = [(self.rows[key]["closed"], key) for key in touched if "closed" in self.rows[key]]
        last_notification = (
            models.Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        )
        made = {}
        with emails_off(list(self.people.values())):
            for day, number, _, entry, step in sorted(steps, key=lambda item: item[:3]):
                with self.backdating.at(self.moment(day)):
                    try:
                        if step is None:
                            made[number] = self.express_interest(entry)
                        else:
                            self.take_step(made[number], entry, step, day)
                    except ServiceError as error:
                        action = step["action"] if step else "interest"
                        raise CommandError(
                            f"Demo history, {entry['request']} and {entry['offer']}, {action} on day {day}: {error}"
                        ) from error
            for day, key in sorted(closings):
                self.close(key, day)
        self.backdating.apply()
        self.read_old_notifications(last_notification)
        return len(entries)

    def check_days(self, entry):
        """A match comes after both postings, and each of its steps after the one before."""
        days = [entry["day"]] + [step["day"] for step in entry.get("steps", [])]
        published = max(self.rows[entry[side]]["published"] for side in ("request", "offer"))
        closed = min(self.rows[entry[side]].get("closed", 0) for side in ("request", "offer"))
        if not (published < days[0] and days == sorted(set(days)) and days[-1] < closed):
            raise CommandError(
                f"Demo history, {entry['request']} and {entry['offer']}: the days {days} must follow each "
                f"other, after both postings were published (day {published}) and before one closes."
            )

    def editor_of(self, entry, side):
        return self.editors[self.rows[entry[side]]["organization"]]

    def express_interest(self, entry):
        return matches.express_interest(
            user=self.editor_of(entry, entry["by"]),
            request=self.postings[entry["request"]],
            offer=self.postings[entry["offer"]],
            message=entry["message"],
        )

    def take_step(self, match, entry, step, day):
        action = step["action"]
        if action == "expire":  # what the daily run does to a proposal nobody answered
            matches.expire_proposal(match.pk, days=day - entry["day"])
            return
        if action in ("accept", "decline"):  # the side that did not express interest answers
            side = "offer" if entry["by"] == "request" else "request"
        elif action == "withdraw":
            side = entry["by"]
        else:
            side = step["by"]
        user = self.editor_of(entry, side)
        if action == "complete":
            outcome = {**step["outcome"], "achieved_on": self.date(day)}
            outcomes.complete_match(match, user=user, outcome=outcome)
        else:
            matches.STEPS[action](match, user=user, note=step.get("note", ""))

    def read_old_notifications(self, after_pk):
        """The notifications of the history older than READ_AFTER were read the day after they came."""
        old = models.Notification.objects.filter(
            pk__gt=after_pk, read_at=None, created_at__lt=timezone.now() - READ_AFTER
        )
        reading = Backdating({models.Notification: ["read_at"]})
        for notification in old.order_by("pk"):
            with reading.at(notification.created_at + datetime.timedelta(days=1)):
                notifications.mark_read(notification)
        reading.apply()
