"""The test cast: an editor of a requesting Party, an editor of an offering institute, a viewer,
an outsider, an anonymous client and a staff moderator."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from matchmaking.choices import MemberRole
from matchmaking.models import Membership, Organization

PASSWORD = "a-long-test-password"


def make_user(username, **extra):
    return get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD, **extra)


@pytest.fixture
def party(db):
    """The requesting Party: the national CHM focal point of the DR Congo (AFR, developing, ldc)."""
    return Organization.objects.create(name="Point focal CHM de la RD Congo", kind="party", country_id="CD")


@pytest.fixture
def institute(db):
    """The offering institute, in Belgium."""
    return Organization.objects.create(
        name="Royal Belgian Institute of Natural Sciences", kind="institute", country_id="BE", verified=True
    )


def _member(organization, username, role):
    user = make_user(username)
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


@pytest.fixture
def party_editor(party):
    return _member(party, "party_editor", MemberRole.EDITOR)


@pytest.fixture
def institute_editor(institute):
    return _member(institute, "institute_editor", MemberRole.EDITOR)


@pytest.fixture
def party_viewer(party):
    return _member(party, "party_viewer", MemberRole.VIEWER)


@pytest.fixture
def outsider(db):
    return make_user("outsider")


@pytest.fixture
def staff(db):
    return make_user("moderator", is_staff=True)


@pytest.fixture
def api():
    """An API client; call `api.force_authenticate(user)` to act as someone."""
    return APIClient()


@pytest.fixture
def client_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login
