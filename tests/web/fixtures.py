"""Fixtures and builders for the web tests (a plugin loaded by tests/conftest.py): a local
site on 127.0.0.1, configs that allow it, and the feeds, sitemaps and pages it serves."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.config import Config, WebConfig
from tests.web.server import Reply, Site


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def web_config(**overrides: object) -> WebConfig:
    """Fast and local: 127.0.0.1 allowed, no pause between requests, short waits."""
    web = WebConfig(
        allow_hosts=["127.0.0.1"], host_delay_seconds=0.0, retry_backoff_seconds=0.01,
        timeout_seconds=2.0, max_body_bytes=2_000_000,
    )  # fmt: skip
    for key, value in overrides.items():
        setattr(web, key, value)
    return web


def config_for(data_dir: Path, sources: list[str], **web: object) -> Config:
    return Config(data_dir=str(data_dir), sources=sources, web=web_config(**web))


# Articles far from the sample coverage, each with a sentence a question can find.
STORIES = [
    ("otters", "Otters return to the river Wend",
     "A family of six otters has been seen on the river Wend for the first time in forty "
     "years, the county wildlife trust said on Monday."),
    ("ferry", "Island ferry gets an electric twin",
     "The island ferry company ordered a second electric ferry from a shipyard in Gdansk, "
     "to enter service on the northern crossing in the spring."),
    ("telescope", "Observatory opens its telescope to schools",
     "The hill observatory will let pupils from twenty schools use its largest telescope "
     "on clear Thursday nights during the winter term."),
    ("cheese", "Dairy cooperative wins a cheese prize",
     "A dairy cooperative from the lake district won the national prize for its smoked "
     "goat cheese, beating ninety entries."),
    ("tram", "Tram line extension approved",
     "The city council approved a four kilometre extension of the tram line to the "
     "airport, with seven new stops."),
]  # fmt: skip

FILLER = [
    "Residents welcomed the news at a meeting in the town hall, where officials answered "
    "questions for more than an hour about the details and the timetable.",
    "The project was first proposed three years ago and has been discussed at several "
    "public consultations, which drew hundreds of written responses.",
    "Officials said further updates would be published on the council website as the "
    "work progresses, and that they would report back in the autumn.",
]


def article_html(slug: str, title: str, lead: str, day: str = "2026-11-20",
                 outlet: str = "Wend Valley News", extra: str = "") -> bytes:  # fmt: skip
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in [lead, *FILLER, extra] if p)
    return f"""<!doctype html><html><head><title>{html.escape(title)} | {outlet}</title>
<meta property="og:site_name" content="{outlet}">
<meta property="article:published_time" content="{day}T08:00:00Z">
<link rel="canonical" href="https://wend.example/{slug}">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{html.escape(title)}</h1>{paragraphs}</article>
<footer>Copyright 2026 {outlet}</footer></body></html>""".encode()


def feed_xml(site: Site, items: list[tuple[str, str, str]], day: str = "20 Nov 2026") -> bytes:
    """An RSS feed whose entries (slug, title, summary) link to pages on `site`."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{site.url('/news/' + s)}</link>"
        f"<guid>{site.url('/news/' + s)}</guid><pubDate>Fri, {day} 08:00:00 +0000</pubDate>"
        f"<description>{html.escape(summary)}</description></item>"
        for s, t, summary in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Wend Valley News</title><link>{site.url('/')}</link>"
        f"<description>Local news</description>{entries}</channel></rss>"
    ).encode()


def news_sitemap(urls: list[tuple[str, str, str]]) -> bytes:
    """A Google News sitemap of (url, title, date)."""
    body = "".join(
        f"<url><loc>{html.escape(u)}</loc><news:news><news:publication><news:name>Wend Times"
        f"</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{d}T09:00:00+00:00</news:publication_date>"
        f"<news:title>{html.escape(t)}</news:title></news:news></url>"
        for u, t, d in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{body}</urlset>"
    ).encode()


RSS = "application/rss+xml"


def summary(lead: str) -> str:
    return lead.split(",")[0] + "."  # a line, as feeds that want a click give


def serve_news(site: Site, stories=STORIES, etag: str = '"v1"') -> str:
    for slug, title, lead in stories:
        site.put(f"/news/{slug}", Reply(article_html(slug, title, lead)))
    items = [(slug, title, summary(lead)) for slug, title, lead in stories]
    return site.put("/feed.xml", Reply(feed_xml(site, items), content_type=RSS, etag=etag))


def page_hits(site: Site) -> int:
    return sum(1 for r in site.requests if r.path.startswith("/news/"))
