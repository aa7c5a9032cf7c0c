"""How alike distinct postings are, and how alike near-identical ones: the thresholds of ml/duplicates.py.

    .venv/bin/python bench/near_duplicates.py

Reads the 149 postings of both development sets (seven languages) and embeds them with the
configured model (USE by default). Prints, for pairs of distinct postings of the same direction,
the highest resemblance of their terms (ml.duplicates.resemblance) and the highest cosine of their
vectors; then, for near-identical copies of every posting made the ways a posting comes back (the
same text under another organization's name, a contact line added, a number changed, the title in
capitals, the last sentence dropped), the lowest resemblance and cosine to the original; and for the
demo's postings of one title by several organizations (matchmaking/management/demo_history.py: the
title, then the organization's name), the same.
"""

import json
import os
import random
import re
import sys
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "eval"


def postings():
    found = []
    for folder in ("dev", "dev-multilingual"):
        organizations = {
            row["key"]: row
            for row in map(json.loads, (EVAL / folder / "organizations.jsonl").read_text().splitlines())
        }
        for name in ("offers.jsonl", "requests.jsonl"):
            for line in (EVAL / folder / name).read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    found.append({**row, "org": organizations[row["organization"]]})
    return found


def copies(posting, other, rng):
    """The ways a posting comes back near-identical: (kind, title, description)."""
    title, description = posting["title"], posting["description"]
    sentences = [s for s in re.split(r"(?<=[.!?。؟])\s*", description) if s]
    return [
        ("another organization's name added", title, f"{description} {other['name']}."),
        ("a contact line added", title, f"{description} Contact: info@example.org."),
        (
            "a number changed",
            title,
            re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), description),
        ),
        ("the title in capitals", title.upper(), description),
        ("the last sentence dropped", title, " ".join(sentences[:-1]) if len(sentences) > 1 else description),
    ]


def demo_pairs():
    """(direction, texts) of the demo's postings: each kind's title under each organization's name."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
    import django

    django.setup()
    from babel import Locale
    from matchmaking.management.demo_history import KINDS, OFFERERS, REQUESTERS

    from ml.embeddings import opportunity_text

    names = Locale("en").territories

    def text(title, organization, code):  # as demo_history.History.opportunity writes it
        return opportunity_text(title, f"{title}. {organization} ({names[code]}).")

    out = []
    for offer_title, request_title, *_ in KINDS.values():
        if offer_title:
            out.append(("offer", [text(offer_title, name, code) for name, _, code in OFFERERS]))
        requesters = [(f"National CHM focal point of {names[code]}", code) for code in REQUESTERS]
        out.append(("request", [text(request_title, name, code) for name, code in requesters]))
    return out


def main():
    from ml.duplicates import near_identical, resemblance
    from ml.embeddings import get_embedder, opportunity_text
    from ml.lexical import text_terms

    model = get_embedder(os.environ.get("EMBEDDING_BACKEND", "use"))
    rows = postings()
    texts = [opportunity_text(p["title"], p["description"]) for p in rows]
    vectors = model.encode(texts)
    terms = [text_terms(t)[0] for t in texts]
    distinct = [
        (i, j) for i, j in combinations(range(len(rows)), 2) if rows[i]["direction"] == rows[j]["direction"]
    ]
    res = np.array([resemblance(terms[i], terms[j]) for i, j in distinct])
    cos = np.array([float(vectors[i] @ vectors[j]) for i, j in distinct])
    print(f"{len(rows)} postings, {len(distinct)} distinct pairs of the same direction:")
    print(f"  resemblance max {res.max():.3f}, p99.9 {np.percentile(res, 99.9):.3f}")
    print(f"  cosine      max {cos.max():.3f}, p99.9 {np.percentile(cos, 99.9):.3f}")
    rng = random.Random(1)
    kinds = {}
    for i, posting in enumerate(rows):
        for kind, title, description in copies(posting, rng.choice(rows)["org"], rng):
            kinds.setdefault(kind, []).append((i, opportunity_text(title, description)))
    print("near-identical copies of each posting, against the original (lowest, 1st percentile, median):")
    for kind, made in kinds.items():
        copy_vectors = model.encode([text for _, text in made])
        r = np.array([resemblance(terms[i], text_terms(text)[0]) for i, text in made])
        c = np.array([float(copy_vectors[n] @ vectors[i]) for n, (i, _) in enumerate(made)])
        print(
            f"  {kind:36s} resemblance {r.min():.3f} {np.percentile(r, 1):.3f} {np.median(r):.3f}"
            f" | cosine {c.min():.3f} {np.percentile(c, 1):.3f} {np.median(c):.3f}"
        )
    r_all, c_all = [], []
    for _, group in demo_pairs():
        group_vectors = model.encode(group)
        group_terms = [text_terms(t)[0] for t in group]
        for i, j in combinations(range(len(group)), 2):
            r_all.append(resemblance(group_terms[i], group_terms[j]))
            c_all.append(float(group_vectors[i] @ group_vectors[j]))
    r_all, c_all = np.array(r_all), np.array(c_all)
    print(f"the demo's postings of one title and direction by several organizations ({len(r_all)} pairs):")
    print(f"  resemblance min {r_all.min():.3f} median {np.median(r_all):.3f}; cosine min {c_all.min():.3f}")
    near = near_identical(r_all, np.ones(len(r_all), dtype=bool), c_all)
    print(f"  near-identical by ml.duplicates (same title): {near.mean():.1%} of the pairs")


if __name__ == "__main__":
    main()
