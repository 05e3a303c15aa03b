"""Text encoders from the Hugging Face hub (``HF_ENDPOINT`` is honoured), kept as plain folders."""

from __future__ import annotations

import errno
import shutil

from huggingface_hub import snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

from dtu_audio.errors import DtuError
from dtu_audio.weights.cache import CachedEntry, WeightCache, now_iso, sha256_folder
from dtu_audio.weights.registry import WeightEntry, recovery_hint


def _hub_error(entry: WeightEntry, err: Exception) -> DtuError:
    detail = " ".join(str(err).split())[:300]
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        problem = "the disk is full; free some space or pass --cache-dir"
    elif isinstance(err, RepositoryNotFoundError):
        problem = f"the hub has no repository {entry.hf_repo}"
    elif isinstance(err, LocalEntryNotFoundError):
        problem = f"cannot reach the Hugging Face hub; check the network connection or HF_ENDPOINT ({detail})"
    else:
        problem = f"the hub answered with an error ({detail})"
    return DtuError(
        f"could not download {entry.name} ({entry.hf_repo}): {problem}; run the same command again to resume, "
        f"or {recovery_hint(entry)}"
    )


def download_hub_folder(entry: WeightEntry, cache: WeightCache) -> CachedEntry:
    """Download the files of ``entry`` from the hub into the cache and record them; hold the entry's lock.

    huggingface_hub resumes interrupted files and checks their sizes; the folder only replaces
    the cached one once every file is there.
    """
    staging = cache.partial_dir(entry.name) / "snapshot"
    try:
        snapshot_download(
            entry.hf_repo,
            revision=entry.hf_revision,
            allow_patterns=list(entry.hf_files) or None,
            local_dir=staging,
        )
        missing = [name for name in entry.hf_files if not (staging / name).is_file()]
        if missing:
            raise DtuError(
                f"the hub repository {entry.hf_repo} lacks {', '.join(missing)} needed for {entry.name}; "
                "check the registry entry or HF_ENDPOINT"
            )
        size, digest = sha256_folder(staging)
        target = cache.folder_path(entry.name)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        cache.drop_empty_partial_dir(entry.name)
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise _hub_error(entry, err) from err
    record = CachedEntry(
        path=target.relative_to(cache.root).as_posix(),
        source=f"hf:{entry.hf_repo}@{entry.hf_revision}",
        size=size,
        sha256=digest,
        fetched=now_iso(),
    )
    cache.record(entry.name, record)
    return record
