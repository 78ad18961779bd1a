"""Take page furniture out of scraped news-page text, keeping every sentence of the article.

The page is cut into units (one per line, hard-wrapped prose re-joined) and each unit is
classified from its own features: terminal punctuation, word count, share of capitalised
words, pipe-separated tokens, contact details and a small boilerplate vocabulary. Position
matters too: a block heading such as "Trending" or "Related Articles" opens a list that lasts
until article prose resumes (two prose paragraphs in a row), and a comment-section heading
after the article ends it. Only prose survives, so headings, captions, menus and link lists
never reach the index and can never be quoted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .blocks import EMBEDDED_POST, HEADING
from .passages import split_sentences


@dataclass
class CleanResult:
    """The article body (paragraphs joined by a blank line), its headline and what was cut."""

    text: str
    title: str
    removed: list[str] = field(default_factory=list)


# A sentence ends in . ! ? or an ellipsis, possibly inside closing quotes or brackets.
_CLOSERS = "\"'”’»)]」』）"
_TERMINAL = re.compile(rf"[.!?…。！？؟][{re.escape(_CLOSERS)}]*$")
# Scripts written without spaces between words (Chinese, Japanese, Thai): two characters
# count as one word.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_BULLET = re.compile(r"^[•·▪►◦‣*-]\s+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w/-])\+?\(?\d[\d ().-]{7,}\d(?![\w/-])")
# Link bars, bylines and breadcrumbs: "A | B | C", "Home » World", "Privacy · Terms".
_NAV_SEP = re.compile(r"\s[|»›>•·/]\s|\s?\|\s?")
_CONTACT_LABEL = re.compile(
    r"^(e-?mail|phone|tel|telephone|fax|mobile|call us|contact|address)\b", re.I
)

# Lines that start like this are furniture whatever their length: calls to action, credits,
# metadata labels. Each cue needs its own follow-up so that body sentences ("Shares fell",
# "Photographs showed") do not match.
_START_CUES = re.compile(
    r"^(advertisement\b|sponsored\b|skip to\b|back to top\b|read (more|also|next)\b|also read\b"
    r"|(read|see) the (full|whole|entire|complete) (story|article|post|report)\b"
    r"|continue reading\b"
    r"|see also\b|related\s*(:|articles?|stories|news|posts|coverage|content|topics)"
    r"|more\s*:|click here\b|sign (up|in)\b|log ?in\b|subscribe\b|follow (us|@)|connect (with )?us\b"
    r"|share\s*(this|on|via|:|the article|article)\b|(photo|image|picture|video|credit|caption|"
    r"source|file photo|tags?|topics|filed under)s?\s*:|(photo|image|picture)s? (credit|by|courtesy)"
    r"|leave a (reply|comment)|your email address|we use cookies|this (web)?site uses cookies"
    r"|by (continuing|using) (to )?(use|browse|this)|accept (all )?cookies|cookie (settings|policy)"
    r"|download (our|the) app|get the app|give feedback"
    r"|(last )?(updated|published|posted|created|modified)\b\s*(on|at)?\s*(:|\d|(jan|feb|mar|apr"
    r"|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)"
    r"|\(?(with inputs from|(additional )?reporting by|editing by|writing by|compiled by)\b"
    r"|contributing( writers?| reporters?)?\s*:)",
    re.I,
)
# Shapes no article sentence has: an embedded post's signature (blocks.EMBEDDED_POST),
# markup or code, a sentence cut off by a teaser ("[…]", "...more"; a bare "…" only ends a
# cut-off text when it ends the article, see clean_text).
_MARKUP = re.compile(r"</?[A-Za-z][\w-]*(\s[^<>]*)?/?>")
_CODE_CHARS = frozenset("{}<>=;\\")
# A teaser for another story inside a paragraph: "(RELATED: Headline Of Another Story)".
_INLINE_TEASER = re.compile(
    r"\s*\((related|read more|read also|see also|more|watch|also read|recommended)\s*:[^()]*\)",
    re.I,
)
# A time stamp line: "November 28, 2013 -- Updated 0203 GMT (1003 HKT)", "Posted: Mon 3 Mar
# 2024 10:20 EST": a date (a month name and a number, or a year) with only the words of
# _STAMP_WORDS beside it, one of them a label or a time zone (_STAMP_LABEL).
_MONTH_NAMES = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?"
)
_STAMP_WORDS = re.compile(
    rf"\b({_MONTH_NAMES}|(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?|updated|published"
    r"|posted|modified|last|on|at|am|pm|a\.m|p\.m|(?-i:[A-Z]{1,4}T|UTC|Z))\b\.?",
    re.I,
)
_STAMP_DATE = re.compile(rf"\b({_MONTH_NAMES})\b\.?\s*\d|\b(19|20)\d\d\b", re.I)
_STAMP_LABEL = re.compile(
    r"\b(updated|published|posted|modified)\b|\b(?-i:[A-Z]{1,4}T|UTC)\b", re.I
)
_CUT_TAIL = re.compile(r"(\[(…|\.\.\.)\]|(…|\.\.\.)\s*more)\s*$", re.I)
_BARE_CUT = re.compile(r"(?<=[\w,])\s?(…|\.\.\.)\s*$")
# A marked heading that starts with one of these opens a box of other stories.
_LIST_OPENERS = {
    "trending", "related", "most", "more", "recommended", "popular", "sponsored", "also",
    "editors", "editor's", "editors'", "recommendations",
}  # fmt: skip
# Phrases no article sentence contains; they mark a unit as furniture anywhere in it.
_ANY_CUES = re.compile(
    r"(©|\(c\)\s*\d{4}|copyright\s*(©|\(c\))?\s*\d{4}|all rights reserved|required fields are"
    r" marked|will not be published|we use cookies|uses cookies|by continuing to (use|browse)"
    r"|(subscribe|sign up) (to|for) (our|the) newsletter|back to top|skip to (main )?content"
    r"|privacy policy|terms of (use|service))",
    re.I,
)
# Site notices written as well-formed sentences, so only their wording gives them away:
# calls to sign up, follow or click, ad and affiliate disclosures, funding and update notes,
# data-consent forms. Gathered from the paragraphs that recur across articles of the
# RealTime QA corpus (bench/boilerplate.py lists what is left). They are cut a sentence at a
# time: pages append them to paragraphs of real news ("... Here's what you need to know").
# Each entry is (a word every match holds, the pattern): the words let a substring test
# rule out most paragraphs before the regex, which tries each branch at every position.
_NOTICES = [
    # calls to sign up, subscribe, follow or click
    ("sign up", r"\bsign up (right |for free )?here\b|\bsign up (to|for) [^.]{0,60}\bnewsletter\b"),
    ("sign up", r"\bsign up for text (message )?alerts"),
    ("inbox", r"\b(sign up|subscribe|newsletter)\b.{0,120}\binbox\b"),
    ("inbox", r"\binbox\b.{0,120}\b(sign up|subscribe|newsletter)\b"),
    ("inbox", r"^get [^.]{0,60}\bin your inbox|\bdelivered (right |straight )?to your inbox"),
    ("newsletter", r"\bnewsletter provides you with\b"),
    ("introduce", r"let us introduce you to your new favorite"),
    ("receive", r"\bwould you like to receive\b"),
    ("subscri", r"\bsubscribe to [\w.]+ today\b|\balready a subscriber\b"),
    ("journalism", r"^support (local |quality )?journalism\b"),
    ("journalism", r"(thank you for|consider) supporting our journalism"),
    ("@", r"\b(follow|reach)\b[^.]{0,50}\bon (twitter|x|instagram|facebook|tiktok|threads)\b"
          r"\s*:?\s*@\w"),
    # "follow us / her / Jane Doe on Twitter, ..." (not "follow alerts ... on Twitter or")
    ("follow", r"\bfollow (us|him|her|them|me|(?-i:[A-Z][\w'’-]*))\b[^.]{0,40}"
               r"\bon (twitter|facebook|instagram|tiktok)\s*(,|or\b|and\b)"),
    ("follow", r"\bfollow\b(?:[^.]|\.(?=\w)){0,80}(@\w+|\bat \w+) on (twitter|facebook|instagram)\b"),
    ("click here", r"\bclick here\b"),
    ("subscri", r"\bsubscribe to our\b|\bthese (articles|stories) are for [^.]{0,30}subscribers\b"),
    ("sign up for our", r"\bsign up for our\b"),
    ("link to", r"\bstories we link to\b"),
    ("replica", r"\belectronic newspaper replica\b"),
    ("phone", r"\bdelivered (right |straight )?to your phone\b"),
    ("shopping", r"\ball your shopping needs\b|\bshopping easy with help from our\b"),
    ("email", r"\b(send|shoot|drop) (him|her|them|me|us) an? (email|e-mail)\b"),
    ("inclusion", r"\bfor possible inclusion in\b"),
    ("responding", r"\bindicate whether you'?re responding to\b"),
    ("refresh", r"\bkeep refreshing this page\b|\brefresh (this|the) page for (the )?(latest|updates)"),
    ("bandwidth", r"\blite site for low bandwidth\b"),
    ("subscribers", r"^for subscribers\s*:"),
    ("subscription", r"\b(purchasing|buying) a subscription (today|now)\b"),
    ("podcasts", r"\bwherever you get your podcasts\b"),
    ("reached", r"\b(he|she|they) can be reached at\b"),
    ("@", r"^(contact|e-?mail|reach) (him|her|them)\b[^.]{0,30}@"),
    ("read the full", r"^read the full (story|article|report)\W*$"),
    ("here", r"^(watch|listen to) the (full )?(video|audio|episode|podcast) here\W*$"),
    ("video", r"^replay more videos\b"),
    ("find more", r"^to find more\b[^.]{0,100}\bvisit\b"),
    ("top stories", r"\bwith today'?s top stories\W*$"),
    ("compilation", r"^this is a compilation of stories\b"),
    # podcasts and audio versions
    ("audio", r"\bdifferences between the audio and the text\b|\blisten to an audio version\b"),
    ("listening", r"^thanks for listening\b"),
    ("こちら", r"詳しくはこちら|こちらをクリック"),  # "click here (for details)"
    ("リンク", r"リンク先をご覧ください"),  # "see the link"
    # paywalls: "subscribe to continue reading", "members only" (会員限定)
    ("reading", r"\b(subscribe|sign in|log in|register) (now )?to (continue|keep) reading\b"),
    ("only", r"\bthis (article|story|content) is (only )?(available )?(for|to) (paid )?"
             r"(subscribers|members)\b"),
    ("会員", r"会員(の方)?(のみ|限定)"),
    ("続き", r"登録(する|して|いただく)[^。]{0,12}続きを"),
    ("opinion", r"\b(view|read) more opinion on\b"),
    ("quiz", r"\btake [\w’']+ weekly news quiz"),
    ("speed", r"get up to speed and on with your day"),
    ("smart", r"start your week smart"),
    ("forecast", r"check (your|the) (local )?forecast here"),
    ("keep reading", r"^keep reading\W*$"),
    ("player", r"hit play on the player above"),
    ("generated", r"transcript was automatically generated"),
    # ads, affiliate links and sponsors
    ("this ad", r"how relevant is this ad\b"),
    ("slow to load", r"video player was slow to load"),
    ("links", r"purchases (you make|made) through (our|the) links"),
    ("commission", r"\bmay earn (us )?an? (affiliate )?commission"),
    ("independently", r"recommendations are independently chosen"),
    ("independently", r"\bcontent is produced independently of\b"),
    ("partner", r"\bis an? [\w/ ]{0,40}content partner\b"),
    ("prices were", r"prices were accurate at the time"),
    ("supported", r"\b(our|this) [\w -]{0,30}(work|coverage|journalism|reporting) is supported"),
    ("possible", r"\b(our|this) [\w -]{0,30}(work|coverage|journalism|reporting) is made possible"),
    ("coverage", r"\bcoverage (at|on|in) (?:[^.]|\.(?=\w)){0,60}\bis (supported|made possible)"),
    ("editorial input", r"\b(does not|doesn't|did not) (provide|have) (any )?editorial input\b"),
    ("newsletter", r"\bnewsletter\b.{0,40}\bsign up\b"),
    ("read more", r"^read more\b"),
    ("letter", r"\bsubmit your letter\b|\bletters to the editor\b"),
    # syndication, standards and update notes, data-consent forms
    ("originally", r"\b(article|story|post|piece) (was )?originally (appeared|published|ran)\b"),
    ("version of", r"\ba version of this (story|article|post|report|piece) (first )?"
                   r"(appeared|appears|ran|was published)\b"),
    ("expressed", r"\b(views|opinions) expressed (in this|here)\b"),
    ("standards", r"^our (editorial )?standards\s*:"),
    ("updated", r"^this (story|article|report|post)( and (its )?headline)? (has|have|was)"
                r" (been )?updated\b"),
    ("shared", r"we will use the (details|information) you have shared"),
    ("your data", r"to object to the use of your data"),
    ("tick here", r"\bplease tick here\b"),
    ("detailed here", r"\bbrands as detailed here\b"),
]  # fmt: skip
_NOTICE_CUES = re.compile("|".join(f"(?:{p})" for _, p in _NOTICES), re.I)
# A staff bio ("Natalie Neysa Alund covers trending news for USA TODAY.", "Camille Fine is a
# trending visual producer on ..."): furniture beside a sign-off notice, with its own
# handle or email, or as the article's last paragraph; anywhere else it may be news about a
# journalist, and stays.
_BIO = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s){1,4}(?:is (?:an?\s)?(?:[\w'’-]+\s){0,5}(?:reporter|editor|producer"
    r"|writer|correspondent|columnist|contributor|journalist|intern|critic)s?\b"
    r"|covers\s[^.]{0,60}\bfor\s[A-Z])"
)
_NOTICE_WORDS = tuple(dict.fromkeys(w for w, _ in _NOTICES))
_PRONOUNS = {"He", "She", "They", "It", "This", "That", "I", "We", "You"}
_SOCIAL = {
    "facebook", "twitter", "x", "linkedin", "quora", "youtube", "rss", "instagram", "whatsapp",
    "telegram", "reddit", "pinterest", "email", "e-mail", "tiktok", "threads", "bluesky",
    "flipboard", "print", "copy", "link", "share", "mastodon", "snapchat",
}  # fmt: skip

# A block heading is a short line made only of these words, with at least one anchor.
_BLOCK_ANCHORS = {
    "trending", "latest", "most", "related", "recommended", "also", "more", "top", "picks",
    "opinion", "opinions", "blog", "blogs", "interview", "interviews", "popular", "sponsored",
    "missed", "headlines", "recommendations",
}  # fmt: skip
_BLOCK_WORDS = _BLOCK_ANCHORS | {
    "news", "read", "viewed", "shared", "emailed", "articles", "article", "stories", "story",
    "posts", "content", "you", "may", "might", "like", "from", "the", "this", "for", "in", "case",
    "it", "what", "to", "now", "partner", "around", "web", "videos", "video", "watch", "reads",
    "must", "dont", "don't", "miss", "on", "our", "editors", "editor's", "and", "links", "today",
    "next", "recommendations", "editors'",
}  # fmt: skip
_BLOCK_START = re.compile(
    r"^(more (from|on|in|stories|news)\b|you (may|might) also\b|about the author\b)", re.I
)
# After the article, these open the comment section: nothing later is article text.
_TERMINAL_HEADING = re.compile(
    r"^((\d+\s+)?(comments?|comentarios?|comentar|commentaires?|kommentare?|commenti|comentários?)"
    r"|leave a (reply|comment)|post a comment|join the (conversation|"
    r"discussion)|(show|view|load|read) (all )?comments?|what do you think\??)$",
    re.I,
)
_CONNECTIVES = {
    "the", "a", "an", "of", "to", "in", "with", "and", "or", "but", "for", "on", "at", "by",
    "from", "that", "as", "said", "is", "was", "were", "are", "has", "had", "have", "its", "his",
    "her", "their", "who", "which", "than",
}  # fmt: skip


def clean_text(
    raw: str, title: str = "", notices: bool = True, structured: bool = False
) -> CleanResult:
    """Return the article body of scraped page text, its headline and the lines removed.

    `title`, when given, is used as the headline (and its echoes are removed); otherwise
    the first substantial heading-like line before the body is taken. A line marked as a
    heading ("# ", see index.blocks) is never body text. With `notices=False` site-notice
    sentences are left for the caller to cut (articles.drop_notices). `structured` text
    comes from page structure (HTML, Markdown, feeds: headings marked, captions and menus
    gone), so a line of a few words inside the article that is not a sentence (a list
    entry, a data line) is kept as article text; in scraped text it can't be told from a
    menu or a teaser and goes.
    """
    units = _units(raw)
    kinds = [_kind(u, notices) for u in units]
    states = _states(units, kinds)
    title = title.strip() or _detect_title(units, kinds, states)
    body = [
        not (in_list or closed)
        and (kind == "prose" or (structured and kind == "other" and _is_entry(_BULLET.sub("", u))))
        for u, kind, (in_list, closed) in zip(units, kinds, states, strict=True)
    ]
    kept: list[str] = []
    removed: list[str] = []
    for i, (unit, kind, (in_list, closed)) in enumerate(zip(units, kinds, states, strict=True)):
        text = _BULLET.sub("", unit)
        inside = kept and not (in_list or closed)
        if kind == "heading" and inside and _opens_section(i, kinds, body):
            text = text.removeprefix(HEADING)
            if not _echoes(text, title, kept):
                kept.append(text)  # its own paragraph: a heading never joins a sentence
                continue
        if not body[i] or _echoes(text, title, kept):
            removed.append(unit)
            continue
        if notices:
            text, cut = strip_notices(text)
            removed.extend(cut)
        text = _cut_off(text, _CUT_TAIL, removed)
        if text:
            kept.append(text)
    if kept:  # a text that stops mid-sentence ("... in the cou…") was cut by its source
        kept[-1] = _cut_off(kept[-1], _BARE_CUT, removed)
    return CleanResult(text="\n\n".join(k for k in kept if k), title=title, removed=removed)


def _opens_section(i: int, kinds: list[str], body: list[bool]) -> bool:
    """True for a sub-heading inside the article: article text came before it (the caller
    checks) and the next unit that is not furniture or a caption is article text again,
    not another heading or a list of other stories."""
    for kind, is_body in zip(kinds[i + 1 :], body[i + 1 :], strict=True):
        if is_body:
            return True
        if kind in ("heading", "block", "terminal", "prose"):
            return False
    return False


def _cut_off(text: str, tail: re.Pattern[str], removed: list[str]) -> str:
    """`text` without its last sentence when `tail` says a teaser cut it short."""
    if not tail.search(text):
        return text
    spans = split_sentences(text)
    removed.append(text[spans[-1][0] :])
    return text[: spans[-1][0]].rstrip()


def _is_entry(text: str) -> bool:
    """A line of an article's list or table (an event, a price, an ingredient): a few words
    to a long line, not a label or a run of names."""
    return 4 <= len(text.split()) < 30


def is_prose(line: str) -> bool:
    """True when a line reads as article text: sentences, not a heading, caption or link."""
    text = _BULLET.sub("", " ".join(line.split()))
    words = count_words(text)
    if not words:
        return False
    caps = _cap_share(text)
    if _TERMINAL.search(text):
        stop = text.rstrip(_CLOSERS)
        plain_stop = stop.endswith((".", "。")) and not text.endswith("...")
        # Words of scripts without capitals count as lower-case.
        lower_words = any(not w[0].isupper() for w in _WORD.findall(text))
        if plain_stop:
            return words >= 2 and (lower_words or words >= 6)
        return words >= 3 and caps < 0.6  # "?", "!", "..." also end headlines
    # A long run of mostly lower-case words is prose that just lacks a final stop.
    return words >= 12 and caps < 0.5


def count_words(text: str) -> int:
    """Words of `text`; in scripts without spaces, two characters make one."""
    return len(text.split()) + len(_UNSPACED.findall(text)) // 2


@functools.lru_cache(maxsize=1024)
def strip_notices(text: str) -> tuple[str, tuple[str, ...]]:
    """`text` without its site-notice sentences, and those sentences.

    Cached: the classifier asks it of a unit (is it all notices?) and then the cleaner
    again (what is left?); the split into sentences is the expensive part."""
    low = text.lower()
    if not any(w in low for w in _NOTICE_WORDS):
        return text, ()
    sentences = [text[a:b] for a, b in split_sentences(text)]
    cut = [bool(_NOTICE_CUES.search(s) or (_BIO.match(s) and "@" in s)) for s in sentences]
    if not any(cut):
        return text, ()
    # A bio signed off with a notice goes with it, and so does a notice's short lead-in
    # question ("What's everyone talking about? Sign up for our trending newsletter").
    for i, s in enumerate(sentences):
        bio = _BIO.match(s) and any(cut[max(i - 1, 0) : i + 2])
        lead_in = i + 1 < len(cut) and cut[i + 1] and s.endswith("?") and len(s.split()) <= 12
        cut[i] = cut[i] or bool(bio or lead_in)
    keep = [s for s, c in zip(sentences, cut, strict=True) if not c]
    notices = [s for s, c in zip(sentences, cut, strict=True) if c]
    # Drop a list number left behind ("1. How relevant is this ad to you?").
    return " ".join(k for k in keep if _WORD.search(k)), tuple(notices)


def drop_sign_off(text: str) -> tuple[str, str]:
    """`text` without a last paragraph that is a staff bio (see _BIO), and that paragraph.
    A bio names its writer: "He is a former editor of the Post." closing a story is news."""
    head, sep, last = text.rpartition("\n\n")
    if sep and _BIO.match(last) and last.split()[0] not in _PRONOUNS:
        return head, last
    return text, ""


def is_block_heading(line: str) -> bool:
    """True for a heading that opens a list of other stories ("Trending", "Most Read")."""
    text = " ".join(line.split())
    if _TERMINAL_HEADING.match(text):
        return True
    if is_prose(text) or len(text.split()) > 6:
        return False
    if _BLOCK_START.match(text):
        return True
    tokens = [t.lower().replace("’", "'") for t in re.findall(r"[\w'’]+", text)]
    tokens = [t for t in tokens if not t.isdigit()]
    return bool(tokens) and set(tokens) <= _BLOCK_WORDS and bool(set(tokens) & _BLOCK_ANCHORS)


def _units(raw: str) -> list[str]:
    """Split text into lines, re-joining lines of hard-wrapped prose within a paragraph."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", raw.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [" ".join(_INLINE_TEASER.sub("", line).split()) for line in block.split("\n")]
        start = len(units)
        for line in filter(None, lines):
            if len(units) > start and _continues(units[-1], line):
                units[-1] = f"{units[-1]} {line}"
            else:
                units.append(line)
    return units


def _continues(prev: str, line: str) -> bool:
    """True when `line` carries on the sentence that `prev` leaves unfinished."""
    if _TERMINAL.search(prev) or prev.endswith(":") or line.startswith(HEADING):
        return False
    if prev.startswith(HEADING) or _kind(prev) == "furniture":
        return False
    if line[0].islower():
        return True
    last = prev.split()[-1].lower()
    return (
        len(prev.split()) >= 6
        and _cap_share(prev) < 0.5
        and (last in _CONNECTIVES or prev[-1] in ",;")
    )


def _kind(unit: str, notices: bool = True) -> str:
    """Classify a unit as furniture, terminal, block, prose, heading (marked as one) or
    other (headings, captions)."""
    if unit.startswith(HEADING):
        heading = unit[len(HEADING) :]
        if _TERMINAL_HEADING.match(heading):
            return "terminal"
        first = heading.split()[0].lower().replace("’", "'") if heading.split() else ""
        if is_block_heading(heading) or (first in _LIST_OPENERS and len(heading.split()) <= 6):
            return "block"
        return "heading"
    if _TERMINAL_HEADING.match(unit):
        return "terminal"
    if is_block_heading(unit):
        return "block"
    if _is_furniture(unit, notices):
        return "furniture"
    return "prose" if is_prose(unit) else "other"


def _is_furniture(unit: str, notices: bool = True) -> bool:
    text = _BULLET.sub("", unit)
    if _START_CUES.match(text) or _ANY_CUES.search(text) or EMBEDDED_POST.search(text):
        return True
    if _is_aside(text) or _is_code(text) or _is_stamp(text) or _is_glued_link(text):
        return True
    if notices and not strip_notices(text)[0]:
        return True
    separators = len(_NAV_SEP.findall(text))
    # A link bar or byline has short parts; verse quoted with " / " has long ones.
    if separators >= 2 and len(text.split()) <= 6 * (separators + 1):
        return True
    if _is_social_row(text):
        return True
    phones = [p for p in _PHONE.findall(text) if 9 <= sum(c.isdigit() for c in p) <= 15]
    contacts = len(_EMAIL.findall(text)) + len(phones)
    labelled = bool(_CONTACT_LABEL.match(text))
    # Two contacts in a sentence are a reporter's sign-off ("Reach the reporter at ... or
    # 602-444-8490"), even when they are a tip line's (tried: keeping such sentences let
    # a hundred sign-offs of the RealTime QA corpus through for 28 words of the pages).
    return contacts > 0 and (labelled or contacts >= 2 or not is_prose(text))


# A link to another story, glued to its label without a space ("Closer look:Rising reports
# of rare monkeypox cases ...", "Read the rest here:Biden meets ..."): the label, then a
# headline of at most 30 words that ends without a full stop. News glued the same way
# ("Savannah:For the first time, the port ...") ends with one, or runs longer, and stays.
_GLUED_LINK = re.compile(r"^(?P<label>[^:\n]{2,80}?[\w)?!'’]):[A-Z‘“'\"]")
_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z]")


def _is_glued_link(text: str) -> bool:
    m = _GLUED_LINK.match(text)
    if not m or _SENTENCE_END.search(m["label"]) or len(m["label"].split()) > 12:
        return False
    end = text.rstrip("\"”’')")[-1:]
    return end not in ".!" and len(text.split()) <= 30  # a headline, not a news paragraph


def _is_aside(text: str) -> bool:
    """A short line wholly in brackets: a credit or an editor's note ("(Image credit: ...)");
    a long one is the writer's own aside."""
    text = text.rstrip(".")
    if len(text) < 2 or (text[0], text[-1]) not in (("(", ")"), ("[", "]")):
        return False
    if len(text.split()) > 20:
        return False
    depth = 0
    for i, c in enumerate(text):
        depth += (c in "([") - (c in ")]")
        if depth == 0 and i < len(text) - 1:
            return False  # "(CNN) The court ruled ... (Reuters)": not one bracket
    return True


def _is_code(text: str) -> bool:
    """Markup or program code: tags, or braces, angle brackets, = and ; in numbers no
    prose has. A sentence that names a tag ("insert a <script> tag where ...") is prose."""
    chars = sum(not c.isspace() for c in text)
    tags = sum(len(m.group().replace(" ", "")) for m in _MARKUP.finditer(text))
    rest = _MARKUP.sub(" ", text) if tags else text
    if tags and (tags >= 0.2 * chars or not is_prose(rest)):
        return True
    return sum(c in _CODE_CHARS for c in rest) >= 0.05 * chars


def _is_stamp(text: str) -> bool:
    """A line that is only a date and time stamped "Updated" (published, posted) or with a
    time zone: when a page was changed, not what it says."""
    if len(text.split()) > 15 or not _STAMP_DATE.search(text):
        return False
    if not _STAMP_LABEL.search(text):
        return False  # a date alone may be what the article lists (a meeting, an event)
    return not re.search(r"[^\W\d_]", _STAMP_WORDS.sub(" ", text))


def _is_social_row(text: str) -> bool:
    tokens = [t.lower().strip(":,") for t in text.split()]
    return len(tokens) >= 2 and sum(t in _SOCIAL for t in tokens) / len(tokens) >= 0.6


def _cap_share(text: str) -> float:
    """Share of words of four or more letters that start with a capital (1.0 if none)."""
    words = [w for w in _WORD.findall(text) if len(w) >= 4]
    return sum(w[0].isupper() for w in words) / len(words) if words else 1.0


def _states(units: list[str], kinds: list[str]) -> list[tuple[bool, bool]]:
    """(inside a list of other stories, after the comment section) for each unit."""
    states: list[tuple[bool, bool]] = []
    in_list = closed = body_seen = False
    for i, kind in enumerate(kinds):
        if kind in ("block", "terminal"):
            closed = closed or (kind == "terminal" and body_seen)
            in_list = True
        elif kind == "prose" and in_list and _resumes(units, kinds, i):
            in_list = False
        body_seen = body_seen or (kind == "prose" and not in_list)
        states.append((in_list, closed))
    return states


def _detect_title(units: list[str], kinds: list[str], states: list[tuple[bool, bool]]) -> str:
    """First substantial heading-like line (4 to 25 words) before the body and outside any
    list of other stories; failing that, the last one before the body."""
    candidates: list[tuple[str, bool]] = []
    for unit, kind, (in_list, _) in zip(units, kinds, states, strict=True):
        if kind == "prose" and not in_list:
            break
        unit = unit.removeprefix(HEADING)
        if kind in ("other", "heading") and 4 <= len(unit.split()) <= 25 and not unit.endswith(":"):
            candidates.append((unit, in_list))
    outside = [unit for unit, in_list in candidates if not in_list]
    return outside[0] if outside else candidates[-1][0] if candidates else ""


def _resumes(units: list[str], kinds: list[str], i: int) -> bool:
    """After a list heading, prose resumes the article only if the next paragraph is prose too."""
    if units[i].endswith(("...", "…")):
        return False  # truncated teaser of another story
    for unit, kind in zip(units[i + 1 :], kinds[i + 1 :], strict=True):
        if kind == "prose":
            return not unit.endswith(("...", "…"))
        if kind == "heading" or (kind != "furniture" and len(unit.split()) >= 4):
            return False  # a headline between two paragraphs: a teaser list
    return False


def _echoes(text: str, title: str, kept: list[str]) -> bool:
    """True for a caption repeating the headline or a paragraph already kept."""
    return (bool(title) and _similar(text, title)) or any(_similar(text, k) for k in kept[-3:])


def _similar(a: str, b: str) -> bool:
    """Near-equal word sequences. Compared by words, not characters, and length first:
    character-level matching of long paragraphs is quadratic and dominated build time."""
    wa, wb = (_WORD.findall(s.lower()) for s in (a, b))
    if not (wa and wb):
        return False
    if wa == wb:
        return True
    if min(len(wa), len(wb)) < 0.85 * max(len(wa), len(wb)):
        return False
    sm = SequenceMatcher(None, wa, wb, autojunk=False)
    return sm.quick_ratio() >= 0.92 and sm.ratio() >= 0.92


# Titles of HTTP error pages ("404 Not Found", "Page Not Found", "Forbidden").
_ERROR_PAGE = re.compile(
    r"^\s*((http )?error\s*)?[45]\d\d\b|\b(page|file|article|story|content) (was )?not found\b"
    r"|^\s*(forbidden|access denied|not found|bad request|service unavailable)\b",
    re.I,
)
# A page whose article text is one paragraph this short is a caption or a notice.
MIN_ARTICLE_WORDS = 25


def not_an_article(text: str, title: str = "") -> str:
    """Why a page's block text is not an article ("" when it is one): an error page, or
    nothing but furniture, or a lone short paragraph (a caption, an edit or script notice)."""
    first_heading = next((u for u in _units(text) if u.startswith(HEADING)), "")
    for name in (title, first_heading.removeprefix(HEADING)):
        if name and _ERROR_PAGE.search(name):
            return f"an error page ({name!r})"
    body = clean_text(text, title=title).text
    if not body:
        return "no article text (only headings, links, captions or notices)"
    words = count_words(body)
    if "\n\n" not in body and words < MIN_ARTICLE_WORDS:
        return f"one short paragraph ({words} words), a caption or a notice"
    return ""
