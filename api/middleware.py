"""Idempotency keys: a POST of the API sent with an `Idempotency-Key` header is carried out once.
Its answer is saved with it, in the same transaction as its work, for IDEMPOTENCY_KEY_HOURS; the
same key with the same request gets that answer again (with `Idempotent-Replayed: true`), never a
second object; the same key with another request is refused with 422."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import IdempotentRequest
from matchmaking.middleware import UNAVAILABLE_UNKNOWN, unavailable
from matchmaking.throttles import client_address

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not self.applies_to(request.path):
            return self.get_response(request)
        if not key or len(key) > MAX_LENGTH or not key.isascii() or not key.isprintable():
            return JsonResponse(
                {
                    "detail": _("%(header)s must be 1 to %(max)d printable ASCII characters.")
                    % {"header": HEADER, "max": MAX_LENGTH},
                    "code": "invalid_key",
                },
                status=400,
            )
        try:
            fingerprint = fingerprint_of(request)
        except RequestDataTooBig:
            return self.get_response(request)  # which refuses it with 413
        client = client_of(request)
        try:
            with transaction.atomic():
                IdempotentRequest.objects.filter(created_at__lt=timezone.now() - lifetime()).delete()
                try:
                    with transaction.atomic():
                        record = IdempotentRequest.objects.create(
                            client=client, key=key, fingerprint=fingerprint, status=0, body=b""
                        )
                except IntegrityError:
                    # Sent before (or being carried out, in which case the insert waited for it).
                    return replay(IdempotentRequest.objects.get(client=client, key=key), fingerprint)
                response = self.get_response(request)
                if not 200 <= response.status_code < 300:
                    # Not done: undo the record (and anything written) so that a retry may do it.
                    transaction.set_rollback(True)
                    return response
                record.status = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status", "content_type", "body"])
        except (OperationalError, InterfaceError):
            # The commit itself failed: whether it was saved is not known, but a retry with the key
            # finds the record if it was.
            return unavailable(request, UNAVAILABLE_UNKNOWN)
        return response

    @staticmethod
    def applies_to(path):
        """Every POST of the API but asking for a token, whose answer is a secret not to keep."""
        return path.startswith("/api/") and path != reverse("token")


def lifetime():
    return timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def client_of(request):
    """Keys are per client: a digest of its credentials, else its address."""
    authorization = request.headers.get("Authorization")
    if authorization:
        return "auth:" + hashlib.sha256(authorization.encode()).hexdigest()
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"address:{client_address(request)}"


def fingerprint_of(request):
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def replay(record, fingerprint):
    if record.fingerprint != fingerprint:
        return JsonResponse(
            {
                "detail": _("This %(header)s was used for another request in the last %(hours)d hours.")
                % {"header": HEADER, "hours": settings.IDEMPOTENCY_KEY_HOURS},
                "code": "key_reused",
            },
            status=422,
        )
    response = HttpResponse(bytes(record.body), status=record.status, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response
