"""Turn a run spec into ready splits: find the manifests, check and cache the audio, attach extras."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

from dtu_audio.data.home import default_data_root
from dtu_audio.datasets.audio_scan import DecodedWaveforms, scan_audio
from dtu_audio.datasets.manifest import Manifest, read_manifest
from dtu_audio.datasets.splits import DATASETS, POS_NEG_FILE, split_file_name
from dtu_audio.datasets.temporal_pairs import PosNeg, pos_neg_from_toolkit, read_pos_neg_json
from dtu_audio.datasets.waveform_cache import WaveformCache, build_waveform_cache
from dtu_audio.errors import DtuError
from dtu_audio.progress import Progress
from dtu_audio.resolve import cache_dir
from dtu_audio.specs import RunSpec


@dataclass
class Split:
    """A manifest, its waveforms (cache or on-the-fly decoding), the rows kept and the bad ones."""

    name: str
    manifest_path: Path
    manifest: Manifest
    waveforms: WaveformCache | DecodedWaveforms
    keep: list[int]
    bad: dict[int, tuple[str, str]]

    @property
    def captions(self) -> list[tuple[str, ...]]:
        return [entry.captions for entry in self.manifest.entries]


def data_root(spec: RunSpec) -> Path:
    """The dataset folder: ``data.data_root``, else :func:`~dtu_audio.data.home.default_data_root`."""
    return spec.data.data_root or default_data_root(spec.data.dataset)


def _find_manifest(spec: RunSpec, split: str) -> Path:
    explicit = getattr(spec.data, f"{split}_manifest")
    if explicit is not None:
        if not Path(explicit).is_file():
            raise DtuError(f"{split} manifest {explicit} does not exist (set data.{split}_manifest)")
        return Path(explicit)
    root = data_root(spec)
    names = [f"{split}.json"]
    if spec.data.dataset in DATASETS:
        names += [split_file_name(spec.data.dataset, split, n, "orig") for n in (1, 5)]
    candidates = [root / name for name in dict.fromkeys(names)] + [root / "json_files" / f"{split}.json"]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise DtuError(
            f"dataset {spec.data.dataset!r} not found: expected {' or '.join(str(c) for c in candidates)} "
            f"with audio in {root}/audio; run dtu data prepare {spec.data.dataset}, pass --data-root DIR "
            f"or set data.{split}_manifest"
        )
    return found


def waveform_cache_dir(spec: RunSpec) -> Path:
    """Where split waveforms are cached: ``data.cache_dir``, else ``$DTU_HOME/waveforms`` (or the user cache)."""
    if spec.data.cache_dir is not None:
        return Path(spec.data.cache_dir)
    return cache_dir("waveforms")


def _audio_paths(manifest: Manifest, manifest_dir: Path, audio_root: Path) -> list[Path | None]:
    paths = []
    for entry in manifest.entries:
        candidates = [
            Path(entry.audio),
            manifest_dir / entry.audio,
            audio_root / entry.id,
            audio_root / Path(entry.audio).name,
        ]
        paths.append(next((p for p in candidates if p.is_file()), None))
    return paths


def read_split_manifest(spec: RunSpec, split: str) -> tuple[Path, Manifest]:
    """Find and read a split's manifest; a missing or empty one is a one-line error."""
    manifest_path = _find_manifest(spec, split)
    manifest = read_manifest(manifest_path)
    if len(manifest) == 0:
        raise DtuError(f"the {split} manifest of {spec.data.dataset!r} has no rows")
    return manifest_path, manifest


def check_manifests(spec: RunSpec) -> None:
    """Read the train and val manifests, so that a bad one fails before any model is built."""
    for split in ("train", "val"):
        read_split_manifest(spec, split)


def load_split(spec: RunSpec, split: str, show_progress: bool = True) -> Split:
    """Read a split's manifest and check (and, with the cache on, decode) all of its audio."""
    manifest_path, manifest = read_split_manifest(spec, split)
    audio_root = Path(spec.data.audio_root) if spec.data.audio_root else data_root(spec) / "audio"
    paths = _audio_paths(manifest, manifest_path.parent, audio_root)
    verb = "decoding" if spec.data.waveform_cache else "checking"
    with Progress(
        TextColumn(f"{verb} {split} audio"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task(split, total=len(paths))
        advance = lambda: progress.advance(task)  # noqa: E731
        if spec.data.waveform_cache:
            waveforms = build_waveform_cache(paths, spec.audio, waveform_cache_dir(spec), advance)
            reasons = waveforms.bad
        else:
            waveforms = DecodedWaveforms(paths, spec.audio.sample_rate)
            reasons = scan_audio(paths, advance)
    bad = {i: (str(paths[i] or audio_root / manifest.entries[i].id), why) for i, why in reasons.items()}
    keep = [i for i in range(len(manifest)) if i not in bad]
    return Split(split, manifest_path, manifest, waveforms, keep, bad)


def check_bad_audio(split: Split, skip_bad_audio: bool) -> None:
    """Stop naming the first bad files, unless ``skip_bad_audio`` (they are then left out)."""
    if split.bad and not skip_bad_audio:
        listed = "; ".join(f"{path} ({why})" for path, why in list(split.bad.values())[:3])
        more = f" and {len(split.bad) - 3} more" if len(split.bad) > 3 else ""
        raise DtuError(
            f"{len(split.bad)} {split.name} audio files are missing or corrupt: {listed}{more}; "
            "fix them or rerun with --skip-bad-audio to leave them out"
        )
    if not split.keep:
        raise DtuError(f"no readable {split.name} audio left in {split.manifest_path}")


def caption_pos_neg(spec: RunSpec, split: Split) -> list[list[PosNeg | None]] | None:
    """Positives/negatives of every caption (per manifest row), or ``None`` when lambda is 0.

    From ``data.pos_neg_json`` or the ``audio_id_to_pos_neg_eg.json`` beside the manifest (the
    entry of the caption's audio), else made by the temporal toolkit; ``None`` for captions
    without an order connective, which stay out of the temporal loss.
    """
    if spec.train.temporal_lambda == 0:
        return None
    flat = pos_neg_from_toolkit(split.manifest.captions)
    json_path = spec.data.pos_neg_json or split.manifest_path.parent / POS_NEG_FILE
    if spec.data.pos_neg_json is not None or json_path.is_file():
        table = read_pos_neg_json(json_path)
        ids = [entry.id for entry in split.manifest.entries for _ in entry.captions]
        flat = [table.get(audio_id) if made[0] else None for audio_id, made in zip(ids, flat, strict=True)]
    n = split.manifest.captions_per_audio
    return [flat[i * n : (i + 1) * n] for i in range(len(split.manifest))]
