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

from dtu_audio.errors import DtuError


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


def pick_device(preference: str, local_rank: int = 0) -> torch.device:
    """``auto``: this process's GPU (``LOCAL_RANK``) when CUDA is present, else the CPU; ``cuda``: that GPU."""
    if preference == "auto":
        return torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    try:
        device = torch.device(preference)
    except RuntimeError:
        raise DtuError(f"train.device {preference!r} is not a device; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DtuError(f"train.device is {preference} but CUDA is not available; use --set train.device=cpu")
    return torch.device("cuda", local_rank) if device.type == "cuda" and device.index is None else device


def init_process_group(preference: str, timeout: timedelta | None = None) -> ProcessGroup:
    """Join the process group ``torchrun`` describes (env ``WORLD_SIZE``), or run alone.

    ``timeout``: how long collective calls (a barrier) wait for the slowest process (torch's default if None).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return ProcessGroup(0, 1, pick_device(preference))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(preference, local_rank)
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
    if precision == "bf16" and device.type != "cuda":
        raise DtuError("train.precision bf16 needs a CUDA device; use auto or fp32 on the CPU")
    enabled = device.type == "cuda" and precision in ("auto", "bf16")
    return partial(torch.autocast, device.type, dtype=torch.bfloat16, enabled=enabled)


def broadcast_object(obj: object) -> object:
    """The main process's ``obj`` on every process."""
    if not (dist.is_initialized() and dist.get_world_size() > 1):
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]
