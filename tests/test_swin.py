"""Swin parts against plain definitions: window order, shift masks, attention, stages run as the original."""

from __future__ import annotations

import pytest
import torch

from dtu_audio.encoders.swin import (
    SHIFT_MASK_VALUE,
    SwinStage,
    WindowAttention,
    shifted_window_mask,
    window_order,
    window_partition,
)


def test_window_order_is_roll_then_partition():
    grid = torch.arange(8 * 8).view(1, 8, 8, 1)
    rolled = torch.roll(grid, shifts=(-2, -2), dims=(1, 2))
    assert torch.equal(window_order(8, 8, 4, 2), window_partition(rolled, 4).reshape(-1))
    assert torch.equal(window_order(8, 8, 4, 0), window_partition(grid, 4).reshape(-1))


def test_shift_mask_separates_the_wrapped_regions():
    mask = shifted_window_mask(8, 8, 4, 2)
    assert mask.shape == (4, 16, 16)
    assert set(mask.unique().tolist()) == {0.0, SHIFT_MASK_VALUE}
    assert (mask[0] == 0).all()  # the top-left window holds no wrapped tokens
    blocked = mask[3] != 0  # the bottom-right window holds 4 regions of 4 tokens each
    assert blocked.sum(dim=1).tolist() == [12] * 16


def _explicit_attention(attention: WindowAttention, windows: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    b, nw, n, c = windows.shape
    heads = attention.num_heads
    q, k, v = attention.qkv(windows).view(b, nw, n, 3, heads, c // heads).permute(3, 0, 1, 4, 2, 5)
    scores = q @ k.transpose(-2, -1) * (c // heads) ** -0.5 + attention.position_bias() + mask.unsqueeze(1)
    return attention.proj((scores.softmax(-1) @ v).transpose(2, 3).reshape(b, nw, n, c))


def test_attention_equals_explicit_softmax_with_bias_and_mask():
    torch.manual_seed(0)
    attention = WindowAttention(dim=8, window=4, num_heads=2).eval()
    torch.nn.init.normal_(attention.relative_position_bias_table)
    windows = torch.randn(3, 4, 16, 8)
    mask = shifted_window_mask(8, 8, 4, 2)
    with torch.no_grad():
        assert torch.allclose(attention(windows, mask), _explicit_attention(attention, windows, mask), atol=1e-5)


def test_inference_bias_follows_changed_weights_and_masks():
    torch.manual_seed(0)
    attention = WindowAttention(dim=8, window=4, num_heads=2).eval()
    windows = torch.randn(3, 4, 16, 8)
    mask = shifted_window_mask(8, 8, 4, 2)
    with torch.inference_mode():
        attention(windows, mask)  # computes and keeps the bias
    with torch.no_grad():
        torch.nn.init.normal_(attention.relative_position_bias_table)
        assert torch.allclose(attention(windows, mask), _explicit_attention(attention, windows, mask), atol=1e-5)
        flipped = mask.flip(0)
        assert torch.allclose(attention(windows, flipped), _explicit_attention(attention, windows, flipped), atol=1e-5)


def _original_stage(stage: SwinStage, x: torch.Tensor) -> torch.Tensor:
    """The original's stage: roll, partition, attend, reverse and roll back in every block; merge by slicing."""
    for block in stage.blocks:
        height, width = block.resolution
        b, _, c = x.shape
        shifted = torch.roll(block.norm1(x).view(b, height, width, c), (-block.shift, -block.shift), (1, 2))
        attended = block.attn(window_partition(shifted, block.window), block.attn_mask)
        grid = attended.view(b, height // block.window, width // block.window, block.window, block.window, c)
        grid = grid.permute(0, 1, 3, 2, 4, 5).reshape(b, height, width, c)
        x = x + torch.roll(grid, (block.shift, block.shift), (1, 2)).reshape(b, height * width, c)
        x = x + block.mlp(block.norm2(x))
    if stage.downsample is None:
        return x
    height, width = stage.downsample.resolution
    grid = x.view(x.shape[0], height, width, -1)
    parts = (grid[:, 0::2, 0::2], grid[:, 1::2, 0::2], grid[:, 0::2, 1::2], grid[:, 1::2, 1::2])
    merged = torch.cat(parts, -1).flatten(1, 2)
    return stage.downsample.reduction(stage.downsample.norm(merged))


@pytest.mark.parametrize("downsample", [True, False])
@pytest.mark.parametrize("grad", [True, False])
def test_stage_keeping_window_order_equals_the_original(downsample, grad):
    torch.manual_seed(0)
    stage = SwinStage(8, (8, 8), 3, 2, 4, 2.0, [0.0] * 3, downsample).eval()
    for block in stage.blocks:
        torch.nn.init.normal_(block.attn.relative_position_bias_table)
    x = torch.randn(2, 64, 8)
    with torch.set_grad_enabled(grad):
        out = stage(x)
    with torch.no_grad():
        assert torch.allclose(out, _original_stage(stage, x), atol=1e-5)
    assert out.shape == ((2, 16, 16) if downsample else (2, 64, 8))
