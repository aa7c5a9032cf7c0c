"""Middleware for running in production: a Content-Security-Policy header on every response; a 503
with Retry-After, instead of a 500, while the database cannot be reached; a 400 for a value the
database refuses as invalid data."""

import functools
import logging

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

CSP_HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Adds CONTENT_SECURITY_POLICY to responses that do not set their own (see `csp_extend`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and CSP_HEADER not in response:
            response[CSP_HEADER] = policy
        return response


def csp_extend(directives):
    """A view decorator: the view's responses carry the site's policy with `directives` added (a
    directive the site's policy already has keeps the site's value, as browsers take the first)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            policy = settings.CONTENT_SECURITY_POLICY
            if policy:
                response[CSP_HEADER] = f"{policy}; {directives}"
            return response

        return wrapped

    return decorator


UNAVAILABLE = "The database is unavailable for a moment. Nothing was changed; try again shortly."
INVALID_DATA = (
    "A value in the request cannot be stored or looked up (a NUL character, or a number or date out of "
    "range). Nothing was changed."
)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


class DatabaseErrorMiddleware:
    """Turns the database errors that are not bugs of the view into answers:

    - the database cannot be reached (it is restarting, or the connection broke): 503 with
      Retry-After. The request's transaction was rolled back, so nothing was half-written, and Django
      replaces the broken connection at the next request (CONN_HEALTH_CHECKS);
    - the database refuses a value of the request as invalid data (SQLSTATE class 22: a NUL character
      in text, an integer or a date out of range): 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable during %s %s: %s", request.method, request.path, exception)
            response = self.answer(request, 503, "Service unavailable", UNAVAILABLE)
            response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
            return response
        if isinstance(exception, DataError):
            logger.warning("Invalid data in %s %s: %s", request.method, request.path, exception)
            return self.answer(request, 400, "Bad request", INVALID_DATA)
        return None

    def answer(self, request, status, title, message):
        if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": message}, status=status)
        return HttpResponse(PAGE.format(title=title, message=message), status=status)
