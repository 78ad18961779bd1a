"""From a Document as read to an Article as indexed: clean, fill metadata, hash."""

from __future__ import annotations

import re

from ..models import Article, Document
from .clean import clean_text, drop_sign_off, strip_notices
from .meta import clean_title, extract_meta, host_names
from .sources import sha256

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


def normalise_paragraphs(text: str) -> str:
    """Single spaces inside paragraphs, one blank line between them."""
    paragraphs = re.split(r"\n\s*\n", text)
    out = [_SPACES.sub(" ", " ".join(p.split("\n"))).strip() for p in paragraphs]
    return "\n\n".join(p for p in out if p)


def drop_notices(text: str) -> str:
    """Paragraphs (blank-line separated) without their site-notice sentences."""
    kept = (strip_notices(p)[0] for p in text.split("\n\n"))
    return "\n\n".join(p for p in kept if p)


def prepare(doc: Document) -> Article:
    """Clean the text and complete metadata from the page; missing fields stay empty.

    Every format is cleaned alike, so page furniture is never indexed or quoted whether it
    came in scraped text, HTML, Markdown, JSON or a feed. Scraped text also gives its
    byline, dateline and date lines (extract_meta); the other formats state theirs."""
    title, outlet, published, place = doc.title, doc.outlet, doc.published, doc.place
    if doc.scraped:
        meta = extract_meta(doc.text)
        cleaned = clean_text(doc.text, title=title)
        text = normalise_paragraphs(cleaned.text)
        title = title or cleaned.title or meta.title
        outlet = outlet or meta.outlet
        published = published or meta.published
        place = place or meta.place
    else:
        cleaned = clean_text(doc.text, title=title, notices=False, structured=True)
        text = drop_notices(normalise_paragraphs(cleaned.text))
        title = title or cleaned.title
    text = drop_sign_off(text)[0]
    title = clean_title(_SPACES.sub(" ", title).strip(), [outlet, *host_names(doc.url)])
    content_hash = sha256("\x1f".join([title, outlet, published, doc.url, place, text]))
    return Article(
        key=doc.key,
        path=doc.path,
        content_hash=content_hash,
        raw_hash=doc.raw_hash,
        text=text,
        title=title,
        outlet=outlet,
        published=published,
        url=doc.url,
        place=place,
    )
