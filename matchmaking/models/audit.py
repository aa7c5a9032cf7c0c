"""The audit log: every change to an opportunity, a match or an outcome, who made it and when."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


class AuditLogQuerySet(models.QuerySet):
    def of(self, instance):
        """The entries about one object, newest first."""
        return self.filter(model=instance._meta.label_lower, object_id=str(instance.pk))


class AuditLog(models.Model):
    """One change to an object: who made it (the user, or none for a scheduled command), when, through
    which operation, and what changed, as {field: [old, new]} (a foreign key or a many-to-many field by
    its keys). Entries are written in the transaction of the change by `matchmaking.audit`, and are
    never changed nor deleted."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(
        max_length=150, blank=True, help_text=_("The username at the time, kept if the user is deleted.")
    )
    model = models.CharField(max_length=100, help_text=_("The model's label, e.g. matchmaking.opportunity."))
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    operation = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("The domain operation, or the admin page, that made the change."),
    )
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.model} {self.object_id}"
