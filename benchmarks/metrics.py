"""Time the retrieval metrics against the original per-query argsort loop, and the eval suite's cache.

    python -m benchmarks.metrics           # metrics only: 5,000 audios x 25,000 captions, 1024-d
    python -m benchmarks.metrics --suite   # also an AudioCaps-sized suite with and without the cache

The per-query loop follows WavCaps ``t2a``/``a2t``: cosine similarity of one query (or one audio's
five captions) against the gallery, ``np.argsort`` of every row, ``np.where`` for the positives. It
is timed on a sample of the queries (``--loop-fraction``) and scaled to all of them, since its cost
is the same for every query.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

from dtu_audio import metrics
from dtu_audio.datasets.manifest import AudioEntry, Manifest, write_manifest
from dtu_audio.embedders import load_embedder
from dtu_audio.encoders.word_text_encoder import write_word_text_encoder
from dtu_audio.evaluation.pipeline import evaluate_checkpoint
from dtu_audio.evaluation.prepare import prepare_suite
from dtu_audio.specs import load_spec

SHARED = Path(os.environ.get("DTU_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def _cos_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.normalize(a, dim=1) @ F.normalize(b, dim=1).T


def loop_text_to_audio(audio: np.ndarray, captions: np.ndarray, k: int, queries: int) -> np.ndarray:
    """0-based ranks of the first ``queries`` audios' captions, one argsort per caption as in the original."""
    ranks = np.zeros(queries * k)
    gallery = torch.Tensor(audio)
    for index in range(queries):
        scores = _cos_sim(torch.Tensor(captions[k * index : k * index + k]), gallery).numpy()
        for i in range(k):
            order = np.argsort(scores[i])[::-1]
            ranks[k * index + i] = np.where(order == index)[0][0]
    return ranks


def loop_audio_to_text(audio: np.ndarray, captions: np.ndarray, k: int, queries: int) -> np.ndarray:
    """0-based best ranks of the first ``queries`` audios, one argsort per audio as in the original."""
    ranks = np.zeros(queries)
    gallery = torch.Tensor(captions)
    for index in range(queries):
        scores = _cos_sim(torch.Tensor(audio[index : index + 1]), gallery).squeeze(0).numpy()
        order = np.argsort(scores)[::-1]
        ranks[index] = min(np.where(order == i)[0][0] for i in range(k * index, k * index + k))
    return ranks


def embeddings(num_audios: int, k: int, dim: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit audio embeddings and noisy unit captions near their audio (recall@1 about one half)."""
    generator = torch.Generator().manual_seed(seed)
    audio = F.normalize(torch.randn(num_audios, dim, generator=generator), dim=1)
    noise = torch.randn(num_audios * k, dim, generator=generator) / dim**0.5
    return audio, F.normalize(audio.repeat_interleave(k, dim=0) + 8.0 * noise, dim=1)


def bench_metrics(num_audios: int, k: int, dim: int, loop_fraction: float, device: str) -> None:
    audio, captions = embeddings(num_audios, k, dim)
    print(f"metrics: {num_audios:,} audios x {num_audios * k:,} captions, {dim}-d, device {device}")
    metrics.retrieval_metrics(audio[:100], captions[: 100 * k], k, device=device)
    start = time.perf_counter()
    result = metrics.retrieval_metrics(audio, captions, k, device=device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    fast = time.perf_counter() - start
    print(f"  dtu_audio.metrics (t2a + a2t): {fast:8.2f} s   t2a R1 {result['t2a']['R1']:.2f}")

    queries = max(1, round(num_audios * loop_fraction))
    audio_np, captions_np = audio.numpy(), captions.numpy()
    start = time.perf_counter()
    loop_t2a = loop_text_to_audio(audio_np, captions_np, k, queries)
    loop_a2t = loop_audio_to_text(audio_np, captions_np, k, queries)
    loop = (time.perf_counter() - start) * num_audios / queries
    print(f"  per-query argsort loop:        {loop:8.2f} s   (timed on {queries:,} of {num_audios:,} audios, scaled)")
    print(f"  speed-up: {loop / fast:.0f}x")

    sample_t2a = metrics.text_to_audio_ranks(audio, captions, k, device=device)[: queries * k]
    sample_a2t = metrics.audio_to_text_ranks(audio, captions, k, device=device).best[:queries]
    agree = np.array_equal(sample_t2a.numpy() - 1, loop_t2a) and np.array_equal(sample_a2t.numpy() - 1, loop_a2t)
    print(f"  ranks equal to the loop's on the timed queries: {agree}")


def _write_audiocaps_like(folder: Path, captions_file: Path, clips: int, seconds: float) -> set[str]:
    """``clips`` generated 32 kHz clips (tones in noise) with the captions of the paper's AudioCaps test set."""
    rows = json.loads(captions_file.read_text())["data"][:clips]
    rng = np.random.default_rng(0)
    entries = []
    time_axis = np.arange(int(seconds * 32000)) / 32000
    for i, row in enumerate(rows):
        name = f"clip{i:04d}.wav"
        tone = np.sin(2 * np.pi * rng.uniform(100, 4000) * time_axis)
        sf.write(folder / name, (0.3 * tone + 0.05 * rng.standard_normal(time_axis.size)).astype(np.float32), 32000)
        entries.append(AudioEntry(id=name, audio=name, captions=tuple(row[f"caption_{k}"] for k in range(1, 6))))
    write_manifest(Manifest(5, tuple(entries)), folder / "test_full.json")
    return {word for entry in entries for caption in entry.captions for word in caption.lower().split()}


def bench_suite(captions_file: Path, clips: int, seconds: float, device: str) -> None:
    from dtu_audio import RetrievalModel
    from dtu_audio.encoders.checkpoint import save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "data").mkdir()
        words = _write_audiocaps_like(tmp / "data", captions_file, clips, seconds)
        encoder = write_word_text_encoder(tmp / "tiny-bert", words, with_weights=True)
        spec = load_spec("tiny", {"model.text_encoder": str(encoder), "eval.suite": "all", "eval.batch_size": 32})
        checkpoint = tmp / "stand-in.pt"
        save_checkpoint(checkpoint, RetrievalModel.from_spec(spec.model, spec.audio), spec)
        prepared = prepare_suite("audiocaps", spec, tmp / "data")
        sizes = ", ".join(f"{s.name} {len(s.manifest)}" for s in prepared.test_sets)
        print(
            f"suite: AudioCaps-sized, {clips} generated {seconds:g}-s clips x 5 captions; tiny stand-in model; {device}"
        )
        print(f"  sets: {sizes}")

        start = time.perf_counter()
        embedder = load_embedder(checkpoint, device=device)
        for test_set in prepared.test_sets:
            manifest = test_set.manifest
            audio = embedder.embed_audio(prepared.locator.paths(manifest, test_set.name), batch_size=32)
            captions = embedder.embed_text(manifest.captions, batch_size=32)
            metrics.retrieval_metrics(audio, captions, manifest.captions_per_audio, device=device)
            metrics.retrieval_metrics(audio, captions[:: manifest.captions_per_audio], 1, device=device)
        print(f"  every set embeds its own audio and captions (no cache):   {time.perf_counter() - start:7.1f} s")
        for label in (
            "embedding cache, first run (empty):             ",
            "embedding cache, second run (filled):          ",
        ):
            start = time.perf_counter()
            result = evaluate_checkpoint(
                str(checkpoint), prepared, spec, torch.device(device), cache_root=tmp / "cache"
            )
            done = result["embeddings"]["computed"]
            embedded = f"embedded {done['audio']} clips, {done['text']} captions"
            print(f"  {label}{time.perf_counter() - start:7.1f} s   ({embedded})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audios", type=int, default=5000)
    parser.add_argument("--captions-per-audio", type=int, default=5)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--loop-fraction", type=float, default=0.05)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--suite", action="store_true", help="Also time an AudioCaps-sized eval suite.")
    parser.add_argument("--skip-metrics", action="store_true", help="Only time the suite.")
    parser.add_argument("--clips", type=int, default=816, help="Clips of the suite (AudioCaps test: 816).")
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each generated clip.")
    parser.add_argument(
        "--captions",
        type=Path,
        default=SHARED / "reference-data" / "audiocaps" / "test_full.json",
        help="A 5-caption manifest whose captions the suite uses (the paper's AudioCaps test_full.json).",
    )
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if not args.skip_metrics:
        bench_metrics(args.audios, args.captions_per_audio, args.dim, args.loop_fraction, args.device)
    if args.suite:
        bench_suite(args.captions, args.clips, args.seconds, args.device)


if __name__ == "__main__":
    main()
