"""Clotho v2.1 from its Zenodo record: the audio archives and caption CSVs, unpacked into the paper's split files.

The paper trains on the development split, validates on the validation split and tests on the
evaluation split; the split files are those of ``dtu rearrange-splits --dataset clotho``
(``train.json``, ``val.json``, ``test.json``, the rebalanced versions, the temporal test subset
with its reversed and replaced variants, and the positives/negatives of the temporal loss).
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import py7zr
from py7zr.callbacks import ExtractCallback

from dtu_audio.data.remote import RemoteFile
from dtu_audio.data.ui import PrepareUI
from dtu_audio.datasets.manifest import Manifest, manifest_from_csv
from dtu_audio.datasets.splits import build_split, collect_files, write_split_files
from dtu_audio.errors import DtuError

ZENODO_RECORD = "4783391"
DEFAULT_BASE_URL = "https://zenodo.org"
BASE_URL_VAR = "DTU_ZENODO_URL"
#: The paper's split -> Clotho's name for it (archive, CSV and the folder inside the archive).
PARTS = {"train": "development", "val": "validation", "test": "evaluation"}
CAPTION_HEADER = ["file_name", *(f"caption_{k}" for k in range(1, 6))]
#: md5 of every file of the record, as Zenodo publishes them.
MD5 = {
    "clotho_audio_development.7z": "c8b05bc7acdb13895bb3c6a29608667e",
    "clotho_audio_validation.7z": "7dba730be08bada48bd15dc4e668df59",
    "clotho_audio_evaluation.7z": "4569624ccadf96223f19cb59fe4f849f",
    "clotho_captions_development.csv": "d4090b39ce9f2491908eebf4d5b09bae",
    "clotho_captions_validation.csv": "5879e023032b22a2c930aaa0528bead4",
    "clotho_captions_evaluation.csv": "1b16b9e57cf7bdb7f13a13802aeb57e2",
    "clotho_metadata_development.csv": "170d20935ecfdf161ce1bb154118cda5",
    "clotho_metadata_validation.csv": "2e010427c56b1ce6008b0f03f41048ce",
    "clotho_metadata_evaluation.csv": "13946f054d4e1bf48079813aac61bf77",
}


def record_url() -> str:
    """The Zenodo record's file URL prefix (``$DTU_ZENODO_URL`` replaces ``https://zenodo.org``)."""
    base = os.environ.get(BASE_URL_VAR) or DEFAULT_BASE_URL
    return f"{base.rstrip('/')}/records/{ZENODO_RECORD}/files"


def remote_files() -> list[RemoteFile]:
    """The record's nine files with their published md5."""
    return [RemoteFile(name, f"{record_url()}/{name}?download=1", ("md5", md5)) for name, md5 in MD5.items()]


def _captions(csv_path: Path, part: str) -> Manifest:
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if header != CAPTION_HEADER:
        raise DtuError(
            f"{csv_path} has the header {','.join(header) or '(none)'}, not Clotho's {','.join(CAPTION_HEADER)}; "
            "it is not a Clotho v2.1 caption file: delete it and run dtu data prepare clotho again"
        )
    return manifest_from_csv(csv_path, audio_root=Path("audio") / part)


class _StepCallback(ExtractCallback):
    """Advances a step counter once per unpacked file."""

    def __init__(self, advance: Callable[[], None]):
        self.advance = advance

    def report_end(self, processing_file_path: str, wrote_bytes: str) -> None:
        self.advance()

    def report_start_preparation(self) -> None:
        pass

    def report_start(self, processing_file_path: str, processing_bytes: str) -> None:
        pass

    def report_update(self, decompressed_bytes: str) -> None:
        pass

    def report_warning(self, message: str) -> None:
        pass

    def report_postprocess(self) -> None:
        pass


def _unpack(archive: Path, audio_dir: Path, ui: PrepareUI) -> None:
    try:
        with py7zr.SevenZipFile(archive) as seven:
            members = [name for name in seven.getnames() if not name.endswith("/")]
            seven.extractall(audio_dir, callback=_StepCallback(ui.steps(f"unpacking {archive.name}", len(members))))
    except (py7zr.exceptions.ArchiveError, py7zr.exceptions.CrcError, EOFError, ValueError) as err:
        raise DtuError(
            f"{archive} is not a readable 7z archive ({type(err).__name__}: {err}); delete it and run "
            "dtu data prepare clotho again to download it anew"
        ) from None


def _check_audio(manifest: Manifest, audio_dir: Path, archive: Path, csv_path: Path) -> None:
    missing = [entry.id for entry in manifest.entries if not (audio_dir.parent / entry.audio).is_file()]
    if missing:
        first = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise DtuError(
            f"{archive} lacks {len(missing)} of the {len(manifest)} clips {csv_path.name} names ({first}); "
            "delete both and run dtu data prepare clotho again"
        )


def build_clotho(downloads: dict[str, Path], out: Path, ui: PrepareUI, seed: int = 0) -> dict[str, int]:
    """Unpack the audio into ``out/audio/<part>/`` and write the paper's split files and the CSVs into ``out``.

    Returns the clips per split.
    """
    manifests: dict[str, Manifest] = {}
    for split, part in PARTS.items():
        csv_path = downloads[f"clotho_captions_{part}.csv"]
        manifests[split] = _captions(csv_path, part)
        archive = downloads[f"clotho_audio_{part}.7z"]
        _unpack(archive, out / "audio", ui)
        _check_audio(manifests[split], out / "audio", archive, csv_path)
    ui.say("writing the split files")
    write_split_files(collect_files([build_split(s, m, "clotho", seed) for s, m in manifests.items()]), out)
    (out / "csv").mkdir()
    for name in MD5:
        if name.endswith(".csv"):
            shutil.copyfile(downloads[name], out / "csv" / name)
    return {split: len(manifest) for split, manifest in manifests.items()}
