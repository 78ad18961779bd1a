"""Sitemaps: a urlset, a sitemap index, Google News tags, and XML that is neither."""

from __future__ import annotations

import pytest

from index.web.sitemap import NotASitemap, parse
from tests.web.fixtures import news_sitemap


def test_a_google_news_sitemap_gives_titles_outlets_and_dates():
    found = parse(news_sitemap([("https://a.example/x", "Ferry &amp; tram", "2026-11-25")]))
    (page,) = found.pages
    assert (page.url, page.title, page.outlet, page.published) == (
        "https://a.example/x", "Ferry &amp; tram", "Wend Times", "2026-11-25",
    )  # fmt: skip


def test_a_plain_urlset_with_lastmod_and_an_index():
    plain = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc> https://a.example/1 </loc><lastmod>2026-10-01T10:00:00Z</lastmod></url>"
        b"<url><loc></loc></url></urlset>"
    )
    (page,) = parse(plain).pages
    assert page.url == "https://a.example/1" and page.published == "2026-10-01"
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>"
    )
    assert parse(index).sitemaps == ["https://a.example/s1.xml"]


def test_entities_are_never_expanded():
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc>'
        b"</url></urlset>"
    )
    assert all("root:" not in p.url for p in parse(evil).pages)


@pytest.mark.parametrize("data", [b"<rss><channel/></rss>", b"not xml at all", b""])
def test_what_is_not_a_sitemap(data):
    with pytest.raises(NotASitemap):
        parse(data)
