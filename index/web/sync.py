"""One sync of the URL inputs: what a build reads from feeds, sitemaps and pages.

A feed entry or sitemap page already indexed is never fetched again (a feed is a window:
what it showed before is kept, whether or not it still shows it), and a source that
answers 304 Not Modified is not read at all, so a sync with nothing new fetches no page
and embeds nothing. Entries that carry only a summary get their page fetched and read as
a saved page is (trafilatura, then the one cleaner); the summary is indexed when the page
can't be had. Validators (ETag, Last-Modified) are stored only after the build that used
them commits, and only for a source read to its end, so nothing is ever skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ..config import Config
from ..ingest.sources import Skip, read_html, sha256
from ..models import Document, SourceSync
from .fetch import Fetcher, FetchError, Response
from .guard import redact
from .politeness import Politeness
from .sitemap import NotASitemap, parse

log = logging.getLogger(__name__)

# An entry with fewer words than this carries a summary: its page is fetched.
FULL_TEXT_WORDS = 150
MAX_CHILD_SITEMAPS = 50  # of one sitemap index, per sync
# Pages of known entries that were indexed from their summary (their page failed), tried
# again per sync of a feed; the first that fails again ends the retries of that sync, so a
# site that blocks us costs one request a sync, not one per entry.
PAGE_RETRIES = 5
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
XML_TYPES = {"application/xml", "text/xml", "text/plain", ""}  # sniffed: feed or sitemap
GZIP_TYPES = {"application/gzip", "application/x-gzip"}
MAX_BACKOFF = 24 * 3600.0
SOURCES_AT_ONCE = 4  # sources synced side by side (their pages are mostly on their own host)


@dataclass
class WebRead:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    syncs: list[SourceSync] = field(default_factory=list)  # to store once the build commits


def backoff_until(failures: int, now: float, base_minutes: float) -> float:
    """When a source that failed `failures` times in a row is tried again: after the base
    wait, doubling with each failure, never more than a day."""
    if failures <= 0:
        return 0.0
    return now + min(base_minutes * 60 * 2 ** (failures - 1), MAX_BACKOFF)


def _kind(r: Response) -> str:
    """feed, sitemap or page, from the content type and, for generic XML, the root."""
    ctype = r.content_type
    if ctype in FEED_TYPES:
        return "feed"
    head = r.body[:2048].lstrip().lower()
    sniffed = next(
        (
            kind
            for marks, kind in (
                ((b"<!doctype html", b"<html"), "page"),
                ((b"<urlset", b"<sitemapindex"), "sitemap"),
                ((b"<rss", b"<feed", b"<rdf:rdf"), "feed"),
            )
            if any(m in head for m in marks)
        ),
        None,
    )
    if ctype in HTML_TYPES:  # servers send feeds as text/html too: the root tells
        return sniffed or "page"
    if ctype in XML_TYPES or ctype in GZIP_TYPES or ctype.endswith("+xml"):
        if sniffed is None:
            raise Skip(f"{r.url} is {ctype or 'untyped'} but neither a feed, a sitemap nor a page")
        return sniffed
    raise Skip(f"{r.url} is {ctype}, not a feed, a sitemap or a web page")


def _gunzip(r: Response, cap: int) -> Response:
    """A .xml.gz sitemap's XML, decompressed to at most `cap` bytes."""
    if r.content_type not in GZIP_TYPES and not r.body.startswith(b"\x1f\x8b"):
        return r
    d = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = d.decompress(r.body, cap + 1)
    except zlib.error as exc:
        raise Skip(f"{r.url} is not valid gzip: {exc}") from None
    if len(data) > cap:
        raise Skip(f"{r.url} expands past the {cap}-byte cap")
    return replace(r, body=data, content_type="application/xml")


class Syncer:
    """Syncs URL inputs with one Fetcher; `stop()` is asked between articles."""

    def __init__(
        self,
        config: Config,
        fetcher: Fetcher,
        known: dict[str, str],
        stop: Callable[[], bool] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.web = config.web
        self.fetcher = fetcher
        self.known = known  # key -> raw hash of the live articles
        self.stop = stop or (lambda: False)
        self.now = now
        days = self.web.max_age_days
        self.cutoff = (dt.date.today() - dt.timedelta(days=days)).isoformat() if days else ""

    def too_old(self, published: str) -> bool:
        return bool(self.cutoff and published and published < self.cutoff)

    def sync(self, location: str, before: SourceSync, out: WebRead) -> SourceSync:
        """Read one source into `out`; the returned state is what to store for it."""
        state = replace(before, last_sync=self.now(), new_articles=0, pages=0, requests=0)
        start = sum(self.fetcher.counts.values())
        docs: list[Document] = []
        complete = True
        try:
            r = self.fetcher.get(
                location, kind="source", etag=before.etag, last_modified=before.last_modified
            )
            state.not_modified = r.status == 304
            if not state.not_modified:
                r = _gunzip(r, self.web.max_body_bytes)
                state.kind = _kind(r)
                read = {"feed": self._feed, "sitemap": self._sitemap, "page": self._page}
                complete = read[state.kind](location, r, docs, out.skipped, state)
                if complete:
                    state.etag, state.last_modified = r.etag, r.last_modified
                else:  # read again in full next time: stopped, or over the page budget
                    state.etag = state.last_modified = ""
        except Exception as exc:  # a source's failure is its own, never the build's
            if not isinstance(exc, FetchError | Skip | NotASitemap):  # a bug, then
                log.exception("sync of %s failed unexpectedly", redact(location))
                exc = Skip(f"unexpected error: {exc!r}")
            state.last_error = redact(str(exc))
            state.failures = before.failures + 1
            state.next_try = backoff_until(
                state.failures, state.last_sync, self.web.failure_backoff_minutes
            )
            log.warning("sync of %s failed (%d in a row): %s", redact(location), state.failures,
                        state.last_error)  # fmt: skip
        else:
            state.last_error, state.failures, state.next_try = "", 0, 0.0
            state.last_ok = state.last_sync
        state.requests = sum(self.fetcher.counts.values()) - start
        state.new_articles = sum(1 for d in docs if d.key not in self.known)
        out.documents.extend(docs)
        return state

    # --- the three kinds of source --------------------------------------------------------

    def _feed(self, location, r, docs, skipped, state) -> bool:
        from ..ingest.feeds import read_feed

        budget, retries = self.web.max_pages_per_sync, PAGE_RETRIES
        try:
            entries = read_feed(r.text(), location, skipped)
        except Skip as exc:
            if str(exc) == "feed has no entries":  # a well-formed feed, quiet for now
                return True
            raise
        for doc in entries:
            if self.too_old(doc.published):
                continue
            full = len(doc.text.split()) >= FULL_TEXT_WORDS or not doc.url
            # Indexed from this very summary (same raw hash): its page failed last time.
            retry = self.known.get(doc.key) == doc.raw_hash and not full
            if doc.key in self.known and not full and not (retry and retries > 0):
                continue  # its page was read when it was new; the feed only has a summary
            if full:
                docs.append(doc)  # all there: an unchanged one costs nothing in the build
                continue
            if self.stop() or state.pages >= budget:
                return False
            got = self._with_page(doc, state)
            if retry:
                retries = retries - 1 if got is not doc else 0
            docs.append(got)
        return True

    def _with_page(self, entry: Document, state: SourceSync) -> Document:
        """The entry with its page's main text, or as it is (its summary) if the page
        can't be had; the feed's title, outlet and date win over the page's."""
        state.pages += 1
        try:
            page = self._read_page(entry.url, entry.key)
        except (FetchError, Skip) as exc:
            log.info("indexing the feed's summary of %s: %s", redact(entry.url), exc)
            return entry
        return replace(
            page,
            path=entry.path,
            title=entry.title or page.title,
            outlet=entry.outlet or page.outlet,
            published=entry.published or page.published,
            url=page.url or entry.url,
        )

    def _read_page(self, url: str, key: str) -> Document:
        r = self.fetcher.get(url, kind="page")
        if r.content_type not in HTML_TYPES:
            raise Skip(f"{r.url} is {r.content_type or 'untyped'}, not a web page")
        doc = read_html(r.text(), key, sha256(r.body))
        doc.url = doc.url or r.url
        return doc

    def _sitemap(self, location, r, docs, skipped, state) -> bool:
        found = parse(r.body)
        pages = list(found.pages)
        for child in found.sitemaps[:MAX_CHILD_SITEMAPS]:
            if self.stop():
                return False
            try:
                sub = _gunzip(self.fetcher.get(child, kind="sitemap"), self.web.max_body_bytes)
                pages += parse(sub.body).pages
            except (FetchError, Skip, NotASitemap) as exc:
                skipped.append((redact(child), str(exc)))
                log.warning("skipped sitemap %s: %s", redact(child), exc)
        # Newest first, so that the page budget goes to the latest news.
        pages.sort(key=lambda p: p.published, reverse=True)
        for page in pages:
            key = f"{location}#{page.url}"
            if key in self.known or self.too_old(page.published):
                continue
            if self.stop() or state.pages >= self.web.max_pages_per_sync:
                return False
            state.pages += 1
            try:
                doc = self._read_page(page.url, key)
            except (FetchError, Skip) as exc:
                skipped.append((redact(page.url), str(exc)))
                log.warning("skipped %s: %s", redact(page.url), exc)
                continue
            docs.append(
                replace(
                    doc,
                    path=location,
                    title=page.title or doc.title,
                    outlet=page.outlet or doc.outlet,
                    published=page.published or doc.published,
                )
            )
        return True

    def _page(self, location, r, docs, skipped, state) -> bool:
        doc = read_html(r.text(), location, sha256(r.body))
        doc.url = doc.url or r.url
        docs.append(doc)
        return True


def sync_sources(
    config: Config,
    locations: list[str],
    previous: dict[str, SourceSync],
    known: dict[str, str],
    *,
    scheduled: bool = False,
    stop: Callable[[], bool] | None = None,
) -> WebRead:
    """Documents of the URL inputs `locations`, SOURCES_AT_ONCE of them synced side by side
    (each host still gets one request at a time: the turns are shared). A scheduled sync
    leaves a failing source alone until its backoff ends; an asked-for one (`newsdesk
    index`, /reindex) tries it. A source not reached before `stop()` is not in the result."""
    interrupted = threading.Event()

    def stopping() -> bool:
        return interrupted.is_set() or bool(stop and stop())

    polite = Politeness(time.sleep, time.monotonic)
    results: dict[str, tuple[SourceSync, WebRead] | None] = {}
    due = []
    for loc in locations:
        before = previous.get(loc) or SourceSync(loc)
        if scheduled and before.next_try > time.time():
            log.info("not syncing %s before %s: it failed %d times in a row", redact(loc),
                     time.ctime(before.next_try), before.failures)  # fmt: skip
            results[loc] = (replace(before, requests=0, pages=0, new_articles=0), WebRead())
        else:
            due.append((loc, before))

    def one(loc: str, before: SourceSync) -> tuple[SourceSync, WebRead] | None:
        if stopping():
            return None
        part = WebRead()
        with Fetcher(config.web, polite=polite) as fetcher:
            return Syncer(config, fetcher, known, stopping).sync(loc, before, part), part

    pool = ThreadPoolExecutor(max(1, min(SOURCES_AT_ONCE, len(due))), "newsdesk-sync")
    try:
        futures = [(loc, pool.submit(one, loc, before)) for loc, before in due]
        for loc, future in futures:
            results[loc] = future.result()
    except BaseException:
        interrupted.set()  # Ctrl-C or SIGTERM: the other sources stop at their next article
        raise
    finally:
        pool.shutdown(wait=True)
    out = WebRead()
    for loc in locations:  # in the registered order, whatever order they finished in
        result = results.get(loc)
        if result is not None:
            out.syncs.append(result[0])
            out.documents += result[1].documents
            out.skipped += result[1].skipped
    return out
