"""ml/embeddings.py: cheap to import, one model per process, and the real model at work once."""

import os
import subprocess
import sys

import numpy as np

from ml import embeddings
from ml.features import CandidatePool, Profile
from ml.lexical import LexicalIndex
from ml.ranking import rank

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_importing_embeddings_does_not_import_torch():
    code = (
        "import sys, ml.embeddings, ml.ranking, ml.lexical; "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_default_model_is_the_packaged_minilm():
    path = embeddings.default_model_path()
    assert os.path.isfile(os.path.join(path, "config.json"))
    assert embeddings.model_name(path) == "all-MiniLM-L6-v2"


def test_one_embedder_per_model_path():
    first = embeddings.get_embedder()
    assert embeddings.get_embedder() is first
    assert embeddings.get_embedder(embeddings.default_model_path()) is first
    assert first.name == "all-MiniLM-L6-v2"


def test_embedder_knows_its_size_without_loading_the_model():
    embedder = embeddings.SentenceEmbedder(embeddings.default_model_path())
    assert embedder.dim == 384
    assert embedder._model is None  # nothing loaded until the first encode


def test_text_hash_is_the_sha256_of_the_text():
    assert embeddings.text_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert embeddings.text_hash("abc") != embeddings.text_hash("abd")


def test_opportunity_text_is_english_title_then_description(vocabulary):
    assert embeddings.opportunity_text("Hosting", "We host sites.", vocabulary) == "Hosting. We host sites."
    assert embeddings.opportunity_text("", "Only a description.", vocabulary) == "Only a description."
    french = embeddings.opportunity_text(
        "Hébergement des sites CHM", "Nous hébergeons les sites nationaux.", vocabulary
    )
    assert "hosting" in french and "site" in french


def test_paraphrased_need_ranks_its_offer_above_a_same_type_distractor(vocabulary):
    """The real model: the need never says "mirror", the distractor is a hosting offer too."""
    offers = [
        Profile(
            id="mirror",
            direction="offer",
            title="Mirror sites abroad for national CHM websites",
            description="We keep synchronised copies of your website on servers in Europe and Asia, so "
            "visitors in other countries reach a fast nearby copy.",
            cooperation_type="hosting",
            themes=["information_systems"],
            languages=["en"],
        ),
        Profile(
            id="distractor",
            direction="offer",
            title="Hosting for museum collection databases",
            description="We host specimen databases and collection management software for natural "
            "history museums, with nightly backups.",
            cooperation_type="hosting",
            themes=["information_systems"],
            languages=["en"],
        ),
    ]
    need = Profile(
        id="need",
        direction="request",
        title="People abroad cannot open our website",
        description="Users in other countries say our biodiversity site takes forever to load "
        "because our international connection is slow.",
        cooperation_type="hosting",
        themes=["information_systems"],
        languages=["en"],
    )
    embedder = embeddings.get_embedder()
    matrix = embedder.encode(
        [embeddings.opportunity_text(o.title, o.description, vocabulary) for o in offers]
    )
    vector = embedder.encode([embeddings.opportunity_text(need.title, need.description, vocabulary)])[0]
    assert matrix.dtype == np.float32 and matrix.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)

    texts = [f"{o.title}. {o.description}" for o in offers]
    lexical = LexicalIndex(vocabulary).fit([o.id for o in offers], texts)
    results = rank(
        need,
        CandidatePool(offers, matrix, vocabulary),
        vector,
        lexical_scores=lexical.score(f"{need.title}. {need.description}"),
    )
    assert [r.id for r in results] == ["mirror", "distractor"]
    assert results[0].reasons["semantic"] > results[1].reasons["semantic"]
