"""Temporal caption toolkit: captions read as chains of ordered events, and rewritten.

:mod:`.chain` holds the five connectives and reads a caption as events joined by them;
:mod:`.grammar` and :mod:`.lexicon` read one event's clause; :mod:`.mentions` keeps the words
that name a sound in place when events trade places. :mod:`.rewrite` reverses a caption's order
or swaps its connective, :mod:`.restate` says it again with other connectives, :mod:`.matched`
builds the replaced set without the connective prior, and :mod:`.baseline` measures how well a
text-only classifier tells a rewrite from an original.
"""

from dtu_audio.datasets.temporal.chain import CONNECTIVES, LEFT_FIRST, OPPOSITE, RIGHT_FIRST, orders_events
from dtu_audio.datasets.temporal.matched import replace_matched
from dtu_audio.datasets.temporal.restate import (
    DIRECTION_BALANCED,
    balance_directions,
    contradictions,
    paraphrases,
    rebalance,
    restatements,
)
from dtu_audio.datasets.temporal.rewrite import (
    compose,
    connectives_in,
    count_connectives,
    has_temporal_cue,
    other_connectives,
    reads_the_same_reversed,
    replace,
    reverse,
)

__all__ = [
    "CONNECTIVES",
    "DIRECTION_BALANCED",
    "LEFT_FIRST",
    "OPPOSITE",
    "RIGHT_FIRST",
    "balance_directions",
    "compose",
    "connectives_in",
    "contradictions",
    "count_connectives",
    "has_temporal_cue",
    "orders_events",
    "other_connectives",
    "paraphrases",
    "reads_the_same_reversed",
    "rebalance",
    "replace",
    "replace_matched",
    "restatements",
    "reverse",
]
