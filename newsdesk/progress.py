"""Build progress for the terminal: a rich progress bar on a TTY, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from index.build import Progress

log = logging.getLogger("newsdesk")


@contextmanager
def build_progress(enabled: bool = True) -> Iterator[Progress]:
    if enabled and sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        with RichProgress(
            TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), transient=True,
        ) as bar:  # fmt: skip
            tasks: dict[str, int] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total or None)
                bar.update(tasks[stage], completed=done, total=total or None)

            yield update
        return
    last: dict[str, float] = {}

    def log_line(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last.get(stage, 0) >= 5:
            last[stage] = now
            log.info("%s %d/%d", stage, done, total) if total else log.info("%s", stage)

    yield log_line if enabled else (lambda stage, done, total: None)
