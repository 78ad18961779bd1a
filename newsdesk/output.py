"""Turning answers, build reports and source lists into terminal text or JSON documents."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from index import Answer, BuildReport, Hit, IndexedArticle


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 article', '2 articles', '0 articles'."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def hit_dict(hit: Hit) -> dict:
    s = hit.citation
    return {
        "text": hit.text,
        "quote": hit.quote,
        "score": hit.score,
        "title": s.title,
        "outlet": s.outlet,
        "published": s.published,
        "url": s.url,
        "path": s.path,
        "article_id": s.article_id,
        "passage_id": hit.passage_id,
        "also": [asdict(o) for o in hit.also],
    }


def answer_dict(answer: Answer) -> dict:
    return {
        "question": answer.question,
        "covered": answer.covered,
        "mode": answer.mode,
        "hits": [hit_dict(h) for h in answer.hits],
        **({} if answer.covered else {"refusal": answer.refusal}),
    }


def dumps(doc: object) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


def print_answer(console: Console, answer: Answer) -> None:
    console.print(f"[bold]Q:[/bold] {escape(answer.question)}\n")
    if not answer.covered:
        console.print(answer.refusal)
        return
    for n, hit in enumerate(answer.hits, 1):
        before = hit.text[: hit.quote_start]
        after = hit.text[hit.quote_start + len(hit.quote) :]
        # Styles vanish when piped, so plain output marks the quote Markdown-style.
        quote = escape(hit.quote) if console.is_terminal else f"**{escape(hit.quote)}**"
        console.print(
            f"[bold]{n}.[/bold] [dim](relevance {hit.score:.2f})[/dim] "
            f"{escape(before)}[bold yellow]{quote}[/bold yellow]{escape(after)}"
        )
        for s in hit.citations:
            meta = " · ".join(b for b in (s.outlet, s.published) if b)
            console.print(
                f"   — [italic]{escape(s.title or '(untitled)')}[/italic]"
                + (f" ({escape(meta)})" if meta else "")
            )
            console.print(f"     {escape(s.url or s.path)}", style="dim", soft_wrap=True)
        console.print()


def print_report(console: Console, report: BuildReport) -> None:
    console.print(
        f"added {report.added}, changed {report.changed}, removed {report.removed}, "
        f"unchanged {report.unchanged}; passages embedded {report.passages_embedded} "
        f"(generation {report.generation}, {report.seconds:.1f}s)"
    )
    for path, reason in report.skipped:
        console.print(f"  skipped {escape(path)}: {escape(reason)}", style="yellow")
    for s in report.web:
        if s.last_error:
            line = (
                f"  {escape(s.location)}: {escape(s.last_error)} ({s.failures} failures in a row)"
            )
            console.print(line, style="red")
        else:
            what = "not modified" if s.not_modified else f"{s.new_articles} new, {s.pages} pages"
            console.print(f"  {escape(s.location)}: {what}, {s.requests} requests")


def article_dict(a: IndexedArticle) -> dict:
    return {
        "id": a.id, "title": a.title, "outlet": a.outlet, "published": a.published,
        "url": a.url, "path": a.path, "place": a.place, "passages": a.passages,
        "content_hash": a.content_hash,
    }  # fmt: skip


def print_sources(console: Console, rows: list[IndexedArticle]) -> None:
    table = Table("id", "title", "outlet", "date", "passages")
    for a in rows:
        table.add_row(
            str(a.id), escape(a.title or a.path), escape(a.outlet), a.published, str(a.passages)
        )
    print_table(console, table)
    console.print(plural(len(rows), "article"))


def print_table(console: Console, table: Table) -> None:
    """A table at its full width when the output is not a terminal: piped into a file or
    another program, rich would otherwise squeeze it into 80 columns and cut figures to
    "0.4…"."""
    if console.is_terminal:
        console.print(table)
        return
    narrow = console.width
    needed = console.measure(table, options=console.options.update_width(10_000)).maximum
    console.width = max(narrow, needed)
    try:
        console.print(table)
    finally:
        console.width = narrow


def _share(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def print_eval(console: Console, results: list) -> None:
    ks, budgets = list(results[0].recall), list(results[0].budget_recall)
    table = Table(
        "mode", *[f"R@{k}" for k in ks], *[f"R@{w}w" for w in budgets], "shown R@3",
        "MRR@10", "refusal acc", "false refusal", "p50 ms",
    )  # fmt: skip
    for r in results:
        table.add_row(
            r.mode, *[f"{r.recall[k]:.3f}" for k in ks],
            *[f"{r.budget_recall[w]:.3f}" for w in budgets], _share(r.shown_recall),
            f"{r.mrr10:.3f}", _share(r.refusal_accuracy), f"{r.false_refusal:.3f}",
            f"{r.latency_p50_ms:.1f}",
        )  # fmt: skip
    print_table(console, table)
    r = results[0]
    console.print(
        f"{plural(r.answerable, 'answerable question')}, "
        f"{plural(r.unanswerable, 'unanswerable question')}"
    )
    console.print(
        "R@Nw: an answer in the first N words read, passages in rank order; "
        "shown R@3: in the text the bot's reply shows for its top 3"
    )


def print_feedback(console: Console, votes: list[dict]) -> None:
    """One vote a block: time, 👍/👎 and the question, then the passages it rated."""
    for v in votes:
        mark = "👍" if v["vote"] > 0 else "👎"
        console.print(f"{escape(v['at'])} {mark} {escape(v['question'])}")
        for p in v["passages"]:
            where = f"#{p['article_id']} {p['title'] or '(untitled)'}" if p["article_id"] else ""
            console.print(f"   passage {p['id']}" + (f": {escape(where)}" if where else ""))
    up = sum(v["vote"] > 0 for v in votes)
    console.print(f"{plural(len(votes), 'vote')}: {up} 👍, {len(votes) - up} 👎")
