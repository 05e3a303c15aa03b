"""Reading ``torch.save`` files without ever running pickled code.

Every checkpoint dtu reads goes through :func:`load_torch_file`: ``torch.load(weights_only=True)``,
which rebuilds tensors and plain containers only. Lightning checkpoints (the AudioSet ``HTSAT.ckpt``)
also pickle training records: callback classes, hyper-parameter holders, paths, numpy scalars.
Those names, and only those (:func:`is_training_record`), load as inert :class:`PickledRecord`
stand-ins: the real classes are never imported or called. Any other pickled class or function
(``builtins.exec``, ``os.system``, ...) refuses the file with a one-line ``DtuError``.
"""

from __future__ import annotations

import functools
import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from dtu_audio.errors import DtuError

#: Modules whose pickled classes are Lightning's training records.
LIGHTNING_MODULES = ("pytorch_lightning.", "lightning.", "lightning_fabric.")
#: Other globals Lightning checkpoints hold in their records (hyper-parameters, callback state).
RECORD_GLOBALS = frozenset(
    {
        "argparse.Namespace",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "numpy.dtype",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
    }
)
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL_OPCODE = 0x80


class PickledRecord:
    """Stands in for a training-record class of a checkpoint; keeps its pickled arguments and state, runs nothing."""

    pickled_name = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> PickledRecord:
        record = object.__new__(cls)
        record.args = args
        return record

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        self.state = state


@functools.cache
def _stand_in(name: str) -> type[PickledRecord]:
    return type(name.rsplit(".", 1)[-1], (PickledRecord,), {"pickled_name": name})


def is_training_record(name: str) -> bool:
    """Whether the pickled global ``name`` (``module.qualname``) is one loaded as a :class:`PickledRecord`."""
    return name in RECORD_GLOBALS or name.startswith(LIGHTNING_MODULES)


def _not_torch(path: Path) -> str | None:
    """What ``path`` is when its first bytes show it is no ``torch.save`` file; None when it may be one."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if not head:
        return "an empty file"
    if head.startswith(_ZIP_MAGIC) or head[0] == _PICKLE_PROTOCOL_OPCODE:
        return None
    if head.lstrip()[:1] in (b"{", b"["):
        return "a JSON file"
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return "a file of another format"


def _reason(err: Exception) -> str:
    """The informative first sentence of a ``torch.load`` error (its unpickler detail when there is one)."""
    text = " ".join(str(err).split())
    detail = re.search(r"WeightsUnpickler error: (.*?)(?: Check the documentation|$)", text)
    return (detail.group(1) if detail else text).split(". ")[0][:200] or type(err).__name__


def _refused(label: str, names: list[str]) -> DtuError:
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return DtuError(
        f"checkpoint {label} pickles code ({shown}), which dtu never runs; "
        "only tensors, plain data and Lightning's training records are read"
    )


def load_torch_file(path: str | Path) -> Any:
    """``torch.load`` ``path`` onto the CPU, tensors and plain data only; a one-line ``DtuError`` otherwise."""
    import torch

    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise DtuError(f"checkpoint {label} does not exist")
    kind = _not_torch(path)
    if kind is not None:
        raise DtuError(f"checkpoint {label} is {kind}, not a PyTorch checkpoint")
    try:
        with warnings.catch_warnings():  # a garbage first byte reads as an odd pickle protocol: the error says it
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        pickled = re.search(r"GLOBAL (\S+)", str(err))
        if pickled is None:
            raise _unreadable(label, err) from None
        if not zipfile.is_zipfile(path):  # the legacy format: name the first global only
            raise _refused(label, [pickled.group(1)]) from None
    except Exception as err:  # torch.load fails in many ways on a truncated or foreign file
        raise _unreadable(label, err) from None
    return _load_with_records(path, label)


def _unreadable(label: str, err: Exception) -> DtuError:
    return DtuError(f"cannot read checkpoint {label} (truncated, or not a PyTorch checkpoint): {_reason(err)}")


def _load_with_records(path: Path, label: str) -> Any:
    """Load a checkpoint whose pickle names classes: Lightning's records as stand-ins, anything else refused."""
    import torch

    try:
        pickled = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception as err:
        raise DtuError(f"checkpoint {label} pickles classes and cannot be read safely ({_reason(err)})") from None
    refused = [name for name in pickled if not is_training_record(name)]
    if refused:
        raise _refused(label, refused)
    try:
        with torch.serialization.safe_globals([(_stand_in(name), name) for name in pickled]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise _unreadable(label, err) from None
