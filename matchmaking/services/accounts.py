"""Accounts: signing up opens an account that cannot sign in until its e-mail address is confirmed
through a link sent to it. The answer is the same whether or not the address is already in use, so
that signing up does not tell who is registered."""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction

from . import memberships, organizations


class EmailConfirmationTokens(PasswordResetTokenGenerator):
    """Links that confirm an address: valid for PASSWORD_RESET_TIMEOUT, and for one use, since the
    account's state is part of the token."""

    key_salt = "matchmaking.services.accounts.EmailConfirmationTokens"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


confirmation_tokens = EmailConfirmationTokens()


def account_with_email(email):
    return get_user_model().objects.filter(email__iexact=email).first()


def account_named(username, email):
    """The active account with this username and this e-mail, or None: adding a member takes both,
    so that an unknown username and a wrong e-mail get the same answer."""
    return (
        get_user_model()
        .objects.filter(is_active=True, username=username.strip(), email__iexact=email)
        .first()
    )


def sign_up(*, username, email, password, organization=None, join=None, message=""):
    """Opens an account, not active until confirmed, with either a new organization (`organization`:
    its fields) or a request to join one (`join`). Returns the account, or None when an account
    already uses the address: then nothing is created."""
    if account_with_email(email) is not None:
        return None
    with transaction.atomic():
        user = get_user_model().objects.create_user(username, email, password, is_active=False)
        if organization is not None:
            organizations.create_organization(user=user, data=organization)
        else:
            memberships.request_to_join(join, user=user, message=message)
    return user


def awaiting_confirmation(email):
    """The account under this address that was opened and never confirmed, if any (an account that
    staff deactivated, or that has signed in before, is not one)."""
    user = account_with_email(email)
    if user is None or user.is_active or user.last_login is not None:
        return None
    return user


def confirm_email(user, token):
    """Activates the account if the token is its; returns whether it did."""
    if user is None or user.is_active or not confirmation_tokens.check_token(user, token):
        return False
    user.is_active = True
    user.save(update_fields=["is_active"])
    return True
