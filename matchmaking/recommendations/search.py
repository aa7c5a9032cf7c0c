"""Text search over the index: the open opportunities closest in meaning and in words to a text, the
near-identical ones grouped, and the passage of each that answers the text."""

import logging
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from matchmaking.models import Opportunity
from ml import duplicates, embeddings, passages
from ml.lexical import text_terms, unpack_terms, word_columns, words

from . import embedding
from .index import SIDES, reading, terms_for

logger = logging.getLogger(__name__)

# Below this blend of semantic and lexical similarity an opportunity is not "about" the text searched
# (measured with USE on both development sets, each request's title as the query against the offers:
# the judged-relevant offers score 0.28 at the median, nine in ten unrelated ones under 0.19).
SEARCH_MIN_SCORE = 0.2
# The best this many opportunities found are grouped and paged (the count says how many were found).
MAX_RESULTS = 500
# Vectors of sentences embedded for passages, kept for the next searches (about 2 kB each).
SENTENCE_CACHE_SIZE = 5_000
# A passage is chosen by meaning among the first sentences of a description only (each costs about
# a millisecond to embed); by words among all.
MEANING_SENTENCES = 12


@dataclass
class Result:
    """One result: an opportunity, its score, whether its meaning found it rather than its words, and
    the ids of the near-identical opportunities grouped under it, best first."""

    id: int
    direction: str
    score: float
    by_meaning: bool
    similar: list = field(default_factory=list)


@dataclass
class Found:
    """What a search found: the results (each near-identical group once, best first), how many
    opportunities were found in all, and what the passages need of the text searched."""

    results: list
    found: int  # opportunities scoring SEARCH_MIN_SCORE or more, grouped or not, before MAX_RESULTS
    words: list  # the text's folded words (ml.passages.query_words)
    weights: np.ndarray  # the rarity of each of `words` among the indexed texts
    vector: np.ndarray | None  # the text's vector (None: words alone)
    share: float  # the weight of meaning against words, as in the blend


def _query_vector(text):
    try:
        encoded = embedding.embedder().encode([embedding.embedding_text(text, "")])
        return np.asarray(encoded[0], dtype=np.float32)
    except Exception:  # noqa: BLE001 - search still works on words alone
        logger.exception("Could not embed a search text")
        return None


def _score(text, vector, today, directions, limit, with_vectors=False):
    """Reads the index: the live opportunities of the given directions scoring SEARCH_MIN_SCORE or
    more, the best `limit` of them as arrays, best first ("id", "direction", "score", "by_meaning":
    whether the meaning scored above the words, and "vectors" when asked: zeros where there is
    none); with how many were found, the weights of the query's words (`passages.query_words`) and
    the share of meaning in the blend."""
    terms = text_terms(text)
    query = passages.query_words(text)
    columns = word_columns(query)
    picked, found = [], 0
    with reading() as index:
        weights = index.weights()[0]
        share = weights.semantic / ((weights.semantic + weights.lexical) or 1.0)
        lexical = index.lexical.score(terms)
        idf = index.lexical.idf
        word_weights = idf[columns].astype(np.float64)
        dim = 0 if vector is None else len(vector)
        for direction in directions:
            side = index.sides[direction]
            by_words = lexical[side.rows["lexical"]]
            meaning = np.zeros_like(by_words)
            usable = dim > 0 and side.pool.matrix.shape[1] == dim  # vectors of the model in use
            has_vector = side.rows["has_vector"] & usable
            if has_vector.any():
                cosines = side.pool.matrix @ vector
                meaning = np.where(
                    has_vector, embeddings.rescale(cosines, embedding.embedder().cosine_floor), 0
                )
            # not embedded yet: words alone
            blended = share * meaning + (1 - share) * np.maximum(by_words, meaning)
            scores = np.where(has_vector, blended, by_words)
            keep = np.flatnonzero(
                side.alive
                & (side.rows["ends"] >= today.toordinal())
                & (side.rows["deadline"] >= today.toordinal())
                & (scores >= SEARCH_MIN_SCORE)
            )
            found += len(keep)
            if len(keep) > limit:
                keep = keep[np.argpartition(-scores[keep], limit - 1)[:limit]]
            rows = {
                "id": side.rows["id"][keep],
                "direction": np.full(len(keep), direction, dtype=object),
                "organization": side.rows["organization"][keep],
                "score": scores[keep],
                "by_meaning": meaning[keep] > by_words[keep],
            }
            if with_vectors:
                rows["vectors"] = np.zeros((len(keep), dim), dtype=np.float32)
                if has_vector.any():
                    rows["vectors"][has_vector[keep]] = side.pool.matrix[keep[has_vector[keep]]]
            picked.append(rows)
    merged = {name: np.concatenate([rows[name] for rows in picked]) for name in picked[0]}
    best = np.lexsort((merged["id"], -merged["score"]))[:limit]
    return {name: values[best] for name, values in merged.items()}, found, query, word_weights, share


def search_scores(text, limit=20, today=None, direction=None):
    """[(opportunity id, score)] of the live open opportunities closest to `text` (of one direction,
    or both), best first: the semantic and lexical parts of the matching blend, in the proportion of
    the weights in use (the text is embedded as opportunities are; on words alone if the model cannot
    be loaded). As in ranking, a text is never penalised for its language: words count only where
    they say more than the meaning (words of another language say nothing). Keeps those scoring at
    least SEARCH_MIN_SCORE."""
    today = today or timezone.localdate()
    directions = [direction] if direction else SIDES
    scored, *_ = _score(text, _query_vector(text), today, directions, limit)
    return [
        (int(pk), round(float(score), 4)) for pk, score in zip(scored["id"], scored["score"], strict=True)
    ]


def find(text, direction=None, today=None):
    """The search page's results for `text` (of one direction, or both): the best MAX_RESULTS live
    opportunities, each group of near-identical ones (`ml.duplicates`, within a direction) once,
    under its best-scored one."""
    today = today or timezone.localdate()
    directions = [direction] if direction else SIDES
    vector = _query_vector(text)
    scored, found, query, weights, share = _score(
        text, vector, today, directions, MAX_RESULTS, with_vectors=True
    )
    lead = _near_identical(scored)
    results, by_leader = [], {}
    for i, leader in enumerate(lead):
        if leader == i:
            by_leader[i] = Result(
                id=int(scored["id"][i]),
                direction=str(scored["direction"][i]),
                score=round(float(scored["score"][i]), 4),
                by_meaning=bool(scored["by_meaning"][i]),
            )
            results.append(by_leader[i])
        else:
            by_leader[int(leader)].similar.append(int(scored["id"][i]))
    return Found(results, found, query, weights, vector, share)


def _near_identical(scored):
    """The leader of each result's group (its own position when it leads one): pairs of the same
    direction and organization, or the same direction and title, close in meaning, kept when
    near-identical (`ml.duplicates`)."""
    n = len(scored["id"])
    if n < 2 or not scored["vectors"].shape[1]:
        return np.arange(n)
    ids = scored["id"].tolist()
    titles = dict(Opportunity.objects.filter(pk__in=ids).values_list("pk", "title"))
    title_keys = [duplicates.title_key(titles.get(pk, "")) for pk in ids]
    blocks = [
        (("title", direction, key), ("organization", direction, organization))
        for direction, key, organization in zip(
            scored["direction"], title_keys, scored["organization"].tolist(), strict=True
        )
    ]
    pairs, cosines = duplicates.candidate_pairs(scored["vectors"], blocks)
    same_title = np.array([title_keys[i] == title_keys[j] for i, j in pairs.tolist()], dtype=bool)
    resemblance = np.zeros(len(pairs), dtype=np.float32)
    to_compare = np.flatnonzero(~(same_title & (cosines >= duplicates.SAME_TITLE_MIN_COSINE)))
    if len(to_compare):
        rows = np.unique(pairs[to_compare])
        terms = _terms_of([ids[i] for i in rows])
        position = {row: k for k, row in enumerate(rows.tolist())}
        empty = np.zeros(0, dtype=np.int32)
        resemblance[to_compare] = duplicates.resemblances(
            [terms.get(ids[row], empty) for row in rows.tolist()],
            np.array([[position[i], position[j]] for i, j in pairs[to_compare].tolist()], dtype=np.int64),
        )
    near = duplicates.near_identical(resemblance, same_title, cosines)
    return duplicates.leaders(n, pairs[near])


def _terms_of(ids):
    """{id: the columns of its stored terms} (read from its text when none were stored)."""
    stored = dict(Opportunity.objects.filter(pk__in=ids).values_list("pk", "terms"))
    terms = {pk: unpack_terms(bytes(packed))[0] for pk, packed in stored.items() if packed}
    for pk, title, description in Opportunity.objects.filter(pk__in=set(stored) - set(terms)).values_list(
        "pk", "title", "description"
    ):
        terms[pk] = unpack_terms(terms_for(title, description))[0]
    return terms


# ----------------------------------------------------------------------------------------- passages

_sentence_vectors = {}  # (model name, sentence) -> its vector


def _sentence_vectors_of(sentences):
    """The vectors of sentences (embedded once per process, up to SENTENCE_CACHE_SIZE kept)."""
    model = embedding.embedder()
    known = {s: _sentence_vectors.get((model.name, s)) for s in sentences}
    missing = [s for s, vector in known.items() if vector is None]
    if missing:
        known.update(zip(missing, np.asarray(model.encode(missing), dtype=np.float32), strict=True))
        if len(_sentence_vectors) + len(missing) > SENTENCE_CACHE_SIZE:
            _sentence_vectors.clear()
        _sentence_vectors.update({(model.name, s): known[s] for s in missing})
    return np.vstack([known[s] for s in sentences])


def passages_of(found, results, opportunities):
    """{id: {"title": parts, "passage": parts}} for the given results (`Result`) whose opportunity
    is in `opportunities` (id -> Opportunity): the title with the words searched marked, and the one
    or two sentences of the description that answer the text best (`ml.passages`), by their words
    (as the opportunity's language stems them), and by their meaning for a result that its meaning
    found (its words said less than its meaning)."""
    weighted = dict(zip(found.words, found.weights.tolist(), strict=True))
    cut = {}
    for r in results:
        if r.id in opportunities:
            opportunity = opportunities[r.id]
            title = words(opportunity.title)  # a description that starts with its title: not shown twice
            cut[r.id] = [s for s in passages.sentences(opportunity.description) if words(s) != title] or (
                passages.sentences(opportunity.description)
            )
    # a result found by its meaning: its sentences by their meaning too, when there is a choice
    meaning = _meanings(found, [r.id for r in results if r.by_meaning and len(cut.get(r.id, ())) > 1], cut)
    out = {}
    for pk, candidates in cut.items():
        matcher = passages.Matcher(weighted, opportunities[pk].text_language)
        scores = np.array([matcher.coverage(s) for s in candidates], dtype=np.float32)
        if pk in meaning:
            scores = found.share * meaning[pk] + (1 - found.share) * np.maximum(scores, meaning[pk])
        chosen = passages.choose(scores, [len(s) for s in candidates])
        out[pk] = {
            "title": passages.marked(opportunities[pk].title, matcher),
            "passage": passages.passage(candidates, chosen, matcher),
        }
    return out


def _meanings(found, ids, cut):
    """{id: the likeness in meaning of each of its first MEANING_SENTENCES sentences (`cut`) to the
    text searched (0 for the others)}."""
    sentences = [s for pk in ids for s in cut[pk][:MEANING_SENTENCES]]
    if found.vector is None or not sentences:
        return {}
    try:
        cosines = _sentence_vectors_of(sentences) @ found.vector
    except Exception:  # noqa: BLE001 - the passages are then chosen by their words
        logger.exception("Could not embed the sentences of a passage")
        return {}
    rescaled = embeddings.rescale(cosines, embedding.embedder().cosine_floor)
    meaning, at = {}, 0
    for pk in ids:
        n = min(len(cut[pk]), MEANING_SENTENCES)
        meaning[pk] = np.zeros(len(cut[pk]), dtype=np.float32)
        meaning[pk][:n] = rescaled[at : at + n]
        at += n
    return meaning
