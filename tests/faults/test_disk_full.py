"""A full disk (ENOSPC from a patched writer) at each write site: one line that says what to do, then
the same command (or --resume) after space is freed finishes with the outputs of an uninterrupted run.
"""

from __future__ import annotations

import errno
import json
import os
import shutil

import pytest
import soundfile as sf
import torch
from matplotlib.figure import Figure

from dtu_audio.training import loop, run_outputs

from .harness import SYNCAPS_ARGS, assert_ok, assert_same_run, eval_args, invoke, temporaries, tree


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _full_after(write, n: int):
    """``write`` that works ``n`` times, then finds the disk full."""
    calls = []

    def writer(*args, **kwargs):
        calls.append(1)
        return write(*args, **kwargs) if len(calls) <= n else _no_space()

    return writer


def _torch_no_space(obj, target, *args, **kwargs):
    with open(target, "wb") as handle:
        handle.write(b"PK\x03\x04 half")
    raise RuntimeError("[enforce fail at inline_container.cc:595] . PytorchStreamWriter failed writing file data/3")


class _FillingFile:
    """A file open for appending whose writes put half their text on disk, then fail: the disk is full."""

    def __init__(self, path, mode, **kwargs):
        self.handle = open(path, mode, **kwargs)  # noqa: SIM115

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, text):
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        _no_space()


def _one_line_error(result, says: str) -> None:
    message = str(result.exception)
    assert result.exit_code != 0 and "\n" not in message, repr(result.exception)
    assert says in message and "free space" in message, message


TRAIN_SITES = {
    "checkpoint": (torch, "save", _torch_no_space),
    "metrics": (run_outputs, "open", _FillingFile),
    "best-copy": (shutil, "copyfile", _no_space),
    "curves": (Figure, "savefig", _no_space),
    "spec": (loop, "save_spec", _no_space),
}


@pytest.mark.parametrize("site", list(TRAIN_SITES), ids=[f"train-{s}" for s in TRAIN_SITES])
def test_train(site, train_spec, reference_run, tmp_path, monkeypatch):
    owner, name, fault = TRAIN_SITES[site]
    args = ("train", "--spec", train_spec, "--name", "full", "--set", f"train.output_dir={tmp_path}")
    with monkeypatch.context() as patched:
        patched.setattr(owner, name, fault, raising=site != "metrics")  # run_outputs uses the built-in open
        _one_line_error(invoke(*args), "cannot write")
    run = tmp_path / "full"
    assert_ok(invoke("train", "--resume", run) if (run / "last.pt").is_file() else invoke(*args))
    assert_same_run(run, reference_run)


def test_syncaps_generate(synth_sources, syncaps_reference, tmp_path, monkeypatch):
    args = ("syncaps", "generate", "--sources", synth_sources.audio_dir.parent, *SYNCAPS_ARGS, "--out", tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(sf, "write", _full_after(sf.write, 5))
        _one_line_error(invoke("syncaps", "generate", *args[2:]), "rerun the same command")
    assert_ok(invoke(*args))
    assert tree(tmp_path / "audio") == tree(syncaps_reference / "audio")


def test_rearrange_splits(caption_csv, rearrange_reference, tmp_path, monkeypatch):
    args = ("rearrange-splits", "--test", caption_csv, "--out", tmp_path / "o")
    with monkeypatch.context() as patched:
        patched.setattr(json, "dump", _full_after(json.dump, 3))
        result = invoke(*args)
    assert result.exit_code != 0 and "No space left on device" in str(result.exception)
    assert "\n" not in str(result.exception)
    assert_ok(invoke(*args, "--force"))
    assert tree(tmp_path / "o") == tree(rearrange_reference)


def test_eval_embedding_cache(reference_run, syncaps_reference, eval_reference, tmp_path, monkeypatch):
    args = eval_args(reference_run / "best.pt", syncaps_reference)
    with monkeypatch.context() as patched:
        patched.setattr(torch, "save", _torch_no_space)
        result = invoke(*args, "--out", tmp_path / "full")
    assert result.exit_code != 0 and "cannot write the embedding cache" in str(result.exception)
    assert_ok(invoke(*args, "--out", tmp_path / "freed"))
    assert json.loads((tmp_path / "freed" / "results.json").read_text())["sets"] == eval_reference
    assert not temporaries(tmp_path)
