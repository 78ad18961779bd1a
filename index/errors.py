"""Exceptions a user can act on; the CLI and the bot turn them into one clear message."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class NewsdeskError(Exception):
    """Base class for errors with a message meant for the user."""


class ConfigError(NewsdeskError):
    """The configuration names an unknown key or holds a bad value."""


class IndexMissingError(NewsdeskError):
    """No index has been built in the data directory yet."""


class IndexCorruptError(NewsdeskError):
    """An index file is truncated or unreadable."""


class BuildLockedError(NewsdeskError):
    """Another build holds the writer lock."""


class SourceError(NewsdeskError):
    """A source path does not exist or is outside the allowed roots."""


class QueryError(NewsdeskError):
    """A question or filter is unusable (empty, too long, bad date, unknown outlet)."""


class NoMatchingArticlesError(QueryError):
    """The outlet or date filters leave no indexed article to search."""


class SourceMissingError(SourceError):
    """A source to index does not exist (a typo, or a drive that is not mounted)."""


class IndexEmptyError(NewsdeskError):
    """The index exists but holds no article, so no question can be answered."""


class MassRemovalError(NewsdeskError):
    """A build would remove more than half of the index without being told to."""


class BuildInterrupted(NewsdeskError):
    """A build was stopped (Ctrl-C, SIGTERM); the served generation is unchanged."""

    def __init__(self, generation: int, staged: int) -> None:
        super().__init__(
            f"interrupted; the index is unchanged (generation {generation})"
            + (f"; {staged} embedded articles are kept for the next build" if staged else "")
        )
        self.generation = generation
        self.staged = staged


@contextlib.contextmanager
def reading(path: object, what: str, kind: str, error: type[NewsdeskError]) -> Iterator[None]:
    """Turn the reasons a user's file can't be opened into one clear `error`: "`what` not
    found", "is a directory, not a `kind` file", "is unreadable", "is not UTF-8 text"."""
    try:
        yield
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a directory, not a {kind} file") from None
    except OSError as exc:
        raise error(f"{what} {path} is unreadable: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text ({exc.reason})") from None
