"""robots.txt (protego), fetched once per host per sync.

As RFC 9309 says: a robots.txt that is not there (4xx) allows everything; one that can't
be had (5xx, a timeout, a refused connection) disallows everything for now."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from protego import Protego

log = logging.getLogger(__name__)

AGENT = "newsdesk"
MAX_ROBOTS_BYTES = 500_000  # what Google reads of a robots.txt; the rest is ignored
MAX_CRAWL_DELAY = 60.0  # a Crawl-delay longer than this is taken as this


class RobotsUnavailable(Exception):
    """robots.txt could not be read (not a 4xx): the host is not crawled this time."""


class Robots:
    """Answers 'may newsdesk fetch this URL?' per host; `get(url)` fetches a robots.txt
    and returns (status, text), raising for a status it can't give (network errors)."""

    def __init__(self, get: Callable[[str], tuple[int, str]]) -> None:
        self._get = get
        self._rules: dict[str, Protego | str | None] = {}  # origin -> rules, None = all
        self._lock = threading.Lock()

    def _for(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if origin not in self._rules:
                self._rules[origin] = self._load(origin)
            rules = self._rules[origin]
        if isinstance(rules, str):
            raise RobotsUnavailable(rules)
        return rules

    def _load(self, origin: str) -> Protego | str | None:
        try:
            status, text = self._get(f"{origin}/robots.txt")
        except Exception as exc:  # the reason is reported for every URL of the host
            return f"robots.txt of {origin} could not be read ({exc}): not fetching from it"
        if 400 <= status < 500:
            return None
        if status != 200:
            return f"robots.txt of {origin} answered HTTP {status}: not fetching from it"
        return Protego.parse(text)

    def allowed(self, url: str) -> bool:
        rules = self._for(url)
        return rules is None or rules.can_fetch(url, AGENT)

    def crawl_delay(self, url: str) -> float:
        try:
            rules = self._for(url)
        except RobotsUnavailable:
            return 0.0
        delay = rules.crawl_delay(AGENT) if rules is not None else None
        return min(float(delay or 0.0), MAX_CRAWL_DELAY)
