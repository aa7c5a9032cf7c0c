"""Middleware for running in production: a Content-Security-Policy header on every response; a 503
with Retry-After, instead of a 500, while the database cannot be reached; a 400 for a value the
database refuses as invalid data. Either says "nothing was changed" only when that is known."""

import functools
import logging

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError, connection, transaction
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
UNAVAILABLE_UNKNOWN = (
    "The database became unavailable while the request was being handled: the change may have been "
    "saved. Check before trying again, or send the request again with the same Idempotency-Key header "
    "(the API does it once)."
)
INVALID_DATA = (
    "A value in the request cannot be stored or looked up (a NUL character, or a number or date out of "
    "range). Nothing was changed."
)
INVALID_DATA_UNKNOWN = (
    "A value in the request cannot be stored or looked up (a NUL character, or a number or date out of "
    "range). Part of the change may have been saved; check before trying again."
)
READ_ONLY = {"SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW"}


class WriteTracker:
    """A database execute wrapper that tells whether a request's writes may have been saved when a
    database error cuts it short. Nothing was saved when no statement that writes was sent, or when
    the error came from a statement inside a transaction that had not yet committed (the database
    rolls it back). A write sent outside a transaction, a committed transaction that wrote, or an
    error from the commit itself leave it unknown."""

    def __init__(self):
        self.wrote = False
        self.maybe_saved = False
        self.failure = None  # the error a statement raised inside a transaction not yet committed

    def __call__(self, execute, sql, params, many, context):
        writes = sql.lstrip().split(None, 1)[0].upper() not in READ_ONLY if sql.strip() else False
        in_transaction = context["connection"].in_atomic_block
        if writes:
            self.wrote = True
            if in_transaction:
                transaction.on_commit(self.saved)
        try:
            result = execute(sql, params, many, context)
        except Exception as error:
            if writes and not in_transaction:
                self.maybe_saved = True
            elif in_transaction:
                self.failure = error
            raise
        if writes and not in_transaction:
            self.maybe_saved = True
        return result

    def saved(self):
        self.maybe_saved = True

    def nothing_saved(self, exception):
        if not self.wrote:
            return True
        return not self.maybe_saved and exception is self.failure


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
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        request.database_writes = WriteTracker()
        with connection.execute_wrapper(request.database_writes):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable during %s %s: %s", request.method, request.path, exception)
            message = UNAVAILABLE if nothing_saved(request, exception) else UNAVAILABLE_UNKNOWN
            return unavailable(request, message)
        if isinstance(exception, DataError):
            logger.warning("Invalid data in %s %s: %s", request.method, request.path, exception)
            message = INVALID_DATA if nothing_saved(request, exception) else INVALID_DATA_UNKNOWN
            return answer(request, 400, "Bad request", message, code="invalid_data")
        return None


def nothing_saved(request, exception):
    tracker = getattr(request, "database_writes", None)
    return tracker is None or tracker.nothing_saved(exception)


def unavailable(request, message):
    response = answer(request, 503, "Service unavailable", message, code="database_unavailable")
    response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
    return response


def answer(request, status, title, message, code):
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message, "code": code}, status=status)
    return HttpResponse(PAGE.format(title=title, message=message), status=status)
