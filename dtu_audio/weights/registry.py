"""The weights the package knows by name: where each one comes from and what it must look like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dtu_audio.errors import DtuError

DRIVE_FILE_URL = "https://drive.google.com/uc?id={id}"
DRIVE_FOLDER_URL = "https://drive.google.com/drive/folders/{id}"

Source = Literal["drive-file", "drive-folder", "hf"]


@dataclass(frozen=True)
class WeightEntry:
    """One named weight: a Google Drive file, a Google Drive folder of files, or a Hugging Face repo."""

    name: str
    source: Source
    description: str
    drive_id: str | None = None
    filename: str | None = None
    hf_repo: str | None = None
    hf_revision: str = "main"
    hf_files: tuple[str, ...] = ()
    checkpoint_key: str | None = None
    size: int | None = None
    sha256: str | None = None

    @property
    def manual_url(self) -> str:
        """Where a person downloads this entry by hand in a browser."""
        if self.source == "drive-file":
            return DRIVE_FILE_URL.format(id=self.drive_id)
        if self.source == "drive-folder":
            return DRIVE_FOLDER_URL.format(id=self.drive_id)
        return f"https://huggingface.co/{self.hf_repo}"


_BERT_FILES = (
    "config.json",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "model.safetensors",
)

KNOWN: dict[str, WeightEntry] = {
    entry.name: entry
    for entry in (
        WeightEntry(
            name="htsat-audioset",
            source="drive-file",
            description="HTSAT audio encoder pretrained on AudioSet (HTSAT.ckpt)",
            drive_id="11XiCDsW3nYJ6uM87pvP3wI3pDAGhsBC1",
            filename="HTSAT.ckpt",
            checkpoint_key="state_dict",
        ),
        WeightEntry(
            name="wavcaps-pt",
            source="drive-file",
            description="WavCaps pretrained HTSAT-BERT retrieval model (HTSAT-BERT-PT.pt)",
            drive_id="1il6X1EiUPlbyysM9hn2CYr-YRSCuSy2m",
            filename="HTSAT-BERT-PT.pt",
            checkpoint_key="model",
        ),
        WeightEntry(
            name="dtu-finetuned",
            source="drive-folder",
            description="The paper's fine-tuned checkpoints; each file becomes the entry dtu-finetuned/<file stem>",
            drive_id="124fyrR7gVKyQgj7CO6aO-55_tUB9jXlV",
            checkpoint_key="model",
        ),
        WeightEntry(
            name="bert-base-uncased",
            source="hf",
            description="BERT text encoder and tokenizer (Hugging Face google-bert/bert-base-uncased)",
            hf_repo="google-bert/bert-base-uncased",
            hf_files=_BERT_FILES,
        ),
    )
}

# What `dtu fetch-weights` without names fetches: the paper fine-tunes the WavCaps model,
# whose text side needs the BERT tokenizer and configuration.
DEFAULT_NAMES: tuple[str, ...] = ("wavcaps-pt", "bert-base-uncased")


def recovery_hint(entry: WeightEntry) -> str:
    """How to get ``entry`` without this machine downloading it: by hand, or from another machine."""
    if entry.source == "hf":
        return (
            f"on a connected machine run dtu fetch-weights {entry.name} --cache-dir DIR, "
            "copy DIR here and point DTU_HOME at it"
        )
    return (
        f"download it in a browser from {entry.manual_url} and run: "
        f"dtu fetch-weights --import {entry.name} /path/to/{entry.filename or 'FILE'}"
    )


def folder_of(name: str) -> WeightEntry | None:
    """The Drive-folder entry a name such as ``dtu-finetuned/<stem>`` belongs to, if any."""
    head, sep, _ = name.partition("/")
    entry = KNOWN.get(head)
    return entry if sep and entry is not None and entry.source == "drive-folder" else None


def child_entry(folder: WeightEntry, drive_id: str, filename: str) -> WeightEntry:
    """The entry for one file of a Drive folder, named ``<folder>/<file stem>``."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return WeightEntry(
        name=f"{folder.name}/{stem}",
        source="drive-file",
        description=f"{filename} from {folder.name}",
        drive_id=drive_id,
        filename=filename,
        checkpoint_key=folder.checkpoint_key,
    )


def get_entry(name: str) -> WeightEntry:
    """The registry entry called ``name``; a ``DtuError`` listing the known names otherwise."""
    if name in KNOWN:
        return KNOWN[name]
    raise DtuError(f"unknown weights {name!r}; known: {', '.join(KNOWN)} (see: dtu fetch-weights --list)")
