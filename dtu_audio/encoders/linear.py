"""Linear layers through oneDNN for CPU float32 inference: packed weights, bias and GELU in one kernel.

``F.linear`` on CPU first copies the bias into every output row and then accumulates the product
onto it; GELU is one more pass. For the wide token maps of HTSAT's first stages those passes over
memory cost as much as the products themselves. oneDNN (PyTorch's ``mkldnn`` ops, the kernels that
``torch.compile`` uses on CPU) applies bias and GELU while it writes the output, and reads weights
packed once into its blocked layout. The result equals ``F.gelu(F.linear(x, w, b))`` to float32
rounding. Training, other devices and other dtypes take the plain path.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dtu_audio.encoders.inference_cache import derived

_ONEDNN = (
    torch.backends.mkldnn.is_available()
    and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
)


def _fusable(x: Tensor) -> bool:
    return (
        _ONEDNN
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
