from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request):
    """The form's `next` field if it points to this site, else ""."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def redirect_back(request, default, *args, **kwargs):
    """Redirects to the form's `next` field if it points to this site, else to `default`."""
    target = safe_next(request)
    return redirect(target) if target else redirect(default, *args, **kwargs)


def confirmed(request):
    """Whether a destructive step's POST comes from its confirmation page."""
    return request.POST.get("confirm") == "yes"


def confirmation(request, *, question, consequence, yes, back, subject="", keep=(), quote=""):
    """The page that asks before a destructive step, reached by its button with or without
    JavaScript: "yes" sends the same POST again with `confirm=yes` and the fields named in `keep`;
    "no" goes `back`. `quote` shows what the user typed (a note) before they confirm."""
    context = {
        "question": question,
        "subject": subject,
        "consequence": consequence,
        "yes": yes,
        "back": back,
        "quote": quote,
        "action": request.path,
        "kept": [(name, value) for name in keep for value in request.POST.getlist(name)],
    }
    return render(request, "matchmaking/confirm.html", context)
