"""The text encoders in the weight cache, fetched from a fake hub on 127.0.0.1: which files, aliases, model init."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from fake_net import HUB_COMMIT, FakeNet
from tiny import TINY_WORDS
from transformers import BertConfig, BertModel

from conftest import REPO_ROOT
from dtu_audio.encoders.text import KNOWN_TEXT_ENCODERS, TEXT_ENCODER_ALIASES
from dtu_audio.errors import DtuError
from dtu_audio.specs import load_spec
from dtu_audio.training.model_init import build_model, init_weights_path
from dtu_audio.weights import KNOWN, weight_path
from dtu_audio.weights.cache import WeightCache
from dtu_audio.weights.hub import choose_hub_files
from dtu_audio.weights.registry import folder_of

CONFIG_WITHOUT_MODEL_TYPE = json.dumps({"hidden_size": 128, "num_hidden_layers": 2}).encode()


@pytest.fixture
def hub(monkeypatch):
    fake = FakeNet()
    yield from fake.serve(monkeypatch)


def repo_files(*names: str) -> dict[str, bytes]:
    """A hub repository holding ``names``: a JSON config.json (no model_type, as older uploads), bytes for the rest."""
    return {name: CONFIG_WITHOUT_MODEL_TYPE if name == "config.json" else f"{name} bytes".encode() for name in names}


def downloaded(hub: FakeNet, repo: str) -> list[str]:
    """The files of ``repo`` whose bytes were requested (not only their headers)."""
    prefix = f"/{repo}/resolve/{HUB_COMMIT}/"
    return sorted(r.path[len(prefix) :] for r in hub.requests if r.method == "GET" and r.path.startswith(prefix))


def cached_files(name: str) -> list[str]:
    return sorted(p.name for p in weight_path(name).iterdir() if p.is_file())


def test_every_known_text_encoder_is_registered_under_its_canonical_name():
    hub_entries = {name: entry for name, entry in KNOWN.items() if entry.source == "hf"}
    assert set(hub_entries) == set(KNOWN_TEXT_ENCODERS)
    for name, (config_class, _) in KNOWN_TEXT_ENCODERS.items():
        assert hub_entries[name].hf_model_type == config_class.model_type
        assert folder_of(name) is None
    assert all(canonical in KNOWN_TEXT_ENCODERS for canonical in TEXT_ENCODER_ALIASES.values())
    assert TEXT_ENCODER_ALIASES["bert-tiny"] == "prajjwal1/bert-tiny"
    assert folder_of("dtu-finetuned/clotho_lambda10") is KNOWN["dtu-finetuned"]
    assert WeightCache().folder_path("prajjwal1/bert-tiny").name == "prajjwal1--bert-tiny"


def run_dtu(*args: str) -> subprocess.CompletedProcess:
    """``dtu fetch-weights ARGS`` in a new process, so that huggingface_hub reads HF_ENDPOINT of the fake hub."""
    return subprocess.run(
        [sys.executable, "-m", "dtu_audio", "fetch-weights", *args],
        env={**os.environ, "COLUMNS": "80"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_repo_gives_its_tokenizer_files_and_one_weights_file(hub):
    bert_large = ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "model.safetensors")
    roberta = ("config.json", "vocab.json", "merges.txt", "tokenizer.json", "model.safetensors")
    hub.hub_repos["prajjwal1/bert-mini"] = repo_files("config.json", "vocab.txt", "pytorch_model.bin", "README.md")
    hub.hub_repos["google-bert/bert-large-uncased"] = repo_files(*bert_large, "pytorch_model.bin", "tf_model.h5")
    hub.hub_repos["FacebookAI/roberta-base"] = repo_files(*roberta, "pytorch_model.bin", "dict.txt")
    result = run_dtu("prajjwal1/bert-mini", "bert-large", "roberta-base")
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        "prajjwal1/bert-mini",
        "bert-large-uncased",
        "roberta-base",
    ]
    only_bin = ["config.json", "pytorch_model.bin", "vocab.txt"]
    assert cached_files("bert-mini") == downloaded(hub, "prajjwal1/bert-mini") == only_bin
    assert cached_files("bert-large-uncased") == downloaded(hub, "google-bert/bert-large-uncased") == sorted(bert_large)
    assert cached_files("roberta-base") == downloaded(hub, "FacebookAI/roberta-base") == sorted(roberta)
    config = json.loads((weight_path("prajjwal1/bert-mini") / "config.json").read_text())
    assert config == {"model_type": "bert", "hidden_size": 128, "num_hidden_layers": 2}
    assert json.loads((weight_path("roberta-base") / "config.json").read_text())["model_type"] == "roberta"
    assert WeightCache().read_manifest()["prajjwal1/bert-mini"].path == "prajjwal1--bert-mini"


def test_a_missing_required_file_is_one_clear_error_before_any_download(hub):
    hub.hub_repos["FacebookAI/roberta-large"] = repo_files("config.json", "vocab.json", "model.safetensors")
    result = run_dtu("roberta-large")
    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith(
        "error: the hub repository FacebookAI/roberta-large has no merges.txt, which roberta-large"
    )
    assert "HF_ENDPOINT" in message and "\n" not in message
    assert downloaded(hub, "FacebookAI/roberta-large") == []
    assert WeightCache().read_manifest() == {}
    with pytest.raises(DtuError, match="has no model.safetensors or pytorch_model.bin, which distilroberta-base"):
        choose_hub_files(KNOWN["distilroberta-base"], ["config.json", "vocab.json", "merges.txt", "tf_model.h5"])


def test_cli_fetches_and_lists_by_alias(hub):
    hub.hub_repos["distilbert/distilbert-base-uncased"] = repo_files("config.json", "vocab.txt", "model.safetensors")
    result = run_dtu("distilbert")
    assert result.returncode == 0, result.stderr
    folder = WeightCache().folder_path("distilbert-base-uncased")
    assert result.stdout.strip() == f"distilbert-base-uncased: downloaded -> {folder}"
    assert weight_path("distilbert") == weight_path("distilbert-base-uncased") == folder
    rows = [line for line in run_dtu("--list").stdout.splitlines() if "distilbert-base-uncased" in line]
    assert len(rows) == 1 and rows[0].split()[:2] == ["distilbert-base-uncased", "distilbert"] and "yes" in rows[0]


def test_build_model_with_init_none_starts_from_the_cached_pretrained_text_encoder(hub, tmp_path):
    spec = load_spec("tiny", {"model.text_encoder": "bert-tiny"})
    assert spec.train.init == "none"
    config_class, settings = KNOWN_TEXT_ENCODERS["prajjwal1/bert-tiny"]
    torch.manual_seed(0)
    pretrained = BertModel(config_class(**settings), add_pooling_layer=False)
    pretrained.save_pretrained(tmp_path / "bert-tiny")
    config = json.loads((tmp_path / "bert-tiny" / "config.json").read_text())
    del config["model_type"]  # as in the original upload of prajjwal1/bert-tiny
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]
    hub.hub_repos["prajjwal1/bert-tiny"] = {
        "config.json": json.dumps(config).encode(),
        "vocab.txt": "\n".join(vocab).encode(),
        "model.safetensors": (tmp_path / "bert-tiny" / "model.safetensors").read_bytes(),
    }
    assert run_dtu("bert-tiny").returncode == 0
    model = build_model(spec, init_weights_path(spec.train.init))
    encoder = model.text_encoder
    assert not encoder.fresh and isinstance(encoder.text_encoder.config, BertConfig)
    assert torch.equal(
        encoder.text_encoder.embeddings.word_embeddings.weight, pretrained.embeddings.word_embeddings.weight
    )
    assert encoder.tokenize(["A dog barks."])["input_ids"].tolist() == [[2, 5, 6, 7, 3]]
