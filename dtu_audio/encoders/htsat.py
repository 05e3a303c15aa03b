"""HTSAT: the hierarchical token-semantic audio transformer, from waveform to a clip embedding.

The log-mel ``[B, 1, frames, mels]`` is batch-normalised over mel bins, stretched (bicubic) to
``spec_size * freq_ratio`` frames, folded into ``freq_ratio`` frequency groups to form a square
image, and run through a Swin transformer. The clip embedding is the mean of the final
LayerNorm's tokens (the original's ``latent_output``). ``tscam_conv`` and ``head`` (the AudioSet
classifier) are kept so that AudioSet checkpoints load; retrieval does not use them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from timm.layers import PatchEmbed, trunc_normal_
from torch import Tensor, nn

from dtu_audio.encoders.frontend import LogMel
from dtu_audio.encoders.swin import SwinStage
from dtu_audio.errors import DtuError
from dtu_audio.specs import AudioSpec, HTSATSpec


def _drop_stripes(x: Tensor, dim: int, max_width: int, stripes: int) -> Tensor:
    """Zero ``stripes`` random bands (each narrower than ``max_width``) along ``dim`` of every example."""
    batch, size = x.shape[0], x.shape[dim]
    positions = torch.arange(size, device=x.device)
    dropped = torch.zeros(batch, size, dtype=torch.bool, device=x.device)
    for _ in range(stripes):
        widths = torch.randint(0, max_width, (batch, 1), device=x.device)
        starts = (torch.rand(batch, 1, device=x.device) * (size - widths)).long()
        dropped |= (positions >= starts) & (positions < starts + widths)
    shape = [batch, 1, 1, 1]
    shape[dim] = size
    return x.masked_fill(dropped.view(shape), 0.0)


class SpecAugment(nn.Module):
    """Time and frequency stripe dropping on ``[B, 1, frames, mels]`` in training (as torchlibrosa)."""

    def __init__(self, time_width: int = 64, time_stripes: int = 2, freq_width: int = 8, freq_stripes: int = 2):
        super().__init__()
        self.time = (time_width, time_stripes)
        self.freq = (freq_width, freq_stripes)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        return _drop_stripes(_drop_stripes(x, 2, *self.time), 3, *self.freq)


def check_htsat_spec(spec: HTSATSpec, audio: AudioSpec) -> None:
    """Raise ``DtuError`` when the HTSAT and audio settings do not fit together."""
    if spec.spec_size % audio.n_mels:
        raise DtuError(f"model.htsat.spec_size {spec.spec_size} must be a multiple of audio.n_mels {audio.n_mels}")
    freq_ratio = spec.spec_size // audio.n_mels
    frames = audio.max_samples // audio.hop_length + 1
    if frames > spec.spec_size * freq_ratio:
        raise DtuError(
            f"clips of {audio.max_clip_seconds} s give {frames} frames, more than the "
            f"{spec.spec_size * freq_ratio} HTSAT takes; lower audio.max_clip_seconds or raise audio.hop_length"
        )
    grid = spec.spec_size // spec.patch_size
    for stage in range(len(spec.depths)):
        side = grid // 2**stage
        window = min(spec.window_size, side)
        if side == 0 or grid % 2**stage or side % window:
            raise DtuError(
                f"stage {stage} of HTSAT has a {side}x{side} token map that {spec.window_size}-token windows "
                "do not tile; change model.htsat.spec_size, patch_size, window_size or depths"
            )
    if spec.spec_size // 2 ** (len(spec.depths) - 1) // spec.patch_size // freq_ratio == 0:
        raise DtuError("model.htsat.spec_size is too small for the token-semantic head; raise it")


class HTSAT(nn.Module):
    """Waveforms ``[B, T]`` at the audio spec's rate -> clip embeddings ``[B, spec.output_dim]``."""

    def __init__(self, spec: HTSATSpec, audio: AudioSpec, spec_augment: bool = True):
        super().__init__()
        check_htsat_spec(spec, audio)
        self.spec_size = spec.spec_size
        self.freq_ratio = spec.spec_size // audio.n_mels
        self.logmel = LogMel(audio)
        self.spec_augmenter = SpecAugment() if spec_augment else None
        self.bn0 = nn.BatchNorm2d(audio.n_mels)
        self.patch_embed = PatchEmbed(
            img_size=spec.spec_size,
            patch_size=spec.patch_size,
            in_chans=1,
            embed_dim=spec.embed_dim,
            norm_layer=nn.LayerNorm,
        )
        grid = spec.spec_size // spec.patch_size
        drop_paths = torch.linspace(0, spec.drop_path_rate, sum(spec.depths)).tolist()
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(spec.depths, spec.num_heads, strict=True)):
            first = sum(spec.depths[:i])
            self.layers.append(
                SwinStage(
                    dim=spec.embed_dim * 2**i,
                    resolution=(grid // 2**i, grid // 2**i),
                    depth=depth,
                    num_heads=heads,
                    window=spec.window_size,
                    mlp_ratio=spec.mlp_ratio,
                    drop_paths=drop_paths[first : first + depth],
                    downsample=i < len(spec.depths) - 1,
                )
            )
        self.num_features = spec.output_dim
        self.norm = nn.LayerNorm(self.num_features)
        head_rows = spec.spec_size // 2 ** (len(spec.depths) - 1) // spec.patch_size // self.freq_ratio
        self.tscam_conv = nn.Conv2d(self.num_features, spec.num_classes, kernel_size=(head_rows, 3), padding=(0, 1))
        self.head = nn.Linear(spec.num_classes, spec.num_classes)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    @property
    def max_frames(self) -> int:
        """Most log-mel frames the model takes (shorter inputs are stretched to this)."""
        return self.spec_size * self.freq_ratio

    def fold(self, logmel: Tensor) -> Tensor:
        """``[B, 1, frames, mels]`` -> the square ``[B, 1, spec_size, spec_size]`` image."""
        frames = logmel.shape[2]
        if frames > self.max_frames:
            raise DtuError(f"audio of {frames} frames is longer than the {self.max_frames} HTSAT takes; crop it first")
        if frames < self.max_frames:
            logmel = F.interpolate(logmel, (self.max_frames, logmel.shape[3]), mode="bicubic", align_corners=True)
        b, c, t, f = logmel.shape
        x = logmel.transpose(2, 3).reshape(b, c, f, self.freq_ratio, t // self.freq_ratio)
        return x.transpose(2, 3).reshape(b, c, self.freq_ratio * f, t // self.freq_ratio)

    def image(self, waveforms: Tensor) -> Tensor:
        """The normalised (and in training, augmented) log-mel image the transformer reads."""
        x = self.logmel(waveforms)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        if self.spec_augmenter is not None:
            x = self.spec_augmenter(x)
        return self.fold(x)

    def forward(self, waveforms: Tensor) -> Tensor:
        x = self.patch_embed(self.image(waveforms))
        for layer in self.layers:
            x = layer(x)
        return self.norm(x).mean(dim=1)
