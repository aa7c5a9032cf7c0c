from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api.views import conversations, matches, notifications, opportunities, organizations, reference
from matchmaking.middleware import csp_extend

router = DefaultRouter()
router.register("organizations", organizations.OrganizationViewSet, basename="organization")
router.register(
    r"organizations/(?P<organization_pk>[0-9]+)/members",
    organizations.MemberViewSet,
    basename="organization-member",
)
router.register("opportunities", opportunities.OpportunityViewSet, basename="opportunity")
router.register("countries", reference.CountryViewSet, basename="country")
router.register("cooperation-types", reference.CooperationTypeViewSet, basename="cooperation-type")
router.register("themes", reference.ThemeViewSet, basename="theme")
router.register("frameworks", reference.FrameworkViewSet, basename="framework")
router.register("objectives", reference.ObjectiveViewSet, basename="objective")
router.register("matches", matches.MatchViewSet, basename="match")
router.register(
    r"matches/(?P<match_pk>[0-9]+)/messages", conversations.MatchMessageViewSet, basename="match-message"
)
router.register("outcomes", matches.OutcomeViewSet, basename="outcome")
router.register("notifications", notifications.NotificationViewSet, basename="notification")

urlpatterns = [
    path("v1/auth/token/", organizations.TokenView.as_view(), name="token"),
    path("v1/reports/", include("api.reports.urls")),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The UI's script is served from here too; its page has one inline style block.
    path(
        "docs/",
        csp_extend("style-src 'self' 'unsafe-inline'")(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="docs",
    ),
]
