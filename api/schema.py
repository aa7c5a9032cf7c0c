"""OpenAPI schema generation: every operation also describes the errors it can answer with."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticatedOrReadOnly

from api.middleware import IdempotencyMiddleware
from api.permissions import IsEditorOrReadOnly

# Permissions that let anonymous clients read: their GETs need no credentials.
ANONYMOUS_READS = (IsAuthenticatedOrReadOnly, IsEditorOrReadOnly)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "The messages, per field of the input (or `non_field_errors`); a malformed body gives `detail`. "
        "Nothing was written."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": "With `detail`: what was refused, the same in every language.",
        },
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "description": "Messages per item of a list."},
        ]
    },
}


class ErrorSerializer(serializers.Serializer):
    """An error that is not about the input: 401, 403, 404, 409. `detail` is said in the language of
    the request (Accept-Language); `code` is the same in every language."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: the messages per field of the input."""


class ValidationErrorExtension(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        return VALIDATION_ERROR_SCHEMA


class EmailFieldExtension(OpenApiSerializerFieldExtension):
    """An e-mail field that may be left empty (or is read back empty, as hidden contact details are)
    is an address or "": JSON Schema's `format: email` alone refuses the empty string."""

    target_class = serializers.EmailField

    def map_serializer_field(self, auto_schema, direction):
        if self.target.allow_blank or self.target.read_only:
            return {"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "enum": [""]}]}
        return {"type": "string", "format": "email"}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=(
        "Optional, 1 to 255 printable ASCII characters chosen by the client (a UUID is a good choice). A "
        "request sent again with the same key and the same body within 24 hours is not carried out again: "
        "it gets the first answer back, with the header `Idempotent-Replayed: true`. Send it on every "
        "create, so that a retry after a timeout or a 503 never makes a second object. Keys are per client "
        "(per token or session); only successful answers are kept, so a refused request may be corrected "
        "and sent again with its key."
    ),
)


def error(description):
    return OpenApiResponse(ErrorSerializer, description)


def validation_error(description):
    return OpenApiResponse(ValidationErrorSerializer, description)


class AutoSchema(openapi.AutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        reads = self.method in SAFE_METHODS and {} not in auths
        if reads and any(
            issubclass(permission, ANONYMOUS_READS) for permission in self.view.permission_classes
        ):
            auths.append({})
        return auths

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST" and IdempotencyMiddleware.applies_to(self.path):
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, response in self._error_responses().items():
                if code not in responses:
                    responses[code] = self._get_response_for_code(response, code)
        return responses

    def _error_responses(self):
        """The errors this operation can answer with, beyond those its view declares."""
        errors = {}
        writes = self.method in ("POST", "PUT", "PATCH")
        is_list = self.method == "GET" and self._is_list_view()
        if (writes and self.get_request_serializer() is not None) or (
            is_list
            and (getattr(self.view, "filterset_class", None) is not None or self._get_paginator() is not None)
        ):
            errors["400"] = validation_error("Invalid input: a message per field.")
        public = all(issubclass(permission, AllowAny) for permission in self.view.permission_classes)
        if (writes or self.method == "DELETE") and not public:
            errors["401"] = error("Not authenticated: send `Authorization: Token <token>`.")
            errors["403"] = error("Authenticated, but not allowed to do this.")
        if "{" in self.path:
            errors["404"] = error("Not found, or not visible to you.")
        elif is_list and self._get_paginator() is not None:
            errors["404"] = error("No such page.")
        if any(renderer.format == "csv" for renderer in self.view.renderer_classes):
            errors.setdefault("404", error("No such format: `format` is `json` or `csv`."))
        if writes and self.get_request_serializer() is not None:
            errors["413"] = error("The request body is too large.")
            errors["415"] = error("The body is not JSON (nor form data).")
        if self.method == "POST" and IdempotencyMiddleware.applies_to(self.path):
            errors.setdefault(
                "400", error("The Idempotency-Key header is not 1 to 255 printable ASCII characters.")
            )
            errors["422"] = error(
                "This Idempotency-Key was used for another request (another body or path) in the last 24 hours."
            )
        if self.view.get_throttles():
            errors["429"] = error("Too many requests: wait the seconds the Retry-After header says.")
        errors["503"] = error(
            "The database is unavailable for a moment. Retry after the seconds the Retry-After header says. "
            "For a write, `detail` says whether nothing was changed; when it cannot know, retry with the "
            "same Idempotency-Key."
            if writes or self.method == "DELETE"
            else "The database is unavailable for a moment. Retry after the seconds the Retry-After header says."
        )
        return errors
