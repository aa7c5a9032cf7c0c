"""Matches between an offer and a request, their history, outcomes and notifications; the alerts
sent about new opportunities; and the ranking weights learned from answered matches."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import ACTIVE_MATCH_STATUSES, Indicator, MatchStatus, NotificationKind

from .conversations import MatchMessage, MessageReadMarker
from .organizations import Membership


def _member_organizations(user):
    return Membership.objects.filter(user=user).values("organization_id")


# What every page, message and step of a match shows of its two sides.
SIDES = ("request__organization", "offer__organization", "initiated_by")


class MatchQuerySet(models.QuerySet):
    def with_sides(self):
        """Selects the two opportunities, their organizations and the interested side."""
        return self.select_related(*SIDES)

    def visible_to(self, user):
        """Matches are private to the members of the two organizations, and to staff."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        mine = _member_organizations(user)
        return self.filter(Q(request__organization__in=mine) | Q(offer__organization__in=mine))

    def with_unread_messages(self, user):
        """Annotates `unread_messages`: the messages of each match's conversation that others wrote
        after the last one the user read (in the same query)."""
        if not user.is_authenticated:
            return self.annotate(unread_messages=Value(0, output_field=IntegerField()))
        last_read = MessageReadMarker.objects.filter(match=OuterRef(OuterRef("pk")), user=user).values(
            "last_read_id"
        )[:1]
        unread = (
            MatchMessage.objects.filter(match=OuterRef("pk"), pk__gt=Coalesce(Subquery(last_read), 0))
            .exclude(author=user)
            .order_by()
            .values("match")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(unread_messages=Coalesce(Subquery(unread, output_field=IntegerField()), 0))


class Match(models.Model):
    """An offer paired with a request, from an expression of interest to its outcome."""

    request = models.ForeignKey(
        "matchmaking.Opportunity", on_delete=models.PROTECT, related_name="request_matches"
    )
    offer = models.ForeignKey(
        "matchmaking.Opportunity", on_delete=models.PROTECT, related_name="offer_matches"
    )
    initiated_by = models.ForeignKey(
        "matchmaking.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The organization that expressed interest."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=MatchStatus.choices, default=MatchStatus.PROPOSED)
    message = models.TextField(blank=True, max_length=5000)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "offer"],
                condition=Q(status__in=ACTIVE_MATCH_STATUSES),
                name="one_active_match_per_pair",
            )
        ]

    def __str__(self):
        return f"{self.request_id} <-> {self.offer_id} ({self.status})"


class MatchEvent(models.Model):
    """One transition of a match: who moved it, when, from which state to which, and why."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=MatchStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=MatchStatus.choices)
    note = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.match_id}: {self.from_status or '-'} -> {self.to_status}"


class OutcomeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Outcomes are public unless marked private; private ones are seen by the members of the two
        organizations and by staff."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        public = Q(is_private=False)
        if not user.is_authenticated:
            return self.filter(public)
        mine = _member_organizations(user)
        return self.filter(
            public | Q(match__request__organization__in=mine) | Q(match__offer__organization__in=mine)
        )


class Outcome(models.Model):
    """What a completed match achieved, and the objectives it served. Either side's editors may
    change it for `OUTCOME_EDIT_DAYS` after it was recorded."""

    match = models.OneToOneField(Match, on_delete=models.PROTECT, related_name="outcome")
    summary = models.TextField(max_length=5000)
    achieved_on = models.DateField()
    evidence_url = models.URLField(blank=True)
    objectives = models.ManyToManyField("matchmaking.Objective", blank=True, related_name="outcomes")
    is_private = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-achieved_on", "-id"]

    def __str__(self):
        return f"Outcome of match {self.match_id}"

    @property
    def editable_until(self):
        return self.created_at + datetime.timedelta(days=settings.OUTCOME_EDIT_DAYS)


class OutcomeIndicator(models.Model):
    """One indicator value of an outcome: a controlled key (or `other` with a free label), a number
    and its unit."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="indicators")
    key = models.CharField(max_length=30, choices=Indicator.choices)
    label = models.CharField(max_length=100, blank=True, help_text=_("What is counted, for `other`."))
    value = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["outcome_id", "id"]

    def __str__(self):
        return f"{self.key}={self.value}"

    def clean(self):
        self.clean_label(self.key, self.label)

    @staticmethod
    def clean_label(key, label):
        if key == Indicator.OTHER and not (label or "").strip():
            raise ValidationError({"label": _("Say what is counted when the indicator is `other`.")})


class Notification(models.Model):
    """An in-app message to a user about a match or an opportunity (its e-mail, if any, has the same text)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    message = models.TextField()
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    opportunity = models.ForeignKey(
        "matchmaking.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user}: {self.kind}"


class AlertPreference(models.Model):
    """What a user wants to be told; a user without a row gets everything."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="alert_preference"
    )
    email = models.BooleanField(
        default=True, help_text=_("E-mail me about matches and postings (the in-app list is always kept).")
    )
    suggestions = models.BooleanField(
        default=True, help_text=_("Send me the daily digest of new postings that fit ours.")
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "The language of my notifications and e-mails (set by the language I choose on the pages; "
            "empty: the site's default)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id"]

    def __str__(self):
        return f"{self.user}: email={self.email}, suggestions={self.suggestions}, language={self.language}"

    @property
    def language_code(self):
        """The language the user is written to in."""
        return self.language or settings.LANGUAGE_CODE


class AlertSent(models.Model):
    """A new opportunity suggested to an organization in a daily digest, so that it is never suggested to
    that organization again; `sent_on` keeps digests to one per organization per day."""

    organization = models.ForeignKey("matchmaking.Organization", on_delete=models.CASCADE, related_name="+")
    suggested = models.ForeignKey("matchmaking.Opportunity", on_delete=models.CASCADE, related_name="+")
    for_opportunity = models.ForeignKey(
        "matchmaking.Opportunity",
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The organization's posting that the suggestion fits."),
    )
    score = models.FloatField()
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "id"]
        verbose_name_plural = "alerts sent"
        constraints = [
            models.UniqueConstraint(fields=["organization", "suggested"], name="suggest_a_posting_once")
        ]
        indexes = [models.Index(fields=["organization", "sent_on"])]

    def __str__(self):
        return f"{self.suggested_id} to {self.organization_id} on {self.sent_on}"


class ReminderSent(models.Model):
    """A reminder of the daily run, so that it is sent once: about a match (once per kind: a proposal
    waiting for its answer, an accepted match not started), or about the end of a posting (once per
    end date, so that a renewed posting is reminded again before its new end)."""

    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    opportunity = models.ForeignKey(
        "matchmaking.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ends_on = models.DateField(
        null=True, blank=True, help_text=_("The end date a posting's reminder was about.")
    )
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "id"]
        verbose_name_plural = "reminders sent"
        constraints = [
            models.CheckConstraint(
                condition=Q(match__isnull=True, opportunity__isnull=False, ends_on__isnull=False)
                | Q(match__isnull=False, opportunity__isnull=True),
                name="reminder_of_a_match_or_a_posting_end",
            ),
            models.UniqueConstraint(
                fields=["kind", "match"], condition=Q(match__isnull=False), name="remind_of_a_match_once"
            ),
            models.UniqueConstraint(
                fields=["kind", "opportunity", "ends_on"],
                condition=Q(opportunity__isnull=False),
                name="remind_of_a_posting_end_once",
            ),
        ]

    def __str__(self):
        return f"{self.kind} about {self.match_id or self.opportunity_id} on {self.sent_on}"


class RankerWeights(models.Model):
    """Blend weights learned from answered matches by `manage.py train_ranker`, stored only when they
    ranked held-out labels better than the weights in use. The active row activated last is used;
    reverting deactivates it, so the one activated before it (or the hand-set weights) is used again."""

    weights = models.JSONField(help_text=_("Feature name -> weight, as ml.ranking.Weights."))
    method = models.CharField(max_length=200)
    labels = models.PositiveIntegerField(help_text=_("Labelled matches it was trained on."))
    positives = models.PositiveIntegerField(help_text=_("Of which accepted, in progress or completed."))
    metric = models.CharField(max_length=40, default="roc_auc")
    score = models.FloatField(help_text=_("Its cross-validated score on held-out labels."))
    baseline_score = models.FloatField(help_text=_("The score of the weights in use before it, same folds."))
    baseline = models.JSONField(help_text=_("The weights it was compared with."))
    is_active = models.BooleanField(default=True)
    activated_at = models.DateTimeField(default=timezone.now, help_text=_("When it was last put in use."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "ranker weights"
        verbose_name_plural = "ranker weights"

    def __str__(self):
        return f"Weights #{self.pk} ({self.metric} {self.score:.3f} vs {self.baseline_score:.3f})"

    def provenance(self):
        """Where the weights come from, as shown with every recommendation."""
        return {
            "source": "learned",
            "id": self.pk,
            "trained_at": self.created_at.isoformat(),
            "method": self.method,
            "labels": self.labels,
            "metric": self.metric,
            "score": round(self.score, 4),
            "baseline_score": round(self.baseline_score, 4),
            "weights": self.weights,
        }
