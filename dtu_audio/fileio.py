"""Atomic file writes: write to a temporary file beside the target, then rename.

Temporary names carry the writing process's id (``.NAME.PID.XXXX.tmp``), so what a killed
process left behind is recognised and removed by the next writer of the same folder, while the
temporaries of a live process (a concurrent run) are left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from dtu_audio.errors import DtuError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def process_alive(pid: int) -> bool:
    """True when a process with id ``pid`` exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temporary_prefix(name: str) -> str:
    """The start of the temporary names this process gives to things written as ``name``."""
    return f".{name}.{os.getpid()}."


def remove_stale_temporaries(folder: str | os.PathLike, name: str = "*") -> list[Path]:
    """Remove the temporaries (files or folders) of ``name`` in ``folder`` whose writing process is gone.

    Returns what was removed.
    """
    removed = []
    for stale in Path(folder).glob(f".{name}.*"):
        pid = stale.name.rsplit(".", 3)[-3] if stale.name.endswith(".tmp") else stale.name.rsplit(".", 2)[-2]
        if not pid.isdigit() or process_alive(int(pid)):
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
        removed.append(stale)
    return removed


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent, target.name)
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(target.name), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.chmod(0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``target`` only when closed cleanly."""
    with atomic_path(target) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def write_errors(what: str | os.PathLike, then: str, also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Turn a failed write inside the block (``OSError`` or ``also``) into ``cannot write WHAT (why); THEN``."""
    try:
        yield
    except (OSError, *also) as err:
        why = getattr(err, "strerror", None) or (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DtuError(f"cannot write {what} ({why}); {then}") from None


def write_json(target: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    """Write ``obj`` as JSON to ``target`` atomically."""
    with atomic_open(target, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, indent=indent, ensure_ascii=False)
        handle.write("\n")


def read_json(path: str | os.PathLike, what: str) -> Any:
    """Parse the JSON file ``path``; a missing or malformed file is a one-line error naming ``what`` it is."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DtuError(f"{what} {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DtuError(f"{what} {path} is not valid JSON ({err})") from None
    except RecursionError:
        raise DtuError(f"{what} {path} is nested too deeply to be read as JSON") from None
