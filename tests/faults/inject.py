"""Run ``dtu`` with one fault injected: ``python inject.py SITE N -- dtu arguments...``.

At the N-th call of the write at SITE the process writes half of what it was writing, then kills
itself with SIGKILL (no cleanup, no ``finally``), as a power cut or ``kill -9`` would:

- ``torch-save``: ``torch.save`` (training checkpoints, the evaluation's embedding cache);
- ``metrics``: a line of ``metrics.jsonl``;
- ``best-copy``: the copy of ``last.pt`` to ``best.pt``;
- ``step``: a training step, before its loss (mid-epoch, nothing being written);
- ``clip``: a SynCaps clip's WAV file;
- ``json``: a JSON file written by ``dtu_audio.fileio.write_json`` (manifests, split files).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sys
from pathlib import Path

import soundfile as sf
import torch

from dtu_audio.cli.main import main
from dtu_audio.training import loop, run_outputs


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _counting(real, n: int, fault):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            fault(*args, **kwargs)
            _die()
        return real(*args, **kwargs)

    return wrapper


def _half_torch_save(obj, target, *args, **kwargs):
    buffer = io.BytesIO()
    real_torch_save(obj, buffer)
    with open(target, "wb") as handle:
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        handle.flush()


def _half_metrics_line(log, record):
    line = json.dumps(record) + "\n"
    with open(log.path, "a", encoding="utf-8") as handle:
        handle.write(line[: len(line) // 2])


def _half_copy(source, target, *args, **kwargs):
    data = Path(source).read_bytes()
    with open(target, "wb") as handle:
        handle.write(data[: len(data) // 2])


def _half_wav(target, data, *args, **kwargs):
    buffer = io.BytesIO()
    real_sf_write(buffer, data, *args, **kwargs)
    with open(target, "wb") as handle:
        handle.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def _half_json(obj, handle, *args, **kwargs):
    text = json.dumps(obj, **kwargs)
    handle.write(text[: len(text) // 2])
    handle.flush()


real_torch_save, real_sf_write = torch.save, sf.write


def install(site: str, n: int) -> None:
    """Make the N-th write at ``site`` a torn write followed by SIGKILL."""
    if site == "torch-save":
        torch.save = _counting(torch.save, n, _half_torch_save)
    elif site == "metrics":
        run_outputs.MetricsLog.append = _counting(run_outputs.MetricsLog.append, n, _half_metrics_line)
    elif site == "best-copy":
        shutil.copyfile = _counting(shutil.copyfile, n, _half_copy)
    elif site == "step":
        loop.batch_loss = _counting(loop.batch_loss, n, lambda *a, **k: None)
    elif site == "clip":
        sf.write = _counting(sf.write, n, _half_wav)
    elif site == "json":
        json.dump = _counting(json.dump, n, _half_json)
    else:
        raise SystemExit(f"unknown fault site {site}")


if __name__ == "__main__":
    site, n, separator, *args = sys.argv[1:]
    assert separator == "--"
    install(site, int(n))
    sys.argv = ["dtu", *args]
    main()
