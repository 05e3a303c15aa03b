"""Generated audio, manifests and run specs for the training tests: a few short WAVs written with soundfile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from tiny import tiny_spec

from dtu_audio.fileio import write_json
from dtu_audio.specs import save_spec

CAPTIONS = [
    "a dog barks followed by a car horn",
    "birds chirp then rain falls",
    "a bell rings before a door closes",
    "water runs while a man speaks",
    "an engine idles after a siren wails",
    "a cat meows",
]


def write_clip(path: Path, seconds: float, rate: int = 16000, channels: int = 1, seed: int = 0) -> Path:
    """A noisy tone of ``seconds`` at ``rate`` Hz written as 16-bit WAV."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * (220 + 40 * seed) * t) + 0.05 * rng.standard_normal(t.shape)
    data = np.stack([tone] * channels, axis=1) if channels > 1 else tone
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data.astype(np.float32), rate, subtype="PCM_16")
    return path


def write_dataset(root: Path, n_train: int = 8, n_val: int = 4, seconds: float = 1.5) -> Path:
    """``root/{train,val}.json`` (1 caption per audio) with clips of varied length under ``root/audio``."""
    for split, count, offset in (("train", n_train, 0), ("val", n_val, 100)):
        rows = []
        for i in range(count):
            name = f"{split}_{i}.wav"
            write_clip(root / "audio" / name, seconds * (0.5 + (i % 3) / 2), seed=offset + i)
            rows.append({"id": name, "audio": name, "caption": CAPTIONS[i % len(CAPTIONS)]})
        write_json(root / f"{split}.json", {"num_captions_per_audio": 1, "data": rows})
    return root


def write_train_spec(root: Path, n_train: int = 8, epochs: int = 2, temporal_lambda: float = 10.0) -> Path:
    """``root/spec.yaml``: the tiny model on a generated dataset (4 val clips), batches of 4, a window per step,
    one CPU thread.

    Runs go to ``root/runs``, the waveform cache to ``root/cache``.
    """
    data = write_dataset(root / "data", n_train=n_train, n_val=4)
    spec = tiny_spec(
        root,
        {
            "data.data_root": str(data),
            "data.cache_dir": str(root / "cache"),
            "train.output_dir": str(root / "runs"),
            "train.epochs": epochs,
            "train.batch_size": 4,
            "train.log_every": 1,
            "train.temporal_lambda": temporal_lambda,
            "optim.warmup_epochs": 1,
            # Runs of this spec are compared number for number (a resumed run against an uninterrupted one),
            # and the thread count changes the order of sums: pinned, not left to the machine's load.
            "runtime.threads": 1,
        },
    )
    save_spec(spec, root / "spec.yaml")
    return root / "spec.yaml"
