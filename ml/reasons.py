"""The reasons for one recommended candidate, as data and as sentences a person can read."""

from __future__ import annotations

from ml.features import DEFAULT_CONFIG, FeatureConfig, Profile, type_weights, working_languages
from ml.vocabulary import OTHER, Vocabulary


def _label(slug: str) -> str:
    return slug.replace("_", " ")


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "ar": "Arabic",
    "ru": "Russian",
    "zh": "Chinese",
    "de": "German",
    "it": "Italian",
    "nl": "Dutch",
    "ja": "Japanese",
}


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
) -> dict:
    """The reasons of one result (``row`` holds its features by name)."""
    request, offer = (query, cand) if query.direction == "request" else (cand, query)
    declared_fit = vocabulary.type_fit(request.cooperation_type, offer.cooperation_type)
    read_request_type, read_offer_type = _matched_types(request, offer, vocabulary, config)
    shared_themes = sorted(set(query.themes) & set(cand.themes))
    read_themes = sorted(
        (set(query.detected_themes or {}) | set(query.themes))
        & (set(cand.detected_themes or {}) | set(cand.themes)) - set(shared_themes)
    )
    shared_objectives = sorted(set(query.objectives) & set(cand.objectives))
    q_langs, c_langs = working_languages(query), working_languages(cand)
    common_languages = sorted(q_langs & c_langs)
    if (query.starts_on or query.ends_on) and (cand.starts_on or cand.ends_on):
        dates_overlap: bool | None = bool(row["dates"] >= 1.0)
    else:
        dates_overlap = None

    summary = []
    if row["semantic"] >= 0.5:
        summary.append("The two descriptions are close in meaning")
    elif row["semantic"] >= 0.35:
        summary.append("The two descriptions are related in meaning")
    terms = _shared_terms(lexical_index, query, cand)
    if terms:
        summary.append("Uses the same key words: " + ", ".join(terms))
    req_t, off_t = request.cooperation_type or OTHER, offer.cooperation_type or OTHER
    if row["type"] >= 0.95 and req_t == off_t:
        summary.append(f"Same kind of cooperation: {_label(req_t)}")
    elif row["type"] >= 0.6:
        if declared_fit >= 0.6:
            summary.append(f"A {_label(off_t)} offer usually serves a {_label(req_t)} request")
        else:
            readings = []
            if read_request_type != req_t:
                readings.append(
                    f"the request reads as {_label(read_request_type)} (declared {_label(req_t)})"
                )
            if read_offer_type != off_t:
                readings.append(f"the offer reads as {_label(read_offer_type)} (declared {_label(off_t)})")
            summary.append(("; ".join(readings) or "The kinds of cooperation are compatible").capitalize())
    elif row["type"] < 0.3:
        summary.append(f"Different kinds of cooperation: {_label(req_t)} request, {_label(off_t)} offer")
    if shared_themes:
        summary.append("Shares themes: " + ", ".join(_label(t) for t in shared_themes))
    elif read_themes:
        summary.append("Both texts deal with " + ", ".join(_label(t) for t in read_themes))
    if shared_objectives:
        summary.append("Serves the same strategic-plan objectives: " + ", ".join(shared_objectives))
    if common_languages:
        names = [LANGUAGE_NAMES.get(lang, lang) for lang in common_languages]
        summary.append("Both work in " + " and ".join(names))
    elif q_langs and c_langs:
        summary.append("No common working language")
    if dates_overlap is True:
        summary.append("Their periods overlap")
    elif dates_overlap is False:
        summary.append("Their periods do not overlap")

    return {
        "semantic": round(row["semantic"], 4),
        "lexical": round(row["lexical"], 4),
        "type_fit": round(row["type"], 4),
        "request_type": req_t,
        "offer_type": off_t,
        "declared_type_fit": declared_fit,
        "matched_types": [read_request_type, read_offer_type],
        "shared_themes": shared_themes,
        "shared_objectives": shared_objectives,
        "common_languages": common_languages,
        "dates_overlap": dates_overlap,
        "shared_terms": terms,
        "features": {k: round(v, 4) for k, v in row.items()},
        "summary": summary,
    }


def _shared_terms(lexical_index, query: Profile, cand: Profile, k: int = 5) -> list[str]:
    if lexical_index is None or not getattr(lexical_index, "fitted", False):
        return []
    return lexical_index.shared_terms(
        f"{query.title}. {query.description}", f"{cand.title}. {cand.description}", k=k
    )
