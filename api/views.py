"""Viewsets of the public API. Each starts from a queryset of what the user may see, and leaves who
may change what to `api.permissions`; domain operations go through `matchmaking.services`."""

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from api import filtersets, serializers
from api.exceptions import ConflictError
from api.permissions import IsEditorOrReadOnly, IsMemberOrEditor
from api.schema import error, validation_error
from api.throttles import TokenRateThrottle
from matchmaking import matching, services
from matchmaking.choices import MemberRole
from matchmaking.models import (
    CooperationType,
    Country,
    Framework,
    Match,
    MatchEvent,
    Membership,
    Notification,
    Objective,
    Opportunity,
    Organization,
    Outcome,
    Theme,
)

OPPORTUNITY_PREFETCH = ("themes", "objectives", "languages", "eligible_groups", "eligible_countries")


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema(tags=["auth"], auth=[], summary="Exchange a username and password for an API token")
class TokenView(ObtainAuthToken):
    throttle_classes = [TokenRateThrottle]


# --------------------------------------------------------------------------- organizations


class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Organizations are public. Whoever creates one becomes its editor; its editors and staff
    change it, and only staff verify it."""

    queryset = Organization.objects.select_related("country")
    serializer_class = serializers.OrganizationSerializer
    filterset_class = filtersets.OrganizationFilterSet
    permission_classes = [IsEditorOrReadOnly]
    pagination_class = Pagination

    def perform_create(self, serializer):
        with transaction.atomic():
            organization = serializer.save()
            Membership.objects.create(
                user=self.request.user, organization=organization, role=MemberRole.EDITOR
            )


@extend_schema(parameters=[OpenApiParameter("organization_pk", int, OpenApiParameter.PATH)])
@extend_schema_view(
    list=extend_schema(
        responses={
            200: serializers.MembershipSerializer(many=True),
            401: error("Not authenticated."),
            403: error("Not a member of the organization."),
        }
    ),
    retrieve=extend_schema(
        responses={
            200: serializers.MembershipSerializer,
            401: error("Not authenticated."),
            403: error("Not a member of the organization."),
        }
    ),
    destroy=extend_schema(responses={204: None, 409: error("The last editor cannot leave.")}),
)
class MemberViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The members of an organization, by username: its members see them, its editors manage them."""

    serializer_class = serializers.MembershipSerializer
    permission_classes = [IsMemberOrEditor]
    lookup_field = "user__username"
    lookup_url_kwarg = "username"
    lookup_value_regex = "[^/]+"
    pagination_class = None

    @cached_property
    def organization(self):
        return get_object_or_404(Organization, pk=self.kwargs["organization_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return self.organization.memberships.select_related("user")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["organization"] = self.organization
        return context

    def perform_destroy(self, membership):
        if serializers.is_last_editor(membership):
            raise ConflictError(serializers.LAST_EDITOR)
        membership.delete()


# --------------------------------------------------------------------------- postings


class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Offers and requests. Open and closed postings are public, drafts only to their
    organization's members and staff; the organization's editors and staff change them."""

    serializer_class = serializers.OpportunitySerializer
    filterset_class = filtersets.OpportunityFilterSet
    permission_classes = [IsEditorOrReadOnly]
    pagination_class = Pagination

    def get_queryset(self):
        queryset = Opportunity.objects.visible_to(self.request.user).select_related(
            "organization", "cooperation_type"
        )
        if self.action == "matches":  # the posting asked about is not serialized, its matches are
            return queryset
        return queryset.prefetch_related(*OPPORTUNITY_PREFETCH)

    def perform_create(self, serializer):
        self.check_object_permissions(self.request, serializer.validated_data["organization"])
        serializer.save()

    @extend_schema(
        request=None,
        responses={200: serializers.OpportunitySerializer, 409: error("Already closed.")},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request, pk=None):
        """Closes a posting: it stays public but is no longer recommended."""
        opportunity = self.get_object()
        services.close_opportunity(opportunity, user=request.user)
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(
        parameters=[serializers.MatchQuerySerializer],
        responses={
            200: serializers.MatchListSerializer,
            400: validation_error("Invalid limit."),
        },
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def matches(self, request, pk=None):
        """The postings recommended for this one, best first: open offers for a request, open
        requests for an offer; never one that is expired, ineligible or of the same organization."""
        opportunity = self.get_object()
        query = serializers.MatchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = matching.recommend(opportunity, limit=query.validated_data["limit"])
        prefetch_related_objects([result["opportunity"] for result in results], *OPPORTUNITY_PREFETCH)
        body = serializers.MatchListSerializer(
            {"results": results, "pending": getattr(results, "pending", False)},
            context=self.get_serializer_context(),
        )
        return Response(body.data)


# --------------------------------------------------------------------------- reference data


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    """Countries, by ISO 3166-1 alpha-2 code, with their UN regional group and eligibility groups."""

    queryset = Country.objects.select_related("un_group").prefetch_related("groups")
    serializer_class = serializers.CountrySerializer
    filterset_class = filtersets.CountryFilterSet
    pagination_class = None


class CooperationTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The kinds of cooperation, by slug."""

    queryset = CooperationType.objects.all()
    serializer_class = serializers.CooperationTypeSerializer
    pagination_class = None


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """CBD programme areas and cross-cutting issues, by slug."""

    queryset = Theme.objects.all()
    serializer_class = serializers.ThemeSerializer
    pagination_class = None


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """Strategic frameworks with their goals and objectives."""

    queryset = Framework.objects.prefetch_related(
        "goals__objectives",
        Prefetch("objectives", Objective.objects.filter(goal=None), to_attr="objectives_without_goal"),
    )
    serializer_class = serializers.FrameworkSerializer
    lookup_field = "code"
    pagination_class = None


class ObjectiveViewSet(viewsets.ReadOnlyModelViewSet):
    """Objectives and targets of every framework, by code."""

    queryset = Objective.objects.select_related("framework", "goal")
    serializer_class = serializers.ObjectiveSerializer
    filterset_class = filtersets.ObjectiveFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    pagination_class = None


# --------------------------------------------------------------------------- matches and outcomes

STEP_RESPONSES = {
    200: serializers.MatchRecordSerializer,
    403: error("Not an editor of the side that may take this step (nor staff)."),
    409: error(
        "The match's status does not allow this step, or a posting no longer passes the hard filters."
    ),
}


@extend_schema_view(
    list=extend_schema(
        responses={200: serializers.MatchRecordSerializer(many=True), 401: error("Not authenticated.")}
    ),
    retrieve=extend_schema(
        responses={200: serializers.MatchRecordSerializer, 401: error("Not authenticated.")}
    ),
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

    serializer_class = serializers.MatchRecordSerializer
    filterset_class = filtersets.MatchFilterSet
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self):
        return (
            Match.objects.visible_to(self.request.user)
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
        request=serializers.ExpressInterestSerializer,
        responses={
            201: serializers.MatchRecordSerializer,
            403: error("Not an editor of either organization (nor staff)."),
            409: error("A posting no longer passes the hard filters, or the pair already has a match."),
        },
    )
    def create(self, request):
        """Expresses interest: starts a match between a request and an offer, for the side the user
        edits for."""
        body = serializers.ExpressInterestSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        match = services.express_interest(user=request.user, **body.validated_data)
        return Response(self.record(match), status=status.HTTP_201_CREATED)

    def take_step(self, request, step):
        match = self.get_object()
        body = serializers.MatchNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        step(match, user=request.user, note=body.validated_data["note"])
        return Response(self.record(match))

    @extend_schema(request=serializers.MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """The other side accepts the interest: the match holds a unit of each posting's capacity, and
        hidden contact details are shown to the partners."""
        return self.take_step(request, services.accept_match)

    @extend_schema(request=serializers.MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request, pk=None):
        """The other side declines the interest, with an optional reason."""
        return self.take_step(request, services.decline_match)

    @extend_schema(request=serializers.MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request, pk=None):
        """The interested side withdraws its interest before an answer."""
        return self.take_step(request, services.withdraw_match)

    @extend_schema(request=serializers.MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request, pk=None):
        """Either side records that the accepted cooperation has started."""
        return self.take_step(request, services.start_match)

    @extend_schema(request=serializers.MatchNoteSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Either side cancels an accepted match or one in progress; its capacity is freed."""
        return self.take_step(request, services.cancel_match)

    @extend_schema(request=serializers.OutcomeSerializer, responses=STEP_RESPONSES)
    @action(detail=True, methods=["post"], filter_backends=[])
    def complete(self, request, pk=None):
        """Either side completes a match in progress and records its outcome."""
        match = self.get_object()
        body = serializers.OutcomeSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.complete_match(match, user=request.user, outcome=body.validated_data)
        return Response(self.record(match))


@extend_schema_view(
    update=extend_schema(
        responses={
            200: serializers.OutcomeSerializer,
            409: error("The time to change the outcome is over."),
        }
    ),
    partial_update=extend_schema(
        responses={
            200: serializers.OutcomeSerializer,
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

    serializer_class = serializers.OutcomeSerializer
    filterset_class = filtersets.OutcomeFilterSet
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = Pagination

    def get_queryset(self):
        return (
            Outcome.objects.visible_to(self.request.user)
            .select_related("match__request__organization", "match__offer__organization", "created_by")
            .prefetch_related("objectives", "indicators")
        )


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The requesting user's in-app notifications, newest first, and their alert preferences."""

    serializer_class = serializers.NotificationSerializer
    filterset_class = filtersets.NotificationFilterSet
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(request=None, responses={200: serializers.NotificationSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request, pk=None):
        """Marks the notification as read."""
        notification = services.mark_notification_read(self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(methods=["get"], responses={200: serializers.AlertPreferenceSerializer})
    @extend_schema(
        methods=["patch"],
        request=serializers.AlertPreferenceSerializer,
        responses={200: serializers.AlertPreferenceSerializer},
    )
    @action(
        detail=False,
        methods=["get", "patch"],
        filter_backends=[],
        pagination_class=None,
        serializer_class=serializers.AlertPreferenceSerializer,
    )
    def preferences(self, request):
        """Whether the user gets e-mails (the in-app list is always kept) and the daily digest of new
        postings that fit their organizations' postings."""
        preference = services.alert_preferences(request.user)
        if request.method == "GET":
            return Response(self.get_serializer(preference).data)
        body = self.get_serializer(preference, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(self.get_serializer(body.save()).data)
