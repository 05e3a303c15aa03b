"""Order-aware ranking: prefer clips that match a query's stated order of events over its reverse.

For a query with a temporal cue ("a door slams followed by a dog barking"), the temporal toolkit
gives its reversal ("a dog barking followed by a door slams"). Each candidate clip is scored
against both, and its order-aware score is

    score = s(query) + weight * (s(query) - s(reversed query))

so a clip that matches the query's order better than its reverse moves up, one that matches the
reverse better moves down, and with ``weight`` 0 the ranking is the plain one. Candidates are the
plain search's best ``max(CANDIDATE_FACTOR * k, MIN_CANDIDATES)`` windows.
"""

from __future__ import annotations

import numpy as np

from dtu_audio.datasets.temporal import has_temporal_cue, reverse

#: Measured on SynCaps twins (docs/search.md): a larger weight orders better and retrieves worse.
ORDER_WEIGHT = 0.25
CANDIDATE_FACTOR = 10
MIN_CANDIDATES = 100


def reversed_query(text: str) -> str | None:
    """The query with its two events swapped around its connective, or None when it states no order."""
    if not has_temporal_cue(text):
        return None
    flipped = reverse(text)
    return flipped if flipped != text else None


def candidate_count(k: int) -> int:
    """How many plain-search results the order-aware ranking re-scores for a top ``k``."""
    return max(CANDIDATE_FACTOR * k, MIN_CANDIDATES)


def order_aware_scores(plain: np.ndarray, against_reversed: np.ndarray, weight: float = ORDER_WEIGHT) -> np.ndarray:
    """``plain + weight * (plain - against_reversed)``, element-wise."""
    return plain + weight * (plain - against_reversed)
