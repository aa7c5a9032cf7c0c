"""What the API keeps for its own sake: the answers to requests sent with an Idempotency-Key."""

from django.db import models


class IdempotentRequest(models.Model):
    """A POST sent with an `Idempotency-Key` header and the answer it got, kept for a day so that a
    retry with the same key gets that answer again instead of doing the work twice. Written in the
    transaction of the request itself: if the work was not saved, neither is this row."""

    # Who sent it: a digest of the Authorization header, the session's user, or the address.
    client = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    # A digest of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")]

    def __str__(self):
        return f"{self.client} {self.key}"
