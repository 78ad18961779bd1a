"""Plain data passed between the index modules, the CLI and the bot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

# A build reports (stage, done, total) as it goes; while embedding, done/total count passages.
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class Document:
    """One article as read from a source, before cleaning.

    `key` identifies the article across builds (path, plus a record id for multi-record
    files); `raw_hash` is the hash of what was read, so unchanged articles are skipped
    without cleaning. `text` is `clean_needed`-dependent: scraped text still holds page
    furniture, while HTML/feeds arrive as extracted main text.
    """

    key: str
    path: str
    raw_hash: str
    text: str
    title: str = ""
    outlet: str = ""
    published: str = ""  # ISO date YYYY-MM-DD, or empty when the source does not say
    url: str = ""
    place: str = ""
    scraped: bool = True  # True when `text` still needs page-furniture cleaning


@dataclass(slots=True)
class Article:
    """A cleaned article ready to be split into passages."""

    key: str
    path: str
    content_hash: str
    text: str
    raw_hash: str = ""
    title: str = ""
    outlet: str = ""
    published: str = ""
    url: str = ""
    place: str = ""


@dataclass(slots=True)
class Passage:
    """A run of whole sentences; `start`/`end` are character offsets into the article text.

    `sentences` holds (start, end) offsets of each sentence, also into the article text.
    """

    order: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class IndexedArticle:
    """An article as the index holds it (what `sources` lists); `key` names it across builds."""

    id: int
    key: str
    path: str
    url: str
    title: str
    outlet: str
    place: str
    published: str
    content_hash: str  # changes when the indexed text or metadata does
    passages: int = 0


@dataclass(slots=True)
class Citation:
    """Citation of one article that carried a hit."""

    article_id: int
    title: str
    outlet: str
    published: str
    url: str
    path: str


@dataclass(slots=True)
class Hit:
    """One quoted passage. `quote` is the answering sentence within `text`."""

    passage_id: int
    text: str
    quote: str
    quote_start: int  # offset of `quote` within `text`
    score: float
    citation: Citation
    also: list[Citation] = field(default_factory=list)  # syndicated copies elsewhere

    @property
    def citations(self) -> list[Citation]:
        return [self.citation, *self.also]


@dataclass(slots=True)
class Answer:
    NOT_COVERED: ClassVar[str] = "The coverage doesn't address this question."

    question: str
    covered: bool
    hits: list[Hit]
    mode: str = "hybrid"
    reason: str = ""  # why it is not covered, when there is more to say than NOT_COVERED

    @property
    def refusal(self) -> str:
        """What a reply says when the question is not covered."""
        return self.reason or self.NOT_COVERED


@dataclass(slots=True)
class SourceSync:
    """A URL source's last sync: what is stored between syncs (its validators, failures,
    when to try again) and what /status and the build report show."""

    location: str
    kind: str = ""  # feed | sitemap | page, as the last answer was read
    etag: str = ""
    last_modified: str = ""
    last_sync: float = 0.0  # Unix time of the last attempt
    last_ok: float = 0.0  # of the last one that worked
    new_articles: int = 0  # articles the last sync added
    requests: int = 0  # HTTP requests the last sync made for it (robots.txt included)
    pages: int = 0  # article pages among them
    not_modified: bool = False  # the last answer was 304: nothing read
    last_error: str = ""
    failures: int = 0  # consecutive failed syncs
    next_try: float = 0.0  # a failing source is not tried by the scheduler before this

    def as_dict(self) -> dict:
        return {
            "location": self.location, "kind": self.kind, "new_articles": self.new_articles,
            "requests": self.requests, "pages": self.pages, "not_modified": self.not_modified,
            "error": self.last_error, "failures": self.failures,
        }  # fmt: skip


@dataclass(slots=True)
class BuildReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    passages_embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    generation: int = 0
    seconds: float = 0.0
    web: list[SourceSync] = field(default_factory=list)  # the URL sources synced

    def as_dict(self) -> dict:
        web = {"web": [s.as_dict() for s in self.web]} if self.web else {}
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "passages_embedded": self.passages_embedded,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "generation": self.generation,
            "seconds": round(self.seconds, 3),
            **web,
        }

    @classmethod
    def from_dict(cls, d: dict) -> BuildReport:
        """The counts `as_dict` wrote (the URL sources' syncs are kept elsewhere: not read)."""
        return cls(
            added=int(d["added"]), changed=int(d["changed"]), removed=int(d["removed"]),
            unchanged=int(d["unchanged"]), passages_embedded=int(d["passages_embedded"]),
            skipped=[(str(x["path"]), str(x["reason"])) for x in d["skipped"]],
            generation=int(d["generation"]), seconds=float(d["seconds"]),
        )  # fmt: skip
