"""ml/lexical.py: the TF-IDF index is fitted once and scores queries against the fitted opportunities,
in any language, with no word list."""

import numpy as np
import pytest

from ml.lexical import LexicalIndex, fold, words

DOCS = {
    1: "Hosting of national CHM websites on our servers, with daily backups",
    2: "Training course in insect taxonomy for museum staff",
    3: "Grants for visiting researchers to study herbarium collections",
}


@pytest.fixture
def index():
    return LexicalIndex().fit(list(DOCS), list(DOCS.values()))


def test_scores_are_aligned_with_the_fitted_ids(index):
    scores = index.score("We need a course in taxonomy for our staff")
    assert scores.shape == (3,)
    assert index.ids[int(np.argmax(scores))] == 2


def test_scoring_does_not_refit(index):
    vocabulary = dict(index.vectorizer.vocabulary_)
    for text in ("a new word: zanzibar", "another unseen text", DOCS[1]):
        index.score(text)
        index.transform([text])
    assert index.fit_count == 1
    assert index.vectorizer.vocabulary_ == vocabulary


def test_transforms_an_unseen_text(index):
    rows = index.transform(["Completely unseen words about servers"])
    assert rows.shape == (1, len(index.vectorizer.vocabulary_))


def test_texts_are_folded_so_accents_do_not_keep_words_apart():
    assert fold("L'Hébergement d’Herbier") == "l'hebergement d’herbier"
    assert words("Hébergement HÉBERGEMENT hebergement") == ["hebergement"] * 3
    assert words("Размещение САЙТА") == words("размещение сайта")  # in any script


def test_a_french_query_meets_a_french_text():
    index = LexicalIndex().fit(
        [1, 2], ["Hébergement des sites web nationaux du CHM", "Formation des webmestres en taxonomie"]
    )
    scores = index.score("Notre site national cherche un hébergement")
    assert index.ids[int(np.argmax(scores))] == 1


def test_character_view_meets_inflections(index):
    scores = index.score("A herbaria visit")
    assert index.ids[int(np.argmax(scores))] == 3


def test_score_ids_picks_and_orders_rows(index):
    scores = index.score_ids("herbarium collections", [3, 99, 1])
    assert scores[0] > scores[2]
    assert scores[1] == 0.0


def test_shared_terms_name_the_rare_words_of_both_texts():
    texts = [f"Training course number {i} for the staff of our museum" for i in range(10)]
    texts.append("Hosting of national CHM websites on our servers")
    index = LexicalIndex().fit(list(range(11)), texts)
    terms = index.shared_terms("We need hosting for our website", texts[-1])
    assert "hosting" in terms
    assert "our" not in terms  # every text uses it
    french = LexicalIndex().fit(
        list(range(10)), ["Hébergement du site", *(f"Formation {i}" for i in range(9))]
    )
    assert french.shared_terms("Un hebergement", "Hébergement du site") == ["hébergement"]  # as written


def test_large_indexes_skip_the_character_view():
    index = LexicalIndex(char_max_docs=2).fit(list(DOCS), list(DOCS.values()))
    assert index.char_matrix is None
    assert index.score("taxonomy course").shape == (3,)


def test_empty_index_scores_nothing():
    assert LexicalIndex().fit([], []).score("anything").shape == (0,)


def test_update_keeps_unchanged_rows_and_transforms_new_ones_without_refitting():
    texts = [f"hosting of national websites number {i}" for i in range(20)] + [
        "herbarium specimens digitised"
    ]
    ids = list(range(len(texts)))
    index = LexicalIndex().fit(ids, texts)
    before = index.score("herbarium specimens")
    index.update([*ids[1:], 99], [*texts[1:], "herbarium loans for taxonomists"])
    assert index.fit_count == 1
    assert index.ids == [*ids[1:], 99]
    after = index.score("herbarium specimens")
    assert np.allclose(after[:-1], before[1:])
    assert index.score_ids("herbarium loans", [99])[0] == index.score("herbarium loans").max()


def test_update_refits_when_much_of_the_corpus_changed():
    index = LexicalIndex().fit([1, 2], ["hosting websites", "mirror sites"])
    index.update([1, 2, 3, 4], ["hosting websites", "mirror sites", "taxonomy grants", "collection access"])
    assert index.fit_count == 2
    assert index.ids == [1, 2, 3, 4]


def test_scores_of_a_slice_equal_the_slice_of_all_scores():
    texts = ["hosting national websites", "mirror sites abroad", "taxonomy grants", "herbarium specimens"]
    index = LexicalIndex().fit([1, 2, 3, 4], texts)
    everything = index.score("herbarium and taxonomy grants")
    assert np.allclose(index.score("herbarium and taxonomy grants", rows=slice(2, 4)), everything[2:4])
    assert np.allclose(index.score("mirror", rows=slice(0, 2)), index.score("mirror")[:2])


def test_update_refits_when_the_corpus_shrinks_or_drifts_bit_by_bit():
    texts = [f"hosting of national websites number {i}" for i in range(20)]
    index = LexicalIndex().fit(list(range(20)), texts)
    index.update([100, 101], ["herbarium specimens", "taxonomy grants"])
    assert index.fit_count == 2 and "herbarium" in index.vectorizer.vocabulary_
    index = LexicalIndex().fit(list(range(20)), texts)
    ids, corpus = list(range(20)), list(texts)
    for n in range(5):  # one new document at a time: 5 of 20 is past a fifth
        ids, corpus = [*ids, 200 + n], [*corpus, f"mirror sites abroad {n}"]
        index.update(ids, corpus)
    assert index.fit_count == 2
