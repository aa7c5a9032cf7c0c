"""ml/language.py and ml/vocabulary.py: the language of a text, the type-fit table of the data file,
and the cooperation types and themes read from a text's meaning in any of the seven languages."""

import numpy as np
import pytest

from ml import embeddings
from ml.language import detect_language
from ml.vocabulary import DetectionConfig, TermDetector, Vocabulary

TEXTS = {
    "en": "We need our national clearing-house website hosted on a reliable server.",
    "fr": "Nous cherchons un hébergement fiable pour le site national du centre d'échange.",
    "es": "Buscamos un alojamiento fiable para el sitio web nacional del mecanismo de facilitación.",
    "pt": "Procuramos um alojamento fiável para o site nacional do mecanismo de intermediação.",
    "ar": "نبحث عن استضافة موثوقة للموقع الوطني لآلية تبادل المعلومات.",
    "ru": "Мы ищем надёжный хостинг для национального сайта механизма посредничества.",
    "zh": "我们正在为国家信息交换所机制网站寻找可靠的托管服务。",
}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_detects_the_seven_languages(language):
    assert detect_language(TEXTS[language]) == language


def test_a_text_too_short_to_tell_has_no_language():
    assert detect_language("") == ""
    assert detect_language("CHM 2026") == ""


def test_a_language_the_author_works_in_wins_over_a_close_neighbour():
    text = (
        "Biodiversidade dos sistemas agrícolas: culturas, gado, os seus parentes silvestres e polinizadores."
    )
    assert detect_language(text) == "gl"  # Galician, says the identifier
    assert detect_language(text, expected=["pt", "en"]) == "pt"
    assert detect_language(TEXTS["ru"], expected=["en"]) == "ru"  # but only a close one


def test_the_type_fit_table_comes_from_the_data(vocabulary):
    assert vocabulary.type_fit("hosting", "hosting") == 1.0
    assert vocabulary.type_fit("mirroring", "hosting") > vocabulary.type_fit("hosting", "mirroring")
    assert (
        vocabulary.type_fit("other", "funding")
        == vocabulary.type_fit(None, "hosting")
        == vocabulary.other_fit
    )
    assert vocabulary.type_fit("hosting", "mentoring") == vocabulary.unlisted_fit


def test_every_term_is_named_and_described_in_the_seven_languages(vocabulary):
    from matchmaking.reference import read

    seven = {"ar", "en", "es", "fr", "pt", "ru", "zh"}
    data = read("vocabularies.json")
    for row in data["cooperation_types"] + data["themes"]:
        for field in ("label", "description"):
            assert seven <= {lang for lang, text in row[field].items() if text.strip()}, (row["slug"], field)
            for lang, text in row[field].items():
                if len(text) > 40:  # long enough to tell
                    assert detect_language(text, expected=[lang]) == lang, (row["slug"], field, lang)
        if row["slug"] != "other":
            assert seven <= {lang for lang, words in row["synonyms"].items() if words}, row["slug"]
            assert (
                row["label"]["en"]
                in vocabulary.phrases["types" if row in data["cooperation_types"] else "themes"][row["slug"]]
            )
    assert "other" not in vocabulary.phrases["types"]  # no text points to "other"


def test_staff_synonyms_replace_those_of_the_data(vocabulary):
    data = {
        "type_fit": {"other": 0.5, "unlisted": 0.1},
        "cooperation_types": [
            {
                "slug": "mentoring",
                "label": {"en": "Mentoring"},
                "description": {"en": "Coaching."},
                "synonyms": {},
            }
        ],
        "themes": [],
    }
    edited = Vocabulary.from_data(data, synonyms={"mentoring": {"en": ["godparent"]}})
    assert edited.phrases["types"]["mentoring"] == ["Mentoring", "Coaching.", "godparent"]


class Axes:
    """An embedder whose dimensions are words: a text's vector counts the known words it uses."""

    words = ["host", "server", "train", "course", "coral", "reef"]

    def encode(self, texts):
        rows = np.array([[text.lower().count(w) for w in self.words] for text in texts], dtype=np.float32)
        return embeddings.normalize(rows)


def test_detection_reads_the_terms_closest_in_meaning():
    vocabulary = Vocabulary(
        types=["hosting", "training"],
        themes=["marine_coastal"],
        phrases={
            "types": {"hosting": ["host server"], "training": ["train course"]},
            "themes": {"marine_coastal": ["coral reef"]},
        },
    )
    detector = TermDetector(vocabulary, Axes().encode, DetectionConfig(floor=0.2, ceiling=0.6, margin=0.1))
    vector = Axes().encode(["host the server, host it again"])[0]
    assert detector.detect("types", vector) == {"hosting": 1.0}
    assert detector.detect("themes", vector) == {}  # says nothing of coral reefs
    both = Axes().encode(["host server train course"])[0]
    assert set(detector.detect("types", both)) == {"hosting", "training"}
    assert detector.detect("types", None) == {}


@pytest.fixture(scope="module")
def use_detector():
    from matchmaking.recommendations.vocabulary import data_vocabulary

    embedder = embeddings.get_embedder("use")
    return embedder, TermDetector(data_vocabulary(), embedder.encode, cosine_floor=embedder.cosine_floor)


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_the_real_model_reads_the_theme_of_a_text_in_every_language(use_detector, language):
    embedder, detector = use_detector
    vector = embedder.encode([TEXTS[language]])[0]
    assert "information_systems" in detector.detect("themes", vector)


def test_the_real_model_reads_a_coral_reef_survey_as_marine(use_detector):
    embedder, detector = use_detector
    for text in ("Suivi des récifs coralliens et des herbiers marins", "珊瑚礁和海草床监测"):
        assert "marine_coastal" in detector.detect("themes", embedder.encode([text])[0])
