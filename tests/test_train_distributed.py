"""Two processes (gloo, CPU) give the loss and gradients of one process on the same global batch."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from tiny import tiny_spec

from dtu_audio.datasets.training import CaptionItem, collate_captions
from dtu_audio.encoders import RetrievalModel
from dtu_audio.losses import RetrievalLoss
from dtu_audio.training.step import batch_loss, batch_waveforms, training_forward

EXTRAS = [
    "a dog barks then a cat meows",
    "a cat meows after a dog barks",
    "a cat meows then a dog barks",
    "a dog barks after a cat meows",
]


def _model(folder: Path) -> RetrievalModel:
    spec = tiny_spec(folder)
    torch.manual_seed(0)
    return RetrievalModel.from_spec(spec.model, spec.audio).eval()


def _items() -> list[CaptionItem]:
    rng = np.random.default_rng(0)
    captions = ["a dog barks followed by a cat meows", "rain falls", "a bell rings before a door closes", "wind blows"]
    return [
        CaptionItem(
            rng.standard_normal(8000 + 1600 * i).astype(np.float32) * 0.1,
            captions[i % 4],
            i // 2,
            EXTRAS if i % 3 == 0 else [],
        )
        for i in range(8)
    ]


def _losses_and_grads(model: RetrievalModel, items: list[CaptionItem]) -> dict:
    batch = collate_captions(items)
    forward = training_forward(model, torch.device("cpu"))
    out = forward(batch_waveforms(batch, torch.device("cpu")), batch.captions, batch.extras)
    losses = batch_loss(RetrievalLoss(10.0, 0.2, regularise=True), out, batch)
    losses.total.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return {"losses": losses.as_floats(), "grads": grads}


def _worker(rank: int, port: int, folder: Path, out: dict) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        out[rank] = _losses_and_grads(_model(folder), _items()[4 * rank : 4 * rank + 4])
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_match_one_process(tmp_path):
    single = _losses_and_grads(_model(tmp_path), _items())
    assert single["losses"]["temporal"] > 0 and single["losses"]["regularisation"] > 0
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_worker, args=(_free_port(), tmp_path, out), nprocs=2, join=True)
        results = dict(out)
    for rank in (0, 1):
        assert results[rank]["losses"] == pytest.approx(single["losses"], rel=1e-5, abs=1e-6)
        assert results[rank]["grads"].keys() == single["grads"].keys()
        for name, grad in single["grads"].items():
            torch.testing.assert_close(results[rank]["grads"][name], grad, rtol=1e-5, atol=1e-6, msg=name)


def test_every_trainable_parameter_gets_a_gradient(tmp_path):
    """What DistributedDataParallel without ``find_unused_parameters`` needs, checked in one process."""
    model = _model(tmp_path)
    _losses_and_grads(model, _items())
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert {n for n, p in model.named_parameters() if p.grad is not None} == trainable
    assert not any("tscam_conv" in n or ".head." in n for n in trainable), "the AudioSet head is frozen"
