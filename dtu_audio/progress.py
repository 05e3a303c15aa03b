"""Progress that reads in a terminal and in a log: a rich bar on a terminal, plain lines anywhere else.

A bar redrawn in place is noise in a log file or a pipe, and rich draws nothing there until the task
ends, so a long epoch would be silent. :class:`Progress` keeps rich's bar on a terminal; when its
console is not one it prints a plain line per task every ``every_s`` seconds (``DTU_PROGRESS_EVERY``,
default 30) and when the task completes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich import progress as rich_progress
from rich.console import Console
from rich.text import Text

#: Seconds between plain progress lines, unless ``DTU_PROGRESS_EVERY`` says otherwise.
DEFAULT_EVERY_S = 30.0


def plain_every_s() -> float:
    """Seconds between plain progress lines: ``$DTU_PROGRESS_EVERY``, else :data:`DEFAULT_EVERY_S`."""
    value = os.environ.get("DTU_PROGRESS_EVERY", "")
    try:
        return max(0.0, float(value)) if value.strip() else DEFAULT_EVERY_S
    except ValueError:
        return DEFAULT_EVERY_S


class Progress(rich_progress.Progress):
    """rich's progress bar on a terminal; elsewhere a plain line per task every ``every_s`` seconds and at its end.

    Takes rich's arguments; ``console`` defaults to rich's global console.
    """

    def __init__(
        self,
        *columns: str | rich_progress.ProgressColumn,
        console: Console | None = None,
        disable: bool = False,
        every_s: float | None = None,
        **kwargs,
    ) -> None:
        console = console or rich_progress.get_console()
        #: True when this progress writes plain lines (its console is not a terminal) instead of a bar.
        self.plain = not disable and not console.is_terminal
        super().__init__(*columns, console=console, disable=disable or self.plain, **kwargs)
        self.every_s = plain_every_s() if every_s is None else every_s
        self._last_line: dict[rich_progress.TaskID, tuple[float, float]] = {}

    def add_task(self, description: str, *args, **kwargs) -> rich_progress.TaskID:
        task_id = super().add_task(description, *args, **kwargs)
        self._last_line[task_id] = (time.monotonic(), self._tasks[task_id].completed)
        return task_id

    def update(self, task_id: rich_progress.TaskID, **kwargs) -> None:
        if "completed" in kwargs:  # a task set back (the next epoch) prints its end again
            self._last_line[task_id] = (self._last_line[task_id][0], kwargs["completed"])
        super().update(task_id, **kwargs)
        self._print_plain(task_id)

    def advance(self, task_id: rich_progress.TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._print_plain(task_id)

    def plain_line(self, task: rich_progress.Task) -> str:
        """The task as one line of text: every column but the bar, as rich would show it."""
        parts = []
        for column in self.columns:
            if isinstance(column, rich_progress.BarColumn):
                continue
            rendered = Text.from_markup(column.format(task=task)) if isinstance(column, str) else column(task)
            text = rendered.plain if isinstance(rendered, Text) else ""
            if text.strip():
                parts.append(text.strip())
        return "  ".join(parts)

    def _print_plain(self, task_id: rich_progress.TaskID) -> None:
        if not self.plain:
            return
        task = self._tasks[task_id]
        last_time, last_completed = self._last_line[task_id]
        if task.completed <= 0 or task.completed == last_completed:
            return
        now = time.monotonic()
        done = task.total is not None and task.completed >= task.total  # not task.finished: it outlives a reuse
        if done or now - last_time >= self.every_s:
            self._last_line[task_id] = (now, task.completed)
            _print_line(self.console, self.plain_line(task))


@contextmanager
def status(console: Console, message: str) -> Iterator[None]:
    """A spinner with ``message`` on a terminal; elsewhere the message, then how long the work took."""
    if console.is_terminal:
        with console.status(message):
            yield
        return
    _print_line(console, message)
    started = time.monotonic()
    yield
    _print_line(console, f"{message}: done in {time.monotonic() - started:.1f} s")


def _print_line(console: Console, line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)
