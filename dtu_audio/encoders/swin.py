"""Swin transformer parts of HTSAT: shifted-window attention with relative position bias, blocks, stages.

Parameter and buffer names follow the original (Microsoft Swin / HTSAT) so its checkpoints load.
Attention runs through ``F.scaled_dot_product_attention`` with the bias and shift mask as ``attn_mask``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from timm.layers import DropPath, Mlp, trunc_normal_
from torch import Tensor, nn

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
        return bias.view(tokens, tokens, self.num_heads).permute(2, 0, 1)

    def forward(self, windows: Tensor, mask: Tensor | None = None) -> Tensor:
        """``windows``: ``[B, nW, N, C]``; ``mask``: additive ``[nW, N, N]`` or None.

        The bias reaches the attention kernel as a stride-0 view over the batch: ``[heads, N, N]``
        per window, or with a shift mask, ``[nW * heads, N, N]`` per clip (windows folded into heads).
        """
        b, nw, n, c = windows.shape
        heads = self.num_heads
        qkv = self.qkv(windows).view(b, nw, n, 3, heads, c // heads).permute(3, 0, 1, 4, 2, 5)
        bias = self.position_bias().to(qkv.dtype)
        if mask is None:
            q, k, v = qkv.reshape(3, b * nw, heads, n, c // heads).unbind(0)
            bias = bias.expand(b * nw, -1, -1, -1)
        else:
            q, k, v = qkv.reshape(3, b, nw * heads, n, c // heads).unbind(0)
            bias = (bias + mask.to(qkv.dtype).unsqueeze(1)).reshape(nw * heads, n, n).expand(b, -1, -1, -1)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.attn_drop if self.training else 0.0
        )
        return self.proj(out.view(b, nw, heads, n, -1).transpose(2, 3).reshape(b, nw, n, c))


class SwinBlock(nn.Module):
    """(Shifted-)window attention and an MLP, each with a pre-norm residual and stochastic depth."""

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
        order = window_order(*resolution, window, shift)
        self.register_buffer("window_order", order, persistent=False)
        self.register_buffer("token_order", torch.argsort(order), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        b, length, c = x.shape
        windows = self.norm1(x).index_select(1, self.window_order).view(b, -1, self.window * self.window, c)
        attended = self.attn(windows, self.attn_mask).reshape(b, length, c).index_select(1, self.token_order)
        x = x + self.drop_path(attended)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """Halve the resolution: concatenate each 2x2 neighbourhood, normalise, project 4C -> 2C."""

    def __init__(self, resolution: tuple[int, int], dim: int):
        super().__init__()
        self.resolution = resolution
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        height, width = self.resolution
        b, _, c = x.shape
        x = x.view(b, height, width, c)
        parts = (x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2])
        return self.reduction(self.norm(torch.cat(parts, -1).view(b, -1, 4 * c)))


class SwinStage(nn.Module):
    """Swin blocks alternating plain and shifted windows, then an optional patch merging."""

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

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return self.downsample(x) if self.downsample is not None else x
