"""Page structure to block text, the one form every reader hands the cleaner.

Block text is paragraphs separated by a blank line. A heading is a block of one line
that starts with "# ", a list item starts with "- ", and a line break inside a paragraph
(<br>) stays a single newline. Keeping headings apart from paragraphs is what stops a
headline or sub-heading being glued into the quoted sentence after it; the cleaner then
decides, from the same cues for every format, which blocks are article text.

Structure is read here rather than guessed from line shapes: trafilatura's XML (head, p,
list/item, quote, table/cell, code, graphic, lb, ref) and plain HTML from feeds. What is
never article text is left out on structure alone: images and captions, scripts, code and
embedded posts (trafilatura gives tweets as code blocks), and paragraphs made of links.
A second extraction of the same page adds only its paragraphs of running prose
(merge_blocks); a caption trafilatura gives as a paragraph is told by the page's
<figcaption> (figure_captions).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from .passages import count_words, split_sentences

HEADING, ITEM = "# ", "- "

# trafilatura XML and HTML tags by role.
_HEADINGS = {"head", "h1", "h2", "h3", "h4", "h5", "h6"}
_ITEMS = {"item", "li"}
_BLOCKS = {
    "p", "div", "quote", "blockquote", "cell", "td", "th", "list", "ul", "ol", "dl", "dd",
    "dt", "table", "row", "tr", "tbody", "thead", "section", "article", "header", "footer",
    "body", "main", "aside", "pre", "center", "hr",
}  # fmt: skip
_DROPPED = {
    "graphic", "img", "figure", "figcaption", "picture", "video", "audio", "iframe", "embed",
    "object", "script", "style", "noscript", "svg", "form", "button", "input", "select",
    "textarea", "template",
}  # fmt: skip
_BREAKS = {"lb", "br"}
_LINKS = {"ref", "a"}
_CODE = {"code"}
# A line at least this much link text is a link list or a call to click, not prose.
LINK_SHARE = 0.6
_WORDS = re.compile(r"\w+")
# An embedded post (a tweet, an Instagram photo) signs off with its author's handle and
# date: "— Jane Doe (@jane) July 3, 2019"; its text may carry "pic.twitter.com/..." links.
EMBEDDED_POST = re.compile(
    r"pic\.twitter\.com/|\(@\w{1,15}\)\s*(on\s+)?[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}", re.I
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# A paragraph of running prose: sentences enough that it is rarely a teaser or a caption.
PROSE_SENTENCES, PROSE_WORDS = 2, 20


def element_blocks(root) -> list[str]:
    """The blocks of an lxml element (trafilatura's body or parsed HTML), in order."""
    out: list[str] = []
    _walk(root, out, "")
    return out


def element_text(root) -> str:
    return "\n\n".join(element_blocks(root))


def html_to_text(html: str) -> str:
    """An HTML fragment (a feed entry's content) to block text; plain text passes through."""
    if "<" not in html:
        return html
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except Exception:  # lxml raises a zoo of errors on broken markup
        return re.sub(r"<[^>]+>", " ", html)
    return element_text(root)


class _Paragraph:
    """Inline text being gathered, with how much of it sits inside links."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.link_words = 0

    def add(self, text: str | None, link: bool = False) -> None:
        if text:
            self.parts.append(text)
            if link:
                self.link_words += len(_WORDS.findall(text))

    def flush(self, out: list[str], mark: str) -> str:
        """Append the gathered text as a block (unless it is mostly links); return the mark
        still owed to the next block (a list item's marker goes on its first block only)."""
        lines = ("".join(self.parts)).split("\n")
        text = "\n".join(filter(None, (" ".join(line.split()) for line in lines)))
        words = len(_WORDS.findall(text))
        self.parts, link_words, self.link_words = [], self.link_words, 0
        if not text:
            return mark
        # Prose that happens to be linked stays: only short or unfinished lines go.
        sentence = words >= 8 and _SENTENCE_END.search(text)
        if link_words < LINK_SHARE * words or sentence:
            out.append(mark + text)
        return ""


def _tag(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""  # comments and processing instructions
    return tag.rsplit("}", 1)[-1].lower()


def _walk(el, out: list[str], mark: str) -> str:
    """Blocks of `el`'s children into `out`; returns the list-item mark not yet used."""
    para = _Paragraph()
    para.add(el.text)
    for child in el:
        tag = _tag(child)
        if tag in _DROPPED or not tag:
            pass
        elif tag in _HEADINGS:
            mark = para.flush(out, mark)
            heading = " ".join(_inline(child, _Paragraph()).split())
            if heading:
                out.append(HEADING + heading)
        elif tag in _CODE and _tag(el) not in ("p", "head", "hi", "item", "li"):
            mark = para.flush(out, mark)  # a code listing or an embedded post
        elif tag in ("quote", "blockquote") and EMBEDDED_POST.search(" ".join(child.itertext())):
            mark = para.flush(out, mark)
        elif tag in _ITEMS:
            mark = para.flush(out, mark)
            _walk(child, out, ITEM)
        elif tag in _BLOCKS:
            mark = para.flush(out, mark)
            mark = _walk(child, out, mark)
        elif tag in _BREAKS:
            para.add("\n")
        else:
            _inline(child, para, link=tag in _LINKS)
        para.add(child.tail)
    return para.flush(out, mark)


def _inline(el, para: _Paragraph, link: bool = False) -> str:
    """Add an inline element's text (links counted, images dropped) to `para`."""
    start = len(para.parts)
    para.add(el.text, link)
    for child in el:
        tag = _tag(child)
        if tag in _BREAKS:
            para.add("\n")
        elif tag and tag not in _DROPPED:
            _inline(child, para, link or tag in _LINKS)
        para.add(child.tail, link)
    return "".join(para.parts[start:])


def block_key(block: str) -> str:
    """A block's words in lower case, its mark and punctuation aside, to match blocks."""
    return " ".join(_WORDS.findall(block.lower()))


def figure_captions(html: str) -> set[str]:
    """The keys of a page's <figcaption> texts. trafilatura hands a caption over as a plain
    paragraph; the caller drops blocks that are one (captions are never article text)."""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(html)
    except Exception:  # lxml raises a zoo of errors on broken markup
        return set()
    return {key for el in root.iter("figcaption") if (key := block_key(el.text_content()))}


def merge_blocks(main: list[str], other: list[str]) -> list[str]:
    """`main` with the paragraphs of running prose that only `other` has, each put where
    `other` has it (another extraction of the same page, which may reach text the first
    one passed over). Headings, list items and short paragraphs of `other` are not taken:
    teasers, captions and link lists are seldom more than a sentence."""
    keys = [block_key(b) for b in main]
    shingles = {s for key in keys for s in _shingles(key)}
    out: list[str] = []
    matcher = SequenceMatcher(None, keys, [block_key(b) for b in other], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        out.extend(main[i1:i2])
        if op in ("insert", "replace"):
            out.extend(b for b in other[j1:j2] if _new_prose(b, shingles))
    return out


def _shingles(key: str) -> set[tuple[str, ...]]:
    words = key.split()
    return {tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}


def _new_prose(block: str, seen: set[tuple[str, ...]]) -> bool:
    """A paragraph of running prose whose word sequences are mostly not in `seen`."""
    if block.startswith((HEADING, ITEM)) or count_words(block) < PROSE_WORDS:
        return False
    if len(split_sentences(block)) < PROSE_SENTENCES:
        return False
    own = _shingles(block_key(block))
    return len(own & seen) < 0.5 * len(own)
