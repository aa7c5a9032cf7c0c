"""Bring French and Spanish postings into the English space of the model and of TF-IDF.

all-MiniLM-L6-v2 is an English model, and TF-IDF only matches identical words, so a French
request about "hébergement" would never meet an English offer of "hosting". This module:

- folds text (lower case, accents stripped, French elisions removed) so that spelling
  variants meet;
- detects whether a text is English, French or Spanish from its function words;
- writes an English *gloss* of a French or Spanish text with the domain glossary in
  glossary.py (phrases first, longest first; regular plurals added automatically) and drops
  the function words that are left;
- detects cooperation types and themes from the words of a text, with built-in English cues
  that callers can extend with the vocabulary's synonyms (plain data: slug -> phrases).
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache, lru_cache

from ml import glossary

_ELISION = re.compile(r"\b(?:l|d|qu|n|s|j|m|c|t|jusqu|lorsqu|puisqu)'(?=\w)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_TOKEN = re.compile(r"\w+(?:-\w+)*|[.;:!?]")
_WORD = re.compile(r"\w+")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that only one of the three languages uses often: enough to tell them apart.
_MARKERS = {
    "en": _wordset(
        "the and of to is are for with our we this that from by an it be has have was "
        "which who their they can need needs"
    ),
    "fr": _wordset(
        "le les des du et est une pour dans nous notre nos avec sur pas qui au aux ce ces "
        "sont leur il elle ou plus son sa cette"
    ),
    "es": _wordset(
        "el los las del y es una para con por nuestro nuestra nuestros que se al lo "
        "más son su sus este esta como pero"
    ),
}


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, French elisions removed ("l'herbier" -> "herbier")."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_APOSTROPHES).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _ELISION.sub("", text)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def detect_language(text: str) -> str | None:
    """'en', 'fr' or 'es' by counting function words; None when there are too few to tell."""
    tokens = [w for w in re.findall(r"\w+", (text or "").lower())]
    counts = {lang: sum(1 for w in tokens if w in markers) for lang, markers in _MARKERS.items()}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return None
    return best


def _plural_fr(word: str) -> str:
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith("al"):
        return word[:-2] + "aux"
    if word.endswith(("eau", "au", "eu")):
        return word + "x"
    return word + "s"


def _plural_es(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("z"):
        return word[:-1] + "ces"
    if word[-1] in "aeiou":
        return word + "s"
    return word + "es"


_FUNCTION_WORDS = _wordset("de du des la le les el los las en y et a al d l del por para sur")


def _variants(phrase: str, plural) -> set[str]:
    """The phrase, its first word in the plural, and every content word in the plural."""
    parts = phrase.split()
    out = {phrase}
    if not parts:
        return out
    out.add(" ".join([plural(parts[0])] + parts[1:]))
    out.add(" ".join(p if p in _FUNCTION_WORDS or len(p) < 3 else plural(p) for p in parts))
    return out


def _parse(table: str) -> list[tuple[str, str]]:
    rows = []
    for line in table.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        source, target = (s.strip() for s in line.split("=", 1))
        rows.append((source, target))
    return rows


class _Glossary:
    """A compiled phrase table for one language."""

    def __init__(self, table: str, stopwords: str, plural):
        self.map: dict[str, str] = {}
        for source, target in _parse(table):
            key = " ".join(words(source))
            for variant in _variants(key, plural):
                # an explicit entry wins over a generated plural of another entry
                if variant == key or variant not in self.map:
                    self.map[variant] = target
        self.stopwords = frozenset(words(stopwords))
        alternatives = sorted(self.map, key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in alternatives) + r")\b")

    def gloss(self, text: str) -> str:
        folded = re.sub(r"\s+", " ", fold(text))
        out: list[str] = []
        pos = 0
        for m in self.pattern.finditer(folded):
            out.extend(self._rest(folded[pos : m.start()]))
            out.append(self.map[m.group(0)])
            pos = m.end()
        out.extend(self._rest(folded[pos:]))
        return " ".join(out)

    def _rest(self, chunk: str) -> list[str]:
        # "lui-meme" goes when all its parts are function words
        return [t for t in _TOKEN.findall(chunk) if not all(p in self.stopwords for p in t.split("-"))]


@cache
def _glossary(lang: str) -> _Glossary | None:
    if lang == "fr":
        return _Glossary(glossary.FRENCH, glossary.FRENCH_STOPWORDS, _plural_fr)
    if lang == "es":
        return _Glossary(glossary.SPANISH, glossary.SPANISH_STOPWORDS, _plural_es)
    return None


def english_gloss(text: str, lang: str | None = None) -> str:
    """An English rendering of a French or Spanish text, word for word through the glossary.

    English text (or text of an unknown language) comes back folded but otherwise unchanged.
    """
    lang = lang or detect_language(text)
    table = _glossary(lang) if lang else None
    if table is None:
        return " ".join(_TOKEN.findall(fold(text)))
    return table.gloss(text)


def to_english(text: str) -> tuple[str, str | None]:
    """(text in English, detected language): the text itself when it is already English."""
    lang = detect_language(text)
    if lang in ("fr", "es"):
        return english_gloss(text, lang), lang
    return text, lang


# --------------------------------------------------------------------------- types and themes

# English cues, matched on the folded English gloss. The vocabulary's synonyms (fed in by the
# caller from the database) are added to these, never replace them.
TYPE_CUES: dict[str, list[str]] = {
    "hosting": [
        "hosting",
        "host our",
        "host the",
        "host your",
        "hosted",
        "web hosting",
        "server",
        "servers",
        "hosting provider",
        "domain name",
        "backups",
        "backup",
        "uptime",
        "outage",
        "outages",
        "goes down",
        "is down",
        "broken down",
        "offline",
        "unreachable",
        "inaccessible",
        "unavailable",
        "power cut",
        "power cuts",
        "hard drive",
        "data centre",
        "data center",
        "switch off",
        "reliable hosting",
        "more stable",
    ],
    "mirroring": [
        "mirror",
        "mirrors",
        "mirror site",
        "mirroring",
        "times out",
        "time out",
        "timeouts",
        "overseas users",
        "visitors abroad",
        "users abroad",
        "outside the country",
        "international link",
        "nearby copy",
        "synchronised copy",
        "synchronized copy",
        "replica",
        "content delivery",
    ],
    "website_development": [
        "build a site",
        "build a website",
        "build a simple site",
        "new website",
        "new site",
        "website development",
        "web development",
        "web design",
        "develop a website",
        "design a website",
        "portal",
        "content management system",
        "cms",
        "no website",
        "has no website",
        "no online presence",
        "wordpress",
        "drupal",
        "turnkey",
        "modern site",
        "redesign",
        "website built",
        "customisation",
    ],
    "technical_advice": [
        "advice",
        "advise",
        "advises",
        "advisory",
        "review",
        "reviews",
        "recommendations",
        "guidance",
        "expertise",
        "consultancy",
        "assessment",
        "feasibility",
        "helpdesk",
        "help desk",
        "technical support",
        "technical assistance",
        "technical review",
        "how to",
        "what can we do",
        "lessons learned",
        "learn from",
        "model agreements",
        "support for drafting",
    ],
    "training": [
        "training",
        "train",
        "trained",
        "trainer",
        "trainers",
        "course",
        "courses",
        "workshop",
        "workshops",
        "summer school",
        "curriculum",
        "internship",
        "internships",
        "capacity building",
        "teach",
        "learn to",
        "skills",
        "instructor",
        "lectures",
        "participants",
        "trainee",
        "trainees",
    ],
    "funding": [
        "grant",
        "grants",
        "funding",
        "fund",
        "funds",
        "finance",
        "financing",
        "money",
        "fellowship",
        "fellowships",
        "scholarship",
        "costs covered",
        "travel covered",
        "per diem",
        "call for proposals",
        "donor",
        "eur",
        "usd",
        "small grants",
    ],
    "collection_access": [
        "collection",
        "collections",
        "type specimens",
        "types",
        "loans",
        "loan",
        "bench space",
        "visiting researchers",
        "visiting grants",
        "visit",
        "study our",
        "host for",
        "historical types",
    ],
    "data_sharing": [
        "data sharing",
        "share data",
        "sharing of",
        "publish data",
        "publishing data",
        "publish them",
        "publish it",
        "datasets",
        "dataset",
        "records",
        "specimen records",
        "darwin core",
        "metadata",
        "open data",
        "repatriation",
        "data publishing",
        "ipt",
        "gbif",
        "doi",
        "digitized specimen",
    ],
    "technology_transfer": [
        "equipment",
        "microscope",
        "microscopes",
        "stereomicroscopes",
        "camera",
        "cameras",
        "kit",
        "kits",
        "hardware",
        "toolkit",
        "donate",
        "donation",
        "imaging kit",
        "lab equipment",
        "laboratory equipment",
        "scanner",
        "technology transfer",
        "camera setup",
        "magnifier",
    ],
    "mentoring": [
        "mentor",
        "mentoring",
        "mentorship",
        "twinning",
        "twin",
        "peer",
        "peers",
        "peer support",
        "buddy",
        "coaching",
        "accompany",
        "experienced",
        "more experience",
        "exchange of experience",
        "study visit",
    ],
    "research": [
        "research",
        "joint research",
        "research partner",
        "research partnership",
        "experiment",
        "experiments",
        "joint papers",
        "field station",
        "cruise",
        "cruises",
        "ship time",
        "research vessel",
        "compare",
        "fieldwork",
        "sampling",
        "sample",
        "plots",
        "revision",
        "taxonomic revision",
        "scientists",
        "berths",
    ],
}

THEME_CUES: dict[str, list[str]] = {
    "agricultural": [
        "agriculture",
        "agricultural",
        "farm",
        "farming",
        "farmers",
        "crop",
        "crops",
        "livestock",
        "grazing",
        "cattle",
        "sheep",
        "goats",
        "herders",
        "herds",
        "pastoral",
        "rangeland",
        "rangelands",
        "seed bank",
        "seeds",
        "pollinators",
        "agricultural biodiversity",
    ],
    "dry_subhumid": [
        "dryland",
        "drylands",
        "arid",
        "semi-arid",
        "desert",
        "deserts",
        "steppe",
        "savanna",
        "grassland",
        "grasslands",
        "drought",
        "desertification",
        "rangeland",
        "rangelands",
        "dry highland",
    ],
    "forest": [
        "forest",
        "forests",
        "woodland",
        "trees",
        "deforestation",
        "rainforest",
        "cloud forest",
        "dry forest",
        "sacred forest",
        "timber",
        "forestry",
        "native forest",
    ],
    "inland_waters": [
        "wetland",
        "wetlands",
        "river",
        "rivers",
        "lake",
        "lakes",
        "freshwater",
        "inland waters",
        "waterbird",
        "waterbirds",
        "ramsar",
        "river basin",
        "floodplain",
    ],
    "island": [
        "island",
        "islands",
        "sids",
        "small island",
        "small island states",
        "archipelago",
        "atoll",
        "atolls",
        "islet",
        "islets",
    ],
    "marine_coastal": [
        "marine",
        "sea",
        "seas",
        "ocean",
        "oceans",
        "coastal",
        "coast",
        "reef",
        "reefs",
        "coral",
        "corals",
        "deep-sea",
        "fishes",
        "fisheries",
        "mangrove",
        "mangroves",
        "seagrass",
        "ballast water",
        "port",
        "ports",
        "trawl",
        "seabed",
        "sea turtles",
        "cold-water corals",
    ],
    "mountain": [
        "mountain",
        "mountains",
        "highland",
        "highlands",
        "alpine",
        "afroalpine",
        "andean",
        "paramo",
        "mountain range",
        "high mountain",
        "upland",
    ],
    "taxonomy": [
        "taxonomy",
        "taxonomic",
        "taxonomist",
        "taxonomists",
        "specimen",
        "specimens",
        "herbarium",
        "herbaria",
        "identification",
        "identify",
        "type specimens",
        "museum",
        "museums",
        "curator",
        "curators",
        "dna barcoding",
        "barcoding",
        "systematics",
        "entomologist",
        "entomologists",
        "botanist",
        "botanists",
        "identification keys",
        "species identification",
    ],
    "invasive_species": [
        "invasive",
        "invasives",
        "invasive species",
        "alien species",
        "introduced",
        "eradication",
        "eradicate",
        "get rid of",
        "rats",
        "rodents",
        "biosecurity",
        "ballast water",
        "weeds",
        "smothering",
        "hull fouling",
        "pest",
        "pests",
    ],
    "protected_areas": [
        "protected area",
        "protected areas",
        "national park",
        "national parks",
        "park",
        "parks",
        "reserve",
        "reserves",
        "rangers",
        "wardens",
        "conservation officer",
        "conservation officers",
        "management plan",
        "management plans",
        "conservation area",
    ],
    "access_benefit_sharing": [
        "access and benefit-sharing",
        "benefit-sharing",
        "benefit sharing",
        "abs",
        "genetic resources",
        "nagoya",
        "bioprospecting",
        "prior informed consent",
        "mutually agreed terms",
        "in return",
        "commercial use",
        "permit procedures",
    ],
    "traditional_knowledge": [
        "traditional knowledge",
        "indigenous",
        "local communities",
        "sacred",
        "customary",
        "elders",
        "traditional",
    ],
    "cepa": [
        "awareness",
        "public awareness",
        "awareness raising",
        "education",
        "educational",
        "schools",
        "school",
        "teachers",
        "pupils",
        "communication",
        "campaign",
        "campaigns",
        "drama",
        "radio",
        "outreach",
        "citizen science",
        "volunteers",
        "teaching materials",
        "environmental education",
    ],
    "biosafety": [
        "biosafety",
        "gmo",
        "gmos",
        "genetically modified",
        "living modified",
        "cartagena",
        "biotechnology",
        "modified organisms",
    ],
    "climate_change": [
        "climate change",
        "climate",
        "adaptation",
        "mitigation",
        "carbon",
        "warming",
    ],
    "information_systems": [
        "website",
        "web site",
        "websites",
        "server",
        "hosting",
        "database",
        "databases",
        "data",
        "datasets",
        "metadata",
        "portal",
        "chm",
        "clearing-house",
        "clearing-house mechanism",
        "gis",
        "web",
        "internet",
        "online",
        "software",
        "digitization",
        "digitize",
        "webmaster",
        "webmasters",
        "spatial data",
        "information management",
        "web publishing",
    ],
}


def merge_cues(*tables: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Union of cue tables (slug -> phrases), e.g. the built-in cues plus the vocabulary's synonyms."""
    merged: dict[str, list[str]] = {}
    for table in tables:
        for slug, phrases in (table or {}).items():
            merged.setdefault(slug, [])
            merged[slug].extend(p for p in phrases if p and p not in merged[slug])
    return merged


@lru_cache(maxsize=64)
def _compile(items: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, re.Pattern]:
    compiled = {}
    for slug, phrases in items:
        folded = sorted({" ".join(words(p)) for p in phrases} - {""}, key=len, reverse=True)
        if folded:
            compiled[slug] = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in folded) + r")\b")
    return compiled


def _freeze(table: dict[str, list[str]] | None) -> tuple:
    return tuple(sorted((slug, tuple(phrases)) for slug, phrases in (table or {}).items()))


@lru_cache(maxsize=16)
def _patterns(kind: str, synonyms: tuple) -> dict[str, re.Pattern]:
    """The compiled cues of a kind ("types" or "themes") with extra synonyms, built once."""
    builtin = TYPE_CUES if kind == "types" else THEME_CUES
    return _compile(_freeze(merge_cues(builtin, {slug: list(phrases) for slug, phrases in synonyms})))


def _detect(text: str, title: str, patterns: dict[str, re.Pattern]) -> dict[str, float]:
    body = " ".join(words(text))
    head = " ".join(words(title))
    scores = {}
    for slug, pattern in patterns.items():
        # distinct cues count, and a cue in the title counts twice: "Hosting for ..." says more
        # than one "hosting" in the fifth sentence
        n = len(set(pattern.findall(body))) + 2 * len(set(pattern.findall(head)))
        if n:
            scores[slug] = round(1.0 - math.pow(0.5, n), 4)
    return scores


def detect_types(
    text: str, synonyms: dict[str, list[str]] | None = None, title: str = ""
) -> dict[str, float]:
    """Cooperation types a text talks about, slug -> confidence in (0, 1).

    ``text`` should be English (see ``to_english``); ``synonyms`` adds phrases to the built-in cues.
    """
    return _detect(text, title, _patterns("types", _freeze(synonyms)))


def detect_themes(
    text: str, synonyms: dict[str, list[str]] | None = None, title: str = ""
) -> dict[str, float]:
    """Themes a text talks about, slug -> confidence in (0, 1); same rules as ``detect_types``."""
    return _detect(text, title, _patterns("themes", _freeze(synonyms)))
