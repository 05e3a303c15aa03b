"""Searching an index from Python: ``Index.open(path).search(text, k)``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dtu_audio.errors import DtuError
from dtu_audio.search.build import model_reference
from dtu_audio.search.layout import INDEX_FORMAT, IndexLayout
from dtu_audio.search.models import IndexModel, index_model
from dtu_audio.search.ranking import ORDER_WEIGHT, candidate_count, order_aware_scores, reversed_query
from dtu_audio.search.store import Store
from dtu_audio.search.vectors import read_vector_index


@dataclass(frozen=True)
class Hit:
    """One search result: a window of a file, where it starts, and its score (cosine similarity).

    With order-aware ranking, ``score`` is the order-aware score, ``plain_score`` the similarity to
    the query and ``reversed_score`` the similarity to the reversed query.
    """

    path: str
    file: str
    offset: float
    duration: float
    score: float
    plain_score: float | None = None
    reversed_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Index:
    """An index built by ``dtu index build``, opened for searching."""

    def __init__(self, layout: IndexLayout, store: Store, meta: dict[str, Any], device: str = "cpu") -> None:
        self.layout, self.store, self.meta, self._device = layout, store, meta, device
        self._model: IndexModel | None = None
        self._vectors = None

    @classmethod
    def open(cls, path: str | Path, model=None, device: str = "cpu") -> Index:
        """Open the index in folder ``path``.

        ``model``: None to use the model the index was built with (loaded on first search), or a
        model reference (checkpoint, weight name, ``hf:ORG/NAME``, model folder) or a model loaded by
        ``dtu_audio.load_model`` / ``load_embedder``, which must be that same model (same weights).
        """
        layout = IndexLayout(Path(path))
        if not layout.folder.is_dir():
            raise DtuError(f"index {layout.folder} does not exist; build it with dtu index build DIR --out {path}")
        store = Store(layout.database)
        meta = store.meta()
        if meta.get("format") != INDEX_FORMAT:
            raise DtuError(f"{layout.folder} is not a dtu index")
        index = cls(layout, store, meta, device)
        if model is not None:
            index._model = index._checked_model(model, device)
        return index

    def _checked_model(self, model, device: str) -> IndexModel:
        import dtu_audio

        label = model_reference(str(model)) if isinstance(model, str | Path) else type(model).__name__
        if isinstance(model, str | Path):
            model = dtu_audio.load_model(str(model), device)
        checked = index_model(model)
        if checked.fingerprint != self.meta["model_fingerprint"]:
            raise DtuError(
                f"index {self.layout.folder} was built with model {self.meta['model']} "
                f"({self.meta['model_fingerprint']}), not {label}; search it with that model or build "
                "a new index with this one"
            )
        return checked

    def _index_model(self) -> IndexModel:
        if self._model is None:
            self._model = self._checked_model(self.meta["model"], self._device)
        return self._model

    @property
    def model(self):
        """The model the index was built with (loaded and checked on first use)."""
        return self._index_model().model

    def _vector_index(self):
        if self._vectors is None:
            if not self.meta.get("complete") and not self.layout.vectors.is_file():
                folder = self.layout.folder
                raise DtuError(f"index {folder} was never finished; resume it with dtu index update {folder}")
            self._vectors = read_vector_index(self.layout.vectors, self.meta["vector_index"]["nprobe"])
        return self._vectors

    def info(self) -> dict[str, Any]:
        """Model, counts, size on disk, vector index type and parameters, build time, skipped files."""
        windows, files = self.store.count()
        skipped = self.store.skipped()
        return {
            "index": str(self.layout.folder),
            "root": self.meta["root"],
            "model": self.meta["model"],
            "model_fingerprint": self.meta["model_fingerprint"],
            "windows": windows,
            "files": files,
            "clip_seconds": self.meta["clip_seconds"],
            "hop_seconds": self.meta["hop_seconds"],
            "dim": self.meta["dim"],
            "size_bytes": self.layout.size_bytes(),
            "vector_index": self.meta.get("vector_index"),
            "complete": self.meta.get("complete", False),
            "built_at": self.meta.get("built_at"),
            "build_seconds": self.meta.get("build_seconds"),
            "skipped": [{"path": path, "reason": reason} for path, reason in skipped],
        }

    def _nearest(self, query: np.ndarray, count: int) -> list[tuple[int, float]]:
        scores, ids = self._vector_index().search(query[None].astype(np.float32), count)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def search(self, text: str, k: int = 10, order_aware: bool = False, order_weight: float | None = None) -> list[Hit]:
        """The ``k`` windows that match ``text`` best, best first.

        ``order_aware``: when ``text`` states an order of events, re-rank the plain search's best
        candidates by how much better they match ``text`` than its reversal, with ``order_weight``
        (default ``ranking.ORDER_WEIGHT``; see ``search.ranking``).
        Windows of files removed by an update running meanwhile are left out.
        """
        if k < 1:
            raise DtuError(f"k must be at least 1, not {k}")
        flipped = reversed_query(text) if order_aware else None
        queries = [text] if flipped is None else [text, flipped]
        embedded = self._index_model().embed_text(queries)
        nearest = self._nearest(embedded[0], candidate_count(k) if flipped else k)
        rows = self.store.windows([i for i, _ in nearest])
        nearest = [(i, s) for i, s in nearest if i in rows]
        if flipped is None:
            return [self._hit(rows[i], s) for i, s in nearest[:k]]
        ids = [i for i, _ in nearest]
        plain = np.array([s for _, s in nearest], dtype=np.float32)
        against_reversed = self.store.vectors(ids, self.meta["dim"]) @ embedded[1] if ids else plain
        final = order_aware_scores(plain, against_reversed, ORDER_WEIGHT if order_weight is None else order_weight)
        order = np.argsort(-final, kind="stable")[:k]
        return [self._hit(rows[ids[j]], final[j], plain[j], against_reversed[j]) for j in order]

    def _hit(self, row, score: float, plain: float | None = None, against_reversed: float | None = None) -> Hit:
        return Hit(
            path=row.path,
            file=str(Path(self.meta["root"]) / row.path),
            offset=row.offset,
            duration=row.duration,
            score=round(float(score), 6),
            plain_score=None if plain is None else round(float(plain), 6),
            reversed_score=None if against_reversed is None else round(float(against_reversed), 6),
        )

    def close(self) -> None:
        self.store.close()
