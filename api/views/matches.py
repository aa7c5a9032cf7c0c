"""Matches from an expression of interest to their outcome, and outcomes."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from api.pagination import Pagination
from api.schema import error
from api.serializers.matches import (
    ExpressInterestSerializer,
    MatchNoteSerializer,
    MatchRecordSerializer,
    OutcomeSerializer,
)
from matchmaking.filtersets import MatchFilterSet, OutcomeFilterSet
from matchmaking.models import (
    Match,
    MatchEvent,
    Outcome,
)
from matchmaking.services import matches
from matchmaking.services.outcomes import complete_match

STEP_RESPONSES = {
    200: MatchRecordSerializer,
    403: error("Not an editor of the side that may take this step (nor staff)."),
    409: error(
        "The match's status does not allow this step, or a posting no longer passes the hard filters."
    ),
}


@extend_schema_view(
    list=extend_schema(responses={200: MatchRecordSerializer(many=True), 401: error("Not authenticated.")}),
    retrieve=extend_schema(responses={200: MatchRecordSerializer, 401: error("Not authenticated.")}),
)
class MatchViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Matches from an expression of interest to their outcome, seen by the members of the two
    organizations and by staff. Who may take which step is decided by `matchmaking.services`;
    `allowed_actions` lists the steps open to the requesting user."""

    serializer_class = MatchRecordSerializer
    filterset_class = MatchFilterSet
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self):
        return (
            Match.objects.visible_to(self.request.user)
            .with_unread_messages(self.request.user)
            .select_related(
                "request__organization",
                "offer__organization",
                "initiated_by",
                "created_by",
                "outcome__created_by",
                "outcome__match__request__organization",
                "outcome__match__offer__organization",
            )
            .prefetch_related(
                Prefetch("events", MatchEvent.objects.select_related("actor")),
                "outcome__objectives",
                "outcome__indicators",
            )
        )

    def record(self, match):
        """The match as the response shows it, read again with its history."""
        return self.get_serializer(self.get_queryset().get(pk=match.pk)).data

    @extend_schema(
        request=ExpressInterestSerializer,
        responses={
            201: MatchRecordSerializer,
            403: error("Not an editor of either organization (nor staff)."),
            409: error("A posting no longer passes the hard filters, or the pair already has a match."),
        },
    )
    def create(self, request):
        """Expresses interest: starts a match between a request and an offer, for the side the user
        edits for."""
        body = ExpressInterestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        match = matches.express_interest(user=request.user, **body.validated_data)
        return Response(self.record(match), status=status.HTTP_201_CREATED)

    def take_step(self, request, action):
        match = self.get_object()
        body = MatchNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        matches.STEPS[action](match, user=request.user, note=body.validated_data["note"])
        return Response(self.record(match))

    @extend_schema(request=MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """The other side accepts the interest: the match holds a unit of each opportunity's capacity, and
        hidden contact details are shown to the partners."""
        return self.take_step(request, "accept")

    @extend_schema(request=MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request, pk=None):
        """The other side declines the interest, with an optional reason."""
        return self.take_step(request, "decline")

    @extend_schema(request=MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request, pk=None):
        """The interested side withdraws its interest before an answer."""
        return self.take_step(request, "withdraw")

    @extend_schema(request=MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request, pk=None):
        """Either side records that the accepted cooperation has started."""
        return self.take_step(request, "start")

    @extend_schema(request=MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Either side cancels an accepted match or one in progress; its capacity is freed."""
        return self.take_step(request, "cancel")

    @extend_schema(request=OutcomeSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """Either side completes a match in progress and records its outcome."""
        match = self.get_object()
        body = OutcomeSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        complete_match(match, user=request.user, outcome=body.validated_data)
        return Response(self.record(match))


@extend_schema_view(
    update=extend_schema(
        responses={
            200: OutcomeSerializer,
            409: error("The time to change the outcome is over."),
        }
    ),
    partial_update=extend_schema(
        responses={
            200: OutcomeSerializer,
            409: error("The time to change the outcome is over."),
        }
    ),
)
class OutcomeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """What completed matches achieved: public unless marked private. Either side's editors may change
    an outcome for 30 days (OUTCOME_EDIT_DAYS); outcomes are recorded by completing a match."""

    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilterSet
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = Pagination

    def get_queryset(self):
        return (
            Outcome.objects.visible_to(self.request.user)
            .select_related("match__request__organization", "match__offer__organization", "created_by")
            .prefetch_related("objectives", "indicators")
        )
