"""Offline evaluation of the ranking in ml/, without Django or a server.

    .venv/bin/python bench/offline_eval.py --data ../shared/eval/dev [--ablation] [--per-query]

Loads organizations, offers, requests and qrels from --data, ranks with ml/ directly and prints
nDCG@10, MRR, R@5 and P@1 for both directions, scored with the functions of the evaluation
client (run_eval.py next to the data folder). The service's hard filters are emulated: a
candidate is dropped when its pair is judged X, when it expired before --today, or when it
comes from the query's organization. Queries that are themselves expired are not scored, as
in run_eval.py. Embeddings of the texts are cached in /tmp.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.util
import os
import sys
import time
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "matchmaking.settings")
import django  # noqa: E402

django.setup()  # for the data files' vocabulary only: no database is used

from matchmaking.recommendations.vocabulary import data_vocabulary  # noqa: E402
from ml import embeddings  # noqa: E402
from ml.features import DEFAULT_CONFIG, CandidatePool, FeatureConfig, Profile, analyse  # noqa: E402
from ml.lexical import LexicalIndex  # noqa: E402
from ml.ranking import WEIGHTS, Weights, rank  # noqa: E402

REFERENCE_TODAY = "2026-11-22"
CACHE_DIR = "/tmp/chm_ml_embeddings"


def load_run_eval(data_dir: str):
    path = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "run_eval.py")
    spec = importlib.util.spec_from_file_location("run_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def to_profile(row: dict, vocabulary) -> Profile:
    def day(value):
        return datetime.date.fromisoformat(value) if value else None

    profile = Profile(
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
    )
    return analyse(profile, vocabulary)


def cached_encode(texts: list[str]) -> np.ndarray:
    """Encode with the packaged model, caching each text's vector under /tmp."""
    embedder = embeddings.get_embedder()
    os.makedirs(CACHE_DIR, exist_ok=True)
    out = np.zeros((len(texts), 384), dtype=np.float32)
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
    def __init__(
        self,
        data_dir: str,
        today: str = REFERENCE_TODAY,
        distractors: bool = False,
    ):
        self.run_eval = load_run_eval(data_dir)
        orgs, offers, requests, qrels = self.run_eval.load_data(data_dir)
        self.today = today
        self.vocabulary = data_vocabulary()
        self.distractors = distractors
        self.rows = {p["key"]: p for p in offers + requests}
        self.country = {o["key"]: o["country"] for o in orgs}
        self.offers = [to_profile(p, self.vocabulary) for p in offers]
        self.requests = [to_profile(p, self.vocabulary) for p in requests]
        self.forward: dict[str, dict[str, str]] = {}
        self.reverse: dict[str, dict[str, str]] = {}
        for (rk, ok), g in qrels.items():
            self.forward.setdefault(rk, {})[ok] = g
            self.reverse.setdefault(ok, {})[rk] = g
        self.qrels = qrels
        self.everything = everything = self.offers + self.requests
        self.vectors = dict(zip([p.id for p in everything], self.encode(everything), strict=True))
        self.lexical = LexicalIndex(self.vocabulary).fit(
            [p.id for p in everything], [self.text(p) for p in everything]
        )
        self._pools: dict = {}

    @staticmethod
    def text(p: Profile) -> str:
        return f"{p.title}. {p.description}"

    def encode(self, profiles: list[Profile]) -> np.ndarray:
        return cached_encode(
            [embeddings.opportunity_text(p.title, p.description, self.vocabulary) for p in profiles]
        )

    def expired(self, key: str) -> bool:
        end = self.rows[key].get("ends_on")
        return bool(end and end < self.today)

    def allowed(self, query: Profile, cand: Profile) -> bool:
        if self.distractors:  # stress test: every other opportunity competes, X pairs count as 0
            return cand.id != query.id
        pair = (query.id, cand.id) if query.direction == "request" else (cand.id, query.id)
        return (
            self.qrels.get(pair) != "X"
            and not self.expired(cand.id)
            and self.rows[cand.id]["organization"] != self.rows[query.id]["organization"]
        )

    def pool(self, config: FeatureConfig = DEFAULT_CONFIG) -> CandidatePool:
        """Every opportunity in one pool, as the service keeps them; masks select the candidates."""
        if config not in self._pools:
            self._pools[config] = CandidatePool(
                self.everything,
                np.stack([self.vectors[p.id] for p in self.everything]),
                self.vocabulary,
                config=config,
            )
        return self._pools[config]

    def run(self, weights: Weights = WEIGHTS, limit: int = 10, config: FeatureConfig = DEFAULT_CONFIG):
        """{direction: (summary, per-query rows)} with the run_eval metrics."""
        pool = self.pool(config)
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
                lexical = self.lexical.score(self.text(q))
                results = rank(
                    q,
                    pool,
                    self.vectors[q.id],
                    lexical_scores=lexical,
                    weights=weights,
                    limit=limit,
                    mask=mask,
                )
                keys = [r.id for r in results]
                m = self.run_eval.score_query(keys, judgments.get(q.id, {}))
                m.update(query=q.id, returned=keys, results=results)
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
        parts.append(
            f"{name} nDCG@10={fmt(s['ndcg@10'])} MRR={fmt(s['mrr'])} "
            f"R@5={fmt(s['recall@5'])} P@1={fmt(s['p@1'])}"
        )
    print(f"{label:<18} " + " | ".join(parts))


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


def speed(n: int, repeats: int = 20) -> None:
    """Time rank() against n synthetic candidates (a built pool), and the pool's build."""
    rng = np.random.default_rng(0)
    types = ["hosting", "training", "funding", "technical_advice", "research", "other"]
    themes = ["taxonomy", "marine_coastal", "forest", "information_systems", "island"]
    profiles = [
        Profile(
            id=i,
            direction="offer",
            title=f"offer {i}",
            description="",
            cooperation_type=types[i % 6],
            themes=[themes[i % 5], themes[(i * 7) % 5]],
            objectives=[f"{1 + i % 3}.{1 + i % 4}"],
            languages=["en", "fr", "es"][: 1 + i % 3],
            detected_types={},
            detected_themes={},
            text_language="en",
        )
        for i in range(n)
    ]
    matrix = embeddings.normalize(rng.standard_normal((n, 384)).astype(np.float32))
    t0 = time.perf_counter()
    pool = CandidatePool(profiles, matrix, data_vocabulary())
    build = time.perf_counter() - t0
    query = Profile(
        id="q",
        direction="request",
        title="q",
        description="",
        cooperation_type="hosting",
        themes=["information_systems"],
        objectives=["3.1"],
        languages=["fr"],
        detected_types={"mirroring": 0.5},
        detected_themes={},
        text_language="fr",
    )
    qv = matrix[0]
    lexical = rng.random(n).astype(np.float32) * 0.3
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        rank(query, pool, qv, lexical_scores=lexical, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(
        f"rank over {n} candidates: median {times[len(times) // 2]:.1f} ms, "
        f"max {times[-1]:.1f} ms (pool built once in {build:.2f} s)"
    )


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    default_data = os.path.normpath(os.path.join(here, "..", "..", "shared", "eval", "dev"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=default_data)
    ap.add_argument("--today", default=REFERENCE_TODAY)
    ap.add_argument("--ablation", action="store_true", help="also score each part of the blend alone")
    ap.add_argument("--leave-one-out", action="store_true", help="the blend without each feature in turn")
    ap.add_argument("--per-query", action="store_true", help="print every query's top 5 and nDCG")
    ap.add_argument(
        "--distractors",
        action="store_true",
        help="stress test: keep the filtered-out candidates as distractors (they gain 0)",
    )
    ap.add_argument("--speed", type=int, metavar="N", help="time rank() over N synthetic candidates and exit")
    ap.add_argument("--weights", help="weights as name=value,... (others keep their defaults)")
    args = ap.parse_args(argv)

    if args.speed:
        speed(args.speed)
        return 0
    weights = WEIGHTS
    if args.weights:
        pairs = dict(item.split("=") for item in args.weights.split(","))
        weights = replace(WEIGHTS, **{k: float(v) for k, v in pairs.items()})

    t0 = time.perf_counter()
    bench = Bench(args.data, args.today, distractors=args.distractors)
    print(
        f"loaded {len(bench.offers)} offers, {len(bench.requests)} requests in {time.perf_counter() - t0:.1f}s; "
        f"weights: {weights.to_dict()}"
    )

    result = bench.run(weights)
    print_summary("blend", result)
    if args.ablation:
        print("\nablation")
        for label, w in ablation_weights(weights).items():
            print_summary(label, bench.run(w))
    if args.leave_one_out:
        print("\nleave one feature out")
        for name in weights.to_dict():
            print_summary(f"- {name}", bench.run(replace(weights, **{name: 0.0})))
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
                print(f"  {r['query']} nDCG={r['ndcg']:.2f}  top: {top}   relevant: {wanted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
