"""Swin parts against their plain definitions: window order, shift masks, attention with bias and mask."""

from __future__ import annotations

import torch

from dtu_audio.encoders.swin import (
    SHIFT_MASK_VALUE,
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


def test_attention_equals_explicit_softmax_with_bias_and_mask():
    torch.manual_seed(0)
    attention = WindowAttention(dim=8, window=4, num_heads=2).eval()
    torch.nn.init.normal_(attention.relative_position_bias_table)
    windows = torch.randn(3, 4, 16, 8)
    mask = shifted_window_mask(8, 8, 4, 2)
    q, k, v = attention.qkv(windows).view(3, 4, 16, 3, 2, 4).permute(3, 0, 1, 4, 2, 5)
    scores = q @ k.transpose(-2, -1) / 2.0 + attention.position_bias() + mask.unsqueeze(1)
    expected = attention.proj((scores.softmax(-1) @ v).transpose(2, 3).reshape(3, 4, 16, 8))
    with torch.no_grad():
        assert torch.allclose(attention(windows, mask), expected, atol=1e-5)
