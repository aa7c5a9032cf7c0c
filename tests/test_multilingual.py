"""Matching in the six UN languages and Portuguese, through the service and its real model: the language
of each text is detected and stored, opportunities meet across languages by meaning, and the reasons
say so in the reader's language; a text the model cannot read says so too."""

import pytest
from django.urls import reverse

from matchmaking.models import OpportunityEmbedding
from matchmaking.services.embeddings import embed_opportunities
from tests.conftest import make_opportunity

pytestmark = pytest.mark.django_db

HOSTING_OFFER = (
    "Hosting of national CHM websites",
    "We host the clearing-house websites of developing countries on our servers, with daily backups "
    "and a technician who answers within a day.",
)
TRAINING_OFFER = (
    "Training course for webmasters",
    "A two-week course in Brussels on building and maintaining biodiversity websites, for two staff.",
)
REQUESTS = {
    "ar": (
        "نحتاج إلى استضافة موقعنا الوطني",
        "موقع آلية تبادل المعلومات لدينا يتعطل كثيراً بسبب انقطاع الكهرباء، ونبحث عن خادم موثوق يستضيفه.",
    ),
    "zh": (
        "我们的国家网站需要托管",
        "我们的信息交换所机制网站经常因停电而无法访问，我们正在寻找可靠的服务器来托管它。",
    ),
    "ru": (
        "Нужен хостинг для национального сайта",
        "Сайт нашего механизма посредничества часто недоступен из-за отключений электричества; ищем надёжный сервер.",
    ),
}


@pytest.fixture
def offers(institute):
    made = [
        make_opportunity(
            institute, "offer", title, description=description, languages=["en", "ar", "zh", "ru"]
        )
        for title, description in (HOSTING_OFFER, TRAINING_OFFER)
    ]
    embed_opportunities([offer.pk for offer in made])
    return made


def matches(client, opportunity, language="en"):
    response = client.get(f"/api/v1/opportunities/{opportunity.pk}/matches/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("language", sorted(REQUESTS))
def test_a_request_finds_the_english_offer_of_its_need_across_languages(client_for, party, offers, language):
    title, description = REQUESTS[language]
    need = make_opportunity(party, "request", title, description=description, languages=[language])
    body = matches(client_for("party_editor"), need)  # embeds it first, and reads its language
    need.refresh_from_db()
    assert need.text_language == language
    assert body["pending"] is False
    [first, second] = body["results"]
    assert first["opportunity"]["id"] == offers[0].pk
    reasons = first["reasons"]
    assert reasons["across_languages"] is True and reasons["text_languages"] == [language, "en"]
    assert reasons["shared_terms"] == []  # no English words shown to its reader
    assert any(sentence.startswith("Matched by meaning across languages") for sentence in reasons["summary"])


def test_the_reasons_are_written_in_the_readers_language(client_for, party, offers):
    title, description = REQUESTS["ru"]
    need = make_opportunity(party, "request", title, description=description, languages=["ru", "fr"])
    summary = matches(client_for("party_editor"), need, language="fr")["results"][0]["reasons"]["summary"]
    assert "Rapprochées par le sens, d'une langue à l'autre (russe et anglais)" in summary


def test_the_language_of_a_text_is_stored_and_shown_by_the_api(
    client_for, party, django_capture_on_commit_callbacks
):
    body = {
        "direction": "request",
        "title": "Formation des webmestres",
        "description": "Nous cherchons une formation pour les deux webmestres de notre site national.",
        "organization": party.pk,
        "languages": ["fr"],
    }
    client = client_for("party_editor")
    # the embedding task runs when the write commits, as the default backend runs it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/opportunities/", body, format="json")
    assert response.status_code == 201
    url = f"/api/v1/opportunities/{response.json()['id']}/"
    assert client.get(url).json()["text_language"] == "fr"
    english = "We are looking for a course for the two webmasters of our national site."
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(url, {"description": english}, format="json")
    assert client.get(url).json()["text_language"] == "en"


SWAHILI = (
    "Tunahitaji mafunzo kwa wasimamizi wa tovuti",
    "Wafanyakazi wetu wawili wanahitaji mafunzo ya kusimamia tovuti ya kitaifa ya bioanuwai na kuisasisha kila wiki.",
)


def test_a_text_the_model_cannot_read_says_so_to_its_author(
    client_as, client_for, party, party_editor, offers
):
    need = make_opportunity(
        party, "request", SWAHILI[0], description=SWAHILI[1], cooperation_type_id="training"
    )
    embed_opportunities([need.pk])
    need.refresh_from_db()
    assert need.text_language == "sw"
    page = client_as(party_editor).get(reverse("web:opportunity", args=[need.pk])).text
    assert "Your posting is written in Swahili, which the matching model does not read" in page
    reasons = matches(client_for("party_editor"), need)["results"][0]["reasons"]
    assert reasons["text_language_covered"] == [False, True]
    assert reasons["summary"][0].startswith("Your text is in Swahili, which the matching model does not read")


def test_a_text_the_model_reads_says_nothing_of_it(client_as, party, party_editor):
    need = make_opportunity(party, "request", *REQUESTS["zh"][:1], description=REQUESTS["zh"][1])
    page = client_as(party_editor).get(reverse("web:opportunity", args=[need.pk])).text
    assert "which the matching model does not read" not in page


class OtherModel:
    """Another model, as after a change of EMBEDDING_BACKEND: its vectors are keyed by its name."""

    name = "another-model"
    dim = 8
    languages = None
    cosine_floor = 0.0

    def encode(self, texts):
        import numpy as np

        return np.ones((len(texts), self.dim), dtype=np.float32) / np.sqrt(self.dim)


def test_a_change_of_model_answers_from_words_and_structure_until_everything_is_embedded_again(
    client_for, party, offers, monkeypatch
):
    need = make_opportunity(party, "request", *REQUESTS["ar"][:1], description=REQUESTS["ar"][1])
    embed_opportunities([need.pk])
    assert matches(client_for("party_editor"), need)["pending"] is False
    other = OtherModel()
    monkeypatch.setattr("matchmaking.recommendations.embedding.embedder", lambda: other)
    monkeypatch.setattr("matchmaking.services.embeddings.ensure_embedded", lambda opportunity: None)
    monkeypatch.setattr("api.views.opportunities.ensure_embedded", lambda opportunity: None)
    body = matches(client_for("party_editor"), need)
    assert body["pending"] is True  # the stored vectors are the old model's: not used
    assert [r["opportunity"]["id"] for r in body["results"]]  # still answered
    embed_opportunities([need.pk, *(offer.pk for offer in offers)])
    assert set(OpportunityEmbedding.objects.values_list("model_name", flat=True)) == {"another-model"}
    assert matches(client_for("party_editor"), need)["pending"] is False


def test_search_finds_an_english_offer_for_a_chinese_query(client_for, offers):
    found = client_for("anonymous").get("/api/v1/opportunities/", {"q": "网站托管服务器"}).json()["results"]
    assert found[0]["id"] == offers[0].pk
