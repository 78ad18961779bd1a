"""bot.render is pure: answers, lists and reports as embeds, inert and within Discord's limits."""

from __future__ import annotations

import re

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from index import Answer, BuildReport, Citation, Hit, IndexedArticle

ZW = render.ZWSP


def source(n: int = 1, title: str = "Talks in Beijing", url: str = "https://ex.am/ple") -> Citation:
    return Citation(n, title, "Devdiscourse", "2025-02-28", url, f"/corpus/{n}.txt")


def hit(text: str, quote: str, n: int = 1, also: list[Citation] | None = None, **src) -> Hit:
    start = text.find(quote)
    return Hit(n, text, quote, max(start, 0), 0.7, source(n, **src), also or [])


def article(n: int, title: str = "Article", passages: int = 3) -> IndexedArticle:
    return IndexedArticle(
        n, f"k{n}", f"/c/{n}.md", "", title, "Outlet", "", "2025-03-01", "h", passages
    )


def check_limits(content: str, embeds: list[discord.Embed]) -> None:
    assert len(content) <= render.MAX_CONTENT
    assert len(embeds) <= render.MAX_EMBEDS
    assert render.embeds_length(embeds) <= render.MAX_EMBED_TOTAL
    for e in embeds:
        d = e.to_dict()
        assert len(d.get("title", "")) <= render.MAX_TITLE
        assert len(d.get("description", "")) <= render.MAX_DESCRIPTION
        assert len(d.get("footer", {}).get("text", "")) <= render.MAX_FOOTER
        assert len(d.get("fields", [])) <= 25
        for f in d.get("fields", []):
            assert len(f["name"]) <= render.MAX_FIELD_NAME
            assert 0 < len(f["value"]) <= render.MAX_FIELD_VALUE


def unpinged(text: str) -> bool:
    """No live @everyone/@here or <@id>/<@&id> mention left in `text`."""
    return not re.search(r"@(everyone|here)|<@[!&]?\d", text)


# --- making text inert ----------------------------------------------------------------------


def test_inert_breaks_mentions_and_escapes_markdown():
    text = "@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678>"
    out = render.inert(text)
    assert unpinged(out)
    assert f"@{ZW}everyone" in out and f"<@{ZW}&123456789012345678>" in out
    assert render.inert("**bold** _it_ ~~s~~ ||spoiler|| `code`") == (
        "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`"
    )
    assert render.inert("# Heading\n> quote") == "\\# Heading\n\\> quote"


def test_inert_strips_invisible_characters_that_hide_mentions():
    for sneaky in ("@\u200beveryone", "@\u2060here", "@\ufeffeveryone", "@\u200deveryone"):
        out = render.inert(sneaky)
        assert out.count(ZW) == 1 and unpinged(out)


def test_inert_breaks_masked_links_even_across_lines():
    for text in ("[click](http://evil.example)", "[click\n](http://evil.example)"):
        out = render.inert(text)
        assert re.search(r"(?<!\\)\[", out) is None and re.search(r"(?<!\\)\]", out) is None


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_inert_never_leaves_a_mention(text):
    assert unpinged(render.inert(text))


def test_inert_clip_fits_and_never_splits_an_escape():
    for limit in (1, 5, 17, 40):
        out = render.inert_clip("*_*" * 50, limit)
        assert len(out) <= limit
        assert not re.search(r"(?<!\\)\\$", out.rstrip(render.ELLIPSIS))


# --- answers ------------------------------------------------------------------------------


def test_quote_marked_in_bold_and_cited():
    text = "Shoigu arrived on Monday. He met Wang Yi in Beijing. Talks lasted two hours."
    answer = Answer("Who did Shoigu meet?", True, [hit(text, "He met Wang Yi in Beijing.")])
    [embed] = render.answer_embeds(answer)
    assert embed.description == (
        "Shoigu arrived on Monday. **He met Wang Yi in Beijing.** Talks lasted two hours."
    )
    assert embed.title == "1. Talks in Beijing" and embed.url == "https://ex.am/ple"
    assert embed.footer.text == "Devdiscourse · 28 Feb 2025 · source #1"
    assert "Who did Shoigu meet?" in render.answer_content(answer)


def test_untitled_unlinked_and_undated_sources():
    h = hit("Some text here.", "Some text here.", title="", url="javascript:alert(1)")
    h.citation.outlet, h.citation.published = "", ""
    [embed] = render.answer_embeds(Answer("q", True, [h]))
    assert embed.title == "1. (untitled)" and embed.url is None
    assert embed.footer.text.startswith("unknown outlet and date")


def test_long_passages_are_trimmed_around_the_answering_sentence():
    before = " ".join(f"before{i}" for i in range(300))
    after = " ".join(f"after{i}" for i in range(300))
    quote = "The answer is forty two."
    h = hit(f"{before} {quote} {after}", quote)
    lead, q, tail = render.excerpt(h, 300)
    assert q == quote
    assert lead.startswith(render.ELLIPSIS) and tail.endswith(render.ELLIPSIS)
    assert len(lead) + len(q) + len(tail) <= 300
    assert "before299" in lead and "after0" in tail  # the context next to the quote is kept
    assert abs(len(lead) - len(tail)) < 40  # context from both sides


def test_quote_at_the_start_gives_the_room_to_what_follows():
    quote = "First sentence answers."
    h = hit(quote + " " + "more words " * 100, quote)
    lead, q, tail = render.excerpt(h, 200)
    assert lead == "" and q == quote and 150 < len(tail) <= 200 - len(quote)


def test_quote_longer_than_the_budget_is_cut():
    quote = "word " * 400
    h = hit("Intro. " + quote, quote.strip())
    lead, q, _ = render.excerpt(h, 100)
    assert lead == render.ELLIPSIS and len(q) <= 100 and q.endswith(render.ELLIPSIS)


def test_also_reported_by_syndicated_copies():
    copies = [Citation(i, f"Copy {i}", f"Outlet {i}", "2025-03-01", "", "") for i in range(2, 5)]
    [embed] = render.answer_embeds(Answer("q", True, [hit("A. B.", "B.", also=copies)]))
    [field] = embed.fields
    assert field.name == "Also reported by"
    assert "Copy 2 — Outlet 2 · 1 Mar 2025" in field.value and "Copy 4" in field.value


def test_a_link_in_also_reported_by_is_whole_or_absent():
    long_url = "https://x.example/" + "a" * 1500
    copies = [Citation(i, f"Copy {i}", "Outlet", "2025-03-01", long_url, "") for i in range(3)]
    copies.append(Citation(9, "Short", "Outlet", "2025-03-01", "https://x.example/s(1)", ""))
    value = render.also_reported(copies, 400)
    assert len(value) <= 400 and "Copy 0" in value
    assert "aaaa" not in value  # too long to fit whole: left out, never cut
    assert "[Short](https://x.example/s%281%29)" in value


def test_passages_of_one_article_share_one_embed():
    one = hit("Shoigu met Wang Yi. They talked.", "Shoigu met Wang Yi.", n=1)
    two = Hit(2, "Later he met Xi.", "Later he met Xi.", 0, 0.6, one.citation)
    other = hit("Another outlet wrote this.", "Another outlet wrote this.", n=3)
    embeds = render.answer_embeds(Answer("Who did Shoigu meet?", True, [one, other, two]))
    assert [e.title for e in embeds] == ["1. Talks in Beijing", "2. Talks in Beijing"]
    assert "**Shoigu met Wang Yi.**" in embeds[0].description
    assert "**Later he met Xi.**" in embeds[0].description  # the same article's 2nd passage
    assert embeds[0].footer.text.count("source #1") == 1 and "Another" in embeds[1].description


def test_the_header_counts_the_passages_that_clear_the_bar():
    strong = hit("A. B.", "B.", n=1)
    weak = [hit("C. D.", "D.", n=i) for i in (2, 3)]
    for h in weak:
        h.score = 0.2
    one = render.answer_content(Answer("q", True, [strong]), min_score=0.3)
    assert one.endswith("From the coverage, the passage that answers it best:")
    mixed = render.answer_content(Answer("q", True, [strong, *weak]), min_score=0.3)
    assert mixed.endswith(
        "From the coverage, the passage that answers it best, then 2 more that may be related:"
    )
    all_strong = render.answer_content(Answer("q", True, [strong, *weak]), min_score=0.1)
    assert all_strong.endswith("From the coverage, the 3 passages that answer it best:")


def test_not_covered_has_no_embeds():
    answer = Answer("Who won the Champions League final?", False, [])
    assert render.answer_embeds(answer) == []
    assert render.NOT_COVERED in render.answer_content(answer)
    why = "Nothing in the coverage from 2026-02-23 to 2026-03-02 (“this week”) addresses this question."
    dated = Answer("Who won this week?", False, [], reason=why)
    assert render.answer_content(dated).endswith(why) and render.answer_embeds(dated) == []
    # a refusal that quotes the question's words shows them inert
    named = Answer("Who is @everyone_x_?", False, [], reason="… mentions “@everyone_x_”.")
    assert render.answer_content(named).endswith(f"… mentions “@{render.ZWSP}everyone\\_x\\_”.")


def test_worst_case_answer_fits_discord_limits():
    nasty = ("**@everyone** _x_ [a](http://b) |" * 400)[:5000]
    copies = [source(i, title="T" * 400, url="https://x.example/" + "a" * 100) for i in range(40)]
    hits = [hit(nasty, nasty[1000:3500], n=i, also=copies, title="@here " * 100) for i in range(12)]
    answer = Answer("@everyone " * 200, True, hits)
    content, embeds = render.answer_content(answer), render.answer_embeds(answer)
    check_limits(content, embeds)
    assert len(embeds) == 10
    assert all(unpinged(e.title + e.description) for e in embeds) and unpinged(content)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=6),
    question=st.text(max_size=3000),
)
def test_any_answer_fits_discord_limits(texts, question):
    hits = [
        hit(t, t[len(t) // 3 : len(t) // 2] or t, n=i, title=t[:500]) for i, t in enumerate(texts)
    ]
    answer = Answer(question, True, hits)
    check_limits(render.answer_content(answer), render.answer_embeds(answer))


# --- sources, reports, help ---------------------------------------------------------------------


def test_sources_pages():
    rows = [article(i, title=f"Article {i}") for i in range(1, 24)]
    assert render.page_count(len(rows)) == 3 and render.page_count(0) == 1
    first = render.sources_page(rows, 0)
    assert first.description.count("\n") == 9 and "`#1` **Article 1**" in first.description
    assert first.footer.text.startswith("Page 1/3 · 23 articles")
    last = render.sources_page(rows, 99)  # clamped
    assert last.footer.text.startswith("Page 3/3") and "Article 23" in last.description
    empty = render.sources_page([], 0, search="nothing")
    assert "No indexed article matches" in empty.description


def test_source_lines_are_inert_and_bounded():
    rows = [article(i, title="@everyone **" + "x" * 500) for i in range(10)]
    embed = render.sources_page(rows, 0)
    check_limits("", [embed])
    assert unpinged(embed.description)


def test_report_embed_fits_with_many_skipped_files():
    report = BuildReport(
        added=3, changed=1, removed=2, unchanged=10, passages_embedded=40,
        skipped=[(f"/data/{'deep/' * 40}file{i}.bin", "binary file " * 20) for i in range(500)],
        generation=7, seconds=3.2,
    )  # fmt: skip
    embed = render.report_embed(report, "corpus, dropbox")
    check_limits("", [embed])
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Added"] == "3" and fields["Skipped"] == "500"
    *shown, more = fields["Skipped files"].split("\n")
    assert shown[0].startswith("file0.bin: binary file")
    assert more == f"…and {500 - len(shown)} more"


def test_status_embed_fits_with_many_sources_and_skipped_files():
    report = BuildReport(
        added=1, skipped=[(f"/srv/{'deep/' * 40}f{i}.bin", "binary " * 30) for i in range(300)]
    )
    status = render.Status(
        articles=12, passages=40, generation=3, model="all-MiniLM-L6-v2 · onnx · cpu",
        uptime=90061, sources=[(f"source-{i}" * 5, "ok · 3 articles") for i in range(200)],
        last_build=report, last_build_at=1_700_000_000,
    )  # fmt: skip
    embed = render.status_embed(status)
    check_limits("", [embed])
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Uptime"] == "1 d 1 h" and fields["Articles"] == "12"
    assert fields["Last build"].startswith("<t:1700000000:R>, 0.0 s: 1 added")
    assert "f0.bin: binary" in fields["Last build"] and "/srv" not in fields["Last build"]
    assert fields["Sources"].endswith("more")


def test_progress_text():
    assert render.progress_text("embedding", 120, 340, 12.4) == (
        "⏳ Reindexing — embedding 120/340 (12 s)"
    )
    assert render.progress_text("reading", 0, 0, 0) == "⏳ Reindexing — reading (0 s)"


def test_help_embed_fits():
    check_limits("", [render.help_embed(300, 5)])


def test_dates_and_urls():
    assert render.human_date("2025-02-08") == "8 Feb 2025"
    assert render.human_date("") == "" and render.human_date("sometime") == "sometime"
    assert render.safe_url("https://a.example/x?y=1") == "https://a.example/x?y=1"
    for bad in (
        "",
        "ftp://a.example",
        "javascript:alert(1)",
        "https://a b",
        "http://" + "a" * 3000,
    ):
        assert render.safe_url(bad) is None


# --- errors -----------------------------------------------------------------------------------


def test_errors_name_no_server_path():
    from index import IndexCorruptError, IndexMissingError, NoMatchingArticlesError

    assert render.without_paths("missing: /srv/news/wire; `--remove /srv/news/wire`") == (
        "missing: wire; `--remove wire`"
    )
    assert render.without_paths(r"at C:\data\news\x.md") == "at x.md"
    kept = "see https://ex.am/a/b, /reindex and a/b"
    assert render.without_paths(kept) == kept
    for exc in (
        IndexMissingError("no index in /home/ed/.local/share/newsdesk: run `newsdesk index`"),
        IndexCorruptError("/home/ed/.local/share/newsdesk/gen-000002/vectors.faiss is damaged"),
        NoMatchingArticlesError("no indexed article matches published on or after 2030-01-01"),
    ):
        text = render.error_text(exc)
        assert text.startswith("⚠️ ") and "/home" not in text and "ed" not in text.split()
    assert "2030-01-01" in text
