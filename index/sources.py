"""Reading coverage: folders and files of scraped text, HTML, Markdown, JSON/JSONL and feeds.

Each reader turns one file into Documents; a file that cannot be read is skipped with a
reason (never a crash), so one bad file never stops a build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .models import Document

log = logging.getLogger(__name__)

TEXT_EXT = {".txt", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
MD_EXT = {".md", ".markdown"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
FEED_EXT = {".xml", ".rss", ".atom", ".rdf"}
ALL_EXT = TEXT_EXT | HTML_EXT | MD_EXT | JSON_EXT | JSONL_EXT | FEED_EXT

TEXT_KEYS = ("text", "content", "body", "article", "maintext")
TITLE_KEYS = ("title", "headline")
URL_KEYS = ("url", "link")
OUTLET_KEYS = ("outlet", "source", "site", "sitename", "publisher", "source_domain")
DATE_KEYS = ("published", "date", "date_publish", "published_at", "pubDate", "datetime")


class Skip(Exception):
    """A file or record that cannot be ingested; the message is the logged reason."""


@dataclass
class ReadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files_seen: int = 0


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def iter_files(paths: Iterable[Path], skipped: list[tuple[str, str]]) -> Iterator[Path]:
    """Yield readable files under `paths` (recursively), in a stable order.

    Symlinked directories are followed once (by real path), so a symlink loop ends.
    """
    seen_dirs: set[str] = set()
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield root
            continue
        if not root.exists():
            skipped.append((str(root), "does not exist"))
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            real = os.path.realpath(dirpath)
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
                if path.suffix.lower() in ALL_EXT:
                    yield path
                else:
                    log.debug("ignoring %s: not a known article format", path)


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


def read_file(path: Path, max_bytes: int, skipped: list | None = None) -> list[Document]:
    """Read one file into Documents, raising Skip with the reason when it can't.

    Records of a multi-record file (JSON, JSONL, feeds) that can't be read are appended
    to `skipped` as ("path#record", reason) while the rest are returned.
    """
    skipped = [] if skipped is None else skipped
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Skip(f"cannot stat: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise Skip(f"file is {size} bytes, over the {max_bytes}-byte cap")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Skip(f"unreadable: {exc.strerror or exc}") from None
    ext = path.suffix.lower()
    text = decode(data)
    raw_hash = sha256(data)
    if ext in TEXT_EXT:
        return [Document(key=str(path), path=str(path), raw_hash=raw_hash, text=text)]
    if ext in HTML_EXT:
        return [read_html(text, str(path), raw_hash)]
    if ext in MD_EXT:
        return [read_markdown(text, str(path), raw_hash)]
    if ext in JSON_EXT:
        return read_json(text, str(path), skipped)
    if ext in JSONL_EXT:
        return read_jsonl(text, str(path), skipped)
    if ext in FEED_EXT:
        return read_feed(text, str(path), skipped)
    raise Skip(f"unknown format {ext}")


def read_sources(paths: Iterable[Path], max_bytes: int = 20_000_000) -> ReadResult:
    result = ReadResult()
    for path in iter_files(paths, result.skipped):
        result.files_seen += 1
        try:
            docs = read_file(path, max_bytes, result.skipped)
        except Skip as exc:
            log.warning("skipped %s: %s", path, exc)
            result.skipped.append((str(path), str(exc)))
            continue
        except Exception as exc:  # a reader bug must not stop the build
            log.exception("skipped %s: unexpected error", path)
            result.skipped.append((str(path), f"unexpected error: {exc!r}"))
            continue
        if not docs:
            result.skipped.append((str(path), "no articles found"))
        result.documents.extend(docs)
    return result


# --- format readers --------------------------------------------------------------------


def read_html(html: str, path: str, raw_hash: str) -> Document:
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        raise Skip("HTML has no extractable article text")
    from .meta import parse_date

    return Document(
        key=path,
        path=path,
        raw_hash=raw_hash,
        text=doc.text,
        title=doc.title or "",
        outlet=doc.sitename or "",
        published=parse_date(doc.date or ""),
        url=doc.url or "",
        scraped=False,
    )


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def markdown_to_text(md: str) -> str:
    """Markdown body to plain paragraphs: headings, images and code fences dropped."""
    out: list[str] = []
    in_code = False
    for line in md.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            continue
        if in_code or stripped.startswith("#") or stripped.startswith("!["):
            out.append("")
            continue
        stripped = re.sub(r"^(>\s*|[-*+]\s+|\d+\.\s+)", "", stripped)
        stripped = _MD_LINK.sub(r"\1", stripped)
        stripped = _MD_EMPH.sub(r"\2", stripped)
        out.append(stripped)
    return "\n".join(out)


def read_markdown(text: str, path: str, raw_hash: str) -> Document:
    import yaml

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


def _first(record: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # e.g. {"source": {"name": "Reuters"}}
            value = value.get("name") or value.get("title")
        if value not in (None, ""):
            return str(value).strip()
    return ""


def record_document(
    record: dict, key: str, path: str, raw_hash: str, text: str | None = None, scraped=True
) -> Document:
    """A JSON record (or front matter) to a Document; exported text is treated as scraped."""
    from .meta import parse_date

    if text is None:
        text = _first(record, TEXT_KEYS)
    if not text.strip():
        raise Skip("record has no text")
    return Document(
        key=key,
        path=path,
        raw_hash=raw_hash,
        text=text,
        title=_first(record, TITLE_KEYS),
        outlet=_first(record, OUTLET_KEYS),
        published=parse_date(_first(record, DATE_KEYS)),
        url=_first(record, URL_KEYS),
        scraped=scraped,
    )


def _record_key(record: dict, path: str, n: int) -> str:
    rid = record.get("id") or record.get("url") or record.get("link")
    return f"{path}#{rid}" if rid else f"{path}#{n}"


def _skip_part(skipped: list, path: str, part: str, reason: str) -> None:
    log.warning("skipped %s %s: %s", path, part, reason)
    skipped.append((f"{path}#{part.replace(' ', '')}", reason))


def _records_to_documents(
    records: Iterable[tuple[int, object]], path: str, skipped: list
) -> list[Document]:
    docs: list[Document] = []
    seen: set[str] = set()
    for n, record in records:
        if not isinstance(record, dict):
            _skip_part(skipped, path, f"record {n}", "not an object")
            continue
        key = _record_key(record, path, n)
        if key in seen:
            key = f"{key}#{n}"
        seen.add(key)
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False)
        try:
            docs.append(record_document(record, key, path, sha256(raw)))
        except Skip as exc:
            _skip_part(skipped, path, f"record {n}", str(exc))
    return docs


def read_json(text: str, path: str, skipped: list) -> list[Document]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Skip(f"malformed JSON: {exc}") from None
    if isinstance(data, dict):
        data = next(
            (
                data[k]
                for k in ("articles", "items", "records", "data")
                if isinstance(data.get(k), list)
            ),
            [data],
        )
    if not isinstance(data, list):
        raise Skip("JSON is neither an article, a list of articles nor {'articles': [...]}")
    return _records_to_documents(enumerate(data), path, skipped)


def read_jsonl(text: str, path: str, skipped: list) -> list[Document]:
    def records() -> Iterator[tuple[int, object]]:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                _skip_part(skipped, path, f"line {n}", f"malformed JSON ({exc.msg})")

    return _records_to_documents(records(), path, skipped)


def read_feed(text: str, path: str, skipped: list) -> list[Document]:
    import feedparser

    feed = feedparser.parse(text)
    if not feed.entries:
        reason = getattr(feed, "bozo_exception", None)
        raise Skip(f"feed has no entries{f' ({reason})' if reason else ''}")
    outlet = feed.feed.get("title", "")
    docs: list[Document] = []
    for n, entry in enumerate(feed.entries):
        html = ""
        if entry.get("content"):
            html = entry.content[0].get("value", "")
        html = html or entry.get("summary", "") or entry.get("description", "")
        body = html_fragment_to_text(html)
        if not body.strip():
            _skip_part(skipped, path, f"entry {n}", "no text")
            continue
        link = entry.get("link", "")
        key = f"{path}#{entry.get('id') or link or n}"
        published = iso_from_struct(entry.get("published_parsed") or entry.get("updated_parsed"))
        docs.append(
            Document(
                key=key,
                path=path,
                raw_hash=sha256(json.dumps([entry.get("title", ""), link, html, published])),
                text=body,
                title=entry.get("title", ""),
                outlet=outlet,
                published=published,
                url=link,
                scraped=False,
            )
        )
    return docs


def iso_from_struct(t) -> str:
    """feedparser's parsed time tuple to YYYY-MM-DD ('' when the feed gave none)."""
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}" if t else ""


def html_fragment_to_text(html: str) -> str:
    """A feed entry's HTML to paragraphs; plain-text summaries pass through unchanged."""
    if "<" not in html:
        return html
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(f"<div>{html}</div>")
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
    for bad in root.xpath("//script|//style|//figure|//figcaption"):
        bad.drop_tree()
    for block in root.xpath("//p|//br|//div|//li|//h1|//h2|//h3|//h4|//blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    return root.text_content()
