"""SynCaps: 10-second clips of two sound events in a known order, captioned with that order.

Replays the paper's published recipe exactly or draws new sets; see ``dtu syncaps generate``.
"""

from dtu_audio.syncaps.generate import generate
from dtu_audio.syncaps.plan import PlanOptions, plan_new_set
from dtu_audio.syncaps.recipe import ClipPlan, Recipe, load_recipe
from dtu_audio.syncaps.render import render_clip
from dtu_audio.syncaps.sources import SourceSet, esc50_sources, folder_sources
from dtu_audio.syncaps.synth import SYNTH_CLASSES, write_synth_sources

__all__ = [
    "SYNTH_CLASSES",
    "ClipPlan",
    "PlanOptions",
    "Recipe",
    "SourceSet",
    "esc50_sources",
    "folder_sources",
    "generate",
    "load_recipe",
    "plan_new_set",
    "render_clip",
    "write_synth_sources",
]
