"""The reasons for one recommended candidate, as data: what the two sides share, and how each part of
the blend judged them. Sentences for people are written from these in the reader's language, on the
Django side (``matchmaking.recommendations.reasons``)."""

from __future__ import annotations

import math

from ml.features import (
    DEFAULT_CONFIG,
    FeatureConfig,
    Profile,
    structured_parts,
    type_weights,
    working_languages,
)
from ml.vocabulary import OTHER, Vocabulary


def _matched_types(
    request: Profile, offer: Profile, vocabulary: Vocabulary, config: FeatureConfig
) -> tuple[str, str]:
    """The (request type, offer type) pair, declared or read from the text, that gave the type fit."""
    best, pair = -1.0, (request.cooperation_type or OTHER, offer.cooperation_type or OTHER)
    for a, wa in type_weights(request, config, vocabulary).items():
        for b, wb in type_weights(offer, config, vocabulary).items():
            value = wa * wb * vocabulary.type_fit(a, b)
            if value > best + 1e-9:
                best, pair = value, (a, b)
    return pair


def explain(
    query: Profile,
    cand: Profile,
    row: dict[str, float],
    vocabulary: Vocabulary,
    lexical_index=None,
    config: FeatureConfig = DEFAULT_CONFIG,
    shared_terms: list[str] | None = None,
) -> dict:
    """The reasons of one result (``row`` holds its features by name).

    ``across_languages`` is true when the two texts are in different languages: they met by meaning
    alone, and no shared words are named (a word of one language means nothing to the reader of
    the other). ``text_languages`` are the languages the two texts were read in (query first).
    ``shared_terms``, when the caller found them for many candidates at once (``shared_terms_for``),
    are not looked for again.
    """
    request, offer = (query, cand) if query.direction == "request" else (cand, query)
    declared_fit = vocabulary.type_fit(request.cooperation_type, offer.cooperation_type)
    read_request_type, read_offer_type = _matched_types(request, offer, vocabulary, config)
    shared_themes = sorted(set(query.themes) & set(cand.themes))
    read_themes = sorted(
        (set(query.detected_themes) | set(query.themes))
        & (set(cand.detected_themes) | set(cand.themes)) - set(shared_themes)
    )
    q_langs, c_langs = working_languages(query), working_languages(cand)
    if (query.starts_on or query.ends_on) and (cand.starts_on or cand.ends_on):
        dates_overlap: bool | None = bool(row["dates"] >= 1.0)
    else:
        dates_overlap = None
    across = bool(query.text_language and cand.text_language and query.text_language != cand.text_language)
    parts = structured_parts(request, offer)
    return {
        "semantic": round(row["semantic"], 4),
        "lexical": round(row["lexical"], 4),
        "type_fit": round(row["type"], 4),
        "request_type": request.cooperation_type or OTHER,
        "offer_type": offer.cooperation_type or OTHER,
        "declared_type_fit": declared_fit,
        "matched_types": [read_request_type, read_offer_type],
        "shared_themes": shared_themes,
        "read_themes": read_themes,
        "shared_objectives": sorted(set(query.objectives) & set(cand.objectives)),
        "common_languages": sorted(q_langs & c_langs),
        "no_common_language": bool(q_langs and c_langs and not q_langs & c_langs),
        "dates_overlap": dates_overlap,
        "text_languages": [query.text_language, cand.text_language],
        "across_languages": across,
        "shared_terms": []
        if across
        else shared_terms_for(lexical_index, query, [cand])[0]
        if shared_terms is None
        else shared_terms,
        "structured": _structured(request, offer, parts),
        "features": {k: None if math.isnan(v) else round(v, 4) for k, v in row.items()},
    }


def _structured(request: Profile, offer: Profile, parts: dict[str, float]) -> dict:
    """The structured needs both sides gave, each with its fit (only those: none when either side left
    them all empty); the values of both sides, request first."""
    out: dict = {}
    if "budget" in parts:
        out["budget"] = {
            "overlap": bool(parts["budget"]),
            "currency": request.budget_currency,
            "request": [request.budget_min, request.budget_max],
            "offer": [offer.budget_min, offer.budget_max],
        }
    if "level" in parts:
        out["level"] = {"same": bool(parts["level"]), "request": request.level, "offer": offer.level}
    if "duration" in parts:
        out["duration"] = {
            "fit": round(parts["duration"], 4),
            "request": request.duration_months,
            "offer": offer.duration_months,
        }
    for name in ("expected_outputs", "covers"):
        if name in parts:
            out[name] = {
                "fit": round(parts[name], 4),
                "shared": sorted(set(getattr(request, name)) & set(getattr(offer, name))),
            }
    if parts:
        out["fit"] = round(sum(parts.values()) / len(parts), 4)
    return out


def shared_terms_for(lexical_index, query: Profile, cands: list[Profile], k: int = 5) -> list[list[str]]:
    """The key words each candidate's text shares with the query's, as the query writes them."""
    if lexical_index is None:
        return [[] for _ in cands]
    return lexical_index.shared_terms(
        f"{query.title}. {query.description}", [f"{c.title}. {c.description}" for c in cands], k=k
    )
