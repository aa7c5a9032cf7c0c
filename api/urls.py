from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views
from matchmaking.middleware import csp_extend

router = DefaultRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register(
    r"organizations/(?P<organization_pk>[0-9]+)/members", views.MemberViewSet, basename="organization-member"
)
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("countries", views.CountryViewSet, basename="country")
router.register("cooperation-types", views.CooperationTypeViewSet, basename="cooperation-type")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("objectives", views.ObjectiveViewSet, basename="objective")
router.register("matches", views.MatchViewSet, basename="match")
router.register("outcomes", views.OutcomeViewSet, basename="outcome")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/reports/", include("api.reports")),
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
