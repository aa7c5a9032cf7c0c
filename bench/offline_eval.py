"""Offline evaluation of the ranking in ml/, without a server or a database.

    .venv/bin/python bench/offline_eval.py [--data DIR ...] [--backend use] [--ablation] [--per-query]

Loads organizations, offers, requests and qrels from each --data folder (default: both dev sets),
reads each text as the service does when it is written (its vector, its language, the types and
themes it speaks of), ranks with ml/ directly and prints nDCG@10, MRR, R@5 and P@1 for both
directions, and nDCG@10 by the language of the query, scored with the functions of the evaluation
client (run_eval.py next to the data folder). The service's hard filters are emulated: a candidate
is dropped when its pair is judged X, when it expired before --today, or when it comes from the
query's organization. Queries that are themselves expired are not scored, as in run_eval.py.
Vectors are cached in /tmp by model and text. The figures of docs/matching.md were measured with
run_eval.py against the service (bench/service_eval.py); this script explores choices faster.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import os
import sys
import time
from collections import defaultdict
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
import django  # noqa: E402

django.setup()  # for the data file's vocabulary only: no database is used

from matchmaking.recommendations.vocabulary import data_vocabulary  # noqa: E402
from ml import embeddings  # noqa: E402
from ml.features import DEFAULT_CONFIG, CandidatePool, FeatureConfig, Profile  # noqa: E402
from ml.language import detect_language  # noqa: E402
from ml.lexical import LexicalIndex  # noqa: E402
from ml.ranking import WEIGHTS, Weights, rank  # noqa: E402
from ml.vocabulary import DEFAULT_DETECTION, DetectionConfig, TermDetector  # noqa: E402

REFERENCE_TODAY = "2026-11-22"
CACHE_DIR = "/tmp/chm_ml_embeddings"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = [
    os.path.normpath(os.path.join(HERE, "..", "..", "shared", "eval", d)) for d in ("dev", "dev-multilingual")
]


def load_run_eval(data_dir: str):
    path = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "run_eval.py")
    spec = importlib.util.spec_from_file_location("run_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cached_encode(embedder, texts: list[str]) -> np.ndarray:
    """Encode with the embedder, caching each text's vector under /tmp."""
    os.makedirs(CACHE_DIR, exist_ok=True)
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    missing = []
    for i, text in enumerate(texts):
        key = hashlib.sha256((embedder.name + "\0" + text).encode()).hexdigest()
        path = os.path.join(CACHE_DIR, key + ".npy")
        if os.path.exists(path):
            out[i] = np.load(path)
        else:
            missing.append((i, path))
    if missing:
        vectors = embedder.encode([texts[i] for i, _ in missing])
        for (i, path), v in zip(missing, vectors, strict=True):
            np.save(path, v)
            out[i] = v
    return out


class Bench:
    def __init__(self, data_dir: str, embedder, detection: DetectionConfig, today: str = REFERENCE_TODAY):
        self.run_eval = load_run_eval(data_dir)
        orgs, offers, requests, qrels = self.run_eval.load_data(data_dir)
        self.today = today
        self.vocabulary = data_vocabulary()
        self.rows = {p["key"]: p for p in offers + requests}
        texts = {
            p["key"]: embeddings.opportunity_text(p["title"], p["description"]) for p in offers + requests
        }
        keys = list(texts)
        self.vectors = dict(zip(keys, cached_encode(embedder, [texts[k] for k in keys]), strict=True))
        detector = TermDetector(
            self.vocabulary,
            lambda t: cached_encode(embedder, t),
            detection,
            cosine_floor=embedder.cosine_floor,
        )
        self.config = replace(DEFAULT_CONFIG, cosine_floor=embedder.cosine_floor)
        self.offers = [self.profile(p, texts[p["key"]], detector) for p in offers]
        self.requests = [self.profile(p, texts[p["key"]], detector) for p in requests]
        self.forward: dict[str, dict[str, str]] = {}
        self.reverse: dict[str, dict[str, str]] = {}
        for (rk, ok), g in qrels.items():
            self.forward.setdefault(rk, {})[ok] = g
            self.reverse.setdefault(ok, {})[rk] = g
        self.qrels = qrels
        self.everything = self.offers + self.requests
        # one lexical index of every text, at the positions of the pool, as the service keeps them
        self.lexical = LexicalIndex.from_texts([self.text(p) for p in self.everything])
        self._pools: dict = {}

    def profile(self, row: dict, text: str, detector: TermDetector) -> Profile:
        def day(value):
            return datetime.date.fromisoformat(value) if value else None

        vector = self.vectors[row["key"]]
        return Profile(
            id=row["key"],
            direction=row["direction"],
            title=row["title"],
            description=row["description"],
            cooperation_type=row.get("cooperation_type") or "other",
            themes=list(row.get("themes") or []),
            objectives=list(row.get("objectives") or []),
            languages=list(row.get("languages") or []),
            starts_on=day(row.get("starts_on")),
            ends_on=day(row.get("ends_on")),
            text_language=detect_language(text, row.get("languages") or ()),
            detected_types=detector.detect("types", vector),
            detected_themes=detector.detect("themes", vector),
        )

    @staticmethod
    def text(p: Profile) -> str:
        return f"{p.title}. {p.description}"

    def expired(self, key: str) -> bool:
        end = self.rows[key].get("ends_on")
        return bool(end and end < self.today)

    def allowed(self, query: Profile, cand: Profile) -> bool:
        pair = (query.id, cand.id) if query.direction == "request" else (cand.id, query.id)
        return (
            self.qrels.get(pair) != "X"
            and not self.expired(cand.id)
            and self.rows[cand.id]["organization"] != self.rows[query.id]["organization"]
        )

    def pool(self, config: FeatureConfig = DEFAULT_CONFIG) -> CandidatePool:
        """Every opportunity in one pool, as the service keeps them; masks select the candidates."""
        if config not in self._pools:
            self._pools[config] = CandidatePool.of(
                self.everything,
                np.stack([self.vectors[p.id] for p in self.everything]),
                self.vocabulary,
                config=config,
            )
        return self._pools[config]

    def run(self, weights: Weights = WEIGHTS, limit: int = 10, config: FeatureConfig | None = None):
        """{direction: (summary, per-query rows)} with the run_eval metrics."""
        pool = self.pool(config or self.config)
        out = {}
        for name, queries, judgments in (
            ("request->offer", self.requests, self.forward),
            ("offer->request", self.offers, self.reverse),
        ):
            per_query = []
            for q in queries:
                if self.expired(q.id):
                    continue
                mask = np.array([c.direction != q.direction and self.allowed(q, c) for c in self.everything])
                results = rank(
                    q,
                    pool,
                    self.vectors[q.id],
                    lexical_scores=self.lexical.score(self.text(q)),
                    weights=weights,
                    limit=limit,
                    mask=mask,
                )
                keys = [r.id for r in results]
                m = self.run_eval.score_query(keys, judgments.get(q.id, {}))
                m.update(query=q.id, language=q.text_language, returned=keys, results=results)
                per_query.append(m)
            summary = {
                "ndcg@10": self.run_eval.mean(r["ndcg"] for r in per_query),
                "mrr": self.run_eval.mean(r["mrr"] for r in per_query),
                "recall@5": self.run_eval.mean(r["recall5"] for r in per_query),
                "p@1": self.run_eval.mean(r["p1"] for r in per_query),
            }
            out[name] = (summary, per_query)
        return out


def fmt(v):
    return "  -  " if v is None else f"{v:.3f}"


def print_summary(label: str, result) -> None:
    parts = []
    for name, (s, _) in result.items():
        parts.append(f"{name} nDCG@10={fmt(s['ndcg@10'])} MRR={fmt(s['mrr'])} P@1={fmt(s['p@1'])}")
    print(f"{label:<22} " + " | ".join(parts))


def print_languages(result) -> None:
    by_language = defaultdict(list)
    for _, rows in result.values():
        for r in rows:
            if r["ndcg"] is not None:
                by_language[r["language"] or "?"].append(r["ndcg"])
    print(
        "  nDCG@10 by query language: "
        + ", ".join(f"{lang} {np.mean(v):.3f} ({len(v)})" for lang, v in sorted(by_language.items()))
    )


def ablation_weights(weights: Weights) -> dict[str, Weights]:
    zero = dict.fromkeys(weights.to_dict(), 0.0)
    structured = {k: getattr(weights, k) for k in ("type", "themes", "objectives", "language", "dates")}
    return {
        "semantic only": Weights.from_dict({**zero, "semantic": 1.0}),
        "lexical only": Weights.from_dict({**zero, "lexical": 1.0}),
        "structured only": Weights.from_dict({**zero, **structured}),
        "text only": Weights.from_dict({**zero, "semantic": weights.semantic, "lexical": weights.lexical}),
        "blend": weights,
    }


def parse_pairs(text: str | None) -> dict[str, float]:
    return {k: float(v) for k, v in (item.split("=") for item in text.split(","))} if text else {}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data", action="append", help="a data folder (repeat for several); both dev sets by default"
    )
    ap.add_argument("--today", default=REFERENCE_TODAY)
    ap.add_argument("--backend", default=embeddings.DEFAULT_BACKEND, choices=sorted(embeddings.BACKENDS))
    ap.add_argument("--ablation", action="store_true", help="also score each part of the blend alone")
    ap.add_argument("--leave-one-out", action="store_true", help="the blend without each feature in turn")
    ap.add_argument("--per-query", action="store_true", help="print every query's top 5 and nDCG")
    ap.add_argument("--weights", help="weights as name=value,... (others keep their defaults)")
    ap.add_argument("--detection", help="detection settings as name=value,... (floor, ceiling, margin, top)")
    ap.add_argument("--features", help="feature settings as name=value,... (see ml.features.FeatureConfig)")
    args = ap.parse_args(argv)

    weights = replace(WEIGHTS, **parse_pairs(args.weights))
    detection = replace(DEFAULT_DETECTION, **parse_pairs(args.detection))
    features = parse_pairs(args.features)
    embedder = embeddings.get_embedder(args.backend)
    for data in args.data or DEFAULT_DATA:
        t0 = time.perf_counter()
        bench = Bench(data, embedder, detection, args.today)
        print(
            f"== {data}: {len(bench.offers)} offers, {len(bench.requests)} requests in {time.perf_counter() - t0:.1f}s"
        )
        config = replace(bench.config, **features)
        result = bench.run(weights, config=config)
        print_summary("blend", result)
        print_languages(result)
        if args.ablation:
            for label, w in ablation_weights(weights).items():
                print_summary(label, bench.run(w, config=config))
        if args.leave_one_out:
            for name in weights.to_dict():
                print_summary(f"- {name}", bench.run(replace(weights, **{name: 0.0}), config=config))
        if args.per_query:
            for name, (_, rows) in result.items():
                print(f"\n{name}")
                judgments = bench.forward if name == "request->offer" else bench.reverse
                for r in rows:
                    if r["ndcg"] is None:
                        continue
                    judged = judgments.get(r["query"], {})
                    top = " ".join(f"{k}:{judged.get(k, '-')}" for k in r["returned"][:5])
                    wanted = " ".join(
                        f"{k}:{g}"
                        for k, g in sorted(judged.items(), key=lambda kv: kv[1], reverse=True)
                        if g in ("1", "2", "3")
                    )
                    print(
                        f"  {r['query']} ({r['language']}) nDCG={r['ndcg']:.2f}  top: {top}   relevant: {wanted}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
