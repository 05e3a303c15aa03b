"""Linear layers through oneDNN for CPU float32 inference: packed weights, bias and GELU in one kernel.

``F.linear`` on CPU first copies the bias into every output row and then accumulates the product
onto it; GELU is one more pass. For the wide token maps of HTSAT's first stages those passes over
memory cost as much as the products themselves. oneDNN (PyTorch's ``mkldnn`` ops, the kernels that
``torch.compile`` uses on CPU) applies bias and GELU while it writes the output, and reads weights
packed once into its blocked layout. The result equals ``F.gelu(F.linear(x, w, b))`` to float32
rounding. Training, other devices and other dtypes take the plain path.

The fast path keeps a second, packed copy of every weight it uses (about 110 MiB for HTSAT's Swin
layers) and calls private ``torch.ops.mkldnn`` operators, so it has one switch: the environment
variable ``DTU_CPU_FAST_PATH`` (``auto``, ``on`` or ``off``; read at import) or the spec field
``runtime.cpu_fast_path`` (applied by the ``dtu`` commands through :func:`set_cpu_fast_path`).
``auto`` turns it on where it was measured faster: wherever PyTorch has these oneDNN kernels.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dtu_audio.encoders.inference_cache import derived
from dtu_audio.errors import DtuError

_ONEDNN = (
    torch.backends.mkldnn.is_available()
    and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
)

#: Whether the fast path is on (set at import from ``DTU_CPU_FAST_PATH``).
_enabled: bool


def set_cpu_fast_path(mode: str) -> bool:
    """Switch the oneDNN fast path: ``auto`` (on where available), ``on`` (an error where it is not) or ``off``.

    Returns whether it is now on.
    """
    global _enabled
    if mode not in ("auto", "on", "off"):
        raise DtuError(f"cpu_fast_path must be auto, on or off, not {mode!r}")
    if mode == "on" and not _ONEDNN:
        raise DtuError("cpu_fast_path is on, but this PyTorch has no oneDNN linear kernels: use auto or off")
    _enabled = mode != "off" and _ONEDNN
    return _enabled


def cpu_fast_path_enabled() -> bool:
    """Whether CPU float32 inference runs its linear layers through oneDNN."""
    return _enabled


def _fusable(x: Tensor) -> bool:
    return (
        _enabled
        and not torch.is_grad_enabled()
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
    )


def _packed_weight(layer: nn.Linear) -> Tensor:
    """The layer's weight in oneDNN's layout, packed on first use and again whenever the weight changes."""
    weight = layer.weight
    return derived(weight, (weight,), lambda: torch.ops.mkldnn._reorder_linear_weight(weight, None))


def linear(x: Tensor, layer: nn.Linear, gelu: bool = False) -> Tensor:
    """``layer(x)``, followed by the exact (erf) GELU when ``gelu``."""
    if _fusable(x):
        weight = _packed_weight(layer)
        if gelu:
            return torch.ops.mkldnn._linear_pointwise(x, weight, layer.bias, "gelu", [], "none")
        return torch.ops.mkldnn._linear_pointwise(x, weight, layer.bias, "none", [], "")
    out = F.linear(x, layer.weight, layer.bias)
    return F.gelu(out) if gelu else out


set_cpu_fast_path(os.environ.get("DTU_CPU_FAST_PATH", "auto").strip().lower() or "auto")
