"""Matches, their history and outcomes. A match's status changes only through the actions, which
take the steps of the lifecycle as staff (with their rules, history, capacity lock and messages)."""

from django.contrib import admin

from matchmaking import models
from matchmaking.services import matches, outcomes

from .base import ReadOnlyAdmin, ServiceAdmin, service_action

SECRETARIAT_NOTE = "By the secretariat."


class MatchEventInline(admin.TabularInline):
    model = models.MatchEvent
    extra = 0
    readonly_fields = ["actor", "from_status", "to_status", "note", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Match)
class MatchAdmin(ReadOnlyAdmin):
    """Matches are made by expressing interest and never deleted: they are declined, withdrawn or
    cancelled, and their history stays. Nothing here is edited by hand."""

    list_display = ["id", "request", "offer", "status", "initiated_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["request__title", "offer__title", "initiated_by__name"]
    inlines = [MatchEventInline]
    actions = [
        service_action(
            action,
            lambda match, user, step=step: step(match, user=user, note=SECRETARIAT_NOTE),
            f"{action.capitalize()} the selected matches",
            matches.PAST[action].capitalize(),
        )
        for action, step in matches.STEPS.items()
    ]


@admin.register(models.MatchEvent)
class MatchEventAdmin(ReadOnlyAdmin):
    list_display = ["match", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["note", "actor__username"]


class OutcomeIndicatorInline(admin.TabularInline):
    """Indicators are changed with the outcome, through the API or the match page."""

    model = models.OutcomeIndicator
    extra = 0
    readonly_fields = ["key", "label", "value", "unit"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Outcome)
class OutcomeAdmin(ServiceAdmin):
    """Outcomes are recorded by completing a match and never deleted: what cooperation achieved
    stays on record. Staff may correct them at any time (through `outcomes.update_outcome`)."""

    list_display = ["match", "achieved_on", "is_private", "created_at"]
    list_filter = ["is_private", "objectives__framework"]
    search_fields = ["summary"]
    fields = ["match", "summary", "achieved_on", "evidence_url", "is_private", "objectives", "created_by"]
    readonly_fields = ["match", "created_by"]
    filter_horizontal = ["objectives"]
    inlines = [OutcomeIndicatorInline]
    update = outcomes.update_outcome

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.OutcomeIndicator)
class OutcomeIndicatorAdmin(ReadOnlyAdmin):
    list_display = ["outcome", "key", "label", "value", "unit"]
    list_filter = ["key"]
    search_fields = ["label", "unit"]


@admin.register(models.MatchMessage)
class MatchMessageAdmin(ReadOnlyAdmin):
    """The conversations of matches, to find a message; staff hide one on its match's page (or through
    the API), with a reason the two sides read."""

    list_display = ["match", "side", "author", "created_at", "hidden_at"]
    list_filter = ["side", ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "author__username"]
    list_select_related = ["author"]
