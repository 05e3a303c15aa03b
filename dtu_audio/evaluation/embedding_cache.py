"""Audio and text embeddings of one checkpoint, computed once and kept in memory and on disk.

On disk an embedding is keyed by the model's fingerprint (the sha256 of its checkpoint file or
model folder: one folder per model), the audio settings (one file per setting), and the audio
file's resolved path, modification time and size (or the caption text and text settings). When a
checkpoint file or model folder changes, its old folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from dtu_audio.errors import DtuError
from dtu_audio.fileio import atomic_path, write_errors, write_json

_INDEX = "checkpoints.json"


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _settings_tag(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def audio_file_key(path: Path) -> str:
    """Cache key of an audio file: its resolved path, modification time and size."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return f"{resolved}|{stat.st_mtime_ns}|{stat.st_size}"


class _Store:
    """One ``{key: embedding}`` table, loaded lazily and written atomically."""

    def __init__(self, path: Path | None):
        self.path = path
        self.rows: dict[str, torch.Tensor] = {}
        self._loaded = path is None

    def _load(self) -> None:
        self._loaded = True
        if not self.path.is_file():
            return
        try:
            saved = torch.load(self.path, map_location="cpu", weights_only=True)
            self.rows = dict(zip(saved["keys"], saved["embeds"], strict=True))
        except (OSError, RuntimeError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError):
            # a damaged cache file is rebuilt, never trusted
            self.rows = {}

    def lookup(self, keys: Sequence[str], compute: Callable[[list[int]], torch.Tensor]) -> tuple[torch.Tensor, int]:
        if not self._loaded:
            self._load()
        missing = [i for i, key in enumerate(keys) if key not in self.rows]
        unique_missing = list({keys[i]: i for i in missing}.values())
        if unique_missing:
            computed = compute(unique_missing).detach().to("cpu", torch.float32)
            self.rows.update(zip((keys[i] for i in unique_missing), computed, strict=True))
            self._save()
        return torch.stack([self.rows[key] for key in keys]), len(unique_missing)

    def _save(self) -> None:
        if self.path is None:
            return
        keys = list(self.rows)
        # torch.save reports a full disk as a RuntimeError
        hint = "free space, set DTU_HOME to a writable folder, or pass --no-cache"
        what = f"the embedding cache {self.path}"
        with write_errors(what, hint, also=(RuntimeError,)), atomic_path(self.path) as tmp:
            torch.save({"keys": keys, "embeds": torch.stack([self.rows[k] for k in keys])}, tmp)


class EmbeddingCache:
    """Embeddings of one model: audio per file and audio settings, text per caption and text settings.

    With ``root=None`` nothing is written to disk, but every file and caption is still embedded once.
    """

    def __init__(
        self,
        fingerprint: str,
        audio_settings: dict,
        text_settings: dict,
        root: Path | None = None,
        source: Path | None = None,
    ):
        folder = None
        if root is not None:
            folder = Path(root) / fingerprint
            if source is not None:
                _forget_replaced_model(Path(root), Path(source), fingerprint)
        self.folder = folder
        self._audio = _Store(folder / f"audio-{_settings_tag(audio_settings)}.pt" if folder else None)
        self._text = _Store(folder / f"text-{_settings_tag(text_settings)}.pt" if folder else None)
        self.computed = {"audio": 0, "text": 0}
        self.reused = {"audio": 0, "text": 0}

    def audio(self, paths: Sequence[Path], embed: Callable[[list[Path]], torch.Tensor]) -> torch.Tensor:
        """Embeddings ``[len(paths), dim]``; ``embed`` is called only with the files not seen before."""
        keys = [audio_file_key(p) for p in paths]
        rows, fresh = self._audio.lookup(keys, lambda idx: embed([paths[i] for i in idx]))
        self._count("audio", len(set(keys)), fresh)
        return rows

    def text(self, captions: Sequence[str], embed: Callable[[list[str]], torch.Tensor]) -> torch.Tensor:
        """Embeddings ``[len(captions), dim]``; ``embed`` is called only with the captions not seen before."""
        rows, fresh = self._text.lookup(list(captions), lambda idx: embed([captions[i] for i in idx]))
        self._count("text", len(set(captions)), fresh)
        return rows

    def _count(self, kind: str, unique: int, fresh: int) -> None:
        self.computed[kind] += fresh
        self.reused[kind] += unique - fresh


def _forget_replaced_model(root: Path, source: Path, sha256: str) -> None:
    """Record which checkpoint file or model folder has which sha256; drop the embeddings of its previous content."""
    index_path = root / _INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.is_file() else {}
    except (OSError, json.JSONDecodeError):
        index = {}
    key = str(source.resolve())
    previous = index.get(key)
    if previous == sha256:
        return
    index[key] = sha256
    if previous and previous not in index.values():
        shutil.rmtree(root / previous, ignore_errors=True)
    try:
        write_json(index_path, index)
    except OSError as err:
        raise DtuError(
            f"cannot write the embedding cache index {index_path}: {err.strerror or err}; "
            "set DTU_HOME to a writable folder or pass --no-cache"
        ) from None
