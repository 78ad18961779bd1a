"""Reading coverage: folders and files of scraped text, HTML, Markdown, JSON/JSONL and feeds.

Each reader turns one file into Documents; a file that cannot be read is skipped with a
reason (never a crash), so one bad file never stops a build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dateutil.parser import UnknownTimezoneWarning

from ..config import IndexConfig
from ..models import Document
from .blocks import HEADING, ITEM

log = logging.getLogger(__name__)

TEXT_EXT = {".txt", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
MD_EXT = {".md", ".markdown"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
FEED_EXT = {".xml", ".rss", ".atom", ".rdf"}
ALL_EXT = TEXT_EXT | HTML_EXT | MD_EXT | JSON_EXT | JSONL_EXT | FEED_EXT


class Skip(Exception):
    """A file or record that cannot be ingested; the message is the logged reason."""


@dataclass
class ReadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def iter_files(paths: Iterable[Path], skipped: list[tuple[str, str]]) -> Iterator[Path]:
    """Yield readable files under `paths` (recursively), in a stable order.

    Symlinks are followed only while they stay inside the folder being walked: a file or
    folder that resolves outside it is skipped with the reason, so a link planted in a
    source can't pull other files into the index. Symlinked directories are followed
    once (by real path), so a symlink loop ends.
    """
    outside = "symlink to outside the source folder (not followed)"
    seen_dirs: set[str] = set()
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield root
            continue
        if not root.exists():
            skipped.append((str(root), "does not exist"))
            continue
        top = os.path.realpath(root).rstrip(os.sep) + os.sep

        def inside(real: str, top: str = top) -> bool:
            return real + os.sep == top or real.startswith(top)

        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            real = os.path.realpath(dirpath)
            if not inside(real):
                log.warning("skipped %s: %s", dirpath, outside)
                skipped.append((dirpath, outside))
                dirnames[:] = []
                continue
            if real in seen_dirs:
                skipped.append((dirpath, "symlink loop"))
                dirnames[:] = []
                continue
            seen_dirs.add(real)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                if path.suffix.lower() not in ALL_EXT:
                    log.debug("ignoring %s: not a known article format", path)
                elif not inside(os.path.realpath(path)):
                    log.warning("skipped %s: %s", path, outside)
                    skipped.append((str(path), outside))
                else:
                    yield path


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 first, else the detected encoding; binary data is skipped."""
    if not data.strip():
        raise Skip("empty file")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Skip("binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise Skip("undecodable text (unknown encoding)")
    # Equally plausible single-byte guesses are common on short text; windows-1252 is by
    # far the most used legacy encoding on the web (WHATWG maps latin-1 to it too).
    best = matches[0]
    tied = [m for m in matches if m.chaos <= best.chaos and m.coherence >= best.coherence]
    preferred = next((m for m in tied if m.encoding in ("cp1252", "latin_1", "iso8859_15")), best)
    return str(preferred)


FORMATS = {
    **dict.fromkeys(TEXT_EXT, "text"), **dict.fromkeys(HTML_EXT, "HTML"),
    **dict.fromkeys(MD_EXT, "Markdown"), **dict.fromkeys(JSON_EXT, "JSON"),
    **dict.fromkeys(JSONL_EXT, "JSON Lines"), **dict.fromkeys(FEED_EXT, "feed"),
}  # fmt: skip
SIZE_SETTING = "index.max_file_bytes"
# Import names that differ from what pip installs.
_PIP_NAMES = {"yaml": "pyyaml", "charset_normalizer": "charset-normalizer"}


class ReaderUnavailable(Skip):
    """A reader's library cannot be imported: every file of its format fails alike."""

    def __init__(self, fmt: str, exc: ImportError) -> None:
        module = (exc.name or "").split(".")[0]
        if module:
            package = _PIP_NAMES.get(module, module)
            why = f"the Python package {package!r} is not installed"
            fix = f"install it with `{sys.executable} -m pip install {package}`"
        else:  # the library's own message names the package (lxml.html.clean does)
            why = " ".join(str(exc).split()).rstrip(".")
            fix = f"install it into this Python ({sys.executable})"
        super().__init__(
            f"cannot read {fmt} files: {why}; {fix} or run `make install`, then build again"
        )
        self.format = fmt


def too_big(size: int, max_bytes: int, what: str = "file") -> Skip:
    return Skip(
        f"{what} is {size} bytes, over the {max_bytes}-byte cap (raise {SIZE_SETTING} to read it)"
    )


def read_file(path: Path, max_bytes: int, skipped: list | None = None) -> Iterable[Document]:
    """Read one file into Documents, raising Skip with the reason when it can't.

    Records of a multi-record file (JSON, JSONL, feeds) that can't be read are appended
    to `skipped` as ("path#record", reason) while the rest are returned. JSON Lines are
    streamed: the result is an iterator, read a line at a time, and `max_bytes` caps each
    record rather than the file.
    """
    skipped = [] if skipped is None else skipped
    ext = path.suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise Skip(f"unknown format {ext}")
    try:
        if ext in JSONL_EXT:
            from .records import read_jsonl

            return read_jsonl(path, max_bytes, skipped)
        return _read_whole(path, ext, max_bytes, skipped)
    except ImportError as exc:
        raise ReaderUnavailable(fmt, exc) from None


def _read_whole(path: Path, ext: str, max_bytes: int, skipped: list) -> list[Document]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Skip(f"cannot stat: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise too_big(size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Skip(f"unreadable: {exc.strerror or exc}") from None
    text = decode(data)
    raw_hash = sha256(data)
    if ext in TEXT_EXT:
        return [Document(key=str(path), path=str(path), raw_hash=raw_hash, text=text)]
    if ext in HTML_EXT:
        return [read_html(text, str(path), raw_hash)]
    if ext in MD_EXT:
        return [read_markdown(text, str(path), raw_hash)]
    if ext in JSON_EXT:
        from .records import read_json

        return read_json(text, str(path), skipped)
    from .feeds import read_feed

    return read_feed(text, str(path), skipped)


def iter_documents(paths: Iterable[Path], max_bytes: int, result: ReadResult) -> Iterator[Document]:
    """Every Document under `paths`, one at a time; files seen and skipped go to `result`.

    A reader whose library is missing is reported once (logged as an error), and each
    file of its format is listed as skipped with that one-line reason, so a build keeps
    the articles it indexed from them."""
    unavailable: dict[str, str] = {}
    for path in iter_files(paths, result.skipped):
        fmt = FORMATS.get(path.suffix.lower(), "")
        if fmt in unavailable:
            result.skipped.append((str(path), unavailable[fmt]))
            continue
        found = False
        try:
            for doc in read_file(path, max_bytes, result.skipped):
                found = True
                yield doc
        except ReaderUnavailable as exc:
            log.error("%s", exc)
            unavailable[exc.format] = str(exc)
            result.skipped.append((str(path), str(exc)))
            continue
        except Skip as exc:
            log.warning("skipped %s: %s", path, exc)
            result.skipped.append((str(path), str(exc)))
            continue
        except Exception as exc:  # a reader bug must not stop the build
            log.exception("skipped %s: unexpected error", path)
            result.skipped.append((str(path), f"unexpected error: {exc!r}"))
            continue
        if not found:
            result.skipped.append((str(path), "no articles found"))


def read_sources(paths: Iterable[Path], max_bytes: int = IndexConfig.max_file_bytes) -> ReadResult:
    """All Documents under `paths` in memory (iter_documents streams them instead)."""
    result = ReadResult()
    result.documents = list(iter_documents(paths, max_bytes, result))
    return result


# --- HTML and Markdown ----------------------------------------------------------------


def read_html(html: str, path: str, raw_hash: str) -> Document:
    """A saved page's article (trafilatura) as block text, headings marked; a page that is
    not an article (an error page, a notice, a lone caption) is skipped with the reason.

    Paragraphs of running prose that only trafilatura's recall-favouring mode finds are
    merged in where they stand (blocks.merge_blocks), and the page's photo captions
    (<figcaption>, which trafilatura may hand over as paragraphs) are left out."""
    import trafilatura

    from .blocks import block_key, element_blocks, figure_captions, merge_blocks
    from .clean import not_an_article

    # Links are kept (as <ref>) only so that paragraphs made of links can be told apart.
    options = {"include_comments": False, "include_links": True}
    # A page dated "... EST" makes dateutil (under trafilatura) warn on the terminal that
    # it does not know the zone; the date is still read, to the day, which is all we keep.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownTimezoneWarning)
        doc = trafilatura.bare_extraction(html, with_metadata=True, **options)
    blocks = element_blocks(doc.body) if doc is not None and doc.body is not None else []
    # Favouring recall reaches text the default passes over (a lede set apart from the
    # article element, a video's transcript) along with more furniture: of what only it
    # finds, paragraphs of running prose are taken.
    if blocks:
        wide = trafilatura.bare_extraction(html, favor_recall=True, **options)
        if wide is not None and wide.body is not None:
            blocks = merge_blocks(blocks, element_blocks(wide.body))
    captions = figure_captions(html)
    text = "\n\n".join(b for b in blocks if block_key(b) not in captions)
    if not text.strip():
        raise Skip("HTML has no extractable article text")
    reason = not_an_article(text, doc.title or "")
    if doc.url and not urlsplit(doc.url).path.strip("/"):
        reason = f"the front page of {urlsplit(doc.url).hostname}, a list of other stories"
    if reason:
        raise Skip(f"not an article: {reason}")
    return Document(
        key=path,
        path=path,
        raw_hash=raw_hash,
        text=text,
        title=doc.title or "",
        outlet=doc.sitename or "",
        published=page_day(doc.date or "", html),
        url=doc.url or "",
        scraped=False,
    )


def page_day(found: str, html: str) -> str:
    """trafilatura's date of a page, unless it is a year passed off as a day.

    With no date in the page's metadata, its extensive search takes the footer's
    "Copyright 2015" for 1 January 2015, and that day would age the article (the recency
    prior, web.max_age_days). A 1 January that the metadata alone does not give is
    dropped: the page is undated."""
    from .meta import parse_date

    day = parse_date(found)
    if not day.endswith("-01-01"):
        return day
    import htmldate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownTimezoneWarning)
        strict = htmldate.find_date(html, extensive_search=False, original_date=True)
    return day if strict and strict[:10] == day else ""


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def markdown_to_text(md: str) -> str:
    """Markdown body to block text: headings marked, images and code fences dropped."""
    out: list[str] = []
    in_code = False
    for line in md.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            out.append("")
            continue
        if in_code or stripped.startswith("!["):
            out.append("")
            continue
        heading = _MD_HEADING.match(stripped)
        if heading:
            out.extend(["", HEADING + _MD_EMPH.sub(r"\2", _MD_LINK.sub(r"\1", heading[1])), ""])
            continue
        item = re.match(r"^([-*+]|\d+\.)\s+", stripped)
        stripped = re.sub(r"^(>\s*|[-*+]\s+|\d+\.\s+)", "", stripped)
        stripped = _MD_EMPH.sub(r"\2", _MD_LINK.sub(r"\1", stripped))
        out.extend(["", ITEM + stripped] if item else [stripped])
    return "\n".join(out)


def read_markdown(text: str, path: str, raw_hash: str) -> Document:
    import yaml

    from .records import record_document

    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise Skip(f"bad YAML front matter: {exc}") from None
        if not isinstance(meta, dict):
            raise Skip("front matter is not a mapping")
        text = text[match.end() :]
    body = markdown_to_text(text)
    if not body.strip():
        raise Skip("Markdown file has no body text")
    if not meta.get("title"):
        heading = re.search(r"^#\s+(.+)$", text, re.M)
        meta["title"] = heading.group(1).strip() if heading else ""
    return record_document(meta, path, path, raw_hash, body, scraped=False)
