"""Exceptions a user can act on; the CLI and the bot turn them into one clear message."""


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
