"""Where an index keeps its parts: one folder with the database, the vector file and, briefly, rank shards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INDEX_FORMAT = "dtu-audio-index-1"
DEFAULT_FOLDER = ".dtu-index"


@dataclass(frozen=True)
class IndexLayout:
    """The files of the index in ``folder``."""

    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "index.sqlite"

    @property
    def vectors(self) -> Path:
        return self.folder / "vectors.faiss"

    def shard(self, rank: int) -> Path:
        """The database rank ``rank`` embeds into when several processes build."""
        return self.folder / "shards" / f"rank-{rank}.sqlite"

    def shards(self) -> list[Path]:
        """The shard databases present, by name."""
        return sorted((self.folder / "shards").glob("rank-*.sqlite"))

    def drop_shard_folder(self) -> None:
        """Remove the shard folder once it is empty (the shards are merged)."""
        if (self.folder / "shards").is_dir() and not any((self.folder / "shards").iterdir()):
            (self.folder / "shards").rmdir()

    def size_bytes(self) -> int:
        """Bytes on disk of everything in the folder."""
        return sum(path.stat().st_size for path in self.folder.rglob("*") if path.is_file())
