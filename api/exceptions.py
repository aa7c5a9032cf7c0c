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
    if isinstance(exc, Conflict):
        exc = ConflictError(exc.message)
    elif isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(exc.message)
    elif isinstance(exc, ServiceError):
        exc = exceptions.ValidationError({exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    return views.exception_handler(exc, context)
