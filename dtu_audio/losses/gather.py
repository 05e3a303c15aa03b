"""Gathering a loss's inputs across the processes of a run (DDP), with their gradients."""

from __future__ import annotations

import warnings

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_fn


def _several_processes() -> bool:
    return dist.is_initialized() and dist.get_world_size() > 1


def gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate every process's ``tensor`` along dim 0, keeping the gradient path to each."""
    if not _several_processes():
        return tensor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.cat(dist_fn.all_gather(tensor), dim=0)


def gather_ids(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate every process's integer ``tensor`` (same shape on all) along dim 0."""
    if not _several_processes():
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor)
    return torch.cat(parts, dim=0)


def sum_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all processes, keeping the gradient path."""
    if not _several_processes():
        return tensor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return dist_fn.all_reduce(tensor)
