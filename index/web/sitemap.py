"""Sitemaps (lxml): a urlset's pages, a sitemap index's sitemaps, and the news: tags of
Google News sitemaps (title, publication name and date)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..ingest.meta import parse_date

NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


class NotASitemap(Exception):
    """The XML is neither a urlset nor a sitemap index."""


@dataclass(frozen=True)
class Page:
    url: str
    published: str = ""  # YYYY-MM-DD: news:publication_date, else lastmod
    title: str = ""
    outlet: str = ""


@dataclass
class Sitemap:
    pages: list[Page]
    sitemaps: list[str]  # a sitemap index's children


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(node, path: str, ns: dict | None = None) -> str:
    found = node.find(path, ns or {})
    return " ".join((found.text or "").split()) if found is not None else ""


def parse(data: bytes) -> Sitemap:
    """A sitemap's pages or child sitemaps. Entities are never resolved nor anything
    fetched by the parser. Raises NotASitemap for other XML, and for what is not XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise NotASitemap(f"not XML: {exc}") from None
    if root is None:
        raise NotASitemap("not XML")
    kind = _local(root.tag)
    ns = {"s": etree.QName(root.tag).namespace or "", "n": NEWS}
    prefix = "s:" if ns["s"] else ""
    if kind == "sitemapindex":
        return Sitemap([], [u for u in (_text(s, f"{prefix}loc", ns) for s in root) if u])
    if kind != "urlset":
        raise NotASitemap(f"the XML is a <{kind}>, not a sitemap")
    pages = []
    for node in root:
        if _local(node.tag) != "url":
            continue
        url = _text(node, f"{prefix}loc", ns)
        if not url:
            continue
        news = node.find("n:news", ns)
        title = outlet = date = ""
        if news is not None:
            title = _text(news, "n:title", ns)
            outlet = _text(news, "n:publication/n:name", ns)
            date = _text(news, "n:publication_date", ns)
        published = parse_date(date) or parse_date(_text(node, f"{prefix}lastmod", ns))
        pages.append(Page(url, published, title, outlet))
    return Sitemap(pages, [])
