"""AudioCaps: the caption CSVs from their public repository, matched against the user's own audio files.

AudioCaps' audio is YouTube's and cannot be redistributed: the user brings a folder of clips,
named in one of the usual ways (``Y<id>.wav``, ``<id>_<start>.wav``, ``<id>_<start>_<end>.flac``
with times in seconds or milliseconds). Clips are matched by YouTube id and start time; the
dataset is written over the clips present (linked into ``audio/``), and ``missing.csv`` lists
every clip of the CSVs that no file matched.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dtu_audio.data.remote import RemoteFile
from dtu_audio.data.ui import PrepareUI
from dtu_audio.datasets.manifest import AudioEntry, Manifest
from dtu_audio.datasets.splits import build_split, collect_files, write_split_files
from dtu_audio.errors import DtuError

DEFAULT_BASE_URL = "https://raw.githubusercontent.com/cdjkim/audiocaps/master/dataset"
BASE_URL_VAR = "DTU_AUDIOCAPS_URL"
SPLITS = ("train", "val", "test")
CSV_HEADER = ["audiocap_id", "youtube_id", "start_time", "caption"]
MISSING_CSV = "missing.csv"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus")
NAMING = "Y<id>.wav, <id>_<start>.wav or <id>_<start>_<end>.flac"
CLIP_SECONDS = 10

_YOUTUBE_ID = r"[A-Za-z0-9_-]{11}"
_NUMBER = r"\d+(?:\.\d+)?"
_NAMED = re.compile(rf"^(?P<id>{_YOUTUBE_ID})_(?P<start>{_NUMBER})(?:_(?P<end>{_NUMBER}))?$")
_BARE = re.compile(rf"^Y?(?P<id>{_YOUTUBE_ID})$")


def remote_files() -> list[RemoteFile]:
    """The three caption CSVs (``$DTU_AUDIOCAPS_URL`` replaces the repository's raw URL); no checksum is published."""
    base = (os.environ.get(BASE_URL_VAR) or DEFAULT_BASE_URL).rstrip("/")
    return [RemoteFile(f"{split}.csv", f"{base}/{split}.csv") for split in SPLITS]


@dataclass(frozen=True)
class Clip:
    """One AudioCaps clip: its YouTube id, start time (s) and captions."""

    youtube_id: str
    start: float
    captions: tuple[str, ...]


def read_clips(csv_path: Path) -> list[Clip]:
    """The clips of an AudioCaps CSV, captions grouped by YouTube id and start time, in first-seen order."""
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if header != CSV_HEADER:
            raise DtuError(
                f"{csv_path} has the header {','.join(header) or '(none)'}, not AudioCaps' {','.join(CSV_HEADER)}; "
                "delete it and run dtu data prepare audiocaps again to download it anew"
            )
        grouped: dict[tuple[str, float], list[str]] = {}
        for row in reader:
            if len(row) != len(CSV_HEADER):
                raise DtuError(
                    f"{csv_path}: a row has {len(row)} fields, not 4 ({row!r}); delete the file and run again"
                )
            grouped.setdefault((row[1], float(row[2])), []).append(row[3].strip())
    return [Clip(youtube_id, start, tuple(captions)) for (youtube_id, start), captions in grouped.items()]


def _start_seconds(start: str, end: str | None) -> list[float]:
    """The start times a file name's numbers can mean: seconds, or milliseconds (AudioSet's ``_130000_140000``)."""
    value = float(start)
    if end is not None:
        return [value / 1000 if float(end) - value > 100 else value]
    return [value, value / 1000]


def index_audio(audio_dir: Path) -> tuple[dict[tuple[str, float | None], Path], int]:
    """Audio files under ``audio_dir`` by ``(youtube id, start s)`` (start ``None``: any), and the files seen."""
    index: dict[tuple[str, float | None], Path] = {}
    seen = 0
    for path in sorted(audio_dir.rglob("*")):
        if path.suffix.lower() not in AUDIO_SUFFIXES or not path.is_file():
            continue
        seen += 1
        named = _NAMED.match(path.stem)
        if named:
            for start in _start_seconds(named["start"], named["end"]):
                index.setdefault((named["id"], start), path)
        elif bare := _BARE.match(path.stem):
            index.setdefault((bare["id"], None), path)
    return index, seen


def find_clip(index: dict[tuple[str, float | None], Path], clip: Clip) -> Path | None:
    """The user's file of ``clip``: by id and start time, else by id alone."""
    return index.get((clip.youtube_id, clip.start)) or index.get((clip.youtube_id, None))


def youtube_download(clips: list[Clip], audio_dir: Path, ui: PrepareUI) -> int:
    """Fetch ``clips`` (10 s from their start) into ``audio_dir`` as ``<id>_<start>.wav`` with yt-dlp; return how
    many arrived. Clips YouTube no longer serves stay missing."""
    binary = shutil.which("yt-dlp")
    if binary is None:
        raise DtuError(
            "--download needs yt-dlp (and ffmpeg): pip install 'dtu-audio[youtube]', or leave out --download"
        )
    step = ui.steps("fetching clips with yt-dlp", len(clips))
    arrived = 0
    for clip in clips:
        stem = f"{clip.youtube_id}_{clip.start:g}"
        command = [
            binary, "--quiet", "--no-warnings", "--extract-audio", "--audio-format", "wav",
            "--download-sections", f"*{clip.start:g}-{clip.start + CLIP_SECONDS:g}", "--force-keyframes-at-cuts",
            "--output", str(audio_dir / f"{stem}.%(ext)s"), f"https://www.youtube.com/watch?v={clip.youtube_id}",
        ]  # fmt: skip
        subprocess.run(command, capture_output=True, check=False)
        arrived += (audio_dir / f"{stem}.wav").is_file()
        step()
    return arrived


def _manifest(clips: list[tuple[Clip, Path]]) -> Manifest:
    counts = {len(clip.captions) for clip, _ in clips}
    per_audio = counts.pop() if len(counts) == 1 and counts <= {1, 5} else 1
    entries = []
    for clip, path in clips:
        audio_id = path.name
        groups = [clip.captions] if per_audio == len(clip.captions) else [(c,) for c in clip.captions]
        entries += [AudioEntry(audio_id, f"audio/{audio_id}", captions) for captions in groups]
    return Manifest(per_audio, tuple(entries))


def _match(
    clips: dict[str, list[Clip]], index: dict[tuple[str, float | None], Path]
) -> tuple[dict[str, list[tuple[Clip, Path]]], list[tuple[str, Clip]]]:
    matched: dict[str, list[tuple[Clip, Path]]] = {split: [] for split in clips}
    missing: list[tuple[str, Clip]] = []
    for split, split_clips in clips.items():
        for clip in split_clips:
            path = find_clip(index, clip)
            if path is None:
                missing.append((split, clip))
            else:
                matched[split].append((clip, path))
    return matched, missing


def build_audiocaps(
    downloads: dict[str, Path], audio_dir: Path, out: Path, ui: PrepareUI, seed: int = 0, download: bool = False
) -> tuple[dict[str, int], dict[str, int]]:
    """Match the CSVs' clips in ``audio_dir``, link them into ``out/audio`` and write the split files.

    With ``download``, the clips not found are first fetched into ``audio_dir`` with yt-dlp.
    Returns the clips present and the clips missing, per split; ``out/missing.csv`` lists the missing ones.
    """
    if not audio_dir.is_dir():
        raise DtuError(f"--audio-dir {audio_dir} is not a folder; pass the folder holding your AudioCaps clips")
    clips = {split: read_clips(downloads[f"{split}.csv"]) for split in SPLITS}
    index, seen = index_audio(audio_dir)
    matched, missing = _match(clips, index)
    if download and missing:
        arrived = youtube_download([clip for _, clip in missing], audio_dir, ui)
        ui.say(f"yt-dlp fetched {arrived} of the {len(missing)} missing clips")
        index, seen = index_audio(audio_dir)
        matched, missing = _match(clips, index)
    if not any(matched.values()):
        raise DtuError(
            f"no clip of the AudioCaps CSVs matches a file in {audio_dir} ({seen} audio files seen); "
            f"name the clips {NAMING} (YouTube id and start time)"
        )
    (out / "audio").mkdir()
    step = ui.steps("linking audio", sum(len(clips) for clips in matched.values()))
    for clips in matched.values():
        for _, path in clips:
            link = out / "audio" / path.name
            if not link.exists():
                link.symlink_to(path.resolve())
            step()
    manifests = {split: _manifest(clips) for split, clips in matched.items() if clips}
    ui.say("writing the split files")
    write_split_files(collect_files([build_split(s, m, "audiocaps", seed) for s, m in manifests.items()]), out)
    with open(out / MISSING_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["split", "youtube_id", "start_time"])
        writer.writerows((split, clip.youtube_id, f"{clip.start:g}") for split, clip in missing)
    (out / "csv").mkdir()
    for split in SPLITS:
        (out / "csv" / f"{split}.csv").write_bytes(downloads[f"{split}.csv"].read_bytes())
    present = {split: len(clips) for split, clips in matched.items()}
    lost = {split: sum(s == split for s, _ in missing) for split in SPLITS}
    return present, lost
