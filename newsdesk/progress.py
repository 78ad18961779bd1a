"""Build progress for the terminal: a rich progress bar on a TTY, plain log lines otherwise.

Both show what the build report counts (passages while embedding), with a rate and an ETA.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from index import Progress

log = logging.getLogger("newsdesk")


def rate_and_eta(done: int, total: int, seconds: float) -> str:
    """'120/s, 2 min left' from the work done in `seconds`; '' before there is a rate."""
    if done <= 0 or seconds <= 0:
        return ""
    rate = done / seconds
    left = (total - done) / rate if total else 0
    eta = f"{left / 60:.0f} min left" if left >= 90 else f"{left:.0f} s left"
    return f"{rate:,.0f}/s, {eta}" if total else f"{rate:,.0f}/s"


class RateColumn(ProgressColumn):
    """Items a second, once rich has a speed estimate."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "")


@contextmanager
def build_progress(enabled: bool = True) -> Iterator[Progress]:
    if enabled and sys.stderr.isatty():
        with RichProgress(
            TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"), RateColumn(), TimeRemainingColumn(),
            transient=True,
        ) as bar:  # fmt: skip
            tasks: dict[str, int] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    unit = "passages" if stage == "embedding" else ""
                    tasks[stage] = bar.add_task(stage, total=total or None, unit=unit)
                bar.update(tasks[stage], completed=done, total=total or None)

            yield update
        return
    started: dict[str, float] = {}
    last: dict[str, float] = {}

    def log_line(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        started.setdefault(stage, now)
        if done in (0, total) or now - last.get(stage, 0) >= 5:
            last[stage] = now
            if not total:
                log.info("%s", stage)
                return
            extra = rate_and_eta(done, total, now - started[stage])
            log.info("%s %d/%d%s", stage, done, total, f" ({extra})" if extra else "")

    yield log_line if enabled else (lambda stage, done, total: None)
