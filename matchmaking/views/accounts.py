"""Signing in and asking for a password reset, with Django's views, throttled per IP address (the
"login" rate of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) against password guessing and mail floods."""

import math

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _

from matchmaking.throttles import LoginRateThrottle


class ThrottledPostMixin:
    """Refuses a POST with 429 and the form again once the address sent too many."""

    def post(self, request, *args, **kwargs):
        throttle = LoginRateThrottle()
        if throttle.allow_request(request, self):
            return super().post(request, *args, **kwargs)
        wait = math.ceil(throttle.wait() or 60)
        messages.error(
            request,
            _("Too many attempts from your address. Try again in %(seconds)d seconds.") % {"seconds": wait},
        )
        response = self.render_to_response(
            self.get_context_data(form=self.get_form_class()(**self.unbound()))
        )
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response

    def unbound(self):
        kwargs = self.get_form_kwargs()
        kwargs.pop("data", None)
        kwargs.pop("files", None)
        return kwargs


class LoginView(ThrottledPostMixin, auth_views.LoginView):
    pass


class PasswordResetView(ThrottledPostMixin, auth_views.PasswordResetView):
    pass
