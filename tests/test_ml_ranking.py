"""ml/ranking.py, ml/features.py, ml/reasons.py: the type matrix, the blend, its ordering both ways,
and the reasons it gives.

A tiny deterministic embedder (hashed words) stands in for the model: the real one is not the
point here (see test_ml_embeddings.py for the test that uses it).
"""

import hashlib
from datetime import date

import numpy as np
import pytest

from matchmaking.recommendations.vocabulary import data_vocabulary
from ml.features import FEATURES, CandidatePool, Profile, compute_features, structured_fit, structured_parts
from ml.lexical import LexicalIndex
from ml.ranking import WEIGHTS, Weights, blend, learn_weights, rank

VOCABULARY = data_vocabulary()
type_fit = VOCABULARY.type_fit


class FakeEmbedder:
    """Bag of hashed English words: texts sharing words get close vectors."""

    dim = 64

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def offer(id_, title, description, cooperation_type, themes=(), languages=("en",), **extra):
    return Profile(
        id=id_,
        direction="offer",
        title=title,
        description=description,
        cooperation_type=cooperation_type,
        themes=list(themes),
        languages=list(languages),
        **extra,
    )


def request(id_, title, description, cooperation_type, themes=(), languages=("en",), **extra):
    return Profile(
        id=id_,
        direction="request",
        title=title,
        description=description,
        cooperation_type=cooperation_type,
        themes=list(themes),
        languages=list(languages),
        **extra,
    )


HOSTING = offer(
    1,
    "Hosting of national CHM websites",
    "We host CHM websites on our servers with daily backups.",
    "hosting",
    ["information_systems"],
    ["en", "fr"],
    objectives=["3.1"],
)
TRAINING = offer(
    2,
    "Webmaster training course",
    "A two-week course for CHM webmasters.",
    "training",
    ["information_systems"],
)
TAXONOMY = offer(
    3, "Grants to study our insect collections", "Visiting grants for taxonomists.", "funding", ["taxonomy"]
)
OFFERS = [HOSTING, TRAINING, TAXONOMY]


def ranked(query, candidates, weights=WEIGHTS, limit=10, **kwargs):
    embedder = FakeEmbedder()
    texts = [f"{p.title}. {p.description}" for p in candidates]
    matrix = embedder.encode(texts)
    vector = embedder.encode([f"{query.title}. {query.description}"])[0]
    lexical = LexicalIndex.from_texts(texts)
    scores = lexical.score(f"{query.title}. {query.description}")
    return rank(
        query,
        CandidatePool.of(candidates, matrix, VOCABULARY),
        vector,
        lexical_scores=scores,
        weights=weights,
        limit=limit,
        profiles={p.id: p for p in candidates},
        lexical_index=lexical,
        **kwargs,
    )


# --------------------------------------------------------------------------- type matrix


def test_hosting_request_is_served_best_by_hosting_then_development():
    assert type_fit("hosting", "hosting") == 1.0
    assert 0.5 < type_fit("hosting", "website_development") < 1.0
    assert type_fit("hosting", "website_development") > type_fit("hosting", "training")


def test_mirroring_need_is_served_by_mirrors_and_hosts():
    assert type_fit("mirroring", "mirroring") == 1.0
    assert type_fit("mirroring", "hosting") > type_fit("mirroring", "funding")


def test_collection_access_is_served_by_taxonomy_grants():
    assert type_fit("collection_access", "funding") >= 0.5
    assert type_fit("collection_access", "research") >= 0.5


def test_other_is_neutral_on_either_side():
    assert type_fit("other", "funding") == type_fit("training", "other") == type_fit(None, "hosting") == 0.5


def test_type_matrix_is_looked_up_as_request_then_offer():
    # a hosting offer serves a mirroring need better than a mirror serves a hosting need
    assert type_fit("mirroring", "hosting") != type_fit("hosting", "mirroring")


def test_every_listed_fit_is_in_range_and_every_type_serves_itself():
    listed = [(req, off, fit) for req, row in VOCABULARY.served_by.items() for off, fit in row.items()]
    assert listed and all(0.0 <= fit <= 1.0 for _, _, fit in listed)
    for req, off, fit in listed:
        assert type_fit(req, req) == 1.0, req
        assert type_fit(req, off) == fit
        assert req in VOCABULARY.types and off in VOCABULARY.types


# --------------------------------------------------------------------------- the blend


def test_weights_round_trip_through_a_dict():
    weights = Weights.from_dict({"semantic": 0.7, "type": 0.3, "unknown": 9})
    assert weights.semantic == 0.7 and weights.type == 0.3
    assert weights.lexical == WEIGHTS.lexical
    assert Weights.from_dict(weights.to_dict()) == weights


def test_blend_is_the_weighted_mean_scaled_down_without_a_common_language():
    weights = Weights(semantic=1, lexical=0, type=1, themes=0, objectives=0, language=0.2, dates=0)
    features = np.zeros((2, len(FEATURES)), dtype=np.float32)
    features[:, FEATURES.index("semantic")] = 0.6
    features[:, FEATURES.index("type")] = 1.0
    features[0, FEATURES.index("language")] = 1.0
    features[:, FEATURES.index("structured")] = np.nan  # neither side gave structured needs
    scores = blend(features, weights)
    assert scores[0] == pytest.approx(0.8)
    assert scores[1] == pytest.approx(0.8 * 0.8)


def test_need_for_hosting_ranks_the_hosting_offer_first():
    query = request(
        10,
        "Our CHM website needs hosting",
        "Our server is down and the CHM website is offline.",
        "hosting",
        ["information_systems"],
    )
    results = ranked(query, OFFERS)
    assert [r.id for r in results][0] == HOSTING.id
    assert results[-1].id == TAXONOMY.id
    assert all(0.0 <= r.score <= 1.0 for r in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_request_declared_other_finds_its_offer_from_the_type_read_in_its_text():
    query = request(
        11,
        "Site often unreachable",
        "Our site is offline for days.",
        "other",
        ["information_systems"],
        detected_types={"hosting": 0.9},  # what ml.vocabulary.TermDetector read in it
    )
    assert ranked(query, OFFERS)[0].id == HOSTING.id
    unread = request(
        11, "Site often unreachable", "Our site is offline for days.", "other", ["information_systems"]
    )
    assert ranked(unread, OFFERS)[0].reasons["type_fit"] == 0.5  # "other" is neutral


def test_words_of_two_languages_do_not_meet_but_their_meaning_does():
    """Across languages the lexical view stands for the meaning: a pair is not penalised for it."""
    english = offer(8, "Hosting", "We host websites.", "hosting", text_language="en")
    query = request(12, "Hébergement", "Nous hébergeons.", "hosting", text_language="fr")
    vector = np.ones(4, dtype=np.float32) / 2
    pool = CandidatePool.of([english], np.array([vector]), VOCABULARY)
    features = compute_features(query, pool, vector, lexical_scores=np.array([0.0]))
    assert features[0, FEATURES.index("lexical")] == features[0, FEATURES.index("semantic")] == 1.0
    same = request(13, "Hosting", "We host.", "hosting", text_language="en")
    assert compute_features(same, pool, vector, lexical_scores=np.array([0.0]))[0, 1] == 0.0


def test_theme_separates_offers_of_the_same_type():
    marine = offer(
        4, "Identification course", "A course on identifying species.", "training", ["marine_coastal"]
    )
    forest = offer(5, "Identification course", "A course on identifying species.", "training", ["forest"])
    query = request(
        13,
        "Identification course wanted",
        "We need a course on identifying species.",
        "training",
        ["marine_coastal"],
    )
    assert [r.id for r in ranked(query, [forest, marine])] == [marine.id, forest.id]


def test_common_language_breaks_a_tie():
    french = offer(6, "Training course", "A course for webmasters.", "training", languages=["fr"])
    english = offer(7, "Training course", "A course for webmasters.", "training", languages=["en"])
    query = request(14, "Training course", "A course for webmasters.", "training", languages=["fr"])
    assert [r.id for r in ranked(query, [english, french])] == [french.id, english.id]


def test_ranks_requests_for_an_offer_with_the_same_type_matrix():
    requests = [
        request(
            20,
            "Train our webmasters",
            "Our two webmasters need a training course.",
            "training",
            ["information_systems"],
        ),
        request(
            21,
            "Host our CHM website",
            "Our server is unreliable; we need hosting.",
            "hosting",
            ["information_systems"],
        ),
    ]
    results = ranked(HOSTING, requests)
    assert results[0].id == 21
    assert results[0].reasons["request_type"] == "hosting"
    assert results[0].reasons["offer_type"] == "hosting"


def test_limit_and_mask_restrict_the_results():
    query = request(15, "Hosting", "We need hosting.", "hosting")
    assert len(ranked(query, OFFERS, limit=2)) == 2
    results = ranked(query, OFFERS, mask=np.array([False, True, True]))
    assert HOSTING.id not in [r.id for r in results]
    assert ranked(query, OFFERS, mask=np.zeros(3, dtype=bool)) == []


def test_ranks_an_empty_pool():
    assert rank(request(16, "x", "y", "other"), CandidatePool.of([], None, VOCABULARY), None) == []


def test_works_without_vectors_or_lexical_scores():
    query = request(17, "Hosting", "We need hosting.", "hosting", ["information_systems"])
    results = rank(query, CandidatePool.of(OFFERS, None, VOCABULARY))
    assert results[0].id == HOSTING.id


# --------------------------------------------------------------------------- reasons


def test_reasons_say_what_the_two_opportunities_share():
    query = request(
        30,
        "Hosting for our CHM website",
        "We need our CHM website hosted; we work in French.",
        "hosting",
        ["information_systems"],
        ["fr"],
        objectives=["3.1", "2.5"],
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    reasons = ranked(query, OFFERS)[0].reasons
    assert reasons["type_fit"] == 1.0
    assert reasons["request_type"] == reasons["offer_type"] == "hosting"
    assert reasons["shared_themes"] == ["information_systems"]
    assert reasons["shared_objectives"] == ["3.1"]
    assert reasons["common_languages"] == ["fr"]
    assert reasons["dates_overlap"] is None  # the offer has no dates
    assert 0.0 <= reasons["semantic"] <= 1.0 and 0.0 <= reasons["lexical"] <= 1.0
    assert reasons["across_languages"] is False
    assert "hosting" in reasons["shared_terms"]


def test_reasons_say_when_periods_do_not_overlap_or_languages_differ():
    dated = offer(
        8,
        "Course",
        "A course.",
        "training",
        languages=["es"],
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 10),
    )
    query = request(
        31,
        "Course",
        "A course.",
        "training",
        languages=["fr"],
        starts_on=date(2027, 6, 1),
        ends_on=date(2027, 6, 30),
    )
    reasons = ranked(query, [dated])[0].reasons
    assert reasons["dates_overlap"] is False
    assert reasons["common_languages"] == []
    assert reasons["no_common_language"] is True


def test_features_are_computed_for_every_candidate_in_range():
    pool = CandidatePool.of(OFFERS, FakeEmbedder().encode([p.title for p in OFFERS]), VOCABULARY)
    query = request(32, "Hosting", "We need hosting.", "hosting", ["information_systems"])
    features = compute_features(query, pool, FakeEmbedder().encode(["Hosting"])[0], np.array([0.2, 0.1, 0.0]))
    assert features.shape == (3, len(FEATURES))
    structured = FEATURES.index("structured")
    assert np.isnan(features[:, structured]).all()  # no side gave structured needs: no fit, not 0
    known = np.delete(features, structured, axis=1)
    assert known.min() >= 0.0 and known.max() <= 1.0


# --------------------------------------------------------------------------- learning and speed


def test_learns_weights_that_favour_the_feature_that_predicts_acceptance():
    rng = np.random.default_rng(0)
    rows = rng.random((200, len(FEATURES)))
    accepted = (rows[:, FEATURES.index("type")] > 0.5).astype(int)
    weights = learn_weights(rows, accepted)
    assert weights is not None
    assert max(weights.to_dict(), key=weights.to_dict().get) == "type"
    assert sum(weights.to_dict().values()) == pytest.approx(1.0)


def test_learning_needs_enough_outcomes_of_both_kinds():
    assert learn_weights(np.zeros((10, len(FEATURES))), np.ones(10)) is None


def test_ranks_twenty_thousand_candidates_quickly():
    import time

    rng = np.random.default_rng(1)
    n = 20_000
    profiles = [
        offer(
            i,
            "t",
            "d",
            ["hosting", "training", "funding"][i % 3],
            ["taxonomy"],
            ["en"],
            detected_types={},
            detected_themes={},
            text_language="en",
        )
        for i in range(n)
    ]
    matrix = rng.standard_normal((n, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    pool = CandidatePool.of(profiles, matrix, VOCABULARY)
    query = request(
        -1,
        "t",
        "d",
        "hosting",
        ["taxonomy"],
        ["en"],
        detected_types={},
        detected_themes={},
        text_language="en",
    )
    rank(query, pool, matrix[0], lexical_scores=np.zeros(n, dtype=np.float32))
    start = time.perf_counter()
    results = rank(query, pool, matrix[0], lexical_scores=np.zeros(n, dtype=np.float32))
    assert time.perf_counter() - start < 0.5  # about 5 ms here; generous for slow CI machines
    assert results[0].id == 0


# --------------------------------------------------------------------------- structured needs


def test_structured_fit_counts_only_the_needs_both_sides_gave():
    query = request(40, "Need", "A need.", "training", budget_min=1_000, budget_max=5_000, budget_currency="EUR",
                    level="national", duration_months=12, expected_outputs=["people_trained"], covers=["travel"])  # fmt: skip
    assert structured_parts(query, offer(41, "Offer", "An offer.", "training")) == {}
    assert np.isnan(structured_fit(query, offer(41, "Offer", "An offer.", "training")))
    cand = offer(42, "Offer", "An offer.", "training", budget_min=4_000, budget_currency="EUR", level="global",
                 duration_months=6, expected_outputs=["people_trained", "grants_awarded"], covers=["equipment"])  # fmt: skip
    assert structured_parts(query, cand) == {
        "budget": 1.0,  # 1,000-5,000 and 4,000 or more overlap
        "level": 0.0,
        "duration": 0.5,
        "expected_outputs": 1.0,  # the smaller list is within the larger
        "covers": 0.0,
    }
    assert structured_fit(query, cand) == pytest.approx(2.5 / 5)
    in_dollars = offer(43, "Offer", "An offer.", "training", budget_min=1_000, budget_currency="USD")
    assert structured_parts(query, in_dollars) == {}  # budgets in two currencies are not compared


def random_needs(rng, id_, direction):
    maybe = lambda value: value if rng.random() < 0.5 else None  # noqa: E731
    low = maybe(int(rng.integers(1, 50)) * 1_000)
    high = maybe(int(rng.integers(20, 100)) * 1_000)
    if low is not None and high is not None and high < low:
        low, high = high, low
    return Profile(
        id=id_, direction=direction, title="", description="",
        budget_min=low, budget_max=high, budget_currency=str(rng.choice(["EUR", "USD", ""])),
        level=str(rng.choice(["", "national", "regional", "global"])),
        duration_months=maybe(int(rng.integers(1, 48))),
        expected_outputs=sorted(set(rng.choice(["people_trained", "websites_hosted", "grants_awarded"], rng.integers(0, 3)))),
        covers=sorted(set(rng.choice(["travel", "equipment", "staff_time", "hosting"], rng.integers(0, 3)))),
    )  # fmt: skip


def test_the_pool_gives_each_candidate_the_structured_fit_of_its_pair():
    """The vectorised feature equals the pair-by-pair fit (NaN where nothing is compared), also after
    candidates are replaced and dropped."""
    rng = np.random.default_rng(7)
    candidates = [random_needs(rng, i, "offer") for i in range(60)]
    pool = CandidatePool.of(candidates, None, VOCABULARY)
    candidates[3], candidates[4] = random_needs(rng, 100, "offer"), random_needs(rng, 101, "offer")
    pool.put([3, 4], candidates[3:5])
    pool.drop([5])
    for q in range(40):
        query = random_needs(rng, 1_000 + q, "request")
        column = compute_features(query, pool)[:, FEATURES.index("structured")]
        for position, cand in enumerate(candidates):
            if not pool.alive[position]:
                continue
            expected = structured_fit(query, cand)
            if np.isnan(expected):
                assert np.isnan(column[position])
            else:
                assert column[position] == pytest.approx(expected, abs=1e-6)


def test_a_pair_without_structured_fit_scores_exactly_as_without_the_feature():
    """The blend of a row whose structured fit is NaN is the old weighted mean of the other features."""
    rng = np.random.default_rng(3)
    features = rng.random((50, len(FEATURES))).astype(np.float32)
    features[:25, FEATURES.index("structured")] = np.nan
    scores = blend(features, WEIGHTS)
    w = WEIGHTS.vector()
    w[FEATURES.index("language")] = 0.0
    w[FEATURES.index("structured")] = 0.0
    others = np.delete(features, FEATURES.index("structured"), axis=1)
    old = (others @ np.delete(w, FEATURES.index("structured"))) / np.delete(
        w, FEATURES.index("structured")
    ).sum()
    old *= 1.0 - WEIGHTS.language * (1.0 - features[:, FEATURES.index("language")])
    assert np.array_equal(scores[:25], old[:25])
    # where both sides gave needs, a better fit lifts the score, a worse one lowers it
    better, worse = features[25:].copy(), features[25:].copy()
    better[:, FEATURES.index("structured")] = 1.0
    worse[:, FEATURES.index("structured")] = 0.0
    assert (blend(better, WEIGHTS) > blend(worse, WEIGHTS)).all()
