"""The one HTTP client of the engine (httpx), used for feeds, sitemaps, pages and robots.txt.

Every request: http(s) only, the SSRF guard on every hop (redirects are followed here, at
most MAX_REDIRECTS, so each is checked), robots.txt, one request at a time per host with
a pause, conditional GET, a time limit for the whole response, and a cap on the body as
decompressed. 5xx and 429 are retried with backoff, honouring Retry-After.
"""

from __future__ import annotations

import email.utils
import logging
import time
import zlib
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..config import WebConfig
from . import guard
from .inflate import Inflate, OverCap
from .politeness import Politeness
from .robots import MAX_ROBOTS_BYTES, Robots, RobotsUnavailable

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
ACCEPT = (
    "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def user_agent(contact: str = "") -> str:
    """`newsdesk/<version>`, and the operator's contact (web.contact) so a site can reach
    whoever runs the bot; there is no central project address to send them to."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("newsdesk")
    except PackageNotFoundError:
        v = "dev"
    about = f"+{contact}" if contact else "news question-answering bot"
    return f"newsdesk/{v} ({about})"


class FetchError(Exception):
    """A URL that could not be had this time; the message is the reason shown."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(guard.redact(message))
        self.status = status


@dataclass
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 (not modified: no body)
    body: bytes
    content_type: str = ""  # media type, lower case, no parameters
    charset: str = ""
    etag: str = ""
    last_modified: str = ""

    def text(self) -> str:
        """The body as text: the charset the server named, else detected."""
        from ..ingest.sources import decode

        if self.charset:
            try:
                return self.body.decode(self.charset)
            except (LookupError, UnicodeDecodeError):
                pass
        return decode(self.body)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the guard allows, checked as the socket is opened."""

    def __init__(self, allowed: Collection[str]) -> None:
        self.allowed = allowed

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = guard.resolve(host, port, self.allowed)
        except guard.Refused as exc:
            raise httpcore.ConnectError(f"refused: {exc}") from None
        last: Exception | None = None
        for address in addresses:  # each was checked; dial them, not the name again
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class Fetcher:
    """One sync's client. `counts` tells how many requests of each kind were made."""

    def __init__(
        self,
        web: WebConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        polite: Politeness | None = None,
    ) -> None:
        self.web = web
        self.allowed = {h.lower() for h in web.allow_hosts}
        self._sleep = sleep
        self._clock = clock
        transport = httpx.HTTPTransport(retries=0)
        # httpx has no public hook for the socket layer; httpcore's pool takes a backend.
        transport._pool._network_backend = _GuardedBackend(self.allowed)
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(web.timeout_seconds),
            headers={
                "User-Agent": user_agent(web.contact),
                "Accept": ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would bypass the guard
        )
        self.polite = polite or Politeness(sleep, clock)  # shared by a sync's fetchers
        self.robots = Robots(self._robots_txt)
        self.counts: Counter[str] = Counter()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _robots_txt(self, url: str) -> tuple[int, str]:
        try:
            r = self.get(url, kind="robots", robots=False, max_bytes=MAX_ROBOTS_BYTES)
        except FetchError as exc:
            if exc.status is None:
                raise
            return exc.status, ""
        return r.status, r.text()

    def get(
        self,
        url: str,
        *,
        kind: str = "page",
        etag: str = "",
        last_modified: str = "",
        robots: bool = True,
        max_bytes: int | None = None,
    ) -> Response:
        """GET `url`, following redirects by hand; a 304 comes back with no body.

        Raises FetchError (with the HTTP status when there was one) for anything else:
        refused by the guard or robots.txt, too many redirects, timeouts, over the cap."""
        cap = max_bytes or self.web.max_body_bytes
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                guard.check_url(url, self.allowed)
                if robots and not self.robots.allowed(url):
                    raise FetchError(f"robots.txt disallows {url}")
            except (guard.Refused, RobotsUnavailable) as exc:
                raise FetchError(str(exc)) from None
            status, response = self._with_retries(url, headers, kind, cap, robots)
            if status in REDIRECTS:
                target = response.headers.get("location", "")
                if not target:
                    raise FetchError(f"HTTP {status} without a Location from {url}", status)
                url = urljoin(url, target)
                headers = {}  # the validators were for the first URL
                continue
            if status == 304:
                self.counts["not_modified"] += 1
                return Response(url, 304, b"", etag=etag, last_modified=last_modified)
            if status != 200:
                raise FetchError(f"HTTP {status} from {url}", status)
            media = response.headers.get("content-type", "")
            ctype = media.split(";")[0].strip().lower()
            return Response(
                url,
                200,
                response.body,
                ctype,
                httpx.Response(200, headers={"content-type": media}).charset_encoding or "",
                response.headers.get("etag", ""),
                response.headers.get("last-modified", ""),
            )
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _with_retries(self, url, headers, kind, cap, robots) -> tuple[int, _Read]:
        host = urlsplit(url).netloc.lower()
        delay = self.web.host_delay_seconds
        if robots:
            delay = max(delay, self.robots.crawl_delay(url))
        for attempt in range(self.web.retries + 1):
            with self.polite.turn(host, delay):
                self.counts[kind] += 1
                read = self._once(url, headers, cap)
            status = read.status
            if status != 429 and status < 500:
                return status, read
            if attempt == self.web.retries:
                break
            wait = retry_after(read.headers.get("retry-after"), time.time())
            if wait is None:
                wait = self.web.retry_backoff_seconds * 2**attempt
            if wait > self.web.max_retry_after_seconds:
                raise FetchError(
                    f"HTTP {status} from {url}, asked to wait {wait:.0f} s (over "
                    f"web.max_retry_after_seconds): left for the next sync",
                    status,
                )
            log.info("HTTP %d from %s: retrying in %.1f s", status, url, wait)
            self._sleep(wait)
        raise FetchError(f"HTTP {status} from {url} after {self.web.retries + 1} tries", status)

    def _once(self, url: str, headers: dict, cap: int) -> _Read:
        start = self._clock()
        limit = self.web.timeout_seconds
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                if r.status_code != 200:
                    return _Read(r.status_code, r.headers, b"")
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise FetchError(f"{url} is {declared} bytes, over the {cap}-byte cap")
                chunks, size = [], 0
                body = Inflate(r.headers.get("content-encoding", ""))
                # Raw bytes, decoded here: the cap holds for what they expand to, as they do.
                for raw in r.iter_raw():
                    chunk = body.feed(raw, cap - size)
                    size += len(chunk)
                    if self._clock() - start > limit:
                        raise FetchError(f"{url} took over {limit:g} s to arrive")
                    chunks.append(chunk)
                chunks.append(body.finish(cap - size))
                return _Read(200, r.headers, b"".join(chunks))
        except httpx.TimeoutException:
            raise FetchError(f"{url} timed out (web.timeout_seconds = {limit:g})") from None
        except OverCap:
            raise FetchError(f"{url} is over the {cap}-byte cap (as decompressed)") from None
        except (zlib.error, ValueError) as exc:
            raise FetchError(f"{url} sent a body that does not decompress: {exc}") from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise FetchError(f"{url} could not be reached: {exc}") from None


@dataclass
class _Read:
    status: int
    headers: httpx.Headers
    body: bytes
