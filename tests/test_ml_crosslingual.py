"""ml/crosslingual.py and ml/vocabulary.py: folding, language detection, the English gloss through the
glossaries of the data files, types and themes read from text."""

from matchmaking.recommendations.vocabulary import data_vocabulary
from matchmaking.reference import read
from ml.crosslingual import detect_language, english_gloss, fold
from ml.vocabulary import Vocabulary

VOCABULARY = data_vocabulary()
detect_types, detect_themes, to_english = (
    VOCABULARY.detect_types,
    VOCABULARY.detect_themes,
    VOCABULARY.to_english,
)


def gloss(text):
    return english_gloss(text, VOCABULARY.glossaries)


def test_fold_strips_accents_case_and_french_elisions():
    assert fold("L'Hébergement d’Herbier") == "hebergement herbier"


def test_detects_english_french_and_spanish():
    assert detect_language("We need our national website hosted on a reliable server.") == "en"
    assert detect_language("Nous cherchons un hébergement pour le site national du CHM.") == "fr"
    assert detect_language("Buscamos un alojamiento para el sitio web nacional del CHM.") == "es"


def test_language_of_text_without_function_words_is_unknown():
    assert detect_language("CHM GIS 2026") is None


def test_french_domain_terms_become_english():
    glossed = gloss("Hébergement du site web national sur nos serveurs, avec sauvegardes quotidiennes")
    for word in ("hosting", "website", "server", "backup", "daily"):
        assert word in glossed


def test_spanish_domain_terms_become_english():
    glossed = gloss("Capacitación en taxonomía para el herbario y los guardaparques de áreas protegidas")
    for word in ("training", "taxonomy", "herbarium", "rangers", "protected area"):
        assert word in glossed


def test_longest_phrase_wins_over_its_words():
    assert "invasive alien species" in gloss("La lutte contre les espèces exotiques envahissantes")
    assert "invasive alien species" in gloss("El control de las especies exóticas invasoras")
    # "herbier marin" is seagrass, not a herbarium
    assert "seagrass" in gloss("Le suivi des herbiers marins de la lagune")


def test_regular_plurals_are_glossed_without_being_listed():
    assert "server" in gloss("Les serveurs du ministère sont en panne")
    assert "workshop" in gloss("Organizamos talleres regionales para los técnicos")


def test_gloss_drops_function_words_and_keeps_negation():
    glossed = gloss("Le Togo n'a pas de site web")
    assert glossed.split()[:2] == ["togo", "has"]
    assert "le" not in glossed.split()
    assert "no" in glossed.split()


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


def test_synonyms_as_staff_keep_them_replace_those_of_the_data_file():
    assert "mentoring" not in detect_types("We look for a godparent institution.")
    edited = Vocabulary.from_data(read("vocabularies.json"), synonyms={"mentoring": {"en": ["godparent"]}})
    assert edited.detect_types("We look for a godparent institution.")["mentoring"] > 0
    assert "hosting" in edited.detect_types("Our server is down.")  # the others come from the file


def test_reads_themes_from_french_text_through_the_gloss():
    english, _ = to_english("Éradication des rats sur les îles pour protéger les oiseaux marins")
    themes = detect_themes(english)
    assert "invasive_species" in themes
    assert "island" in themes
