"""Checking that a file is the checkpoint a weight-cache entry expects, without running pickled code.

Both checks read the file with :func:`dtu_audio.safe_load.load_torch_file`, the loader every
checkpoint goes through. A download is checked to be a checkpoint holding the entry's top-level
key; a file given to ``--import`` must also fit the entry's layout (every name and shape).
"""

from __future__ import annotations

from pathlib import Path

from dtu_audio.errors import DtuError
from dtu_audio.weights.registry import Layout, WeightEntry

#: What each layout is, as error messages name it.
LAYOUT_NAMES: dict[Layout, str] = {
    "audioset-htsat": "the AudioSet HTSAT audio encoder (HTSAT.ckpt)",
    "htsat-bert": "the WavCaps HTSAT-BERT model (HTSAT, bert-base-uncased, 1024-d embedding)",
    "saved-spec": "a complete retrieval model of the spec it was saved with",
}


def check_checkpoint(path: Path, entry: WeightEntry) -> None:
    """A ``DtuError`` unless ``path`` safely loads as a dict holding ``entry.checkpoint_key`` (for downloads)."""
    from dtu_audio.safe_load import load_torch_file

    ckpt = load_torch_file(path)
    key = entry.checkpoint_key
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get(key), dict):
        found = ", ".join(map(str, list(ckpt)[:5])) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise DtuError(f"{path} is not a checkpoint for {entry.name}: it has no top-level {key!r} (found: {found})")


def check_fits_entry(path: Path, entry: WeightEntry) -> None:
    """A ``DtuError`` saying what ``path`` is unless it is a checkpoint of ``entry``'s layout (names and shapes)."""
    from dtu_audio.encoders.checkpoint import (
        checkpoint_state,
        describe_checkpoint,
        layout_problems,
        read_checkpoint,
        saved_spec,
        spec_layout,
    )
    from dtu_audio.specs import RunSpec

    if entry.layout is None:
        raise DtuError(f"{entry.name} is not a checkpoint entry; --import takes checkpoint files")
    ckpt = read_checkpoint(path)
    state, audio_only = checkpoint_state(ckpt)
    if audio_only != (entry.layout == "audioset-htsat"):
        problems = [f"it has no top-level {entry.checkpoint_key!r}"]
    else:
        spec = saved_spec(ckpt, str(path)) if entry.layout == "saved-spec" else RunSpec()
        problems = layout_problems(spec_layout(spec, audio_only), state)
    if problems:
        raise DtuError(
            f"{path} is {describe_checkpoint(ckpt)}, not {LAYOUT_NAMES[entry.layout]} ({problems[0]}); "
            "import it under the name it belongs to (see dtu fetch-weights --list)"
        )
