"""Learning-rate schedule of the original: linear warm-up, then cosine decay (or constant), per step."""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR

from dtu_audio.specs import OptimSpec


class WarmupThenDecay:
    """Factor of the peak rate at step ``s``: ``(s + 1) / warmup`` during warm-up, then cosine or 1."""

    def __init__(self, warmup_steps: int, total_steps: int, cosine: bool = True) -> None:
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.cosine = cosine

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if not self.cosine:
            return 1.0
        decay_steps = max(self.total_steps - self.warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * (step - self.warmup_steps) / decay_steps))


def build_optimizer(parameters, optim: OptimSpec) -> torch.optim.Optimizer:
    """Adam or AdamW with the spec's peak rate, betas, epsilon and weight decay."""
    kind = torch.optim.Adam if optim.optimizer == "adam" else torch.optim.AdamW
    return kind(parameters, lr=optim.lr, betas=optim.betas, eps=optim.eps, weight_decay=optim.weight_decay)


def build_scheduler(optimizer: torch.optim.Optimizer, optim: OptimSpec, steps_per_epoch: int, epochs: int) -> LambdaLR:
    """Per-step scheduler; warm-up lasts ``optim.warmup_epochs`` epochs, decay runs to the last step."""
    warmup = round(optim.warmup_epochs * steps_per_epoch)
    factor = WarmupThenDecay(warmup, steps_per_epoch * epochs, cosine=optim.schedule == "cosine")
    return LambdaLR(optimizer, factor)
