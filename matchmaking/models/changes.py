"""The change feed of the recommendation index: a row for every change that can alter a
recommendation, written by database triggers in the transaction of the change itself (see
`matchmaking.recommendations.feed`). Nothing in Python writes here."""

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class IndexChange(models.Model):
    class Kind(models.TextChoices):
        OPPORTUNITY = "opportunity", _("opportunity")  # key: its id; also for its embedding and matches
        ORGANIZATION = "organization", _("organization")  # key: its id (its country changed)
        COUNTRY = "country", _("country")  # key: its code (its groups changed)
        VOCABULARY = "vocabulary", _("vocabulary")  # key: the slug of a type or theme
        WEIGHTS = "weights", _("weights")  # key: the id of stored ranking weights
        EVERYTHING = "everything", _("everything")  # the opportunities table was emptied

    # The writing transaction's id (PostgreSQL's pg_current_xact_id()); empty on SQLite, where
    # transactions commit one at a time, in the order of the ids.
    txid = models.BigIntegerField(null=True, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_default=Now(), db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.pk} {self.kind} {self.key}"
