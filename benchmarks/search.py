"""Vector search at 10k, 100k and 1M vectors of 1024-d, and indexing throughput of real audio.

Vector part (default): for each size and each set (``random``: Gaussian directions, ``clustered``:
2,000 random centres, each point its centre plus Gaussian noise of the same norm, so a point's
cosine to its centre is about 0.7, as for embeddings of one sound class), the approximate index
that ``dtu index`` builds (IVF, lists and ``nprobe`` chosen by :func:`build_vector_index`) and
the exact one (flat inner product), each built in a fresh process. Printed per index: build time
(training, filling and ``nprobe`` tuning), peak resident memory of the process, query latency
p50/p99 for single queries and for batches of 100, and recall@10 against exact search on 200
fresh queries (new points of the same distribution). Vectors are generated chunk by chunk from
seeds, never held twice. The machine's load average is printed before and after: on a shared
machine the latencies include other processes' load.

Audio part (``--audio DIR --model NAME``): clips per second of an index build on DIR (decoding,
windows, embedding, SQLite, the vector index; the model loaded once beforehand) against
``model.embed_audio`` alone on the same files, alternately, best of ``--rounds``.

Usage: ``python benchmarks/search.py [--sizes 10000 100000 1000000] [--threads 2]``,
``python benchmarks/search.py --audio DIR --model CKPT``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from dtu_audio.search.vectors import build_vector_index, exact_top_k, recall_at_k, require_faiss

DIM = 1024
CHUNK = 32_768
CENTRES = 2_000
QUERIES = 200
BATCH = 100
K = 10


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _centres() -> np.ndarray:
    return _unit(np.random.default_rng(12345).standard_normal((CENTRES, DIM)))


def _points(kind: str, count: int, seed: int, centres: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((count, DIM), dtype=np.float32)
    if kind == "random":
        return _unit(noise)
    return _unit(centres[rng.integers(0, CENTRES, count)] + noise / np.sqrt(DIM))


def _chunks(kind: str, size: int, centres: np.ndarray):
    def chunks():
        for start in range(0, size, CHUNK):
            count = min(CHUNK, size - start)
            yield np.arange(start, start + count, dtype=np.int64), _points(kind, count, start // CHUNK, centres)

    return chunks


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _label(params) -> str:
    if params.kind == "ivf":
        return f"ivf nlist={params.nlist} nprobe={params.nprobe}"
    return f"exact (ivf {params.nprobe}/{params.nlist}: {params.tuned_recall})" if params.nlist else "exact"


def _measure(kind: str, size: int, exact: bool, threads: int, queue) -> None:
    """Build one index in this (fresh) process and put its figures on ``queue``."""
    faiss = require_faiss()
    faiss.omp_set_num_threads(threads)
    centres = _centres()
    chunks = _chunks(kind, size, centres)
    start = time.perf_counter()
    index, params = build_vector_index(chunks, size, DIM, exact_limit=size if exact else 0)
    build_s = time.perf_counter() - start
    queries = _points(kind, QUERIES, 10**6, centres)
    truth = exact_top_k(queries, chunks, K)
    single = []
    for query in queries:
        begin = time.perf_counter()
        index.search(query[None], K)
        single.append(time.perf_counter() - begin)
    batched = []
    for start_row in range(0, QUERIES, BATCH):
        begin = time.perf_counter()
        index.search(queries[start_row : start_row + BATCH], K)
        batched.append(time.perf_counter() - begin)
    found = index.search(queries, K)[1]
    queue.put(
        {
            "set": kind,
            "size": size,
            "index": _label(params),
            "build_s": build_s,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "single": _percentiles(single),
            "batch": _percentiles(batched),
            "recall": recall_at_k(found, truth),
            "tuned_recall": params.tuned_recall,
        }
    )


def vector_benchmark(sizes: list[int], sets: list[str], threads: int) -> None:
    """Print one row per (set, size, index)."""
    context = multiprocessing.get_context("spawn")
    print(f"load average before: {os.getloadavg()}; faiss threads: {threads}; dim {DIM}; {QUERIES} queries")
    header = (
        f"{'set':9} {'size':>8} {'index':26} {'build s':>8} {'peak GiB':>8} "
        f"{'1q p50 ms':>9} {'1q p99':>7} {'100q p50 ms':>11} {'100q p99':>9} {'recall@10':>9}"
    )
    print(header)
    for kind in sets:
        for size in sizes:
            for exact in (False, True):  # the index dtu builds (exact below 1/8 probed lists), then exact
                queue = context.Queue()
                process = context.Process(target=_measure, args=(kind, size, exact, threads, queue))
                process.start()
                process.join()  # the row is a small dict: the child's queue flushes before it exits
                if process.exitcode != 0:
                    label = "exact" if exact else "ivf"
                    print(f"{kind:9} {size:>8} {label:26} failed: exit code {process.exitcode}", flush=True)
                    continue
                row = queue.get()
                print(
                    f"{row['set']:9} {row['size']:>8} {row['index']:26} {row['build_s']:>8.1f} "
                    f"{row['peak_rss_gib']:>8.2f} {row['single'][0]:>9.2f} {row['single'][1]:>7.2f} "
                    f"{row['batch'][0]:>11.1f} {row['batch'][1]:>9.1f} {row['recall']:>9.3f}",
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()}")


def audio_benchmark(folder: Path, model_name: str, rounds: int, batch_size: int) -> None:
    """Clips per second: ``dtu index build`` against ``embed_audio`` alone, on the same files."""
    import dtu_audio
    from dtu_audio.runtime import keep_freed_memory
    from dtu_audio.search.build import sync_index
    from dtu_audio.search.files import audio_files
    from dtu_audio.search.layout import IndexLayout
    from dtu_audio.training.distributed import init_process_group

    keep_freed_memory()  # as the dtu command does
    files = [folder / relative for relative in audio_files(folder)]
    model = dtu_audio.load_model(model_name)
    group = init_process_group("cpu")
    print(f"{len(files)} files under {folder}; load average before: {os.getloadavg()}")
    embed_best, index_best = float("inf"), float("inf")
    for _ in range(rounds):
        begin = time.perf_counter()
        model.embed_audio(files, batch_size=batch_size)
        embed_best = min(embed_best, time.perf_counter() - begin)
        out = Path(tempfile.mkdtemp(prefix="dtu-search-bench-"))
        try:
            begin = time.perf_counter()
            layout = IndexLayout(out / "index")
            sync_index(group, layout, model, model_name, folder.resolve(), batch_size=batch_size, show_progress=False)
            index_best = min(index_best, time.perf_counter() - begin)
        finally:
            shutil.rmtree(out)
    print(f"embed_audio alone: {len(files) / embed_best:.2f} clips/s ({embed_best:.1f} s)")
    print(f"dtu index build:   {len(files) / index_best:.2f} clips/s ({index_best:.1f} s, vector index included)")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sets", nargs="+", default=["clustered", "random"], choices=["clustered", "random"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--audio", type=Path, help="Measure indexing throughput on this folder of audio instead.")
    parser.add_argument("--model", help="Checkpoint or weight name for --audio.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    if args.audio:
        audio_benchmark(args.audio, args.model, args.rounds, args.batch_size)
    else:
        vector_benchmark(args.sizes, args.sets, args.threads)


if __name__ == "__main__":
    main()
