"""Matches between an offer and a request, their history, outcomes and notifications."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import ACTIVE_MATCH_STATUSES, Indicator, MatchStatus


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
    updated_at = models.DateTimeField(auto_now=True)

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


class Outcome(models.Model):
    """What a completed match achieved, and the objectives it served."""

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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-achieved_on", "-id"]

    def __str__(self):
        return f"Outcome of match {self.match_id}"


class OutcomeIndicator(models.Model):
    """One indicator value of an outcome: a controlled key (or `other` with a free label), a number
    and its unit."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="indicators")
    key = models.CharField(max_length=30, choices=Indicator.choices)
    label = models.CharField(max_length=100, blank=True, help_text=_("What is counted, for `other`."))
    value = models.DecimalField(max_digits=14, decimal_places=2)
    unit = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["outcome_id", "id"]

    def __str__(self):
        return f"{self.key}={self.value}"


class Notification(models.Model):
    """An in-app message to a user about a match or a posting."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
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
