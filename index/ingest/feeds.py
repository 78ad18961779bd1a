"""RSS and Atom feeds (feedparser) to Documents.

feedparser puts a photo caption (media:description) into an entry's `content` beside the
real text, so an entry's text is the longest of its bodies. Dates are read from the date
as written, in the publisher's calendar: feedparser's *_parsed tuples are shifted to UTC.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter

from ..models import Document
from .blocks import html_to_text
from .records import skip_part
from .sources import Skip, sha256

# A block in this many entries of one feed (and in at least 3) is the feed's own furniture
# ("Read the full story at ...", a podcast's subscribe line), not any one story's text.
RECURRING_SHARE = 0.5


def read_feed(text: str, path: str, skipped: list) -> list[Document]:
    import feedparser

    from .meta import feed_outlet, parse_date

    feed = feedparser.parse(text)
    if not feed.entries:
        reason = getattr(feed, "bozo_exception", None)
        raise Skip(f"feed has no entries{f' ({reason})' if reason else ''}")
    outlet = feed_outlet(feed.feed.get("title", ""), feed.feed.get("link", ""))
    bodies = [entry_blocks(entry) for entry in feed.entries]
    recurring = _recurring(bodies)
    docs: list[Document] = []
    for n, (entry, blocks) in enumerate(zip(feed.entries, bodies, strict=True)):
        body = "\n\n".join(b for b in blocks if _norm(b) not in recurring)
        if not body.strip():
            skip_part(skipped, path, f"entry {n}", "no text")
            continue
        link = entry.get("link", "")
        raw_date = entry.get("published") or entry.get("updated") or ""
        published = parse_date(raw_date) or iso_from_struct(
            entry.get("published_parsed") or entry.get("updated_parsed")
        )
        # Titles come HTML-escaped once more by some feeds ("Colour&#8217;s").
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", entry.get("title", ""))).split())
        docs.append(
            Document(
                key=f"{path}#{entry.get('id') or link or n}",
                path=path,
                raw_hash=sha256(json.dumps([title, link, body, published, outlet])),
                text=body,
                title=title,
                outlet=outlet,
                published=published,
                url=link,
                scraped=False,
            )
        )
    return docs


def entry_blocks(entry) -> list[str]:
    """The blocks of an entry's longest body: content:encoded, the description, or (what
    feedparser also files as content) a media caption, whichever holds the most text."""
    candidates = [c.get("value", "") for c in entry.get("content", [])]
    candidates.append(entry.get("summary", "") or entry.get("description", ""))
    texts = [html_to_text(c) for c in candidates if c and c.strip()]
    if not texts:
        return []
    best = max(texts, key=lambda t: len(t.split()))
    return [b for b in re.split(r"\n\s*\n", best) if b.strip()]


def _norm(block: str) -> str:
    return " ".join(block.lower().split())


def _recurring(bodies: list[list[str]]) -> set[str]:
    counts = Counter(b for blocks in bodies for b in {_norm(x) for x in blocks})
    least = max(3, RECURRING_SHARE * len(bodies))
    return {b for b, k in counts.items() if k >= least}


def iso_from_struct(t) -> str:
    """feedparser's parsed time tuple to YYYY-MM-DD ('' when the feed gave none)."""
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}" if t else ""
