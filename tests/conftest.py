"""The test cast: an editor of a requesting Party, an editor of an offering institute, a viewer,
an outsider, an anonymous client and a staff moderator."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from rest_framework.test import APIClient

from matchmaking.choices import MemberRole
from matchmaking.models import Membership, Organization
from matchmaking.services.opportunities import create_opportunity

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
def superuser(db):
    """A member of the secretariat who may use the admin site."""
    return make_user("admin", is_staff=True, is_superuser=True)


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


class FakeEmbedder:
    """A small deterministic embedder for tests where the real model is not the point: hashed
    bags of words, L2-normalised. Counts the texts it encodes."""

    name = "fake-bag-of-words"
    dim = 64
    languages = None
    cosine_floor = 0.0

    def __init__(self):
        self.encoded = []

    def encode(self, texts, batch_size=32):
        import hashlib

        import numpy as np

        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@pytest.fixture
def fake_embedder(monkeypatch):
    embedder = FakeEmbedder()
    monkeypatch.setattr("matchmaking.recommendations.embedding.embedder", lambda: embedder)
    return embedder


@pytest.fixture
def client_for(request):
    """An API client acting as one of the cast, named by its fixture ("anonymous" for nobody)."""

    def make(who):
        client = APIClient()
        if who != "anonymous":
            client.force_authenticate(request.getfixturevalue(who))
        return client

    return make


def make_opportunity(organization, direction, title, **data):
    """An opportunity made through the service, as the API makes them; M2M fields by key."""
    data.setdefault("description", f"{title}. Details of the cooperation.")
    return create_opportunity(
        user=None, data={"direction": direction, "title": title, "organization": organization, **data}
    )


@pytest.fixture
def party_request(party):
    """An open request of the Party: its CHM website needs a host."""
    return make_opportunity(
        party,
        "request",
        "Our national CHM website needs a reliable host",
        cooperation_type_id="hosting",
        themes=["information_systems"],
        languages=["fr"],
    )


@pytest.fixture
def institute_offer(institute):
    """An open offer of the institute: hosting for developing countries, in French and English."""
    return make_opportunity(
        institute,
        "offer",
        "Hosting of national clearing-house mechanism websites",
        cooperation_type_id="hosting",
        themes=["information_systems"],
        languages=["fr", "en"],
        eligible_groups=["developing"],
    )


@pytest.fixture
def party_draft(party):
    """A draft request of the Party: seen by its members and staff only."""
    return make_opportunity(
        party, "request", "Training of two webmasters", status="draft", cooperation_type_id="training"
    )


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The default hasher takes a good part of a second per user; the cast needs no strong hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request in another language (LocaleMiddleware
    activates it for the thread) must not leave it to the next test's direct calls."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def restore_reference_data(django_db_setup, django_db_blocker):
    """For modules with transactional tests, which end by emptying every table: puts the reference
    data back once the module is done (see tests/test_lifecycle_concurrency.py for why)."""
    yield
    from matchmaking.reference import load_reference

    with django_db_blocker.unblock():
        load_reference()


@pytest.fixture
def transactional_reference_data(restore_reference_data, transactional_db):
    """A transactional test's database, with the reference data (emptied by an earlier flush)."""
    from matchmaking.models import Country
    from matchmaking.reference import load_reference

    if not Country.objects.exists():
        load_reference()


@pytest.fixture(scope="session")
def vocabulary():
    """The vocabularies of the data files, as ml/ gets them (no database needed)."""
    from matchmaking.recommendations.vocabulary import data_vocabulary

    return data_vocabulary()
