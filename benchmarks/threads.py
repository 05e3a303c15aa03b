"""Thread counts on CPU: a training epoch and an ``embed_audio`` batch at 1, 2 and N threads, idle and contended.

    python benchmarks/threads.py [--rounds 2] [--clips 128] [--embed-batch 8]

Workloads: one training epoch of the quickstart's model (compact HTSAT on 16 kHz 10-s clips, the
quickstart's text encoder, batch 32, Adam, the contrastive loss) over ``--clips`` in-memory clips,
after one warm-up step; and ``embed_audio`` of ``--embed-batch`` 10-s clips with the paper's model
(HTSAT at 32 kHz, fresh weights), after one warm-up call. Each (workload, threads) pair runs in a
fresh process that sets ``torch.set_num_threads`` and nothing else; the pairs alternate over
``--rounds`` rounds, and each is measured on an otherwise idle machine and beside one competing
CPU-bound process (a Python busy loop this script starts). Prints wall-clock and CPU seconds (the
best round and the range), the cores this process may use, and the 1-minute load average before
each measurement: on a shared machine "idle" means "without our competitor", and the load says
what else ran.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

CAPTIONS = [
    "a dog barks several times and then a car passes by",
    "people talk in the background while music plays",
    "birds chirp before heavy rain starts to fall",
    "an engine starts idles and stops",
]


def _quickstart_model(folder: Path):
    from dtu_audio.encoders import RetrievalModel
    from dtu_audio.quickstart import choose_text_encoder
    from dtu_audio.specs import load_spec

    spec = load_spec("quickstart")
    spec.model.text_encoder = str(choose_text_encoder(spec.model.text_encoder, folder, CAPTIONS).folder)
    return spec, RetrievalModel.from_spec(spec.model, spec.audio)


def train_epoch(clips: int, batch: int) -> Iterator[None]:
    """Set up and warm up (one step), then on the second ``next`` one training epoch of the quickstart model."""
    import tempfile

    import torch

    from dtu_audio.losses import contrastive_loss, embedding_regularisation

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        spec, model = _quickstart_model(Path(tmp))
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=spec.optim.lr)
        waves = torch.randn(clips, spec.audio.max_samples) * 0.1
        captions = (CAPTIONS * clips)[:clips]

        def step(start: int) -> None:
            rows = slice(start, start + batch)
            audio = model.encode_audio(waves[rows])
            text = model.encode_text(captions[rows])
            ids = torch.arange(audio.shape[0])
            loss = contrastive_loss(audio, text, ids, model.temp) + embedding_regularisation(audio, text)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        step(0)
        yield
        for start in range(0, clips, batch):
            step(start)


def embed_batch(batch: int) -> Iterator[None]:
    """Set up and warm up, then on the second ``next`` ``embed_audio`` of one batch of 10-s clips (paper model)."""
    import torch

    from dtu_audio.encoders import RetrievalModel

    torch.manual_seed(0)
    model = RetrievalModel.from_spec()
    waves = torch.randn(batch, model.audio_spec.max_samples) * 0.1
    model.embed_audio(waves, batch_size=batch)
    yield
    model.embed_audio(waves, batch_size=batch)


def worker(workload: str, threads: int, clips: int, embed_batch_size: int) -> None:
    """Run one workload at ``threads`` threads and print its timed part as JSON (wall and CPU seconds)."""
    import torch

    from dtu_audio.runtime import keep_freed_memory

    keep_freed_memory()
    torch.set_num_threads(threads)
    run = train_epoch(clips, 32) if workload == "train" else embed_batch(embed_batch_size)
    next(run)  # set-up and warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in run:
        pass
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))


def _measure(workload: str, threads: int, args) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    command = [sys.executable, __file__, "--worker", workload, "--threads", str(threads)]
    command += ["--clips", str(args.clips), "--embed-batch", str(args.embed_batch)]
    load = os.getloadavg()[0]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": load}


def _busy_loop() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _row(label: str, runs: list[dict]) -> str:
    wall = sorted(r["wall"] for r in runs)
    cpu = sorted(r["cpu"] for r in runs)
    loads = sorted(r["load"] for r in runs)
    return (
        f"{label:<34}{wall[0]:>8.1f} s ({wall[0]:.1f}-{wall[-1]:.1f}){cpu[0]:>8.1f} s ({cpu[0]:.1f}-{cpu[-1]:.1f})"
        f"   load {loads[0]:.1f}-{loads[-1]:.1f}"
    )


def _label(key: tuple, args) -> str:
    workload, contended, threads = key
    name = f"train epoch, {args.clips} clips" if workload == "train" else f"embed_audio, {args.embed_batch} clips"
    return f"{name}, {threads} thr{', +1 busy' if contended else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clips", type=int, default=128, help="Clips in the training epoch (batch 32).")
    parser.add_argument("--embed-batch", type=int, default=8, help="Clips in the embed_audio batch.")
    parser.add_argument("--worker", choices=["train", "embed"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.threads, args.clips, args.embed_batch)
        return
    cores = len(os.sched_getaffinity(0))
    counts = sorted({1, 2, cores})
    print(f"{cores} cores available to this process, {os.cpu_count()} in the machine; thread counts {counts}")
    results: dict[tuple, list[dict]] = {}
    for _ in range(args.rounds):
        for contended in (False, True):
            competitor = _busy_loop() if contended else None
            try:
                for workload in ("train", "embed"):
                    for threads in counts:
                        key = (workload, contended, threads)
                        results.setdefault(key, []).append(_measure(workload, threads, args))
                        print(_row(_label(key, args), results[key][-1:]), flush=True)
            finally:
                if competitor is not None:
                    competitor.kill()
                    competitor.wait()
    print(f"\n{'':<34}{'wall-clock (best, range)':>24}{'CPU time (best, range)':>24}")
    for key, runs in sorted(results.items()):
        print(_row(_label(key, args), runs))


if __name__ == "__main__":
    main()
