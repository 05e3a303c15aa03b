"""A tiny Clotho v2.1 laid out like the real one (7z archives of WAVs, CSVs with the real headers); AudioCaps CSVs."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import py7zr
from cli_helpers import write_csv
from train_data import write_clip

from dtu_audio.data import audiocaps, clotho

# Captions of the tiny vocabulary (tests/tiny.py), most with an order connective.
CAPTIONS = [
    "a dog barks followed by a car passes",
    "birds sing then rain falls",
    "a bell rings before a door closes",
    "water runs while a man speaks",
    "an engine starts after wind blows",
    "a cat meows",
    "people talk then music plays",
]
CLIPS = {"development": 8, "validation": 4, "evaluation": 4}
#: Clip lengths of each part are this and twice this: the development archive outgrows 1 MiB, so that a
#: connection dropped half-way has delivered more than one of gdown's 512 KiB reads.
SECONDS = {"development": 5.0, "validation": 1.0, "evaluation": 1.0}
METADATA_HEADER = ["file_name", "keywords", "sound_id", "sound_link", "start_end_samples", "manufacturer", "license"]


def clotho_files(workdir: Path) -> dict[str, bytes]:
    """The nine files of the Clotho record, by name: archives holding ``<part>/<clip>.wav`` and the CSVs."""
    files: dict[str, bytes] = {}
    for p, (part, count) in enumerate(CLIPS.items()):
        names = [f"{part} clip {i}.wav" for i in range(count)]
        for i, name in enumerate(names):
            write_clip(workdir / part / name, SECONDS[part] * (1 + i % 2), seed=10 * p + i)
        archive = io.BytesIO()
        with py7zr.SevenZipFile(archive, "w") as seven:
            for name in names:
                seven.write(workdir / part / name, f"{part}/{name}")
        files[f"clotho_audio_{part}.7z"] = archive.getvalue()
        rows = [[name, *(CAPTIONS[(i + k) % len(CAPTIONS)] for k in range(5))] for i, name in enumerate(names)]
        files[f"clotho_captions_{part}.csv"] = _csv_bytes(workdir, clotho.CAPTION_HEADER, rows)
        meta = [
            [name, "dog;bell", str(i), f"https://freesound.org/s/{i}", "[0, 1]", "", "CC0"]
            for i, name in enumerate(names)
        ]
        files[f"clotho_metadata_{part}.csv"] = _csv_bytes(workdir, METADATA_HEADER, meta)
    return files


def _csv_bytes(workdir: Path, header: list[str], rows: list) -> bytes:
    return write_csv(workdir / "csv.tmp", header, rows).read_bytes()


def md5_table(files: dict[str, bytes]) -> dict[str, str]:
    """Name -> md5, as Zenodo publishes them, for ``clotho.MD5``."""
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def clotho_path(name: str) -> str:
    """The URL path of a file of the Clotho record."""
    return f"/records/{clotho.ZENODO_RECORD}/files/{name}"


def audiocaps_csvs(workdir: Path, clips: dict[str, list[tuple[str, int]]]) -> dict[str, bytes]:
    """AudioCaps' three CSVs (``audiocap_id,youtube_id,start_time,caption``): one caption per train clip, five else."""
    files = {}
    row_id = 0
    for split in audiocaps.SPLITS:
        rows = []
        for i, (youtube_id, start) in enumerate(clips[split]):
            for k in range(1 if split == "train" else 5):
                row_id += 1
                rows.append([row_id, youtube_id, start, CAPTIONS[(i + k) % len(CAPTIONS)]])
        files[f"{split}.csv"] = _csv_bytes(workdir, audiocaps.CSV_HEADER, rows)
    return files
