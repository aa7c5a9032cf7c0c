from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api import views

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

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
