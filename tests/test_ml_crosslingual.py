"""ml/crosslingual.py: folding, language detection, the English gloss, types and themes read from text."""

from ml.crosslingual import (
    detect_language,
    detect_themes,
    detect_types,
    english_gloss,
    fold,
    merge_cues,
    to_english,
)


def test_fold_strips_accents_case_and_french_elisions():
    assert fold("L'Hébergement d’Herbier") == "hebergement herbier"


def test_detects_english_french_and_spanish():
    assert detect_language("We need our national website hosted on a reliable server.") == "en"
    assert detect_language("Nous cherchons un hébergement pour le site national du CHM.") == "fr"
    assert detect_language("Buscamos un alojamiento para el sitio web nacional del CHM.") == "es"


def test_language_of_text_without_function_words_is_unknown():
    assert detect_language("CHM GIS 2026") is None


def test_french_domain_terms_become_english():
    gloss = english_gloss("Hébergement du site web national sur nos serveurs, avec sauvegardes quotidiennes")
    for word in ("hosting", "website", "server", "backup", "daily"):
        assert word in gloss


def test_spanish_domain_terms_become_english():
    gloss = english_gloss(
        "Capacitación en taxonomía para el herbario y los guardaparques de áreas protegidas"
    )
    for word in ("training", "taxonomy", "herbarium", "rangers", "protected area"):
        assert word in gloss


def test_longest_phrase_wins_over_its_words():
    assert "invasive alien species" in english_gloss("La lutte contre les espèces exotiques envahissantes")
    assert "invasive alien species" in english_gloss("El control de las especies exóticas invasoras")
    # "herbier marin" is seagrass, not a herbarium
    assert "seagrass" in english_gloss("Le suivi des herbiers marins de la lagune")


def test_regular_plurals_are_glossed_without_being_listed():
    assert "server" in english_gloss("Les serveurs du ministère sont en panne")
    assert "workshop" in english_gloss("Organizamos talleres regionales para los técnicos")


def test_gloss_drops_function_words_and_keeps_negation():
    gloss = english_gloss("Le Togo n'a pas de site web")
    assert gloss.split()[:2] == ["togo", "has"]
    assert "le" not in gloss.split()
    assert "no" in gloss.split()


def test_english_text_is_left_as_it_is():
    text = "Hosting for national CHM websites"
    assert to_english(text) == (text, "en")


def test_reads_types_from_text():
    types = detect_types("Our server goes down every week and the site is offline for days.")
    assert max(types, key=types.get) == "hosting"


def test_a_cue_in_the_title_weighs_more():
    in_title = detect_types("We can help.", title="Training course")
    in_body = detect_types("We can help with a course.")
    assert in_title["training"] > in_body["training"]


def test_vocabulary_synonyms_extend_the_built_in_cues():
    assert "mentoring" not in detect_types("We look for a godparent institution.")
    found = detect_types("We look for a godparent institution.", {"mentoring": ["godparent"]})
    assert found["mentoring"] > 0


def test_merge_cues_keeps_both_tables_without_duplicates():
    merged = merge_cues({"hosting": ["server"]}, {"hosting": ["server", "uptime"], "training": ["course"]})
    assert merged == {"hosting": ["server", "uptime"], "training": ["course"]}


def test_reads_themes_from_french_text_through_the_gloss():
    english, _ = to_english("Éradication des rats sur les îles pour protéger les oiseaux marins")
    themes = detect_themes(english)
    assert "invasive_species" in themes
    assert "island" in themes
