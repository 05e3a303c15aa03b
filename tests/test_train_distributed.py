"""Two processes (gloo, CPU) give the loss and gradients of one process on the same global batch."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from dtu_audio.datasets.training import CaptionItem, collate_captions
from dtu_audio.training.step import TrainingForward, batch_waveforms, step_losses

WORDS = 64


class SmallRetrievalModel(nn.Module):
    """A small model with the retrieval model's interface: encode_audio, encode_text, temp."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.audio = nn.Linear(40, 16)
        self.words = nn.EmbeddingBag(WORDS, 16)
        self.text = nn.Linear(16, 16)
        self.temp = nn.Parameter(torch.tensor(0.07))

    def encode_audio(self, waveforms: torch.Tensor) -> torch.Tensor:
        frames = waveforms[:, : waveforms.shape[1] // 40 * 40].reshape(len(waveforms), -1, 40).mean(dim=1)
        return F.normalize(self.audio(frames), dim=-1)

    def encode_text(self, captions: list[str]) -> torch.Tensor:
        ids = [torch.tensor([sum(map(ord, w)) % WORDS for w in c.split()]) for c in captions]
        offsets = torch.tensor([0] + [len(i) for i in ids[:-1]]).cumsum(0)
        return F.normalize(self.text(self.words(torch.cat(ids), offsets)), dim=-1)


def _batch() -> list[CaptionItem]:
    rng = np.random.default_rng(0)
    captions = ["a dog barks then a car passes", "rain falls", "a bell rings before a door closes", "wind blows"]
    items = []
    for i in range(8):
        extras = ["x y then z", "z after x y", "z then x y", "x y after z"] if i % 3 == 0 else []
        wave = rng.standard_normal(400 + 40 * i).astype(np.float32)
        items.append(CaptionItem(wave, captions[i % 4], i // 2, extras))
    return items


def _losses_and_grads(forward: nn.Module, model: nn.Module, items: list[CaptionItem]) -> dict:
    batch = collate_captions(items)
    waveforms = batch_waveforms(batch, torch.device("cpu"))
    losses = step_losses(forward(waveforms, batch.captions, batch.extras), batch, 10.0, 0.2, True)
    losses.total.backward()
    return {"losses": losses.as_floats(), "grads": {n: p.grad.clone() for n, p in model.named_parameters()}}


def _worker(rank: int, port: int, out: dict) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        model = SmallRetrievalModel()
        forward = DistributedDataParallel(TrainingForward(model))
        items = _batch()
        result = _losses_and_grads(forward, model, items[4 * rank : 4 * rank + 4])
        out[rank] = result
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_match_one_process():
    model = SmallRetrievalModel()
    single = _losses_and_grads(TrainingForward(model), model, _batch())
    assert single["losses"]["temporal"] > 0
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(_worker, args=(_free_port(), out), nprocs=2, join=True)
        results = dict(out)
    for rank in (0, 1):
        assert results[rank]["losses"] == pytest.approx(single["losses"], rel=1e-5, abs=1e-6)
        for name, grad in single["grads"].items():
            torch.testing.assert_close(results[rank]["grads"][name], grad, rtol=1e-5, atol=1e-6)
