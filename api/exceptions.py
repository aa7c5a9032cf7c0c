"""Turns the domain's exceptions into API responses: a refused rule is a 400 on the field at fault,
a state conflict a 409, a step the user may not take a 403, a body over DATA_UPLOAD_MAX_MEMORY_SIZE a
413. (Database outages are answered by matchmaking.middleware.DatabaseErrorMiddleware.)"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, views
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from matchmaking.services.errors import Conflict, NotAllowed, ServiceError


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"


class ConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def exception_handler(exc, context):
    """Errors that say `detail` also say `code`: the same in every language, for programs (a
    domain rule's code, or DRF's: "not_found", "throttled", "permission_denied", ...)."""
    if isinstance(exc, Conflict):
        exc = ConflictError(exc.message, code=exc.code)
    elif isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message, code=exc.code)
    elif isinstance(exc, ServiceError):
        error = exceptions.ErrorDetail(str(exc.message), code=exc.code)
        exc = exceptions.ValidationError({exc.field or api_settings.NON_FIELD_ERRORS_KEY: [error]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    response = views.exception_handler(exc, context)
    detail = getattr(exc, "detail", None)
    if (
        response is not None
        and isinstance(detail, exceptions.ErrorDetail)
        and isinstance(response.data, dict)
    ):
        response.data["code"] = detail.code
    return response
