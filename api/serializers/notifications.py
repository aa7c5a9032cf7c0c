"""A user's notifications and alert preferences."""

from rest_framework import serializers

from matchmaking.models import AlertPreference, Notification
from matchmaking.services import alerts


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "match", "opportunity", "created_at", "read_at"]
        read_only_fields = fields


class AlertPreferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertPreference
        fields = ["email", "suggestions", "language"]

    def update(self, instance, validated_data):
        return alerts.set_alert_preferences(instance.user, **validated_data)
