"""The one scheduler of syncs: `newsdesk watch` loops over it, the bot calls `sync_once`
from its background task. A sync is a build (`Engine.build`): every registered input is
refreshed, URL sources that keep failing are left to their backoff, and only one build
runs at a time (the writer lock), while readers answer from the current generation."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from ..errors import BuildInterrupted, BuildLockedError, ConfigError, NewsdeskError
from ..models import BuildReport
from .guard import redact

log = logging.getLogger(__name__)

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}


def parse_every(text: str) -> float:
    """Seconds in an interval like '15m', '90s', '2h', '1d' or '30' (minutes)."""
    m = _EVERY.match(text.lower())
    seconds = float(m[1]) * _UNIT[m[2]] if m else 0.0
    if seconds <= 0:
        raise ConfigError(f"an interval is a number with s, m, h or d (like 15m), got {text!r}")
    return seconds


def sync_once(engine, stop: Callable[[], bool] | None = None, progress=None) -> BuildReport | None:
    """One scheduled sync of `engine`'s registered inputs; None when another build (a
    /reindex, `newsdesk index`) holds the writer lock: this turn is skipped."""
    try:
        report = engine.build(scheduled=True, stop=stop, progress=progress)
    except BuildLockedError as exc:
        log.info("scheduled sync skipped: %s", exc)
        return None
    for s in report.web:
        if s.last_error:
            log.warning(
                "source %s: %s (%d failures in a row)", redact(s.location), s.last_error, s.failures
            )
    log.info("sync: %d added, %d changed, %d removed, %d passages embedded (generation %d)",
             report.added, report.changed, report.removed, report.passages_embedded,
             report.generation)  # fmt: skip
    return report


def watch(
    engine,
    every: float,
    stop: threading.Event,
    on_report: Callable[[BuildReport], None] = lambda r: None,
) -> None:
    """Sync now and every `every` seconds until `stop` is set (it is also asked between
    fetched articles, so a set stop ends a sync early; what was fetched is indexed).
    A failed sync is logged and the next one runs on time."""
    while not stop.is_set():
        try:
            report = sync_once(engine, stop.is_set)
        except BuildInterrupted:
            raise
        except NewsdeskError as exc:  # a missing source, a mass removal: said, then retried
            log.error("sync failed: %s", exc)
        except Exception:
            log.exception("sync failed")
        else:
            if report is not None:
                on_report(report)
        stop.wait(every)
