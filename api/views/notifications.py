"""The requesting user's notifications and alert preferences."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.pagination import Pagination
from api.serializers.notifications import AlertPreferenceSerializer, NotificationSerializer
from matchmaking.filtersets import NotificationFilterSet
from matchmaking.models import (
    Notification,
)
from matchmaking.services import alerts, notifications


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The requesting user's in-app notifications, newest first, and their alert preferences."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request, pk=None):
        """Marks the notification as read."""
        notification = notifications.mark_read(self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(methods=["get"], responses={200: AlertPreferenceSerializer})
    @extend_schema(
        methods=["patch"],
        request=AlertPreferenceSerializer,
        responses={200: AlertPreferenceSerializer},
    )
    @action(
        detail=False,
        methods=["get", "patch"],
        filter_backends=[],
        pagination_class=None,
        serializer_class=AlertPreferenceSerializer,
    )
    def preferences(self, request):
        """Whether the user gets e-mails (the in-app list is always kept) and the daily digest of new
        opportunities that fit their organizations' opportunities."""
        preference = alerts.alert_preferences(request.user)
        if request.method == "GET":
            return Response(self.get_serializer(preference).data)
        body = self.get_serializer(preference, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(self.get_serializer(body.save()).data)
