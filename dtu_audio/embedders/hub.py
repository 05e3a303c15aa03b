"""Hugging Face Hub models (``hf:ORG/NAME[@REVISION]``): a local snapshot folder, fetched once.

Downloads go into the huggingface_hub cache (``HF_HOME`` / ``HF_HUB_CACHE``); with
``HF_HUB_OFFLINE=1`` only that cache is read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dtu_audio.errors import DtuError

#: What a transformers model folder needs besides its weights (configs, tokenizer and processor files).
_SETTINGS_FILES = ["*.json", "*.txt", "*.model"]
_REPO_RE = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` asks for the local cache only (read now, not at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def fetch_command(repo_id: str, revision: str | None) -> str:
    """The shell command that puts ``repo_id`` into the huggingface_hub cache."""
    return f"HF_HUB_OFFLINE=0 hf download {repo_id}" + (f" --revision {revision}" if revision else "")


def hub_folder(repo: str) -> Path:
    """The local snapshot of Hub model ``repo`` (``ORG/NAME`` or ``ORG/NAME@REVISION``), fetched when missing.

    Safetensors weights are fetched when the repository has them, else its ``*.bin`` files.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    repo_id, _, revision = repo.partition("@")
    if not _REPO_RE.fullmatch(repo_id):
        raise DtuError(f"hf:{repo} is not a Hub model name; write hf:ORG/NAME, e.g. hf:laion/clap-htsat-unfused")
    offline = hub_offline()

    def snapshot(patterns: list[str]) -> Path:
        return Path(
            snapshot_download(repo_id, revision=revision or None, allow_patterns=patterns, local_files_only=offline)
        )

    try:
        folder = snapshot([*_SETTINGS_FILES, "*.safetensors"])
        if not any(folder.glob("*.safetensors")) and not offline:
            folder = snapshot([*_SETTINGS_FILES, "*.bin"])
    except LocalEntryNotFoundError:
        why = "HF_HUB_OFFLINE is set" if offline else "the Hub cannot be reached"
        raise DtuError(
            f"hf:{repo} is not in the Hugging Face cache and {why}; fetch it once with: "
            f"{fetch_command(repo_id, revision or None)}"
        ) from None
    except (RepositoryNotFoundError, RevisionNotFoundError):
        raise DtuError(f"hf:{repo}: no such model on the Hugging Face Hub (check the name and revision)") from None
    except (HfHubHTTPError, OSError) as err:
        raise DtuError(f"cannot fetch hf:{repo}: {str(err).splitlines()[0]}") from None
    return folder
