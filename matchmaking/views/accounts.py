"""Signing in, asking for a password reset and signing up, throttled per IP address (the "login" and
"signup" rates of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) against password guessing, mail floods
and mass registration. A new account confirms its e-mail address before it can sign in; the pages
answer the same whether or not an address is registered."""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.core.mail import send_mail
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.i18n import set_language

from matchmaking.forms.organizations import ConfirmAgainForm, SignUpForm
from matchmaking.models import Organization
from matchmaking.services import accounts, alerts
from matchmaking.throttles import LoginRateThrottle, SignUpRateThrottle

from .organizations import registered_message


def refused(request, throttle):
    """None if the address may go on, else the number of seconds to wait (with a message said)."""
    if throttle.allow_request(request, None):
        return None
    wait = math.ceil(throttle.wait() or 60)
    messages.error(
        request,
        _("Too many attempts from your address. Try again in %(seconds)d seconds.") % {"seconds": wait},
    )
    return wait


def too_many(response, wait):
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


class ThrottledPostMixin:
    """Refuses a POST with 429 and the form again once the address sent too many."""

    def post(self, request, *args, **kwargs):
        wait = refused(request, LoginRateThrottle())
        if wait is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form_class()(**self.unbound())
        return too_many(self.render_to_response(self.get_context_data(form=form)), wait)

    def unbound(self):
        kwargs = self.get_form_kwargs()
        kwargs.pop("data", None)
        kwargs.pop("files", None)
        return kwargs


class LoginView(ThrottledPostMixin, auth_views.LoginView):
    pass


class PasswordResetView(ThrottledPostMixin, auth_views.PasswordResetView):
    pass


def mail(request, user, template, **context):
    """Sends the e-mail `template`_subject.txt / `template`.txt to the user, in the page's language."""
    context = {"user": user, "site": request.get_host(), **context}
    subject = "".join(render_to_string(f"{template}_subject.txt", context, request).splitlines())
    body = render_to_string(f"{template}.txt", context, request)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def send_confirmation(request, user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = accounts.confirmation_tokens.make_token(user)
    link = request.build_absolute_uri(reverse("web:confirm_email", args=[uid, token]))
    mail(request, user, "registration/confirm_email", link=link)


def signup(request):
    if request.user.is_authenticated:
        return redirect("web:my_organization")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        wait = refused(request, SignUpRateThrottle())
        if wait is not None:
            return too_many(
                render(request, "matchmaking/signup.html", {"form": SignUpForm(request.POST)}), wait
            )
        if form.is_valid():
            data = form.cleaned_data
            creates = data["intent"] == SignUpForm.CREATE
            user = accounts.sign_up(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                organization=form.organization_form.cleaned_data if creates else None,
                join=None if creates else data["organization"],
            )
            if user is None:
                existing = accounts.account_with_email(data["email"])
                mail(
                    request,
                    existing,
                    "registration/account_exists",
                    login=request.build_absolute_uri(reverse("web:login")),
                )
            else:
                alerts.set_alert_preferences(user, language=get_language())
                send_confirmation(request, user)
            return redirect("web:signup_done")
    return render(request, "matchmaking/signup.html", {"form": form})


def signup_done(request):
    return render(request, "registration/signup_done.html")


def confirm_email(request, uidb64, token):
    try:
        user = get_user_model().objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if not accounts.confirm_email(user, token):
        return render(request, "registration/confirm_invalid.html", {"form": ConfirmAgainForm()}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    organization = Organization.objects.of_member(user).first()
    if organization is not None:
        messages.success(request, registered_message())
        return redirect("web:organization", pk=organization.pk)
    messages.success(
        request,
        _(
            "Your e-mail address is confirmed. Your request to join has been sent to the organization's editors."
        ),
    )
    return redirect("web:my_organization")


def confirm_again(request):
    """Sends the confirmation link again, to an account that is still waiting for it."""
    form = ConfirmAgainForm(request.POST or None)
    if request.method == "POST":
        wait = refused(request, LoginRateThrottle())
        if wait is not None:
            return too_many(render(request, "registration/confirm_again.html", {"form": form}), wait)
        if form.is_valid():
            user = accounts.awaiting_confirmation(form.cleaned_data["email"])
            if user is not None:
                send_confirmation(request, user)
            return redirect("web:signup_done")
    return render(request, "registration/confirm_again.html", {"form": form})


def switch_language(request):
    """Django's language switch; a signed-in user's choice is also the language they are written to in."""
    response = set_language(request)
    language = request.POST.get("language")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language
        and language in dict(settings.LANGUAGES)
    ):
        alerts.set_alert_preferences(request.user, language=language)
    return response
