"""Django's error views (handler400, 403, 404, 500): JSON `{"detail"}` under /api/, as the OpenAPI
schema says, the usual pages elsewhere. They answer what no API view handled: an address that
matches no route, a request Django refused before any view, an unexpected error."""

from django.http import JsonResponse
from django.views import defaults


def is_api(request):
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
