"""Approximate nearest-neighbour indexes against exact search, with the hard filters applied.

    .venv/bin/pip install -e '.[ann]'          # faiss-cpu, usearch, hnswlib (not needed to serve)
    .venv/bin/python bench/bench_ann.py --size 100000

The vectors are the configured model's (USE multilingual, 512 dimensions) of N synthetic postings:
each is a title and two sentences drawn from different postings of both development sets (seven
languages), so the vectors have the clusters and language spread of real postings. They are encoded
once and kept in var/bench/ (a few minutes at 100,000).

The hard filters (direction, eligible countries, dates, capacity) leave a share of the postings
eligible for a query; that share does not depend on the vectors, so it is drawn at random for each
query at three levels: 50 % (the other direction only), 10 % and 1 % (a request from a country that
few offers admit). For every index it prints the recall@10 against the exact top 10 among the
eligible postings, and the median and p95 time per query; numpy's exact masked top-10 over the same
matrix is measured in the same run. An index searches the filtered set natively where its Python
API can (faiss's IDSelectorBitmap), otherwise it asks for more neighbours and filters after.
"""

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from bench_matches import synthetic_texts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARES = (0.5, 0.1, 0.01)
K = 10


def vectors(n):
    """The model's unit vectors of n synthetic postings (cached in var/bench/)."""
    from ml.embeddings import get_embedder

    model = get_embedder("use")
    cache = ROOT / "var" / "bench" / f"ann-{model.name.replace('/', '_')}-{n}.npy"
    if cache.exists():
        return np.load(cache)
    started = time.perf_counter()
    texts = [f"{title}. {description}" for title, description in synthetic_texts(n, sentences=2)]
    matrix = np.vstack([model.encode(chunk) for chunk in batched(texts, 1000)]).astype(np.float32)
    print(f"encoded {n} texts in {time.perf_counter() - started:.0f} s", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, matrix)
    return matrix


def batched(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def exact(matrix, query, mask):
    scores = matrix @ query
    scores[~mask] = -np.inf
    top = np.argpartition(-scores, K)[:K]
    return top[np.argsort(-scores[top])]


def post_filtered(search, share, n):
    """Searches for enough neighbours that K eligible ones are likely among them, then filters."""
    wanted = min(n, math.ceil(K / share * 3))

    def run(query, mask):
        labels = search(query, wanted)
        return [int(i) for i in labels if i >= 0 and mask[i]][:K]

    return run


def faiss_hnsw(matrix, ef):
    import faiss

    faiss.omp_set_num_threads(1)
    index = faiss.IndexHNSWFlat(matrix.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    index.add(matrix)
    return index


def faiss_filtered(index, ef):
    """faiss's HNSW search restricted to the eligible postings (IDSelectorBitmap)."""
    import faiss

    def search(query, mask):
        bitmap = np.packbits(mask, bitorder="little")
        params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap)))
        params.efSearch = ef
        _, labels = index.search(query[None, :], K, params=params)
        return [int(i) for i in labels[0] if i >= 0]

    return search


def usearch_index(matrix, ef):
    from usearch.index import Index

    index = Index(ndim=matrix.shape[1], metric="ip", dtype="f32", connectivity=16, expansion_add=128)
    index.expansion_search = ef
    index.add(np.arange(len(matrix)), matrix, threads=1)
    return lambda query, count: index.search(query, count, threads=1).keys


def hnswlib_index(matrix, ef):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=matrix.shape[1])
    index.init_index(max_elements=len(matrix), ef_construction=200, M=16)
    index.set_num_threads(1)
    index.add_items(matrix, np.arange(len(matrix)))
    index.set_ef(ef)

    def search(query, count):
        index.set_ef(max(ef, count))
        return index.knn_query(query, k=count)[0][0]

    return search


def measure(name, search, queries, masks, truth):
    times, recalls = [], []
    for query, mask, best in zip(queries, masks, truth, strict=True):
        started = time.perf_counter()
        found = search(query, mask)
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(set(found) & set(best.tolist())) / K)
    times.sort()
    return name, float(np.mean(recalls)), times[len(times) // 2], times[int(0.95 * len(times)) - 1]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    matrix = vectors(args.size)
    rng = np.random.default_rng(7)
    queries = matrix[rng.choice(len(matrix), args.queries, replace=False)] + rng.normal(
        0, 0.02, (args.queries, matrix.shape[1])
    ).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    print(f"N={args.size} x {matrix.shape[1]}, {args.queries} queries, top {K}", flush=True)

    built = {}
    for name, make in (("faiss HNSW", faiss_hnsw), ("usearch", usearch_index), ("hnswlib", hnswlib_index)):
        started = time.perf_counter()
        built[name] = make(matrix, 64)
        print(f"{name}: built in {time.perf_counter() - started:.1f} s", flush=True)

    print(f"{'share eligible':>15} | {'search':<28} | recall@10 | p50 ms | p95 ms")
    for share in SHARES:
        masks = [rng.random(len(matrix)) < share for _ in queries]
        truth = [exact(matrix, q, m) for q, m in zip(queries, masks, strict=True)]
        rows = [measure("numpy exact (anchor)", lambda q, m: exact(matrix, q, m), queries, masks, truth)]
        for ef in (64, 256):
            rows.append(
                measure(f"faiss HNSW ef={ef}", faiss_filtered(built["faiss HNSW"], ef), queries, masks, truth)
            )
        rows.append(
            measure(
                "usearch, filter after",
                post_filtered(built["usearch"], share, args.size),
                queries,
                masks,
                truth,
            )
        )
        rows.append(
            measure(
                "hnswlib, filter after",
                post_filtered(built["hnswlib"], share, args.size),
                queries,
                masks,
                truth,
            )
        )
        for name, recall, p50, p95 in rows:
            print(f"{share:>15.0%} | {name:<28} | {recall:9.3f} | {p50:6.2f} | {p95:6.2f}", flush=True)


if __name__ == "__main__":
    main()
