"""Clips per second of ``dtu syncaps generate`` with 1 and 2 worker processes.

Sources: the built-in synthesized events, 5 s each at 44.1 kHz like ESC-50. Two sets with the
paper's settings (10 s at 44.1 kHz, half the clips overlapping): one like its train split (no
transforms) and one like its test split (5 of 6 source clips transformed).

    python benchmarks/syncaps.py [--clips 100] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import soundfile as sf

from dtu_audio.syncaps import PlanOptions, folder_sources, generate, plan_new_set, write_synth_sources
from dtu_audio.syncaps.synth import synth_clip


def _sources(folder: Path):
    write_synth_sources(folder, clips_per_class=5)
    for wav in sorted((folder / "audio").glob("*.wav")):
        category, index = wav.stem.rsplit("-", 1)
        sf.write(wav, synth_clip(category, int(index), 44100, 5.0), 44100, subtype="PCM_16")
    return folder_sources(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = _sources(Path(tmp) / "sources")
        for label, prob in (("train-like, no transforms", 0.0), ("test-like, 5/6 transformed", 5 / 6)):
            options = PlanOptions(num_clips=args.clips, transform_prob=prob, test_transform_prob=prob)
            recipe = plan_new_set(sources, options)
            digests = set()
            for run, workers in enumerate(args.workers):
                out = Path(tmp) / f"{prob:.2f}-{run}"
                start = time.perf_counter()
                generate(recipe, sources.descriptions, sources, out, workers=workers)
                seconds = time.perf_counter() - start
                digests.add((out / "SHA256SUMS").read_bytes())
                rate = args.clips / seconds
                print(f"{label}: workers={workers}: {rate:6.1f} clips/s ({args.clips} in {seconds:.1f} s)")
            print(f"{label}: outputs identical across worker counts: {len(digests) == 1}")


if __name__ == "__main__":
    main()
