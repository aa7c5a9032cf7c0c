"""Offers and requests, and the recommendations of one."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import Pagination
from api.permissions import IsEditor, IsEditorOrReadOnly
from api.schema import error, validation_error
from api.serializers.help import HelpAdviceSerializer, HelpInvitationSerializer, InviteSerializer
from api.serializers.opportunities import (
    MatchListSerializer,
    MatchQuerySerializer,
    OpportunitySerializer,
    RenewSerializer,
)
from matchmaking.filtersets import OpportunityFilterSet
from matchmaking.models import Opportunity
from matchmaking.models.opportunities import list_keys
from matchmaking.recommendations.recommend import recommend
from matchmaking.services.embeddings import ensure_embedded
from matchmaking.services.opportunities import close_opportunity, renew_opportunity, reopen_opportunity
from matchmaking.services.who_could_help import invite_to_help, who_could_help


class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Offers and requests. Open and closed opportunities are public, drafts only to their
    organization's members and staff; the organization's editors and staff change them."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet
    permission_classes = [IsEditorOrReadOnly]
    pagination_class = Pagination

    def get_queryset(self):
        queryset = Opportunity.objects.visible_to(self.request.user).select_related(
            "organization", "cooperation_type"
        )
        if self.action in ("matches", "who_could_help", "invite"):  # the opportunity itself is not serialized
            return queryset
        if self.action in ("list", "retrieve"):  # their lists are read as keys (see with_list_keys)
            return queryset
        return queryset.with_lists()

    def filter_queryset(self, queryset):
        # The filters choose among the list; one opportunity is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def paginate_queryset(self, queryset):
        return with_list_keys(super().paginate_queryset(queryset))

    def get_object(self):
        opportunity = super().get_object()
        return with_list_keys([opportunity])[0] if self.action == "retrieve" else opportunity

    def perform_create(self, serializer):
        self.check_object_permissions(self.request, serializer.validated_data["organization"])
        serializer.save()

    @extend_schema(
        request=None,
        responses={200: OpportunitySerializer, 409: error("Already closed.")},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Closes an opportunity: it stays public but is no longer recommended."""
        opportunity = self.get_object()
        opportunity = close_opportunity(opportunity, user=request.user)
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(
        request=None,
        responses={
            200: OpportunitySerializer,
            400: validation_error("It has ended or its application deadline has passed."),
            409: error("Not closed."),
        },
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Opens a closed opportunity again (not one that has ended or whose deadline has passed)."""
        opportunity = self.get_object()
        opportunity = reopen_opportunity(opportunity, user=request.user)
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(
        request=RenewSerializer,
        responses={
            200: OpportunitySerializer,
            400: validation_error(
                "The new end date is not in the future, not later than the current one or too far; or the "
                "application deadline does not fit."
            ),
            409: error("A draft, or a posting without an end date."),
        },
    )
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Extends an open or closed posting in one step: a later end date, and its application deadline
        if it has one (given, or moved by as many days). A closed posting opens again and is recommended
        again."""
        opportunity = self.get_object()
        body = RenewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        opportunity = renew_opportunity(opportunity, user=request.user, **body.validated_data)
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(
        parameters=[MatchQuerySerializer],
        responses={
            200: MatchListSerializer,
            400: validation_error("Invalid limit."),
        },
    )
    @action(detail=True, pagination_class=None)
    def matches(self, request, pk=None):
        """The opportunities recommended for this one, best first: open offers for a request, open
        requests for an offer; never one that is expired, ineligible or of the same organization."""
        opportunity = self.get_object()
        query = MatchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = recommend(opportunity, limit=query.validated_data["limit"])
        if results.pending and ensure_embedded(opportunity):
            results = recommend(opportunity, limit=query.validated_data["limit"])
        body = MatchListSerializer(
            {"results": results, "pending": getattr(results, "pending", False)},
            context=self.get_serializer_context(),
        )
        return Response(body.data)

    @extend_schema(
        responses={
            200: HelpAdviceSerializer,
            401: error("Not authenticated."),
            403: error("Not an editor of the request's organization (nor staff)."),
        },
    )
    @action(
        detail=True,
        url_path="who-could-help",
        permission_classes=[IsEditor],
        pagination_class=None,
    )
    def who_could_help(self, request, pk=None):
        """Who could help with a request that has had no proposal WHO_COULD_HELP_AFTER_DAYS after it was
        published and no good match: the organizations whose past offers or completed cooperation are of
        its kind or close in meaning, best first, each with its reasons. For the request's editors and
        staff; `status` says why there are none."""
        advice = who_could_help(self.get_object())
        return Response(HelpAdviceSerializer(advice, context=self.get_serializer_context()).data)

    @extend_schema(
        request=InviteSerializer,
        responses={
            201: HelpInvitationSerializer,
            400: validation_error("Not an organization suggested for this request."),
            403: error("Not an editor of the request's organization (nor staff)."),
            409: error("Already invited, or the request no longer waits for help."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="who-could-help/invite",
        permission_classes=[IsEditor],
    )
    def invite(self, request, pk=None):
        """Invites an organization suggested by who-could-help to help with this request: its editors are
        told, in-app and by e-mail, with a link to the request. Once per organization and request."""
        opportunity = self.get_object()
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invitation = invite_to_help(opportunity, body.validated_data["organization"], user=request.user)
        return Response(HelpInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


def with_list_keys(opportunities):
    """The opportunities, each with the keys of its lists in `list_keys` (which the serializer reads
    instead of prefetched rows): five small queries for a whole page."""
    keys = list_keys([opportunity.pk for opportunity in opportunities])
    for opportunity in opportunities:
        opportunity.list_keys = keys[opportunity.pk]
    return opportunities
