from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("", include("matchmaking.web_urls")),
]

# JSON errors under /api/, the usual pages elsewhere.
handler400 = "matchmaking.views.errors.bad_request"
handler403 = "matchmaking.views.errors.permission_denied"
handler404 = "matchmaking.views.errors.page_not_found"
handler500 = "matchmaking.views.errors.server_error"
