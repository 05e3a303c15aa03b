"""Text encoders from the Hugging Face hub (``HF_ENDPOINT`` is honoured), kept as plain folders.

huggingface_hub is imported by the functions that use it, so that ``dtu --help`` stays quick.
"""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from dtu_audio.errors import DtuError, brief
from dtu_audio.fileio import write_json
from dtu_audio.weights.cache import CachedEntry, WeightCache, now_iso, sha256_folder
from dtu_audio.weights.registry import WeightEntry, recovery_hint


def _hub_error(entry: WeightEntry, problem: str) -> DtuError:
    return DtuError(
        f"could not download {entry.name} ({entry.hf_repo}): {problem}; run the same command again to resume, "
        f"or {recovery_hint(entry)}"
    )


def _unreachable(detail: object) -> str:
    return f"cannot reach the Hugging Face hub; check the network connection or HF_ENDPOINT ({detail})"


def _problem(entry: WeightEntry, err: Exception) -> str:
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError

    detail = brief(err)
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return "the disk is full; free some space or pass --cache-dir"
    if isinstance(err, RepositoryNotFoundError):
        return f"the hub has no repository {entry.hf_repo}"
    if isinstance(err, LocalEntryNotFoundError):
        return _unreachable(detail)
    return f"the hub answered with an error ({detail})"


def choose_hub_files(entry: WeightEntry, available: Iterable[str]) -> list[str]:
    """The files of ``entry`` to fetch from a repository holding ``available``.

    Every required file, the optional ones it holds, and the first of the weights files it holds
    (so a repository with both ``model.safetensors`` and ``pytorch_model.bin`` costs one download).
    """
    available = set(available)
    missing = [name for name in entry.hf_files if name not in available]
    weights = [name for name in entry.hf_weight_files if name in available][:1]
    if entry.hf_weight_files and not weights:
        missing.append(" or ".join(entry.hf_weight_files))
    if missing:
        raise DtuError(
            f"the hub repository {entry.hf_repo} has no {', '.join(missing)}, which {entry.name} needs; "
            "check HF_ENDPOINT (it must point at the Hugging Face hub or a mirror of it)"
        )
    return [*entry.hf_files, *(name for name in entry.hf_optional_files if name in available), *weights]


def _repo_files(entry: WeightEntry) -> tuple[str, list[str]]:
    """The commit ``entry.hf_revision`` points at, and the files of the repository at that commit."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        info = HfApi().model_info(entry.hf_repo, revision=entry.hf_revision, files_metadata=False)
    except HfHubHTTPError as err:
        raise _hub_error(entry, _problem(entry, err)) from err
    except Exception as err:  # the hub client's transport errors (requests or httpx) share no base class
        raise _hub_error(entry, _unreachable(brief(err))) from err
    return info.sha, [sibling.rfilename for sibling in info.siblings or ()]


def _complete_config(entry: WeightEntry, config: Path) -> None:
    """Write ``entry.hf_model_type`` into a config.json without ``model_type`` (older hub uploads lack it)."""
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except ValueError as err:
        raise DtuError(f"the config.json of {entry.hf_repo} is not JSON ({err}); check HF_ENDPOINT") from err
    if entry.hf_model_type is not None and "model_type" not in settings:
        write_json(config, {"model_type": entry.hf_model_type, **settings})


def download_hub_folder(entry: WeightEntry, cache: WeightCache) -> CachedEntry:
    """Download the files of ``entry`` from the hub into the cache and record them; hold the entry's lock.

    The repository's file list decides which files are fetched (:func:`choose_hub_files`);
    huggingface_hub resumes interrupted files and checks their sizes; the folder only replaces
    the cached one once every file is there.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    staging = cache.partial_dir(entry.name) / "snapshot"
    commit, available = _repo_files(entry)
    files = choose_hub_files(entry, available)
    try:
        snapshot_download(entry.hf_repo, revision=commit, allow_patterns=files, local_dir=staging)
        _complete_config(entry, staging / "config.json")
        size, digest = sha256_folder(staging)
        target = cache.folder_path(entry.name)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        cache.drop_empty_partial_dir(entry.name)
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise _hub_error(entry, _problem(entry, err)) from err
    record = CachedEntry(
        path=target.relative_to(cache.root).as_posix(),
        source=f"hf:{entry.hf_repo}@{entry.hf_revision}",
        size=size,
        sha256=digest,
        fetched=now_iso(),
    )
    cache.record(entry.name, record)
    return record
