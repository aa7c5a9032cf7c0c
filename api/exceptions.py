"""Turns the domain's exceptions into API responses: a refused rule is a 400 on the field at fault,
a state conflict a 409."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, views
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from matchmaking.services import Conflict, ServiceError


class ConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        exc = ConflictError(exc.message)
    elif isinstance(exc, ServiceError):
        exc = exceptions.ValidationError({exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    return views.exception_handler(exc, context)
