"""Organizations invited to help with a request that waits for help (`services.who_could_help`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HelpInvitation(models.Model):
    """An organization invited, by the request's editors or staff, to help with a request that had no
    proposal and no good match: at most once per request. `reasons` keeps why it was suggested."""

    request = models.ForeignKey(
        "matchmaking.Opportunity", on_delete=models.CASCADE, related_name="help_invitations"
    )
    organization = models.ForeignKey(
        "matchmaking.Organization", on_delete=models.CASCADE, related_name="help_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reasons = models.JSONField(
        default=list, blank=True, help_text=_("The past cooperation it was suggested for, when invited.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "organization"], name="invite_to_help_once_per_request"
            )
        ]

    def __str__(self):
        return f"{self.organization_id} invited to help with {self.request_id}"
