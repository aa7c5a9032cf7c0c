"""Passages and near-identical texts (ml/): sentences in every script, the words of a query found
folded and stemmed, the passage chosen and cut, resemblance and groups."""

import numpy as np
import pytest

from ml import duplicates, passages
from ml.lexical import text_terms


def test_sentences_are_cut_at_the_terminators_of_every_script():
    text = (
        "We host sites. Is it free? Yes! 3.5 GB each.\n"
        "我们提供培训。欢迎申请！هل تحتاج إلى استضافة؟ نعم. Он сказал: «Да.» Конец"
    )
    assert passages.sentences(text) == [
        "We host sites.",
        "Is it free?",
        "Yes!",
        "3.5 GB each.",
        "我们提供培训。",
        "欢迎申请！",
        "هل تحتاج إلى استضافة؟",
        "نعم.",
        "Он сказал: «Да.»",
        "Конец",
    ]


def test_words_are_found_folded_and_stemmed_in_the_texts_language():
    french = passages.Matcher({"formation": 1.0, "webmestres": 1.0}, "fr")
    text = "Former nos Webmestres : la FORMATION d'un webmestre."
    assert [text[a:b] for a, b in french.spans(text)] == ["Webmestres", "FORMATION", "webmestre"]
    english = passages.Matcher({"hosting": 1.0}, "en")
    assert [t[a:b] for t in ["We host sites"] for a, b in english.spans(t)] == ["host"]
    accents = passages.Matcher({"hebergement": 1.0}, "")
    assert accents.spans("Hébergement") == [(0, 11)]


def test_chinese_words_are_found_as_pairs_of_characters():
    matcher = passages.Matcher(dict.fromkeys(passages.query_words("网站托管"), 1.0), "zh")
    text = "我们为国家网站托管服务器"
    assert [text[a:b] for a, b in matcher.spans(text)] == ["网站托管"]


def test_coverage_weighs_each_word_by_its_rarity():
    matcher = passages.Matcher({"training": 1.0, "webmasters": 3.0}, "en")
    assert matcher.coverage("Training for webmasters.") == 1.0
    assert matcher.coverage("Webmasters welcome.") == 0.75
    assert matcher.coverage("Training in taxonomy.") == 0.25
    assert matcher.coverage("Nothing here.") == 0.0


def test_the_best_sentences_make_the_passage_in_text_order():
    assert passages.choose([0.1, 0.9, 0.0, 0.5], [50, 50, 50, 50]) == [1, 3]
    assert passages.choose([0.1, 0.9, 0.0, 0.5], [50, 50, 50, 300]) == [1]  # too long together
    assert passages.choose([0.0, 0.0], [10, 10]) == [0]  # nothing answers: the first
    matcher = passages.Matcher({"webmasters": 1.0}, "en")
    candidates = ["We host.", "We train webmasters.", "In Brussels.", "Twice a year."]
    parts = passages.passage(candidates, [1, 3], matcher)
    assert "".join(p.text for p in parts) == "… We train webmasters. … Twice a year."
    assert [p.text for p in parts if p.marked] == ["webmasters"]


def test_a_long_sentence_is_cut_around_its_first_marked_word():
    matcher = passages.Matcher({"herbarium": 1.0}, "en")
    sentence = "word " * 200 + "herbarium " + "tail " * 200
    short = passages.shorten(sentence, matcher)
    assert len(short) <= passages.PASSAGE_CHARS + 2
    assert short.startswith("…") and short.endswith("…") and "herbarium" in short


def test_resemblance_is_the_jaccard_index_of_the_terms():
    a, b = text_terms("training of webmasters in Kenya")[0], text_terms("training of webmasters in Benin")[0]
    herbarium = text_terms("herbarium grants")[0]
    assert duplicates.resemblance(a, a) == 1.0
    expected = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    assert duplicates.resemblance(a, b) == pytest.approx(expected)
    assert duplicates.resemblance(a, herbarium) == 0.0
    pairs = np.array([[0, 0], [0, 1], [0, 2]])
    assert duplicates.resemblances([a, b, herbarium], pairs) == pytest.approx([1.0, expected, 0.0])


def test_near_identical_by_resemblance_or_by_the_same_title_and_meaning():
    near = duplicates.near_identical(
        resemblance=[0.6, 0.3, 0.3, 0.3], same_title=[False, False, True, True], cosine=[0.0, 0.9, 0.6, 0.8]
    )
    assert near.tolist() == [True, False, False, True]
    assert duplicates.title_key("Mirror sites, for CHM") == duplicates.title_key("mirror SITES for chm.")


def test_pairs_are_drawn_within_blocks_and_close_in_meaning():
    vectors = np.eye(4, dtype=np.float32)
    vectors[1] = vectors[0]
    vectors[3] = vectors[0]
    blocks = [("a",), ("a",), ("b",), ("b", "c")]  # 0 and 3 alike, but in no block together
    pairs, cosines = duplicates.candidate_pairs(vectors, blocks)
    assert pairs.tolist() == [[0, 1]] and cosines.tolist() == [1.0]  # 2 and 3 share a block, not a meaning


def test_groups_follow_the_best_ranked_leader_and_never_chain():
    # 1 is like 0, 2 like 1 only (a member, not a leader): 2 leads its own group; 3 like 0 and 2.
    assert duplicates.leaders(4, [(0, 1), (1, 2), (0, 3), (2, 3)]).tolist() == [0, 0, 2, 0]
    assert duplicates.leaders(2, []).tolist() == [0, 1]
