"""The one resolver: model references (files, weight-cache names, registered schemes), dtu's folders,
device and precision."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest
import torch

from dtu_audio import resolve
from dtu_audio.encoders.checkpoint import save_checkpoint
from dtu_audio.errors import DtuError
from dtu_audio.resolve import (
    ModelReference,
    cache_dir,
    checkpoint_path,
    data_home,
    register_scheme,
    resolve_device,
    resolve_reference,
    use_bf16,
    weights_dir,
)
from dtu_audio.weights import import_file


def test_a_file_resolves_to_itself_and_a_cache_name_to_the_cached_file(tmp_path, model, spec):
    saved = tmp_path / "best.pt"
    save_checkpoint(saved, model, spec)
    assert resolve_reference(saved) == ModelReference(str(saved), "file", saved)
    import_file("dtu-finetuned/tiny", saved)
    cached = resolve_reference("dtu-finetuned/tiny")
    assert cached.kind == "weights" and cached.path.is_relative_to(weights_dir())
    assert cached.path.read_bytes() == saved.read_bytes()


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("runs/missing/best.pt", "does not exist and is no weight-cache name"),
        ("no-such-weights", "does not exist and is no weight-cache name"),
        ("bert-tiny", "is a text encoder, not a model checkpoint"),
        ("dtu-finetuned", "is a folder of checkpoints; name one as dtu-finetuned/<stem>"),
        ("wavcaps-pt", "not in the weight cache .* dtu fetch-weights wavcaps-pt"),
        ("dtu-finetuned/clotho", "not in the weight cache .* dtu fetch-weights dtu-finetuned"),
    ],
)
def test_references_that_name_no_checkpoint_are_one_line_errors(reference, says):
    with pytest.raises(DtuError, match=says) as err:
        checkpoint_path(reference)
    assert "\n" not in str(err.value)


def test_a_folder_is_refused_with_the_file_to_pass(tmp_path):
    with pytest.raises(DtuError, match=r"is a folder; pass the checkpoint file in it .*best\.pt"):
        checkpoint_path(tmp_path)


def test_registered_schemes_decide_their_references(monkeypatch, tmp_path):
    monkeypatch.setattr(resolve, "_SCHEMES", {})
    register_scheme("zoo", lambda rest: ModelReference(f"zoo:{rest}", "zoo", None))
    assert resolve_reference("zoo:clap/large") == ModelReference("zoo:clap/large", "zoo", None)
    with pytest.raises(DtuError, match="zoo:clap is a zoo model, not a checkpoint file"):
        checkpoint_path("zoo:clap")
    with pytest.raises(DtuError, match="does not exist"):
        checkpoint_path("other:clap")


def test_folders_follow_dtu_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DTU_HOME", str(tmp_path))
    assert weights_dir() == tmp_path and weights_dir(tmp_path / "x") == tmp_path / "x"
    assert data_home() == tmp_path / "data" and data_home(tmp_path / "d") == tmp_path / "d"
    monkeypatch.setenv("DTU_DATA", str(tmp_path / "datasets"))
    assert data_home() == tmp_path / "datasets"
    assert [cache_dir(name) for name in ("embeddings", "waveforms")] == [
        tmp_path / "embeddings",
        tmp_path / "waveforms",
    ]
    monkeypatch.delenv("DTU_HOME")
    assert weights_dir() == Path(platformdirs.user_data_dir("dtu-audio"))
    assert cache_dir("embeddings") == Path(platformdirs.user_cache_dir("dtu-audio")) / "embeddings"


def test_device_and_precision_choices_are_checked():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(DtuError, match="eval.device 'gpu7' is not a device"):
        resolve_device("gpu7", setting="eval.device")
    assert not use_bf16("auto", torch.device("cpu")) and not use_bf16("fp32", torch.device("cpu"))
    with pytest.raises(DtuError, match="train.precision bf16 needs a CUDA device"):
        use_bf16("bf16", torch.device("cpu"), setting="train.precision")
    if not torch.cuda.is_available():
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(DtuError, match="CUDA is not available"):
            resolve_device("cuda")
    else:
        assert resolve_device("cuda", local_rank=0) == torch.device("cuda", 0)
        assert use_bf16("auto", torch.device("cuda", 0))
