"""Swin transformer parts of HTSAT: shifted-window attention with relative position bias, blocks, stages.

Parameter and buffer names follow the original (Microsoft Swin / HTSAT) so its checkpoints load.
Attention runs through ``F.scaled_dot_product_attention`` with the bias and shift mask as ``attn_mask``.
Inside a stage the tokens stay grouped by window: each block gathers its input once into its own
(shifted) window order, where the original rolls, partitions, reverses and rolls back every block.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from timm.layers import DropPath, trunc_normal_
from torch import Tensor, nn

from dtu_audio.encoders.inference_cache import derived
from dtu_audio.encoders.linear import linear

#: Value the original puts between tokens of different regions of a shifted window.
SHIFT_MASK_VALUE = -100.0


def window_partition(x: Tensor, window: int) -> Tensor:
    """``[B, H, W, C]`` -> ``[B, windows, window * window, C]`` (windows in row-major order)."""
    b, h, w, c = x.shape
    x = x.view(b, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, (h // window) * (w // window), window * window, c)


def window_order(height: int, width: int, window: int, shift: int) -> Tensor:
    """Row-major token indices in (cyclically shifted) window order: one gather does roll + partition."""
    grid = torch.arange(height * width).view(1, height, width, 1)
    if shift:
        grid = torch.roll(grid, shifts=(-shift, -shift), dims=(1, 2))
    return window_partition(grid, window).reshape(-1)


def relative_position_index(window: int) -> Tensor:
    """Index into the ``(2w-1)^2`` bias table for every pair of tokens of a window, ``[w*w, w*w]``."""
    coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
    return relative[..., 0] * (2 * window - 1) + relative[..., 1]


def shifted_window_mask(height: int, width: int, window: int, shift: int) -> Tensor:
    """Additive mask ``[windows, w*w, w*w]`` keeping attention inside the regions a cyclic shift joined."""
    regions = torch.zeros(1, height, width, 1)
    bounds = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    label = 0
    for rows in bounds:
        for cols in bounds:
            regions[:, rows, cols, :] = label
            label += 1
    labels = window_partition(regions, window)[0, :, :, 0]
    different = labels[:, None, :] != labels[:, :, None]
    return torch.zeros(different.shape).masked_fill(different, SHIFT_MASK_VALUE)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows, with a learned relative position bias."""

    def __init__(self, dim: int, window: int, num_heads: int, attn_drop: float = 0.0):
        super().__init__()
        self.window = window
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, num_heads))
        self.register_buffer("relative_position_index", relative_position_index(window))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        trunc_normal_(self.relative_position_bias_table, std=0.02)

    def position_bias(self) -> Tensor:
        """The relative position bias ``[heads, w*w, w*w]``."""
        tokens = self.window * self.window
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(tokens, tokens, self.num_heads).permute(2, 0, 1).contiguous()

    def attention_bias(self, mask: Tensor | None, dtype: torch.dtype) -> Tensor:
        """Position bias plus shift mask, ``[nW or 1, heads, N, N]``; computed once while gradients are off."""

        def compute() -> Tensor:
            bias = self.position_bias().to(dtype).unsqueeze(0)
            return bias if mask is None else bias + mask.to(dtype).unsqueeze(1)

        if torch.is_grad_enabled():
            return compute()
        table = self.relative_position_bias_table
        return derived(table, (table, mask), compute, tag=dtype)

    def forward(self, windows: Tensor, mask: Tensor | None = None) -> Tensor:
        """``windows``: ``[B, nW, N, C]``; ``mask``: additive ``[nW, N, N]`` or None.

        Queries, keys and values reach the attention kernel as strided views of the ``qkv`` output;
        without a mask the bias broadcasts over windows instead of being copied for each.
        """
        b, nw, n, c = windows.shape
        heads = self.num_heads
        qkv = linear(windows, self.qkv).view(b * nw, n, 3, heads, c // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        bias = self.attention_bias(mask, q.dtype)
        if mask is not None:
            bias = bias.expand(b, -1, -1, -1, -1).reshape(b * nw, heads, n, n)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.attn_drop if self.training else 0.0
        )
        return linear(out.transpose(1, 2).reshape(b, nw, n, c), self.proj)


class Mlp(nn.Module):
    """``fc2(GELU(fc1(x)))`` (the original's MLP; its dropout rate is 0)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return linear(linear(x, self.fc1, gelu=True), self.fc2)


class SwinBlock(nn.Module):
    """(Shifted-)window attention and an MLP, each with a pre-norm residual and stochastic depth.

    Takes and returns tokens ``[B, L, C]`` in ``window_order``: windows one after another, the
    tokens of each in row-major order (after the cyclic shift, for a shifted block).
    """

    def __init__(
        self,
        dim: int,
        resolution: tuple[int, int],
        num_heads: int,
        window: int,
        shift: int,
        mlp_ratio: float,
        drop_path: float,
    ):
        super().__init__()
        self.resolution = resolution
        if min(resolution) <= window:  # the window covers the whole map: no partition, no shift
            window, shift = min(resolution), 0
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, num_heads)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        mask = shifted_window_mask(*resolution, window, shift) if shift else None
        self.register_buffer("attn_mask", mask)
        self.register_buffer("window_order", window_order(*resolution, window, shift), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        b, length, c = x.shape
        windows = self.norm1(x).view(b, -1, self.window * self.window, c)
        x = x + self.drop_path(self.attn(windows, self.attn_mask).view(b, length, c))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """Halve the resolution: concatenate each 2x2 neighbourhood, normalise, project 4C -> 2C.

    Takes tokens in ``merge_order``: the four tokens of each neighbourhood next to each other.
    """

    def __init__(self, resolution: tuple[int, int], dim: int):
        super().__init__()
        self.resolution = resolution
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)
        self.register_buffer("merge_order", merge_order(*resolution), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        b, length, c = x.shape
        return linear(self.norm(x.view(b, length // 4, 4 * c)), self.reduction)


def merge_order(height: int, width: int) -> Tensor:
    """Row-major token indices grouped by 2x2 neighbourhood, in the original's concatenation order.

    The neighbourhoods follow each other in row-major order of the halved map; inside each come
    the tokens at (0, 0), (1, 0), (0, 1), (1, 1).
    """
    grid = torch.arange(height * width).view(height // 2, 2, width // 2, 2)
    return grid.permute(0, 2, 3, 1).reshape(-1)


class SwinStage(nn.Module):
    """Swin blocks alternating plain and shifted windows, then an optional patch merging.

    Takes tokens in row-major order and returns them merged (or, without merging, in row-major
    order). Between blocks one gather moves the tokens from one block's window order to the next.
    """

    def __init__(
        self,
        dim: int,
        resolution: tuple[int, int],
        depth: int,
        num_heads: int,
        window: int,
        mlp_ratio: float,
        drop_paths: list[float],
        downsample: bool,
    ):
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinBlock(dim, resolution, num_heads, window, 0 if i % 2 == 0 else window // 2, mlp_ratio, drop_paths[i])
            for i in range(depth)
        )
        self.downsample = PatchMerging(resolution, dim) if downsample else None
        tokens = resolution[0] * resolution[1]
        orders = [torch.arange(tokens)] + [block.window_order for block in self.blocks]
        orders.append(self.downsample.merge_order if self.downsample is not None else torch.arange(tokens))
        # gathers[i] moves tokens from orders[i] into orders[i + 1]; identities are skipped
        gathers = [torch.argsort(source)[target] for source, target in pairwise(orders)]
        self.moves = [not torch.equal(gather, torch.arange(tokens)) for gather in gathers]
        self.register_buffer("gathers", torch.stack(gathers), persistent=False)

    def _reorder(self, x: Tensor, step: int) -> Tensor:
        return x.index_select(1, self.gathers[step]) if self.moves[step] else x

    def forward(self, x: Tensor) -> Tensor:
        for step, block in enumerate(self.blocks):
            x = block(self._reorder(x, step))
        x = self._reorder(x, len(self.blocks))
        return self.downsample(x) if self.downsample is not None else x
