"""How a prepare reports what it does: download bars, step counters and messages (silent by default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from dtu_audio.data.remote import RemoteFile
from dtu_audio.download import Progress


class PrepareUI(Protocol):
    """What a prepare tells its user; ``dtu data`` draws rich progress bars, tests stay silent."""

    def download(self, remote: RemoteFile) -> Progress | None:
        """A ``progress(bytes_done, bytes_total)`` callback for one download."""

    def steps(self, label: str, total: int) -> Callable[[], None]:
        """Start a counter of ``total`` steps; return the callable that advances it by one."""

    def say(self, message: str) -> None:
        """Tell the user something worth a line."""


class QuietUI:
    """Reports nothing."""

    def download(self, remote: RemoteFile) -> Progress | None:
        return None

    def steps(self, label: str, total: int) -> Callable[[], None]:
        return lambda: None

    def say(self, message: str) -> None:
        pass
