"""API tokens, organizations and their members."""

from axes.helpers import get_cool_off
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.pagination import Pagination
from api.permissions import IsEditorOrReadOnly, IsMemberOrEditor
from api.schema import error
from api.serializers.organizations import FocalPointSerializer, MembershipSerializer, OrganizationSerializer
from matchmaking.filtersets import OrganizationFilterSet
from matchmaking.models import (
    Membership,
    Organization,
)
from matchmaking.services import memberships, moderation
from matchmaking.throttles import TokenRateThrottle


@extend_schema(
    tags=["auth"],
    auth=[],
    summary="Exchange a username and password for an API token",
    description=(
        "Failed attempts are counted per username and per address, with those of the web sign-in and "
        "the admin: past the limit, this answers 429, even for the right password, until the lock expires."
    ),
)
class TokenView(ObtainAuthToken):
    throttle_classes = [TokenRateThrottle]
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # ObtainAuthToken names DRF's own

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes refused the credentials, right or wrong, because of earlier failures.
            if getattr(request, "axes_locked_out", False):
                wait = get_cool_off(request)
                raise Throttled(
                    wait=wait and wait.total_seconds(),
                    detail=_("Too many failed sign-ins for this username or from this address."),
                ) from None
            raise


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
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    permission_classes = [IsEditorOrReadOnly]
    pagination_class = Pagination

    @extend_schema(
        methods=["POST"],
        request=FocalPointSerializer,
        responses={200: OrganizationSerializer, 403: error("Only staff designate focal points.")},
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={200: OrganizationSerializer, 403: error("Only staff designate focal points.")},
    )
    @action(detail=True, methods=["post", "delete"], url_path="focal-point", permission_classes=[IsAdminUser])
    def focal_point(self, request, pk=None):
        """Staff designate the organization as a Party's official national focal point (which verifies
        it), or take the designation away (DELETE). Only a designated focal point's postings are
        labelled as made on behalf of the Party (`on_behalf_of_party`). Audited."""
        organization = self.get_object()
        if request.method == "DELETE":
            organization = moderation.withdraw_focal_point(organization, user=request.user)
        else:
            designation = FocalPointSerializer(data=request.data)
            designation.is_valid(raise_exception=True)
            organization = moderation.designate_focal_point(
                organization, user=request.user, **designation.validated_data
            )
        return Response(self.get_serializer(organization).data)


@extend_schema(parameters=[OpenApiParameter("organization_pk", int, OpenApiParameter.PATH)])
@extend_schema_view(
    list=extend_schema(
        responses={
            200: MembershipSerializer(many=True),
            401: error("Not authenticated."),
            403: error("Not a member of the organization."),
        }
    ),
    retrieve=extend_schema(
        responses={
            200: MembershipSerializer,
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

    serializer_class = MembershipSerializer
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
        memberships.remove_member(membership, user=self.request.user)
