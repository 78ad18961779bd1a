"""Answers, source lists and build reports as Discord embeds, always within Discord's limits.

Pure: no I/O, no client. Every piece of article or user text is made inert before it goes
out: markdown escaped (so a quote can't restyle the message or mask a link) and mentions
neutralised with a zero-width space (the bot also sends allowed_mentions=none, this is
the second lock on the same door).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

import discord

from index import (
    ELLIPSIS,
    PASSAGE_BUDGET,
    Answer,
    BuildReport,
    Citation,
    Hit,
    IndexedArticle,
    IndexEmptyError,
    IndexMissingError,
    QueryError,
    clip,
    excerpt,
)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000  # all embeds of one message together
MAX_EMBEDS = 10
MAX_URL = 2048

NOT_COVERED = Answer.NOT_COVERED
ACCENT = discord.Colour(0x2B6CB0)
MUTED = discord.Colour(0x718096)
ZWSP = "\u200b"

# Invisible characters that could hide a mention or a link from a reader (or a filter),
# and the direction controls (U+202E and kin) that make text read other than it is.
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\u061c\u202a-\u202e\u2066-\u2069]"
)
_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,25})", re.I)
# What Discord turns into a mention: <@id>, <@!id>, <@&id>, <#id>, @everyone, @here.
_MENTION_TOKEN = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b", re.I)
_LINK = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)
_UNESCAPED_BRACKET = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]])")


# --- making text inert ------------------------------------------------------------------


def inert(text: str) -> str:
    """`text` with markdown escaped and mentions (@everyone, @here, <@id>, <@&id>) broken."""
    text = _INVISIBLE.sub("", text)
    text = discord.utils.escape_markdown(text)
    text = _UNESCAPED_BRACKET.sub(r"\1\\\2", text)  # no [label](link), even across lines
    return _MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def clean_question(text: str) -> str:
    """A question as the engine gets it and the echo shows it: invisible and direction
    characters and mention tokens removed, whitespace collapsed."""
    return " ".join(_MENTION_TOKEN.sub(" ", _INVISIBLE.sub("", text)).split())


def inert_user(text: str) -> str:
    """`inert` for text a user typed, whose links are shown as code: never live links."""
    text = _INVISIBLE.sub("", text)
    out, at = [], 0
    for m in _LINK.finditer(text):
        link = _MENTION.sub(lambda x: f"@{ZWSP}{x.group(1)}", m.group().replace("`", "ˋ"))
        out += [inert(text[at : m.start()]), f"`{link}`"]
        at = m.end()
    return "".join([*out, inert(text[at:])])


def inert_clip(text: str, limit: int) -> str:
    """Escape then fit in `limit`, cutting the raw text (so an escape is never split)."""
    out = inert(text)
    raw = text
    while len(out) > limit and raw:
        keep = min(len(raw) - 1, len(raw) * (limit - 1) // len(out))
        raw = raw[: max(0, keep)].rstrip()
        out = inert(raw) + ELLIPSIS
    return out if len(out) <= limit else ELLIPSIS[:limit]


# An absolute path (POSIX, ~/ or C:\): never inside a URL, whose slashes follow ':' or a word.
_PATH = re.compile(r"(?<![\w:/.])(?:[A-Za-z]:\\|~?/)(?:[^\s'\"/\\]+[/\\])+([^\s'\"/\\]*)")


def without_paths(text: str) -> str:
    """`text` with every absolute path cut to its last part: '/srv/news/x.md' → 'x.md'
    (one part alone, like '/reindex', is left: it names a command as often as a path)."""
    return _PATH.sub(lambda m: m.group(1) or "…", text)


def error_text(exc: Exception) -> str:
    """What a Discord user is told about an engine error: the problem with their question
    or filters as the engine says it, else a plain sentence; never a server path."""
    if isinstance(exc, QueryError):
        text = without_paths(str(exc))
    elif isinstance(exc, (IndexMissingError, IndexEmptyError)):
        text = "Nothing is indexed yet: an admin can run /reindex."
    else:
        text = "The index can't be read right now; the error was logged."
    return clip("⚠️ " + inert_user(text), 1900)


def safe_url(url: str) -> str | None:
    """`url` when Discord would accept it as an embed link (http/https, no spaces)."""
    url = (url or "").strip()
    if not re.match(r"https?://[^\s/$.?#][^\s]*$", url, re.I) or len(url) > MAX_URL:
        return None
    return url


def human_date(published: str) -> str:
    """'2025-02-28' → '28 Feb 2025'; anything else unchanged."""
    try:
        d = date.fromisoformat(published)
    except (TypeError, ValueError):
        return published or ""
    return f"{d.day} {d:%b %Y}"


def citation(source: Citation) -> str:
    """'Outlet · 28 Feb 2025' (plain text: used in footers, which don't render markdown)."""
    bits = [b for b in (source.outlet.strip(), human_date(source.published)) if b]
    return " · ".join(bits) or "unknown outlet and date"


# --- answers ------------------------------------------------------------------------------


def marked_passage(hit: Hit, budget: int = PASSAGE_BUDGET) -> str:
    """The trimmed passage, escaped, with the answering sentence in bold."""
    before, quote, after = excerpt(hit, budget)
    if not quote:
        return inert(before)
    # Whitespace just inside ** breaks the bold, so it stays outside.
    return f"{inert(before)}**{inert(quote)}**{inert(after)}"


def question_line(question: str, limit: int = 600) -> str:
    """The echoed question, escaped, its links shown as code: '**Q:** …'."""
    return f"**Q:** {inert_user(clip(' '.join(question.split()), limit))}"


def by_article(hits: Sequence[Hit]) -> list[list[Hit]]:
    """The hits grouped by article, in the order each article first appears."""
    groups: dict[int, list[Hit]] = {}
    for h in hits:
        groups.setdefault(h.citation.article_id, []).append(h)
    return list(groups.values())


def _passages(n: int) -> str:
    return "the passage that answers it best" if n == 1 else f"the {n} passages that answer it best"


def answer_content(answer: Answer, min_score: float = 0.0, context: str = "") -> str:
    """The message text: the question (and the conversation it follows up, `context`),
    then 'not covered' when nothing answers it, else how many of the quoted passages
    clear the relevance bar (`min_score`)."""
    line = question_line(answer.question)
    if context:
        line += f"\n-# ↪ following up on: {inert_user(clip(' '.join(context.split()), 300))}"
    if not answer.covered or not answer.hits:
        # the refusal may quote the question's own words ("... mentions “Freya”."): inert
        return clip(f"{line}\n{inert_user(answer.refusal)}", MAX_CONTENT)
    shown = [h for group in by_article(answer.hits)[:MAX_EMBEDS] for h in group]
    strong = max(1, sum(h.score >= min_score for h in shown))
    what = _passages(strong)
    if len(shown) > strong:
        what += f", then {len(shown) - strong} more that may be related"
    return clip(f"{line}\nFrom the coverage, {what}:", MAX_CONTENT)


def article_embed(
    hits: Sequence[Hit],
    n: int,
    budget: int = PASSAGE_BUDGET,
    *,
    title_max: int = MAX_TITLE,
    also_max: int = 400,
) -> discord.Embed:
    """One article's quoted passages: its title (linked when it has a URL), each passage
    with its answering sentence in bold, outlet and date once, and syndicated copies."""
    src = hits[0].citation
    prefix = f"{n}. "
    title = prefix + inert_clip(src.title.strip() or "(untitled)", title_max - len(prefix))
    embed = discord.Embed(
        title=title,
        url=safe_url(src.url),
        description="\n\n".join(marked_passage(h, budget) for h in hits),
        colour=ACCENT,
    )
    also = list({c.article_id: c for h in hits for c in h.also}.values())
    footer = f"{citation(src)} · source #{src.article_id}"
    if also and also_max:
        embed.add_field(name="Also reported by", value=also_reported(also, also_max), inline=False)
    elif also:
        footer += f" · also in {len(also)} more"
    embed.set_footer(text=clip(footer, MAX_FOOTER))
    return embed


def bounded_lines(lines: Sequence[str], limit: int) -> str:
    """As many of `lines` as fit in `limit` characters, then '…and N more'."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        reserve = len(f"\n…and {rest} more") if rest else 0
        if used + len(line) + 1 + reserve > limit:
            if not out:
                out.append(clip(line, max(1, limit - len(f"\n…and {len(lines)} more"))))
                i += 1
            if len(lines) - i:
                out.append(f"…and {len(lines) - i} more")
            break
        out.append(line)
        used += len(line) + 1
    return clip("\n".join(out), limit)


def also_reported(sources: Sequence[Citation], limit: int = 400) -> str:
    """A short list of the other outlets that carried the same passage. A link is shown
    whole or not at all: one too long for the room is left out, its title kept."""
    limit = min(limit, MAX_FIELD_VALUE)
    lines = []
    for s in sources:
        name = inert_clip(s.title.strip() or "(untitled)", 120)
        meta = inert(citation(s))
        url = safe_url(s.url)
        line = f"• {name} — {meta}"
        if url:
            linked = f"• [{name}]({url.replace('(', '%28').replace(')', '%29')}) — {meta}"
            # room for "…and N more" after it: so bounded_lines never has to cut it
            line = linked if len(linked) <= limit - 20 else line
        lines.append(line)
    return bounded_lines(lines, limit)


# Ever more compact layouts for answers with many hits: (title, "also reported by") sizes.
_LAYOUTS = ((MAX_TITLE, 400), (120, 200), (80, 0))


def answer_embeds(answer: Answer, budget: int = PASSAGE_BUDGET) -> list[discord.Embed]:
    """One embed per article quoted, the set within 6,000 characters and 10 embeds.

    Passages shrink first; titles and syndication lists only when passages would get
    too short to be useful.
    """
    groups = by_article(answer.hits)[:MAX_EMBEDS] if answer.covered else []
    if not groups:
        return []
    embeds: list[discord.Embed] = []
    for title_max, also_max in _LAYOUTS:
        per_hit = budget
        while per_hit >= 150 or ((title_max, also_max) == _LAYOUTS[-1] and per_hit >= 40):
            embeds = [
                article_embed(g, i, per_hit, title_max=title_max, also_max=also_max)
                for i, g in enumerate(groups, 1)
            ]
            total = embeds_length(embeds)
            if total <= MAX_EMBED_TOTAL:
                return embeds
            described = sum(len(e.description or "") for e in embeds)
            ratio = (described - (total - MAX_EMBED_TOTAL)) / described if described else 0
            per_hit = min(int(per_hit * 0.9), int(per_hit * ratio * 0.95))
    while len(embeds) > 1 and embeds_length(embeds) > MAX_EMBED_TOTAL:
        embeds.pop()  # unreachable with Discord's limits as they are; a last guard
    return embeds


def embeds_length(embeds: Sequence[discord.Embed]) -> int:
    """What Discord counts towards the 6,000-character limit of one message."""
    return sum(len(e) for e in embeds)


# --- sources --------------------------------------------------------------------------------

SOURCES_PER_PAGE = 10


def page_count(total: int, per_page: int = SOURCES_PER_PAGE) -> int:
    return max(1, math.ceil(total / per_page))


def source_line(a: IndexedArticle) -> str:
    title = inert_clip(a.title.strip() or "(untitled)", 150)
    meta = " · ".join(b for b in (inert_clip(a.outlet, 60), human_date(a.published)) if b)
    plural = "passage" if a.passages == 1 else "passages"
    return f"`#{a.id}` **{title}**" + (f" — {meta}" if meta else "") + f" · {a.passages} {plural}"


def sources_page(
    rows: Sequence[IndexedArticle], page: int, search: str = "", per_page: int = SOURCES_PER_PAGE
) -> discord.Embed:
    """Page `page` (0-based) of the article list."""
    pages = page_count(len(rows), per_page)
    page = min(max(page, 0), pages - 1)
    title = "Indexed articles"
    if search:
        title += f" matching “{clip(' '.join(search.split()), 100)}”"
    chunk = rows[page * per_page : (page + 1) * per_page]
    if chunk:
        description = "\n".join(source_line(a) for a in chunk)
    elif search:
        description = "No indexed article matches that search."
    else:
        description = "Nothing is indexed yet."
    embed = discord.Embed(
        title=clip(title, MAX_TITLE), description=clip(description, MAX_DESCRIPTION), colour=ACCENT
    )
    total = f"{len(rows)} article" + ("" if len(rows) == 1 else "s")
    embed.set_footer(text=f"Page {page + 1}/{pages} · {total} · /source id for details")
    return embed


def source_embed(a: IndexedArticle) -> discord.Embed:
    """One article's details."""
    embed = discord.Embed(
        title=inert_clip(a.title.strip() or "(untitled)", MAX_TITLE),
        url=safe_url(a.url),
        colour=ACCENT,
    )
    embed.add_field(name="Outlet", value=inert_clip(a.outlet or "unknown", 200))
    embed.add_field(name="Published", value=human_date(a.published) or "unknown")
    embed.add_field(name="Passages", value=str(a.passages))
    if a.place:
        embed.add_field(name="Place", value=inert_clip(a.place, 200))
    if safe_url(a.url):
        embed.add_field(name="Link", value=clip(a.url, MAX_FIELD_VALUE), inline=False)
    embed.set_footer(text=f"source #{a.id}")
    return embed


# --- reindex ----------------------------------------------------------------------------------


def progress_text(stage: str, done: int, total: int, elapsed: float) -> str:
    """'⏳ Reindexing — embedding 120/340 (12 s)'."""
    step = f"{stage} {done}/{total}" if total else stage
    return clip(f"⏳ Reindexing — {inert(step)} ({elapsed:.0f} s)", MAX_CONTENT)


def report_embed(report: BuildReport, what: str) -> discord.Embed:
    """The counts of a finished build."""
    embed = discord.Embed(
        title="Reindex finished",
        description=clip(f"Sources: {inert(what)}", MAX_DESCRIPTION),
        colour=ACCENT,
    )
    for name, value in (
        ("Added", report.added),
        ("Changed", report.changed),
        ("Removed", report.removed),
        ("Unchanged", report.unchanged),
        ("Passages embedded", report.passages_embedded),
        ("Skipped", len(report.skipped)),
    ):
        embed.add_field(name=name, value=str(value))
    if report.skipped:
        lines = [inert_clip(f"{PurePath(p).name}: {r}", 150) for p, r in report.skipped]
        value = bounded_lines(lines, MAX_FIELD_VALUE)
        embed.add_field(name="Skipped files", value=value, inline=False)
    embed.set_footer(text=f"generation {report.generation} · {report.seconds:.1f} s")
    return embed


# --- status ----------------------------------------------------------------------------------


@dataclass
class Status:
    """What /status shows: plain values gathered by the admin cog."""

    articles: int
    passages: int
    generation: int
    model: str  # the model's name (a path's last part), backend and device
    uptime: float  # seconds
    sources: list[tuple[str, str]]  # (name, health) of each registered source
    last_build: BuildReport | None = None  # the last build (the bot's or another process's)
    last_build_at: float = 0.0  # its end, as a Unix time


def duration(seconds: float) -> str:
    """'3 d 4 h', '2 h 5 min', '7 min', '12 s'."""
    s = int(seconds)
    for unit, size, sub, subsize in (("d", 86400, "h", 3600), ("h", 3600, "min", 60)):
        if s >= size:
            return f"{s // size} {unit} {s % size // subsize} {sub}"
    return f"{s // 60} min" if s >= 60 else f"{s} s"


def status_embed(st: Status) -> discord.Embed:
    embed = discord.Embed(title="newsdesk status", colour=ACCENT)
    for name, value in (
        ("Articles", str(st.articles)),
        ("Passages", str(st.passages)),
        ("Generation", str(st.generation)),
        ("Model", inert_clip(st.model, 200)),
        ("Uptime", duration(st.uptime)),
    ):
        embed.add_field(name=name, value=value)
    r = st.last_build
    if r is None:
        last = "None yet."
    else:
        last = (
            f"<t:{int(st.last_build_at)}:R>, {r.seconds:.1f} s: {r.added} added, "
            f"{r.changed} changed, {r.removed} removed, {r.unchanged} unchanged, "
            f"{r.passages_embedded} passages embedded, {len(r.skipped)} files skipped"
        )
        if r.skipped:
            names = [inert_clip(f"{PurePath(p).name}: {why}", 150) for p, why in r.skipped]
            last += "\n" + bounded_lines(names, MAX_FIELD_VALUE - len(last) - 1)
    embed.add_field(name="Last build", value=clip(last, MAX_FIELD_VALUE), inline=False)
    lines = [f"• {inert_clip(name, 100)} — {inert(health)}" for name, health in st.sources]
    embed.add_field(
        name="Sources", value=bounded_lines(lines, MAX_FIELD_VALUE) or "none", inline=False
    )
    return embed


# --- help ------------------------------------------------------------------------------------


def help_embed(max_question_chars: int, cooldown_seconds: float) -> discord.Embed:
    embed = discord.Embed(
        title="newsdesk",
        description=(
            "I answer questions about the news coverage I have indexed by quoting the passages "
            "that answer them, with the article, outlet and date of each. When the coverage "
            "doesn't address a question, I say so instead of guessing; a question that says "
            "when (“this week”, “yesterday”) is answered only from news of that time."
        ),
        colour=ACCENT,
    )
    embed.add_field(
        name="/ask question [outlet] [since] [until] [private]",
        value=(
            "The best passages, answering sentence in **bold**. Filter by outlet or by "
            "publication date (YYYY-MM-DD); `private` shows the answer only to you. "
            f"Questions up to {max_question_chars} characters."
        ),
        inline=False,
    )
    embed.add_field(
        name="@mention",
        value="Mention me with a question in a channel or thread and I reply to your message. "
        "Reply to one of my answers (or ask again in its thread) to follow up on it.",
        inline=False,
    )
    embed.add_field(
        name="/sources [search] · /source id",
        value="The indexed articles, page by page; one article's details.",
        inline=False,
    )
    embed.add_field(
        name="/reindex [source] · /status",
        value="Admins only: update the index from the configured sources (or one more); "
        "the index, the model and the health of each source.",
        inline=False,
    )
    if cooldown_seconds:
        embed.set_footer(
            text=f"One question every {cooldown_seconds:g} s per person. 👍/👎 on answers help."
        )
    return embed
