"""The conversation of a match: its messages, seen by the members of the two organizations and by
staff (others get the 404 of the match itself)."""

from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.pagination import Pagination
from api.schema import error
from api.serializers.conversations import (
    HideMessageSerializer,
    MatchMessageSerializer,
    MessageWriteSerializer,
)
from matchmaking.models import Match, MatchMessage
from matchmaking.services import conversations


@extend_schema_view(
    list=extend_schema(
        responses={200: MatchMessageSerializer(many=True), 401: error("Not authenticated.")},
    ),
)
class MatchMessageViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The messages between the two sides of a match, oldest first. Either organization's members write
    from the expression of interest until the match ends; staff read (and hide a message) but do not
    write. Listing marks the messages of the page read."""

    serializer_class = MatchMessageSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    last_read_id = None

    @cached_property
    def match(self):
        matches = Match.objects.visible_to(self.request.user).with_sides()
        return get_object_or_404(matches, pk=self.kwargs["match_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MatchMessage.objects.none()
        return self.match.messages.select_related("author")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "last_read_id": self.last_read_id}

    def list(self, request, match_pk=None):
        """The messages, oldest first; those shown are marked read for you."""
        page = self.paginate_queryset(self.get_queryset())
        shown = max((message.pk for message in page), default=None)
        if shown is not None:
            self.last_read_id = conversations.mark_read(self.match, user=request.user, up_to=shown)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=MessageWriteSerializer,
        responses={
            201: MatchMessageSerializer,
            403: error("Not a member of either organization (staff do not write as a side)."),
            409: error("The match has ended: its conversation is closed (`conversation_closed`)."),
        },
    )
    def create(self, request, match_pk=None):
        """Writes a message for your organization's side; the other side's members are told."""
        body = MessageWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = conversations.post_message(self.match, user=request.user, **body.validated_data)
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=HideMessageSerializer,
        responses={
            200: MatchMessageSerializer,
            403: error("Only staff hide messages."),
            409: error("The message is already hidden (`already_hidden`)."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def hide(self, request, match_pk=None, pk=None):
        """Staff hide a message, with a reason the two sides read; it is kept, and the change audited."""
        message = self.get_object()
        body = HideMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = conversations.hide_message(message, user=request.user, reason=body.validated_data["reason"])
        message.match = self.match
        return Response(self.get_serializer(message).data)
