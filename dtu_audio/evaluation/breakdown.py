"""What a caption pair of a temporal variant is about: the connective it alters, whether its events overlap."""

from __future__ import annotations

import re
from pathlib import Path

from dtu_audio.datasets import temporal
from dtu_audio.datasets.manifest import AudioEntry

OVERLAP_LABELS = ("apart", "overlapping")
#: SynCaps clip names end ``_<future|past>_<connective>_<order>_<12|21>_<transforms>_<overlap>.wav``
#: (``syncaps.recipe.ClipPlan.name``, as the paper's script names them).
_SYNCAPS_NAME_RE = re.compile(r"_(?:future|past)_[a-z_]+?_[12]_(?:12|21)_.*_(True|False)$")


def connective_of(caption: str) -> str:
    """The connective a variant alters in ``caption`` (its first), or ``"none"``."""
    found = temporal.connectives_in(caption)
    return found[0] if found else "none"


def overlap_of(entry: AudioEntry) -> str | None:
    """``"overlapping"`` or ``"apart"`` from the manifest's ``overlap`` field or a SynCaps clip name; else ``None``."""
    flag = entry.extra.get("overlap")
    if not isinstance(flag, bool):
        match = _SYNCAPS_NAME_RE.search(Path(entry.id).stem)
        if match is None:
            return None
        flag = match.group(1) == "True"
    return OVERLAP_LABELS[flag]
