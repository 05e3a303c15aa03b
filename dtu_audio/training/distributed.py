"""Processes of a run: one, or several under ``torchrun`` (DDP), and what they agree on."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import torch
import torch.distributed as dist

from dtu_audio.resolve import resolve_device, use_bf16


@dataclass(frozen=True)
class ProcessGroup:
    """Where this process stands: rank, world size and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_process_group(preference: str, timeout: timedelta | None = None) -> ProcessGroup:
    """Join the process group ``torchrun`` describes (env ``WORLD_SIZE``), or run alone.

    ``timeout``: how long collective calls (a barrier) wait for the slowest process (torch's default if None).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return ProcessGroup(0, 1, resolve_device(preference, setting="train.device"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(preference, local_rank, setting="train.device")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timeout)
    return ProcessGroup(dist.get_rank(), dist.get_world_size(), device)


def global_max(value: int, device: torch.device) -> int:
    """The largest ``value`` over all processes."""
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return value
    tensor = torch.tensor([value], device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return int(tensor.item())


def barrier() -> None:
    """Wait for every process (no-op when alone)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


def autocast_factory(device: torch.device, precision: str) -> Callable[[], AbstractContextManager]:
    """A maker of the forward pass's autocast context: bf16 on CUDA for ``auto``/``bf16``, else off."""
    enabled = use_bf16(precision, device, setting="train.precision")
    return partial(torch.autocast, device.type, dtype=torch.bfloat16, enabled=enabled)


def broadcast_object(obj: object) -> object:
    """The main process's ``obj`` on every process."""
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]
