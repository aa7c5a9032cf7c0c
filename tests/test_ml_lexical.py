"""ml/lexical.py: terms read once per text and stored; an index of texts at positions, changed one
text at a time, that scores a query as TF-IDF cosines, in any language, with no word list."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from ml import lexical
from ml.lexical import LexicalIndex, fold, pack_terms, text_terms, unpack_terms, word_terms, words

DOCS = [
    "Hosting of national CHM websites on our servers, with daily backups",
    "Training course in insect taxonomy for museum staff",
    "Grants for visiting researchers to study herbarium collections",
]


@pytest.fixture
def index():
    return LexicalIndex.from_texts(DOCS)


def test_scores_are_aligned_with_the_positions(index):
    scores = index.score("We need a course in taxonomy for our staff")
    assert scores.shape == (3,)
    assert int(np.argmax(scores)) == 1


def test_scores_are_the_tf_idf_cosines_of_a_fitted_vectorizer(index):
    """The same numbers as scikit-learn's TfidfVectorizer fitted on the texts held (sublinear tf,
    smooth idf, words and bigrams): hashing the terms changes nothing but where they are kept."""
    vectorizer = TfidfVectorizer(analyzer=word_terms, sublinear_tf=True).fit(DOCS)
    for query in ("We need a course in taxonomy for our staff", "herbarium grants", "unknown words only"):
        expected = (vectorizer.transform(DOCS) @ vectorizer.transform([query]).T).toarray().ravel()
        assert np.allclose(index.score(query), expected, atol=1e-5)


def test_texts_are_folded_so_accents_do_not_keep_words_apart():
    assert fold("L'Hébergement d’Herbier") == "l'hebergement d’herbier"
    assert words("Hébergement HÉBERGEMENT hebergement") == ["hebergement"] * 3
    assert words("Размещение САЙТА") == words("размещение сайта")  # in any script


def test_scripts_without_spaces_are_read_as_pairs_of_characters():
    assert words("网站托管") == ["网站", "站托", "托管"]
    assert words("CHM网站 hosting") == ["chm", "网站", "hosting"]
    index = LexicalIndex.from_texts(["为国家网站提供托管服务", "分类学培训课程"])
    assert int(np.argmax(index.score("我们需要网站托管"))) == 0


def test_a_french_query_meets_a_french_text():
    index = LexicalIndex.from_texts(
        ["Hébergement des sites web nationaux du CHM", "Formation des webmestres en taxonomie"]
    )
    assert int(np.argmax(index.score("Notre site national cherche un hébergement"))) == 0


def test_terms_are_stored_and_read_back_unchanged():
    columns, weights = text_terms(DOCS[0])
    assert columns.dtype == np.int32 and np.all(np.diff(columns) > 0)
    again = unpack_terms(pack_terms((columns, weights)))
    assert np.array_equal(again[0], columns) and np.array_equal(again[1], weights)
    assert LexicalIndex.from_texts(DOCS).score(text_terms("taxonomy course")).argmax() == 1


def test_empty_index_scores_nothing():
    assert LexicalIndex().score("anything").shape == (0,)
    assert LexicalIndex.from_texts([]).score("anything").shape == (0,)


def test_a_text_added_is_scored_at_once_without_merging(index):
    index.set([5], [text_terms("Herbarium loans for taxonomists")])
    assert index.merges == 1
    scores = index.score("herbarium loans")
    assert scores.shape == (6,)
    assert int(np.argmax(scores)) == 5
    assert scores[3] == scores[4] == 0.0  # positions that hold nothing


def test_a_cleared_or_replaced_text_is_scored_as_it_is_now(index):
    index.clear([1])
    assert index.score("taxonomy course")[1] == 0.0
    index.set([2], [text_terms("Taxonomy course for staff")])
    assert int(np.argmax(index.score("taxonomy course"))) == 2


def test_merging_gives_the_scores_of_an_index_built_from_the_texts_held(index):
    index.set([1], [text_terms("Mirror sites abroad")])
    index.set([3], [text_terms("Training of webmasters")])
    index.clear([2])
    index.merge()
    rebuilt = LexicalIndex()
    rebuilt.set(
        [0, 1, 3], [text_terms(t) for t in (DOCS[0], "Mirror sites abroad", "Training of webmasters")]
    )
    rebuilt.merge()
    for query in ("mirror of our websites", "training webmasters", "herbarium"):
        assert np.allclose(index.score(query), rebuilt.score(query), atol=1e-6)
    assert index.documents == 3


def test_the_weights_follow_when_enough_changed(monkeypatch):
    monkeypatch.setattr(lexical, "MERGE_MAX_ROWS", 3)
    index = LexicalIndex.from_texts([f"hosting of national websites number {i}" for i in range(20)])
    for n in range(3):
        index.set([20 + n], [text_terms(f"herbarium specimens {n}")])
    assert index.merges == 1  # three changed rows kept apart
    index.set([23], [text_terms("herbarium specimens 3")])
    assert index.merges == 2 and index.documents == 24


def test_shared_terms_name_the_rare_words_of_both_texts():
    texts = [f"Training course number {i} for the staff of our museum" for i in range(10)]
    texts.append("Hosting of national CHM websites on our servers")
    index = LexicalIndex.from_texts(texts)
    [terms, none] = index.shared_terms("We need Hosting for our website", [texts[-1], texts[0]])
    assert "hosting" in terms
    assert "our" not in terms  # every text uses it
    assert none == []
    french = LexicalIndex.from_texts(["Hébergement du site", *(f"Formation {i}" for i in range(9))])
    assert french.shared_terms("Un hébergement", ["Hebergement du site"]) == [["hébergement"]]  # as written
    assert french.shared_terms("Un hébergement", []) == []
