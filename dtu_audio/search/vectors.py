"""The FAISS vector index: exact inner product for small collections, a tuned IVF index beyond.

Vectors are L2-normalised embeddings, so inner product is cosine similarity. Up to ``exact_limit``
vectors the index is a flat (exact) one. Beyond it, an inverted-file index (IVF, flat lists,
inner-product metric) with ``nlist`` about ``2 * sqrt(n)`` lists (a power of two), trained by
k-means on a sample; ``nprobe`` is then chosen as the smallest power of two whose recall@10
against exact search reaches ``target_recall`` on a sample of the stored vectors used as queries
(each left out of its own results). When even ``nlist / 8`` probes miss the target, the vectors
have too little cluster structure for IVF to pay off and the index is exact after all (``kind``
``flat``, with the IVF figures that decided it). Every choice and the measured recall are
returned as plain parameters, recorded with the index.

Vectors arrive as re-iterable chunks (``chunks()`` yields ``(ids, float32 [m, dim])``), so a
collection is never held twice in memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_path

Chunks = Callable[[], Iterator[tuple[np.ndarray, np.ndarray]]]

#: Collections up to this many vectors get an exact index.
EXACT_LIMIT = 100_000
TARGET_RECALL = 0.97
TUNE_QUERIES = 256
RECALL_K = 10
#: k-means: training points per list, and iterations.
POINTS_PER_LIST = 40
KMEANS_ITERATIONS = 10
#: IVF is kept only if it reaches the target recall probing at most 1/8 of its lists; vectors
#: without that much cluster structure get the exact index.
MAX_PROBED_SHARE = 8


def require_faiss():
    """The ``faiss`` module, or a one-line error naming the extra that installs it."""
    try:
        import faiss
    except ImportError:
        raise DtuError("vector search needs FAISS: pip install 'dtu-audio[search]' (or faiss-cpu)") from None
    return faiss


@dataclass
class IndexParams:
    """How the vector index was built: ``flat`` (exact) or ``ivf``, and what was chosen and measured."""

    kind: str
    count: int
    dim: int
    nlist: int = 0
    nprobe: int = 0
    tuned_recall: float | None = None
    target_recall: float | None = None
    kmeans_iterations: int = 0
    training_points: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def choose_nlist(count: int) -> int:
    """About ``2 * sqrt(count)`` inverted lists, a power of two, at least 16."""
    return max(16, 2 ** round(math.log2(2 * math.sqrt(count))))


def _sample(chunks: Chunks, count: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ids and vectors of ``size`` entries drawn uniformly without replacement from the chunks."""
    chosen = np.sort(np.random.default_rng(seed).choice(count, size=min(size, count), replace=False))
    ids, parts, seen = [], [], 0
    for chunk_ids, vectors in chunks():
        inside = chosen[(chosen >= seen) & (chosen < seen + len(vectors))] - seen
        ids.append(chunk_ids[inside])
        parts.append(vectors[inside])
        seen += len(vectors)
    return np.concatenate(ids), np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def exact_top_k(queries: np.ndarray, chunks: Chunks, k: int) -> np.ndarray:
    """Ids of the ``k`` largest inner products of each query over all chunks ``[q, k]``, best first."""
    best_ids = np.full((len(queries), 0), -1, dtype=np.int64)
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    for ids, vectors in chunks():
        scores = np.concatenate([best_scores, queries @ vectors.T], axis=1)
        all_ids = np.concatenate([best_ids, np.broadcast_to(ids, (len(queries), len(ids)))], axis=1)
        keep = np.argpartition(-scores, min(k, scores.shape[1]) - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, keep, axis=1)
        best_ids = np.take_along_axis(all_ids, keep, axis=1)
    order = np.argsort(-best_scores, axis=1, kind="stable")
    return np.take_along_axis(best_ids, order, axis=1)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each row of ``truth`` that appears in the same row of ``found``."""
    hits = [
        len(set(f.tolist()) & set(t[t >= 0].tolist())) / max(1, int((t >= 0).sum()))
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits)) if hits else 1.0


def _filled(index, chunks: Chunks):
    for ids, vectors in chunks():
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, dtype=np.int64))
    return index


def _without_self(found: np.ndarray, query_ids: np.ndarray) -> np.ndarray:
    """The first ``RECALL_K`` ids of each row that are not the query's own id."""
    return np.stack([row[row != own][:RECALL_K] for row, own in zip(found, query_ids, strict=True)])


def _tune_nprobe(index, chunks: Chunks, count: int, target: float) -> tuple[int, float]:
    """The smallest power-of-two ``nprobe`` (up to ``nlist / MAX_PROBED_SHARE``) that reaches ``target``.

    Queries are stored vectors left out of their own results, which stands for a fresh query from
    the same distribution. Returns the last ``nprobe`` tried and its recall.
    """
    query_ids, queries = _sample(chunks, count, TUNE_QUERIES, seed=1)
    truth = _without_self(exact_top_k(queries, chunks, RECALL_K + 1), query_ids)
    nprobe, limit = 1, max(1, index.nlist // MAX_PROBED_SHARE)
    while True:
        index.nprobe = nprobe
        recall = recall_at_k(_without_self(index.search(queries, RECALL_K + 1)[1], query_ids), truth)
        if recall >= target or nprobe >= limit:
            return nprobe, recall
        nprobe = min(nprobe * 2, limit)


def build_vector_index(
    chunks: Chunks, count: int, dim: int, exact_limit: int = EXACT_LIMIT, target_recall: float = TARGET_RECALL
) -> tuple[object, IndexParams]:
    """A filled FAISS index over ``count`` vectors of ``dim`` from ``chunks``, and how it was built."""
    faiss = require_faiss()
    if count <= exact_limit:
        index = _filled(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), chunks)
        return index, IndexParams("flat", count, dim)
    nlist = choose_nlist(count)
    _, training = _sample(chunks, count, nlist * POINTS_PER_LIST)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.max_points_per_centroid = POINTS_PER_LIST
    index.train(training)
    _filled(index, chunks)
    nprobe, recall = _tune_nprobe(index, chunks, count, target_recall)
    params = IndexParams("ivf", count, dim, nlist, nprobe, round(recall, 4), target_recall)
    params.kmeans_iterations, params.training_points = KMEANS_ITERATIONS, len(training)
    if recall < target_recall:
        del index
        params.kind = "flat"
        return _filled(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), chunks), params
    index.nprobe = nprobe
    return index, params


def write_vector_index(index, path: Path) -> None:
    """Write ``index`` to ``path`` atomically (readers see the old file or the new one, never half)."""
    faiss = require_faiss()
    with atomic_path(path) as tmp:
        faiss.write_index(index, str(tmp))


def read_vector_index(path: Path, nprobe: int = 0):
    """Read a FAISS index written by :func:`write_vector_index`, with ``nprobe`` set for IVF indexes."""
    faiss = require_faiss()
    if not path.is_file():
        raise DtuError(f"vector file {path} does not exist; run dtu index build or dtu index update")
    index = faiss.read_index(str(path))
    if nprobe:
        faiss.extract_index_ivf(index).nprobe = nprobe
    return index
