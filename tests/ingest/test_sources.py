"""Reading every supported format into Documents, and skipping what can't be read."""

import json
import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from dateutil.parser import UnknownTimezoneWarning

from index.ingest.articles import prepare
from index.ingest.blocks import merge_blocks
from index.ingest.passages import make_passages
from index.ingest.sources import read_file, read_html, read_sources

BODY = (
    "The city council approved a new budget on Tuesday after a long debate. "
    "The plan raises spending on public transport by ten percent."
)

HTML = f"""<html><head><title>Council approves budget | The Daily Example</title>
<meta property="og:site_name" content="The Daily Example">
<meta property="article:published_time" content="2024-05-07T10:00:00Z">
<link rel="canonical" href="https://example.com/news/budget"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Council approves budget</h1><p>{BODY}</p>
<p>Critics said the increase was not enough to fix the ageing bus fleet, which needs replacing.</p></article>
<footer>Copyright 2024 The Daily Example. Contact: news@example.com</footer></body></html>"""

MARKDOWN = f"""---
title: Council approves budget
url: https://example.com/md/budget
outlet: Example Weekly
published: 2024-05-08
---
# Council approves budget

{BODY}

![a photo](photo.jpg)

Read the **full** plan [here](https://example.com/plan).
"""

RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Example Feed</title>
<item><title>Council approves budget</title><link>https://example.com/rss/1</link>
<guid>rss-1</guid><pubDate>Thu, 09 May 2024 08:00:00 GMT</pubDate>
<description><![CDATA[<p>{BODY}</p>]]></description></item>
<item><title>Second story</title><link>https://example.com/rss/2</link>
<description>Plain text summary of another story that is long enough.</description></item>
</channel></rss>"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom Example</title><entry><title>Council approves budget</title>
<link href="https://example.com/atom/1"/><id>urn:atom:1</id><updated>2024-05-10T08:00:00Z</updated>
<content type="html">&lt;p&gt;{BODY}&lt;/p&gt;</content></entry></feed>"""


def write_all(folder):
    (folder / "nested").mkdir(parents=True)
    (folder / "page.html").write_text(HTML)
    (folder / "nested" / "story.md").write_text(MARKDOWN)
    (folder / "feed.rss").write_text(RSS)
    (folder / "atom.xml").write_text(ATOM)
    rec = {"id": "j1", "title": "Council approves budget", "text": BODY, "url": "https://example.com/j1",
           "outlet": "JSON Times", "published": "2024/05/11"}  # fmt: skip
    (folder / "one.json").write_text(json.dumps(rec))
    lines = [json.dumps({**rec, "id": f"l{i}", "outlet": "Lines"}) for i in range(3)]
    lines.insert(1, "{not json")  # one bad line among good ones
    (folder / "many.jsonl").write_text("\n".join(lines))
    (folder / "notes.bin").write_bytes(b"\x00\x01")  # unknown extension: ignored
    (folder / "empty.txt").write_text("")
    (folder / "broken.json").write_text("{")


def by_title_outlet(docs):
    return {(d.outlet, d.title): d for d in docs}


def test_every_format_is_read_with_metadata(tmp_path):
    write_all(tmp_path)
    result = read_sources([tmp_path])
    docs = by_title_outlet(result.documents)
    html = docs[("The Daily Example", "Council approves budget")]
    assert html.url == "https://example.com/news/budget" and html.published == "2024-05-07"
    assert "Home" not in prepare(html).text and "Copyright" not in prepare(html).text
    md = docs[("Example Weekly", "Council approves budget")]
    assert (md.url, md.published) == ("https://example.com/md/budget", "2024-05-08")
    assert "Read the full plan here." in md.text and "photo.jpg" not in md.text
    rss = docs[("Example Feed", "Council approves budget")]
    assert (rss.url, rss.published) == ("https://example.com/rss/1", "2024-05-09")
    assert ("Example Feed", "Second story") in docs
    atom = docs[("Atom Example", "Council approves budget")]
    assert atom.published == "2024-05-10" and BODY in prepare(atom).text
    js = docs[("JSON Times", "Council approves budget")]
    assert js.published == "2024-05-11" and js.key.endswith("one.json#j1")
    assert sum(d.outlet == "Lines" for d in result.documents) == 3  # bad line skipped
    for doc in result.documents:
        assert BODY.split(".")[0] in prepare(doc).text or doc.title == "Second story"
    skipped = dict(result.skipped)
    assert "empty file" in skipped[str(tmp_path / "empty.txt")]
    assert "malformed JSON" in skipped[str(tmp_path / "broken.json")]


def test_scraped_text_metadata_and_hash(tmp_path):
    from index.config import SAMPLE_CORPUS

    docs = read_sources([SAMPLE_CORPUS]).documents
    assert len(docs) == 2
    article = prepare(next(d for d in docs if d.path.endswith("000_f4dd14aba053f40b.txt")))
    assert article.title == "Strategic Talks: Shoigu's Diplomatic Mission in Beijing"
    assert (article.outlet, article.place, article.published) == (
        "Devdiscourse",
        "Moscow",
        "2025-02-28",
    )
    assert len(article.content_hash) == 64
    assert article.text.startswith("Sergei Shoigu, Russia's Security Council secretary")


def test_other_encodings_are_decoded(tmp_path):
    text = "Le conseil municipal a approuvé le budget mardi après un long débat à Genève."
    (tmp_path / "latin.txt").write_bytes(text.encode("latin-1"))
    docs = read_sources([tmp_path]).documents
    assert "approuvé" in docs[0].text and "Genève" in docs[0].text


def test_symlink_loop_and_missing_path_are_skipped(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "x.txt").write_text(BODY)
    result = read_sources([tmp_path, tmp_path / "missing"])
    assert len(result.documents) == 1
    reasons = [r for _, r in result.skipped]
    assert "symlink loop" in reasons and "does not exist" in reasons


def test_size_cap(tmp_path):
    (tmp_path / "big.txt").write_text(BODY * 100)
    result = read_sources([tmp_path], max_bytes=1000)
    assert not result.documents and "over the 1000-byte cap" in result.skipped[0][1]


def test_site_notices_are_cut_from_every_format(tmp_path):
    """trafilatura and feeds keep a notice inside the article body; it must not be quoted."""
    notice = "Follow Jordan Mendoza on Twitter: @jordan_mendoza5."
    pitch = "Get politics news in your inbox. Sign up for our OnPolitics newsletter here."
    page = HTML.replace("</article>", f"<p>{notice}</p><p>{pitch}</p></article>")
    (tmp_path / "page.html").write_text(page)
    (tmp_path / "story.md").write_text(MARKDOWN + f"\n{pitch}\n")
    (tmp_path / "feed.rss").write_text(RSS.replace(f"<p>{BODY}</p>", f"<p>{BODY} {notice}</p>"))
    docs = read_sources([tmp_path]).documents
    assert len(docs) == 4
    for doc in docs:
        assert notice in doc.text or "Sign up" in doc.text or doc.title == "Second story"
    for article in map(prepare, docs):
        assert "@jordan_mendoza5" not in article.text and "Sign up" not in article.text
        assert "inbox" not in article.text
    texts = {a.path.rsplit("/", 1)[-1]: a.text for a in map(prepare, docs)}
    assert BODY in texts["page.html"] and BODY in texts["story.md"]


# --- real pages and what reading HTML keeps -------------------------------------------

PAGES = Path(__file__).resolve().parents[3] / "shared" / "pages" / "newspaper" / "html"
needs_pages = pytest.mark.skipif(not PAGES.exists(), reason="needs ../shared/pages")

CARBON = [
    "Microsoft Corp said on Thursday it would remove from the atmosphere all the carbon it has "
    "emitted since its founding in 1975, by 2050.",
    "The company will spend $1 billion over four years on carbon removal technology, its "
    "president Brad Smith told reporters in Redmond.",
    "Environmental groups welcomed the pledge but said the company should also stop selling "
    "cloud services to oil and gas producers.",
    "Analysts said the cost would barely dent the company's earnings, which topped $39 billion "
    "last year.",
]
SUBHEADING = "Microsoft moves to erase its carbon footprint from the atmosphere in climate push"
FURNITURE_HTML = [
    '<figure><img src="x.jpg"><figcaption>Brad Smith at the launch event. (Credit: Jane Doe)</figcaption>'
    "</figure>",
    '<blockquote class="twitter-tweet"><p>Big news on the climate front today</p>&mdash; Brad '
    "Smith (@BradSmi) January 16, 2020</blockquote>",
    '<blockquote class="twitter-tweet"><p>We did it pic.twitter.com/abc123</p></blockquote>',
    "<p>(Credit: Reuters/Jane Doe)</p>",
    "<p>(Image credit: Getty Images)</p>",
    '<p>Read more: <a href="/x">Amazon pledges to cut its emissions</a></p>',
    "<p>Additional reporting by Jane Doe; Editing by John Roe</p>",
    "<p>Our Standards: The Thomson Reuters Trust Principles.</p>",
    "<p>This article originally appeared on VICE US.</p>",
    "<p>Submit your letter to the editor via this form. Read more Letters to the Editor.</p>",
    "<h3>PC Gamer Newsletter</h3><p>Sign up to get the best content of the week, and great "
    "gaming deals, as picked by the editors.</p>",
    "<h3>Editors' Recommendations</h3><ul><li><a href='/a'>The best laptops of 2020 for every "
    "budget</a></li><li><a href='/b'>Why cloud computing uses so much power</a></li></ul>",
    "<p>Subscribe: Spotify | Apple Podcasts | Google Podcasts | RSS</p>",
    "<p>© Thomson Reuters 2020</p>",
]
FURNITURE_WORDS = [
    "Credit", "launch event", "Big news", "BradSmi", "pic.twitter", "Getty", "Read more", "Amazon",
    "Additional reporting", "Editing by", "Our Standards", "originally appeared", "letter",
    "Newsletter", "Sign up", "Recommendations", "laptops", "Subscribe", "Spotify", "©",
]  # fmt: skip


def _page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>"


def test_html_paragraphs_stay_paragraphs_and_headings_join_no_sentence(tmp_path):
    body = (
        f"<h1>Microsoft to erase its carbon footprint</h1><p>{CARBON[0]}</p>"
        f"<h2>{SUBHEADING}</h2><p>{CARBON[1]}</p><p>{CARBON[2]}</p><p>{CARBON[3]}</p>"
    )
    (tmp_path / "carbon.html").write_text(_page("Microsoft to erase its carbon footprint", body))
    (doc,) = read_sources([tmp_path]).documents
    article = prepare(doc)
    # The sub-heading is a paragraph of its own, a sentence of its own in every passage.
    assert article.text.split("\n\n") == [CARBON[0], SUBHEADING, *CARBON[1:]]
    sentences = [article.text[a:b] for p in make_passages(article.text) for a, b in p.sentences]
    assert SUBHEADING in sentences
    assert "Microsoft to erase its carbon footprint" not in article.text  # the headline
    assert article.title == "Microsoft to erase its carbon footprint"


def test_html_furniture_is_never_indexed(tmp_path):
    body = f"<h1>Microsoft to erase its carbon footprint</h1><p>{CARBON[0]}</p>"
    body += f"<p>{CARBON[1]}</p>" + "".join(FURNITURE_HTML[:6])
    body += f"<p>{CARBON[2]}</p><p>{CARBON[3]}</p>" + "".join(FURNITURE_HTML[6:])
    (tmp_path / "carbon.html").write_text(_page("Microsoft - Example Times", body))
    (doc,) = read_sources([tmp_path]).documents
    article = prepare(doc)
    assert article.text.split("\n\n") == CARBON
    for junk in FURNITURE_WORDS:
        assert junk not in article.text, junk


@needs_pages
def test_real_page_keeps_paragraphs_and_drops_the_story_box():
    (doc,) = read_file(PAGES / "reuters.com1.html", 10**8)
    article = prepare(doc)
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("MUMBAI (Reuters) - The BSE Sensex and Nifty ended flat")
    assert paragraphs[-1].startswith("However, energy firms fell as Brent crude")
    for junk in ("Sensex ends flat", "Reporting by", "Tweet this", "Jaitley", "Full Article"):
        assert junk not in article.text


def test_paragraphs_only_the_wider_extraction_finds_are_merged_in_place():
    lede = (
        "It's a familiar scene: young people around laptops in a makeshift press center. "
        "They could be activists anywhere, except the walls are lined with rifles."
    )
    main = ["# Kobane", CARBON[1], CARBON[2]]
    other = [
        "# Trending",
        lede,
        CARBON[1],
        "Read the full story of the siege here.",  # a teaser: one sentence
        CARBON[2].replace("cloud services", "cloud computing services"),  # seen already
        "# Related",
        "- Analysts said the cost would barely dent earnings. It topped $39 billion last year.",
    ]
    assert merge_blocks(main, other) == ["# Kobane", lede, CARBON[1], CARBON[2]]


@needs_pages
def test_real_pages_lose_no_lede_and_keep_no_gallery_caption():
    text = prepare(read_file(PAGES / "talkingpointsmemo.com1.html", 10**8)[0]).text
    assert text.startswith("It’s a familiar scene: Young people in a makeshift press center")
    # The caption of each photo of a gallery (a <figcaption> given as a paragraph) goes.
    text = prepare(read_file(PAGES / "slate.com2.html", 10**8)[0]).text
    assert "Though nowhere near the size of last year’s broad-based social movement" in text
    assert "Police take up positions" not in text and "Photo by" not in text


@needs_pages
def test_real_page_with_embedded_tweets_and_verse():
    article = prepare(read_file(PAGES / "mashable.com2.html", 10**8)[0])
    assert (
        "Stansted" in article.text and "@" not in article.text and "pic.twitter" not in article.text
    )
    # Verse quoted with " / " is prose, not a link bar.
    verse = prepare(read_file(PAGES / "cleveland.com2.html", 10**8)[0]).text
    assert "Woodson won the National Book Award for this childhood memoir in verse." in verse


@needs_pages
def test_pages_that_are_not_articles_are_skipped_with_the_reason(tmp_path):
    for name in ("details.com1", "fool.com2", "cnn_main_site", "yahoo_main_site"):
        (tmp_path / f"{name}.html").write_bytes((PAGES / f"{name}.html").read_bytes())
    caption = "<p>Senator Mitch McConnell arriving at the Capitol on Tuesday.</p>"
    (tmp_path / "caption.html").write_text(_page("A photo", caption))
    code = "<p>{{ article.body | safe }}</p><p>&lt;div class='x'&gt;{% block content %}&lt;/div&gt;</p>"
    (tmp_path / "template.html").write_text(_page("Template", code))
    result = read_sources([tmp_path])
    assert result.documents == []
    reasons = {Path(p).stem: r for p, r in result.skipped}
    assert reasons["details.com1"] == "not an article: an error page ('Page Not Found')"
    assert reasons["fool.com2"] == "not an article: an error page ('Forbidden')"
    assert "front page of edition.cnn.com" in reasons["cnn_main_site"]
    assert "front page of uk.yahoo.com" in reasons["yahoo_main_site"]
    assert "one short paragraph (9 words)" in reasons["caption"]
    assert reasons["template"].startswith("not an article: no article text")


@needs_pages
def test_real_page_titles_lose_the_site_name():
    titles = {
        name: prepare(read_file(PAGES / f"{name}.html", 10**8)[0]).title
        for name in ("wired.com1", "telegraph.co.uk2", "spanish_article", "self.com1")
    }
    assert titles == {
        "wired.com1": "How Butterflies Get Their Shine",
        "telegraph.co.uk2": "Margaret Thatcher feared GCSEs would lower school standards",
        "spanish_article": "Anticorrupción decidirá en Madrid si recurre la imputación de la Infanta",
        "self.com1": "Headbands 101: Taylor Swift Taught a Master Class on the Subject",
    }


@needs_pages
def test_pages_in_other_scripts_are_read():
    text = prepare(read_file(PAGES / "chinese_article.html", 10**8)[0]).text
    assert text.startswith("香港行政长官梁振英在各方压力下就其大宅的违章建筑")
    assert len(text.split("\n\n")) >= 5


def test_size_refusal_names_the_setting(tmp_path):
    (tmp_path / "big.html").write_text(HTML * 10)
    result = read_sources([tmp_path], max_bytes=1000)
    (reason,) = [r for _, r in result.skipped]
    assert "over the 1000-byte cap" in reason and "index.max_file_bytes" in reason


def test_a_missing_reader_library_is_one_clear_error(tmp_path, monkeypatch, caplog):
    """feedparser missing: each feed is skipped with one line naming the package, the
    error is logged once, and the other formats are read."""
    for n in range(3):
        (tmp_path / f"feed{n}.rss").write_text(RSS)
    (tmp_path / "story.txt").write_text(BODY)
    monkeypatch.setitem(sys.modules, "feedparser", None)  # what `import` sees when it is gone
    with caplog.at_level(logging.WARNING, logger="index.ingest.sources"):
        result = read_sources([tmp_path])
    assert [Path(d.path).name for d in result.documents] == ["story.txt"]
    reasons = {r for _, r in result.skipped}
    assert len(result.skipped) == 3 and len(reasons) == 1
    (reason,) = reasons
    assert reason.startswith(
        "cannot read feed files: the Python package 'feedparser' is not installed"
    )
    assert "pip install feedparser" in reason
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert not [r for r in caplog.records if "Traceback" in r.getMessage()]


def test_html_without_lxml_html_clean_is_one_clear_error(tmp_path):
    """pip 23.2 leaves the lxml[html_clean] extra out: trafilatura then fails on import
    for every page. A fresh interpreter without lxml_html_clean shows what a user sees."""
    for n in range(3):
        (tmp_path / f"page{n}.html").write_text(HTML)
    (tmp_path / "story.txt").write_text(BODY)
    script = (
        "import sys, json, logging; sys.modules['lxml_html_clean'] = None; "
        "logging.basicConfig(level=logging.WARNING); "
        "from index.ingest.sources import read_sources; "
        f"r = read_sources([{str(tmp_path)!r}]); "
        "print(json.dumps([[d.path for d in r.documents], r.skipped]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    docs, skipped = json.loads(proc.stdout)
    assert [Path(p).name for p in docs] == ["story.txt"]
    assert len(skipped) == 3 and len({r for _, r in skipped}) == 1
    assert "cannot read HTML files" in skipped[0][1] and "lxml_html_clean" in skipped[0][1]
    assert proc.stderr.count("ERROR") == 1 and "Traceback" not in proc.stderr


@needs_pages
def test_a_page_dated_in_an_unknown_zone_reads_without_a_warning():
    # theglobeandmail pages are dated "... EST": dateutil would warn on the terminal.
    page = PAGES / "theglobeandmail.com1.html"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownTimezoneWarning)
        doc = read_html(page.read_text(encoding="utf-8", errors="replace"), str(page), "h")
    assert doc.published[:4].isdigit() and doc.text


@needs_pages
@pytest.mark.parametrize(
    ("name", "day"),
    [
        # No date in the metadata: the footer's "Copyright 2015" is not 1 January 2015.
        ("about.com1.html", ""),
        ("usnews.com2.html", ""),
        # A story of New Year's Day, dated so in its metadata, keeps its day.
        ("mashable.com1.html", "2010-01-01"),
        ("space.com1.html", "2014-11-04"),
    ],
)
def test_a_copyright_year_is_not_taken_for_the_day_a_page_was_published(name, day):
    page = PAGES / name
    doc = read_html(page.read_text(encoding="utf-8", errors="replace"), str(page), "h")
    assert doc.published == day
