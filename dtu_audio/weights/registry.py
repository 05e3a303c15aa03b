"""The weights the package knows by name: where each one comes from and what it must look like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dtu_audio.errors import DtuError

DRIVE_FILE_URL = "https://drive.google.com/uc?id={id}"
DRIVE_FOLDER_URL = "https://drive.google.com/drive/folders/{id}"

Source = Literal["drive-file", "drive-folder", "hf"]
#: What a checkpoint entry holds: the paper's AudioSet HTSAT (``{"state_dict": {"sed_model.<name>": ...}}``),
#: the paper's HTSAT-BERT retrieval model (``{"model": ...}``), or a complete retrieval model of the spec
#: it was saved with (the paper's HTSAT-BERT when it carries none).
Layout = Literal["audioset-htsat", "htsat-bert", "saved-spec"]


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
    #: Files the hub repository must hold; all are fetched.
    hf_files: tuple[str, ...] = ()
    #: Files fetched when the repository holds them.
    hf_optional_files: tuple[str, ...] = ()
    #: Weights files in order of preference: the first one the repository holds is fetched, only that one.
    hf_weight_files: tuple[str, ...] = ()
    #: Written into a fetched config.json that lacks ``model_type``, so that transformers can read the folder.
    hf_model_type: str | None = None
    #: Short names accepted for this entry.
    aliases: tuple[str, ...] = ()
    #: For checkpoint files: what the file must hold (checked on download and ``--import``).
    layout: Layout | None = None
    size: int | None = None
    sha256: str | None = None

    @property
    def checkpoint_key(self) -> str | None:
        """The top-level key holding the weights of a checkpoint entry."""
        if self.layout is None:
            return None
        return "state_dict" if self.layout == "audioset-htsat" else "model"

    @property
    def manual_url(self) -> str:
        """Where a person downloads this entry by hand in a browser."""
        if self.source == "drive-file":
            return DRIVE_FILE_URL.format(id=self.drive_id)
        if self.source == "drive-folder":
            return DRIVE_FOLDER_URL.format(id=self.drive_id)
        return f"https://huggingface.co/{self.hf_repo}"


_TOKENIZER_FILES = {"bert": ("vocab.txt",), "distilbert": ("vocab.txt",), "roberta": ("vocab.json", "merges.txt")}
_OPTIONAL_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
HF_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _text_encoder(name: str, repo: str, model_type: str, label: str, aliases: tuple[str, ...] = ()) -> WeightEntry:
    """A text encoder on the hub: its config and tokenizer files, and one weights file."""
    return WeightEntry(
        name=name,
        source="hf",
        description=f"{label} text encoder and tokenizer (Hugging Face {repo})",
        hf_repo=repo,
        hf_files=("config.json", *_TOKENIZER_FILES[model_type]),
        hf_optional_files=_OPTIONAL_TOKENIZER_FILES,
        hf_weight_files=HF_WEIGHT_FILES,
        hf_model_type=model_type,
        aliases=aliases,
    )


# Every text encoder of dtu_audio.encoders.text.KNOWN_TEXT_ENCODERS, under the name it passes to weight_path.
_TEXT_ENCODERS = (
    _text_encoder("bert-base-uncased", "google-bert/bert-base-uncased", "bert", "BERT", ("bert-base",)),
    _text_encoder("prajjwal1/bert-tiny", "prajjwal1/bert-tiny", "bert", "BERT-tiny", ("bert-tiny",)),
    _text_encoder("prajjwal1/bert-mini", "prajjwal1/bert-mini", "bert", "BERT-mini", ("bert-mini",)),
    _text_encoder("prajjwal1/bert-small", "prajjwal1/bert-small", "bert", "BERT-small", ("bert-small",)),
    _text_encoder("prajjwal1/bert-medium", "prajjwal1/bert-medium", "bert", "BERT-medium", ("bert-medium",)),
    _text_encoder("bert-large-uncased", "google-bert/bert-large-uncased", "bert", "BERT-large", ("bert-large",)),
    _text_encoder("roberta-base", "FacebookAI/roberta-base", "roberta", "RoBERTa"),
    _text_encoder("roberta-large", "FacebookAI/roberta-large", "roberta", "RoBERTa-large"),
    _text_encoder(
        "distilroberta-base", "distilbert/distilroberta-base", "roberta", "DistilRoBERTa", ("distilroberta",)
    ),
    _text_encoder(
        "distilbert-base-uncased", "distilbert/distilbert-base-uncased", "distilbert", "DistilBERT", ("distilbert",)
    ),
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
            layout="audioset-htsat",
        ),
        WeightEntry(
            name="wavcaps-pt",
            source="drive-file",
            description="WavCaps pretrained HTSAT-BERT retrieval model (HTSAT-BERT-PT.pt)",
            drive_id="1il6X1EiUPlbyysM9hn2CYr-YRSCuSy2m",
            filename="HTSAT-BERT-PT.pt",
            layout="htsat-bert",
        ),
        WeightEntry(
            name="dtu-finetuned",
            source="drive-folder",
            description="The paper's fine-tuned checkpoints; each file becomes the entry dtu-finetuned/<file stem>",
            drive_id="124fyrR7gVKyQgj7CO6aO-55_tUB9jXlV",
            layout="saved-spec",
        ),
        *_TEXT_ENCODERS,
    )
}

#: Short names of entries (``bert-tiny``), each to its registry name (``prajjwal1/bert-tiny``).
ALIASES: dict[str, str] = {alias: entry.name for entry in KNOWN.values() for alias in entry.aliases}

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


def canonical_name(name: str) -> str:
    """The registry name of an alias (``bert-tiny`` -> ``prajjwal1/bert-tiny``); other names unchanged."""
    return ALIASES.get(name, name)


def folder_of(name: str) -> WeightEntry | None:
    """The Drive-folder entry a name such as ``dtu-finetuned/<stem>`` belongs to, if any.

    Registry names that hold a ``/`` themselves (``prajjwal1/bert-tiny``) belong to no folder.
    """
    if canonical_name(name) in KNOWN:
        return None
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
        layout=folder.layout,
    )


def get_entry(name: str) -> WeightEntry:
    """The registry entry called ``name`` (or one of its aliases); a ``DtuError`` listing the known names otherwise."""
    if canonical_name(name) in KNOWN:
        return KNOWN[canonical_name(name)]
    raise DtuError(f"unknown weights {name!r}; known: {', '.join(KNOWN)} (see: dtu fetch-weights --list)")
