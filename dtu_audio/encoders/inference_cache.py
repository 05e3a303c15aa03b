"""Tensors derived from parameters for inference, computed once and again only when a source changes."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from torch import Tensor
from torch.utils.weak import WeakIdKeyDictionary

#: owner -> (key it was computed at, value); kept off the modules so that they still copy and pickle
_CACHE = WeakIdKeyDictionary()


def derived(
    owner: Tensor, sources: Sequence[Tensor | None], compute: Callable[[], Tensor], tag: Hashable = None
) -> Tensor:
    """``compute()``, kept for ``owner`` until ``tag`` or a source (its storage or version) changes."""
    key = (tag, *(None if source is None else (source.data_ptr(), source._version) for source in sources))
    cached = _CACHE.get(owner)
    if cached is None or cached[0] != key:
        cached = _CACHE[owner] = (key, compute())
    return cached[1]
