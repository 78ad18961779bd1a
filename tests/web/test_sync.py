"""Syncing URL sources into a real index (model, FAISS, SQLite): feeds whose entries carry
summaries, sitemaps, single pages; what a sync with nothing new costs; feeds as windows;
failing sources; age limits."""

from __future__ import annotations

import pytest

from index.engine import Engine
from tests.web.fixtures import (
    RSS,
    STORIES,
    article_html,
    config_for,
    feed_xml,
    news_sitemap,
    page_hits,
    serve_news,
    summary,
)
from tests.web.server import Reply


@pytest.fixture
def desk(tmp_path, embedder, site):
    """An engine following the site's feed (not built yet)."""
    feed = serve_news(site)
    return Engine(config_for(tmp_path / "data", [feed]), embedder)


def test_a_feed_of_summaries_is_indexed_from_its_pages(desk, site):
    report = desk.build()
    assert (report.added, report.removed) == (5, 0)
    (synced,) = report.web
    assert (synced.kind, synced.new_articles, synced.pages, synced.last_error) == ("feed", 5, 5, "")
    assert page_hits(site) == 5
    answer = desk.ask("How many otters were seen on the river Wend?")
    hit = answer.hits[0]
    assert answer.covered and "six otters" in hit.text
    c = hit.citation
    assert c.title == "Otters return to the river Wend"
    assert (c.outlet, c.published, c.url) == (
        "Wend Valley News",
        "2026-11-20",
        "https://wend.example/otters",
    )
    # The page's text, not the feed's one-line summary; its furniture is not indexed.
    texts = " ".join(a.title for a in desk.articles())
    assert "Copyright" not in texts
    otters = next(a for a in desk.articles() if "Otters" in a.title)
    assert otters.passages >= 1 and otters.path == site.url("/feed.xml")


def test_a_sync_with_nothing_new_fetches_no_page_and_embeds_nothing(desk, site):
    first = desk.build()
    pages = page_hits(site)
    again = desk.build()
    assert again.passages_embedded == 0 and (again.added, again.changed, again.removed) == (0, 0, 0)
    assert again.unchanged == 5 and again.generation == first.generation
    assert page_hits(site) == pages
    (synced,) = again.web
    assert synced.not_modified and synced.pages == 0
    assert site.requests[-1].headers.get("if-none-match") == '"v1"'


def test_a_changed_feed_fetches_only_its_new_entries_and_keeps_those_it_dropped(desk, site):
    desk.build()
    before = page_hits(site)
    new = ("lighthouse", "Lighthouse keeper retires after forty years",
           "The last keeper of the Wend Point lighthouse retired on Friday after forty years, "
           "handing the keys to the coastguard.")  # fmt: skip
    serve_news(site, [STORIES[0], new], etag='"v2"')  # four entries left the feed
    report = desk.build()
    assert (report.added, report.removed, report.unchanged) == (1, 0, 5)
    assert page_hits(site) == before + 1  # the lighthouse page, and no other
    assert report.web[0].new_articles == 1
    assert len(desk.articles()) == 6
    assert desk.ask("Which tram line extension was approved?").covered  # dropped, still there
    assert desk.ask("Who retired from the Wend Point lighthouse?").covered


def test_a_page_that_disappears_or_is_not_html_leaves_the_summary(desk, site):
    serve_news(site)
    del site.routes["/news/otters"]  # 404
    site.put("/news/ferry", Reply(b"%PDF-1.4", content_type="application/pdf"))
    report = desk.build()
    assert report.added == 5 and not report.web[0].last_error
    by_title = {a.title: a for a in desk.articles()}
    assert by_title["Otters return to the river Wend"].passages == 1  # the one-line summary
    hit = desk.ask("How many otters were seen on the river Wend?").hits[0]
    assert hit.text == summary(STORIES[0][2])


def test_a_page_that_failed_is_fetched_again_when_the_feed_changes(desk, site):
    serve_news(site)
    site.put("/news/otters", Reply(b"busy", 503))
    site.put("/news/ferry", Reply(b"busy", 503))
    desk.build()
    by_title = {a.title: a for a in desk.articles()}
    assert by_title["Otters return to the river Wend"].passages == 1  # the summary
    serve_news(site, etag='"v2"')  # the pages are back; the feed has changed (new ETag)
    before = page_hits(site)
    report = desk.build()
    assert page_hits(site) - before == 2  # the two that failed, not the three read before
    assert report.changed == 2 and report.added == 0
    otters = next(a for a in desk.articles() if a.title.startswith("Otters"))
    texts = [t for (t,) in desk._conn().execute(
        "SELECT text FROM passages WHERE article_id = ?", (otters.id,))]  # fmt: skip
    assert "public consultations" in " ".join(texts)  # the page's text, not the summary


def test_page_retries_stop_at_the_first_that_fails_again(desk, site):
    serve_news(site)
    for slug, _, _ in STORIES:
        site.put(f"/news/{slug}", Reply(b"blocked", 403))
    desk.build()
    before = page_hits(site)
    serve_news(site, etag='"v2"')
    for slug, _, _ in STORIES:  # still blocked
        site.put(f"/news/{slug}", Reply(b"blocked", 403))
    report = desk.build()
    assert page_hits(site) - before == 1 and report.changed == 0
    assert len(desk.articles()) == 5


def test_a_failing_source_is_reported_and_backed_off(desk, site):
    desk.build()
    site.put("/feed.xml", Reply(b"down", 500))
    report = desk.build(scheduled=True)
    (synced,) = report.web
    assert "HTTP 500" in synced.last_error and synced.failures == 1 and synced.next_try > 0
    assert len(desk.articles()) == 5  # what was indexed stays
    hits = site.hits("/feed.xml")
    report = desk.build(scheduled=True)  # backed off: not asked again
    assert site.hits("/feed.xml") == hits and report.web[0].failures == 1
    report = desk.build()  # asked for by hand: tried, and counted
    assert site.hits("/feed.xml") == hits + 3 and report.web[0].failures == 2
    (state,) = desk.web_sources()
    assert state.failures == 2 and "HTTP 500" in state.last_error
    serve_news(site, etag='"v3"')
    report = desk.build()
    assert report.web[0].failures == 0 and report.web[0].last_error == ""


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(b"\x89PNG....", content_type="image/png"), "image/png, not a feed"),
        (
            Reply(b'<?xml version="1.0"?><catalog/>', content_type="application/xml"),
            "neither a feed",
        ),
        (Reply(b"", 302, headers={"Location": "http://169.254.169.254/latest/"}), "non-public"),
    ],
)
def test_a_source_of_the_wrong_kind_is_a_clear_error(tmp_path, embedder, site, reply, reason):
    url = site.put("/odd", reply)
    engine = Engine(config_for(tmp_path / "data", [url]), embedder)
    report = engine.build()
    assert report.added == 0 and reason in report.web[0].last_error
    assert engine.web_sources()[0].failures == 1


def test_max_age_days_retires_old_articles_and_skips_old_entries(desk, site, monkeypatch):
    desk.build()
    desk.config.web.max_age_days = 3  # the stories are of 2026-11-20
    import datetime as dt

    class Today(dt.date):
        @classmethod
        def today(cls):
            return dt.date(2026, 12, 1)

    monkeypatch.setattr(dt, "date", Today)
    serve_news(site, etag='"v2"')
    report = desk.build()
    assert report.removed == 5 and report.added == 0  # not a mass removal: retired by age
    assert desk.articles() == []


def test_a_google_news_sitemap_and_a_sitemap_index(tmp_path, embedder, site):
    for slug, title, lead in STORIES[:3]:
        site.put(f"/news/{slug}", Reply(article_html(slug, title, lead, day="2026-11-25")))
    urls = [(site.url(f"/news/{s}"), t, "2026-11-25") for s, t, _ in STORIES[:3]]
    site.put("/news-1.xml", Reply(news_sitemap(urls[:2]), content_type="application/xml"))
    site.put("/news-2.xml", Reply(news_sitemap(urls[2:]), content_type="text/xml"))
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/news-1.xml')}</loc></sitemap>"
        f"<sitemap><loc>{site.url('/news-2.xml')}</loc></sitemap></sitemapindex>"
    ).encode()
    url = site.put("/sitemap.xml", Reply(index, content_type="application/xml", etag='"s1"'))
    engine = Engine(config_for(tmp_path / "data", [url]), embedder)
    report = engine.build()
    assert report.added == 3 and report.web[0].kind == "sitemap"
    outlets = {a.outlet for a in engine.articles()}
    assert outlets == {"Wend Times"}  # news:publication's name
    assert engine.ask("Who ordered a second electric ferry?").covered
    again = engine.build()
    assert again.web[0].not_modified and again.passages_embedded == 0 and page_hits(site) == 3


def test_a_single_article_url(tmp_path, embedder, site):
    slug, title, lead = STORIES[2]
    url = site.put(f"/news/{slug}", Reply(article_html(slug, title, lead), etag='"p1"'))
    engine = Engine(config_for(tmp_path / "data", [url]), embedder)
    report = engine.build()
    assert report.added == 1 and report.web[0].kind == "page"
    assert engine.articles()[0].title == title
    again = engine.build()
    assert again.web[0].not_modified and again.unchanged == 1 and again.passages_embedded == 0
    site.put(f"/news/{slug}", Reply(b"", 404))  # the page disappears: what was read stays
    gone = engine.build()
    assert "HTTP 404" in gone.web[0].last_error and len(engine.articles()) == 1


def test_removing_a_url_source_drops_its_articles(desk, site, tmp_path):
    desk.build()
    report = desk.build(remove=[site.url("/feed.xml")])
    assert report.removed == 5 and desk.articles() == []


def test_robots_txt_disallowing_pages_leaves_summaries(desk, site):
    serve_news(site)
    site.put(
        "/robots.txt", Reply(b"User-agent: newsdesk\nDisallow: /news/\n", content_type="text/plain")
    )
    report = desk.build()
    assert report.added == 5 and page_hits(site) == 0


def test_an_empty_feed_is_quiet_not_broken(tmp_path, embedder, site):
    url = site.put("/quiet.xml", Reply(feed_xml(site, []), content_type=RSS))
    engine = Engine(config_for(tmp_path / "data", [url]), embedder)
    report = engine.build()
    assert report.web[0].last_error == "" and report.web[0].failures == 0


def test_files_that_read_nothing_lose_nothing_while_a_feed_syncs(tmp_path, embedder, site):
    """A build that reads no article from its files removes none of theirs, also when
    a feed beside them answers (an emptied folder is not read as 'delete everything')."""
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Quay\n---\nThe quay reopened on Monday.\n")
    feed = serve_news(site)
    engine = Engine(config_for(tmp_path / "data", [str(folder), feed]), embedder)
    assert engine.build().added == 6
    (folder / "a.md").unlink()
    report = engine.build()
    assert report.removed == 0 and len(engine.articles()) == 6


def test_a_feed_served_as_html_is_read_as_a_feed(tmp_path, embedder, site):
    serve_news(site)
    site.routes["/feed.xml"].content_type = "text/html; charset=utf-8"
    engine = Engine(config_for(tmp_path / "data", [site.url("/feed.xml")]), embedder)
    report = engine.build()
    assert report.web[0].kind == "feed" and report.added == 5


def test_backoff_doubles_per_failure_up_to_a_day():
    from index.web.sync import backoff_until

    assert backoff_until(0, 1000.0, 15) == 0.0
    assert [backoff_until(n, 0.0, 15) / 60 for n in (1, 2, 3)] == [15, 30, 60]
    assert backoff_until(30, 0.0, 15) == 24 * 3600


def test_the_scheduler_syncs_again_and_again_until_stopped(desk, site):
    import threading

    from index.web.schedule import watch

    stop = threading.Event()
    reports = []

    def on_report(report):
        reports.append(report)
        if len(reports) == 3:
            stop.set()

    thread = threading.Thread(target=watch, args=(desk, 0.01, stop, on_report))
    thread.start()
    thread.join(120)
    assert not thread.is_alive()
    first, *later = reports
    assert first.added == 5 and page_hits(site) == 5
    assert all(r.passages_embedded == 0 and r.web[0].not_modified for r in later)


def test_the_page_budget_spreads_a_big_feed_over_syncs(tmp_path, embedder, site):
    feed = serve_news(site)
    engine = Engine(config_for(tmp_path / "data", [feed], max_pages_per_sync=2), embedder)
    added = [engine.build().added for _ in range(3)]
    assert added == [2, 2, 1] and page_hits(site) == 5  # no page fetched twice
    # The feed was read in part twice, so its ETag was kept only once it was read whole.
    assert [r.headers.get("if-none-match") for r in site.requests if r.path == "/feed.xml"] == [
        None, None, None,
    ]  # fmt: skip
    assert engine.build().web[0].not_modified


def test_a_gzipped_sitemap_and_one_that_expands_past_the_cap(tmp_path, site):
    import gzip

    from index.web.sync import sync_sources

    slug, title, lead = STORIES[1]
    site.put(f"/news/{slug}", Reply(article_html(slug, title, lead)))
    data = news_sitemap([(site.url(f"/news/{slug}"), title, "2026-11-25")])
    ok = site.put("/s.xml.gz", Reply(gzip.compress(data), content_type="application/x-gzip"))
    huge = gzip.compress(data[:-10] + b" " * 3_000_000 + data[-10:])
    bomb = site.put("/big.xml.gz", Reply(huge, content_type="application/gzip"))
    config = config_for(tmp_path / "data", [ok, bomb])
    read = sync_sources(config, [ok, bomb], {}, {})
    (doc,) = read.documents
    assert doc.title == title and doc.key == f"{ok}#{site.url(f'/news/{slug}')}"
    good, bad = read.syncs
    assert good.kind == "sitemap" and not good.last_error
    assert "expands past the 2000000-byte cap" in bad.last_error


def test_sources_synced_side_by_side_never_send_one_host_two_requests_at_once(tmp_path, site):
    from index.web.sync import sync_sources

    for slug, title, lead in STORIES:
        site.put(f"/news/{slug}", Reply(article_html(slug, title, lead), delay=0.05))
    feeds = []
    for n, part in enumerate((STORIES[:3], STORIES[3:])):
        items = [(s, t, summary(lead)) for s, t, lead in part]
        feeds.append(site.put(f"/feed{n}.xml", Reply(feed_xml(site, items), content_type=RSS)))
    read = sync_sources(config_for(tmp_path / "d", feeds), feeds, {}, {})
    assert [s.location for s in read.syncs] == feeds and len(read.documents) == 5
    assert site.most_in_flight == 1  # two sources at once, one host: never two requests


def test_xml_that_is_no_sitemap_nor_feed_fails_only_its_source(tmp_path, site):
    from index.web.sync import sync_sources

    odd_xml = b'<?xml version="1.0"?><!-- <urlset> --><catalog/>'  # sniffed as a sitemap
    bad = site.put("/odd.xml", Reply(odd_xml, content_type="text/xml"))
    feed = serve_news(site)
    read = sync_sources(config_for(tmp_path / "d", [bad, feed]), [bad, feed], {}, {})
    odd, good = read.syncs
    assert good.new_articles == 5 and not good.last_error
    assert odd.failures == 1 and "not a sitemap" in odd.last_error


def test_an_undated_article_ages_from_the_day_it_was_first_indexed(
    tmp_path, embedder, site, monkeypatch
):
    """A page with no date anywhere would otherwise stay in a followed site's index for
    ever; an edit of it is not a new article, so its age is kept."""
    import datetime as dt

    day = [dt.date(2026, 12, 1)]

    class Today(dt.date):
        @classmethod
        def today(cls):
            return day[0]

    monkeypatch.setattr(dt, "date", Today)
    slug, title, lead = STORIES[0]

    def undated(page: bytes) -> bytes:  # its footer's "Copyright 2026" is no date either
        dated = b'<meta property="article:published_time" content="2026-11-20T08:00:00Z">'
        return page.replace(dated, b"")

    page = undated(article_html(slug, title, lead))
    edited = undated(article_html(slug, title, lead, extra="It rained all day."))
    url = site.put("/undated", Reply(page, etag='"a"'))
    engine = Engine(config_for(tmp_path / "data", [url]), embedder)
    engine.config.web.max_age_days = 3
    assert engine.build().added == 1
    (article,) = engine.articles()
    assert article.published == ""  # truly undated: nothing to age it by but first sight
    day[0] = dt.date(2026, 12, 3)
    site.put("/undated", Reply(edited, etag='"b"'))
    report = engine.build()
    assert (report.changed, report.removed) == (1, 0)  # edited, still young
    day[0] = dt.date(2026, 12, 5)  # 4 days after it was first seen, though 2 after the edit
    report = engine.build()
    assert report.removed == 1 and engine.articles() == []
