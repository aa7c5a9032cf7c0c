"""Request rates (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]). Anonymous clients are counted by IP
address (behind a proxy, set DJANGO_NUM_PROXIES), signed-in ones by user; staff, who moderate and
run the scripts of the secretariat, are not throttled, except when asking for a token or signing in."""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle, UserRateThrottle


def client_address(request):
    """The client's address as the throttles count it (behind DJANGO_NUM_PROXIES proxies, the one
    they add to X-Forwarded-For); django-axes counts failed sign-ins by it too."""
    return BaseThrottle().get_ident(request)


class StaffExemptUserRateThrottle(UserRateThrottle):
    """Every request of a signed-in user, or of an anonymous client: the "user" rate."""

    def allow_request(self, request, view):
        if request.user.is_authenticated and request.user.is_staff:
            return True
        return super().allow_request(request, view)


class WriteRateThrottle(SimpleRateThrottle):
    """Requests that change something (POST, PUT, PATCH, DELETE): the "writes" rate."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or (request.user.is_authenticated and request.user.is_staff):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(SimpleRateThrottle):
    """Every request from one IP address, whoever it claims to be."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenRateThrottle(AddressRateThrottle):
    """Asking for an API token: the "token" rate, against password guessing."""

    scope = "token"


class LoginRateThrottle(AddressRateThrottle):
    """Signing in, or asking for a password reset, on the web pages: the "login" rate."""

    scope = "login"


class SignUpRateThrottle(AddressRateThrottle):
    """Opening accounts on the web pages: the "signup" rate, against mass registration."""

    scope = "signup"
