"""Feeds: an entry's text is its story, not a photo caption; the outlet is the site; the
date is the publisher's calendar day; what every entry repeats is not indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.ingest.articles import prepare
from index.ingest.sources import read_sources

FEEDS = Path(__file__).resolve().parents[3] / "shared" / "feeds"
needs_feeds = pytest.mark.skipif(not FEEDS.exists(), reason="needs ../shared/feeds")

SUMMARY = (
    "The Senate began the trial of President Trump with a fight over the rules, as Democrats "
    "pressed for witnesses and documents."
)
CAPTION = "Senator Mitch McConnell arriving at the Capitol on Tuesday."

# As the New York Times serves it: media:description (the caption) beside the description.
NYT = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>
<title>NYT &gt; Top Stories</title><link>https://www.nytimes.com</link>
<atom:link href="https://rss.nytimes.com/services/xml/rss/nyt/HomePage.xml" rel="self"/>
<item><title>Senate Opens Impeachment Trial</title>
<link>https://www.nytimes.com/2020/01/21/us/politics/impeachment-trial.html</link>
<guid isPermaLink="true">https://www.nytimes.com/2020/01/21/us/politics/impeachment-trial.html</guid>
<description>{SUMMARY}</description><dc:creator>Nicholas Fandos</dc:creator>
<pubDate>Tue, 21 Jan 2020 23:53:40 -0500</pubDate>
<media:content height="151" medium="image" url="https://static01.nyt.com/images/a.jpg" width="151"/>
<media:credit>Anna Moneymaker/The New York Times</media:credit>
<media:description>{CAPTION}</media:description></item>
</channel></rss>"""

STORY = [
    "The city council approved a new budget on Tuesday after a long debate.",
    "The plan raises spending on public transport by ten percent.",
]


def _npr(n: int) -> str:
    return f"""<item><title>Story {n}</title><link>https://www.npr.org/2024/05/0{n}/story</link>
<pubDate>Mon, 0{n} May 2024 22:30:00 -0400</pubDate><description><![CDATA[<p>{STORY[0]} (Story {n}.)</p>
<p>{STORY[1]} It is item {n}.</p><p>(Image credit: Jane Doe/NPR)</p>
<p>Subscribe: Spotify | Apple Podcasts | Google Podcasts</p>
<p>Every story we cover is reported by our own newsroom staff across the country.</p>
<p>The council will meet again in the summer to review the …</p>]]></description></item>"""


NPR = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>News : NPR</title>'
    "<link>https://www.npr.org/templates/story/story.php?storyId=1001</link>"
    + "".join(_npr(n) for n in range(1, 5))
    + "</channel></rss>"
)


def test_entry_text_is_the_story_not_the_caption_and_dates_keep_the_publishers_day(tmp_path):
    (tmp_path / "nyt.xml").write_text(NYT)
    (doc,) = read_sources([tmp_path]).documents
    assert prepare(doc).text == SUMMARY and CAPTION not in doc.text
    assert doc.outlet == "NYT"
    assert doc.published == "2020-01-21"  # 04:53 on the 22nd in UTC


def test_feed_furniture_and_what_every_entry_repeats_is_not_indexed(tmp_path):
    (tmp_path / "npr.rss").write_text(NPR)
    docs = read_sources([tmp_path]).documents
    assert len(docs) == 4 and {d.outlet for d in docs} == {"NPR"}
    assert [d.published for d in docs] == [f"2024-05-0{n}" for n in range(1, 5)]
    for n, doc in enumerate(docs, 1):
        assert prepare(doc).text.split("\n\n") == [
            f"{STORY[0]} (Story {n}.)",
            f"{STORY[1]} It is item {n}.",
        ]


@needs_feeds
def test_real_feeds_outlets_and_dates():
    docs = read_sources([FEEDS]).documents
    outlets = {Path(d.path).name: d.outlet for d in docs}
    assert outlets["bbc.xml"] == "BBC News"  # "BBC News - News front page"
    assert outlets["japantimes.xml"] == "The Japan Times"  # "Latest articles - The Japan Times"
    assert outlets["aeon.xml"] == "Aeon"  # "Aeon | a world of ideas"
    assert outlets["webfeed-RSS-Simple.xml"] == "ČT24"  # "ČT24 — Výběr redakce"
    assert outlets["webfeed-RSS-Verge.xml"] == "The Verge"
    by_title = {d.title: d for d in docs}
    # "Mon, 27 Aug 2001 16:08:56 PST": the 28th in UTC.
    assert by_title["The Judy's -- The Moo Song"].published == "2001-08-27"
    kottke = by_title["Living Colour’s Tiny Desk Concert"]  # the title's entity is decoded
    assert kottke.published == "2025-07-01"


@needs_feeds
def test_real_feed_entries_hold_their_story():
    docs = [d for d in read_sources([FEEDS / "webfeed-RSS-Verge.xml"]).documents]
    text = prepare(docs[0]).text
    assert text.startswith("The US Senate has voted overwhelmingly to remove a moratorium")
    assert len(text.split("\n\n")) > 3
    for doc in docs:
        article = prepare(doc)
        assert "<" not in article.text and "Image credit" not in article.text
