"""Reading every supported format into Documents, and skipping what can't be read."""

import json

from index.articles import prepare
from index.sources import read_sources

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
