"""What the services keep: notifications, alert preferences, digests and reminders sent, ranking
weights, the audit log."""

from django.contrib import admin

from matchmaking import models
from matchmaking.recommendations.weights import weights_in_use
from matchmaking.services import ranking

from .base import ReadOnlyAdmin, service_action


@admin.register(models.Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "message"]


@admin.register(models.AlertPreference)
class AlertPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "email", "suggestions", "updated_at"]
    list_filter = ["email", "suggestions"]
    search_fields = ["user__username", "user__email"]


@admin.register(models.AlertSent)
class AlertSentAdmin(ReadOnlyAdmin):
    list_display = ["sent_on", "organization", "suggested", "for_opportunity", "score"]
    list_filter = ["sent_on"]
    search_fields = ["organization__name", "suggested__title", "for_opportunity__title"]
    date_hierarchy = "sent_on"


@admin.register(models.ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    list_display = ["sent_on", "kind", "match", "opportunity", "ends_on"]
    list_filter = ["kind", "sent_on"]
    date_hierarchy = "sent_on"


@admin.register(models.RankerWeights)
class RankerWeightsAdmin(ReadOnlyAdmin):
    """Learned weights and their provenance; the page says which weights ranking uses now. Only
    `manage.py train_ranker` stores weights, after comparing them; the actions use stored weights
    again or stop using them (then the previous active ones, else the hand-set ones, are used)."""

    list_display = [
        "id",
        "created_at",
        "activated_at",
        "is_active",
        "in_use",
        "labels",
        "positives",
        "metric",
        "score",
        "baseline_score",
    ]
    list_filter = ["is_active"]
    ordering = ["-created_at"]
    actions = [
        service_action(
            "use",
            lambda weights, user: ranking.set_weights_in_use(weights, user=user, in_use=True),
            "Use the selected weights",
            "In use",
        ),
        service_action(
            "stop_using",
            lambda weights, user: ranking.set_weights_in_use(weights, user=user, in_use=False),
            "Stop using the selected weights",
            "No longer used",
        ),
    ]

    @admin.display(boolean=True, description="in use")
    def in_use(self, obj):
        return weights_in_use()[1].get("id") == obj.pk

    def changelist_view(self, request, extra_context=None):
        weights, provenance = weights_in_use()
        values = ", ".join(f"{name} {value:.3f}" for name, value in weights.to_dict().items())
        source = f"learned #{provenance['id']}" if provenance["source"] == "learned" else provenance["source"]
        self.message_user(request, f"Ranking uses the {source} weights: {values}.")
        return super().changelist_view(request, extra_context)


@admin.register(models.AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Who changed which opportunity, match, outcome, organization or membership, when and how."""

    list_display = ["created_at", "actor_name", "action", "model", "object_id", "object_repr", "operation"]
    list_filter = ["action", "model", "operation"]
    search_fields = ["actor_name", "object_id", "object_repr"]
    date_hierarchy = "created_at"
