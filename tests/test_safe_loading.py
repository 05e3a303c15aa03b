"""No checkpoint runs code: a crafted pickle on every way in (eval, train --init, --resume, load_model,
--import, the weight cache) leaves no marker file behind and stops with a one-line error."""

from __future__ import annotations

import os
import shutil
import sys
import types

import pytest
import torch
from cli_helpers import run_dtu
from tiny import tiny_spec
from train_data import write_dataset

import dtu_audio
from dtu_audio.errors import DtuError
from dtu_audio.resolve import weights_dir
from dtu_audio.safe_load import load_torch_file
from dtu_audio.specs import save_spec
from dtu_audio.weights import import_file
from dtu_audio.weights.cache import CachedEntry, WeightCache, now_iso, sha256_file


class ExecPayload:
    """Unpickling this runs ``exec`` on code that writes the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


class SystemPayload(ExecPayload):
    """Unpickling this runs a shell command through ``os.system``."""

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "MARKER"


def _crafted(path, marker, payload=ExecPayload, **layout):
    """A file that looks like a checkpoint (``layout``) and carries the payload under ``model``."""
    torch.save({"model": {"temp": payload(marker)}, **layout}, path)
    return path


def _assert_refused(code, stderr, marker, name):
    assert code != 0
    assert not marker.exists()
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert name in stderr and "pickles code" in stderr


@pytest.mark.parametrize("payload", [ExecPayload, SystemPayload])
@pytest.mark.parametrize("legacy", [False, True])
def test_load_model_refuses_a_crafted_pickle(tmp_path, marker, payload, legacy):
    path = tmp_path / "evil.pt"
    torch.save({"model": payload(marker)}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(DtuError, match="pickles code .*never runs") as err:
        dtu_audio.load_model(path)
    assert "\n" not in str(err.value)
    assert not marker.exists()


def test_dtu_eval_ckpt_refuses_a_crafted_pickle(tmp_path, marker, monkeypatch, capsys):
    evil = _crafted(tmp_path / "evil.pt", marker)
    manifest = write_dataset(tmp_path / "data", n_train=2, n_val=2) / "val.json"
    code, _, stderr = run_dtu(monkeypatch, capsys, "eval", "--ckpt", evil, "--dataset", manifest, "--device", "cpu")
    _assert_refused(code, stderr, marker, "evil.pt")


@pytest.fixture
def train_spec(tmp_path):
    spec = tiny_spec(
        tmp_path,
        {
            "data.data_root": str(write_dataset(tmp_path / "data", n_train=4, n_val=2)),
            "data.cache_dir": str(tmp_path / "cache"),
            "train.output_dir": str(tmp_path / "runs"),
            "train.epochs": 1,
            "train.batch_size": 2,
        },
    )
    save_spec(spec, tmp_path / "spec.yaml")
    return tmp_path / "spec.yaml"


def test_dtu_train_init_refuses_a_crafted_pickle(tmp_path, train_spec, marker, monkeypatch, capsys):
    evil = _crafted(tmp_path / "evil.pt", marker)
    code, _, stderr = run_dtu(monkeypatch, capsys, "train", "--spec", train_spec, "--init", evil, "--name", "x")
    _assert_refused(code, stderr, marker, "evil.pt")


def test_dtu_train_resume_refuses_a_crafted_last_pt(tmp_path, train_spec, marker, monkeypatch, capsys):
    run_dir = tmp_path / "runs" / "crafted"
    run_dir.mkdir(parents=True)
    shutil.copy(train_spec, run_dir / "spec.yaml")
    _crafted(run_dir / "last.pt", marker, optimizer={}, scheduler={}, rng={}, train_state={})
    code, _, stderr = run_dtu(monkeypatch, capsys, "train", "--resume", run_dir)
    _assert_refused(code, stderr, marker, "last.pt")


def test_import_refuses_a_crafted_pickle_and_caches_nothing(tmp_path, marker, monkeypatch, capsys):
    evil = _crafted(tmp_path / "HTSAT-BERT-PT.pt", marker)
    code, _, stderr = run_dtu(monkeypatch, capsys, "fetch-weights", "--import", "wavcaps-pt", evil)
    _assert_refused(code, stderr, marker, "HTSAT-BERT-PT.pt")
    with pytest.raises(DtuError, match="pickles code"):
        import_file("dtu-finetuned/evil", evil)
    assert WeightCache().read_manifest() == {} and not marker.exists()


def test_a_crafted_file_in_the_weight_cache_never_runs(tmp_path, train_spec, marker, monkeypatch, capsys):
    """A file that reached the cache some other way (an older dtu, a hand copy) is read as safely."""
    cache = WeightCache()
    target = cache.file_path("wavcaps-pt", "HTSAT-BERT-PT.pt")
    target.parent.mkdir(parents=True)
    _crafted(target, marker)
    record = CachedEntry(
        path=target.relative_to(weights_dir()).as_posix(),
        source="copied by hand",
        size=target.stat().st_size,
        sha256=sha256_file(target),
        fetched=now_iso(),
    )
    cache.record("wavcaps-pt", record)
    with pytest.raises(DtuError, match="pickles code"):
        dtu_audio.load_model("wavcaps-pt")
    code, _, stderr = run_dtu(monkeypatch, capsys, "train", "--spec", train_spec, "--init", "wavcaps-pt")
    _assert_refused(code, stderr, marker, "HTSAT-BERT-PT.pt")


@pytest.fixture
def lightning_module(monkeypatch):
    """A stand-in ``pytorch_lightning.callbacks.model_checkpoint`` whose class raises if anything builds it."""
    module = types.ModuleType("pytorch_lightning.callbacks.model_checkpoint")

    class ModelCheckpoint:
        def __reduce__(self):
            return ModelCheckpoint, ()

        def __init__(self):
            raise AssertionError("the real callback class was called")

    ModelCheckpoint.__module__, ModelCheckpoint.__qualname__ = module.__name__, "ModelCheckpoint"
    module.ModelCheckpoint = ModelCheckpoint
    for name in ("pytorch_lightning", "pytorch_lightning.callbacks", module.__name__):
        monkeypatch.setitem(sys.modules, name, module if name == module.__name__ else types.ModuleType(name))
    return ModelCheckpoint


def test_lightning_records_load_as_inert_stand_ins(tmp_path, lightning_module):
    path = tmp_path / "HTSAT.ckpt"
    instance = object.__new__(lightning_module)
    torch.save({"state_dict": {"w": torch.ones(2)}, "callbacks": {lightning_module: {"me": instance}}}, path)
    loaded = load_torch_file(path)
    assert torch.equal(loaded["state_dict"]["w"], torch.ones(2))
    (key,) = loaded["callbacks"]
    assert (
        key is not lightning_module
        and key.pickled_name == "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint"
    )
