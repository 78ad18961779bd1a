"""The index's registered inputs: the files and folders `newsdesk index` refreshes.

A build reads every registered input; `--source X` registers X, `--remove X` unregisters
it and drops its articles. The config's `sources` are registered on the first build that
sees them, and stay unregistered once removed; with none configured, the shipped sample
coverage is the default of an index given nothing else. An article is dropped only when its input
was read and no longer holds it, or its input was removed: nothing else is ever removed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .config import SAMPLE_CORPUS, Config
from .errors import SourceError, SourceMissingError

log = logging.getLogger(__name__)


def is_url(source: Path | str) -> bool:
    """True for a feed, sitemap or page given by URL (http or https) rather than a path."""
    return isinstance(source, str) and source.strip().lower().startswith(("http://", "https://"))


def location(source: Path | str) -> str:
    """How an input is stored: a URL as given (scheme and host in lower case), a path as
    its absolute path (symlinks resolved)."""
    if is_url(source):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(str(source).strip())
        return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
    return str(Path(source).expanduser().resolve())


def configured_inputs(config: Config) -> list[str]:
    """The locations of the config's sources (the shipped sample when it names none)."""
    return [location(s) for s in config.sources] or [location(SAMPLE_CORPUS)]


def moved_samples(registered: Iterable[str]) -> list[str]:
    """Registered copies of the shipped sample (.../index/data/sample) that no longer
    exist: the default data dir is shared by every install, so an index first built by a
    checkout (`make demo`) or another virtualenv may name a sample that was deleted since.
    A build reads this install's copy in their place instead of stopping on them."""
    here = location(SAMPLE_CORPUS)
    return [
        loc
        for loc in registered
        if loc != here
        and not is_url(loc)
        and Path(loc).parts[-3:] == ("index", "data", "sample")
        and not os.path.exists(loc)
    ]


def is_under(path: str, loc: str) -> bool:
    """True when the article file `path` is `loc` or lies inside the folder `loc` (an
    article of a URL input has the URL as its path: only equal counts)."""
    if is_url(loc) or is_url(path):
        return path == loc
    return path == loc or path.startswith(loc.rstrip(os.sep) + os.sep)


@dataclass
class InputPlan:
    """What one build reads and what it changes in the registry."""

    read: list[str]  # locations to read, registered order first
    register: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # unregistered by request
    legacy: bool = False  # an index built before inputs were registered

    def removed_by_request(self, path: str) -> bool:
        return any(is_under(path, loc) for loc in self.removed)

    def to_remove(self, live: dict, docs: dict, skipped: Iterable[tuple[str, str]]) -> list[str]:
        """Keys of live articles this build drops.

        An article goes when its input was removed, or when its input was read and the
        article is no longer in it. A file that was skipped this time (unreadable, a
        reader missing) keeps its articles: a read error never deletes what was indexed.
        A URL input is a window (a feed shows its latest entries): what leaves it stays.
        """
        files = [loc for loc in self.read if not is_url(loc)]
        kept_files = {p.split("#", 1)[0] for p, _ in skipped}
        gone = []
        for key, (_, _, _, path) in live.items():
            if key in docs:
                continue
            if self.removed_by_request(path):
                gone.append(key)
            elif path in kept_files or is_url(path):
                continue
            elif self.legacy or any(is_under(path, loc) for loc in files):
                gone.append(key)
        return gone

    def commit(self, conn: sqlite3.Connection) -> None:
        store.register_inputs(conn, self.register)
        store.unregister_inputs(conn, self.removed)


def plan_inputs(
    conn: sqlite3.Connection,
    config: Config,
    add: Sequence[Path | str] = (),
    remove: Sequence[Path | str] = (),
    legacy: bool = False,
) -> InputPlan:
    """The inputs a build reads, checked before anything changes.

    Raises SourceMissingError when an input to read does not exist, and SourceError when
    `remove` names something that is not registered.
    """
    registered, unregistered = store.registered_inputs(conn)
    legacy = legacy and not registered and not unregistered
    moved = moved_samples(registered)
    if moved:  # another install's copy of the sample, since deleted: read this one's
        log.info("the shipped sample moved to %s; %s is gone", SAMPLE_CORPUS, ", ".join(moved))
        remove = [*remove, *moved]
        if location(SAMPLE_CORPUS) not in unregistered:  # unless removed here on purpose
            add = [*add, SAMPLE_CORPUS]
    if config.sources or not (registered or unregistered or add):
        configured = configured_inputs(config)
    else:  # the shipped sample is the default only of an index that has nothing else
        configured = []
    new = [loc for loc in configured if loc not in registered and loc not in unregistered]
    wanted = [location(p) for p in add]
    dropped = [location(p) for p in remove]
    unknown = [loc for loc in dropped if loc not in registered and loc not in configured]
    if unknown:
        listed = ", ".join(registered) or "none"
        raise SourceError(f"{unknown[0]} is not a registered source (registered: {listed})")
    candidates = [
        loc
        for loc in dict.fromkeys([*registered, *new, *wanted])
        if not any(is_under(loc, d) for d in dropped)
    ]
    # An input inside another (a file of a registered folder) is read once, as part of it.
    read = [loc for loc in candidates if not any(o != loc and is_under(loc, o) for o in candidates)]
    missing = [loc for loc in read if not is_url(loc) and not os.path.exists(loc)]
    if missing:
        registered_missing = [m for m in missing if m in registered]
        hint = (
            f"; if it is gone for good, `newsdesk index --remove {registered_missing[0]}`"
            if registered_missing
            else ""
        )
        raise SourceMissingError(
            f"source does not exist: {', '.join(missing)}; nothing was changed{hint}"
        )
    register = [loc for loc in read if loc not in registered]
    return InputPlan(read=read, register=register, removed=dropped, legacy=legacy)
