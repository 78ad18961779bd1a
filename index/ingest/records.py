"""JSON and JSON Lines exports (scrapers, NewsAPI) to Documents.

JSON Lines are streamed a line at a time, so an export of any size is read in bounded
memory, and the size cap applies to each record: one huge record is skipped, not the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..models import Document
from .sources import Skip, decode, sha256, too_big

log = logging.getLogger(__name__)

TEXT_KEYS = ("text", "content", "body", "article", "maintext", "description", "summary")
TITLE_KEYS = ("title", "headline")
URL_KEYS = ("url", "link")
OUTLET_KEYS = ("outlet", "source", "site", "sitename", "publisher", "source_domain")
DATE_KEYS = (
    "published", "date", "date_publish", "published_at", "publishedAt", "pubDate", "datetime",
)  # fmt: skip

# NewsAPI cuts `content` to about 200 characters and says how much is missing.
_MORE_CHARS = re.compile(r"…?\s*\[\+\d+ chars\]\s*$")
_CUT_ENDS = ("…", "...", "[…]", "[...]")


def _first(record: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):  # e.g. {"source": {"name": "Reuters"}}
            value = value.get("name") or value.get("title")
        if value not in (None, ""):
            return str(value).strip()
    return ""


def record_text(record: dict) -> str:
    """The article text of a record: the longest text field that is not cut off, unless a
    cut-off one is much longer (NewsAPI's `content` ends "… [+1234 chars]"; the marker goes,
    and the cleaner drops the sentence it cut)."""
    texts = []
    for key in TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            texts.append(_uncut(value.strip()))
    if not texts:
        return ""
    longest = max(texts, key=lambda t: len(t[0]))
    whole = [t for t, cut in texts if not cut]
    if longest[1] and whole and 2 * len(max(whole, key=len)) >= len(longest[0]):
        return max(whole, key=len)
    return longest[0]


def _uncut(text: str) -> tuple[str, bool]:
    """`text` without NewsAPI's "[+N chars]" marker, and whether it was cut short. Only the
    tail is searched: a pattern anchored at the end still tries every position."""
    tail = text[-60:]
    marker = _MORE_CHARS.search(tail)
    if marker:
        return text[: len(text) - len(tail) + marker.start()].rstrip() + "…", True
    return text, text.endswith(_CUT_ENDS)


def record_document(
    record: dict, key: str, path: str, raw_hash: str, text: str | None = None, scraped=True
) -> Document:
    """A JSON record (or front matter) to a Document; exported text is treated as scraped."""
    from .meta import parse_date

    if text is None:
        text = record_text(record)
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


def skip_part(skipped: list, path: str, part: str, reason: str) -> None:
    log.warning("skipped %s %s: %s", path, part, reason)
    skipped.append((f"{path}#{part.replace(' ', '')}", reason))


def _records_to_documents(
    records: Iterable[tuple[int, object]], path: str, skipped: list
) -> Iterator[Document]:
    seen: set[str] = set()
    for n, record in records:
        if not isinstance(record, dict):
            skip_part(skipped, path, f"record {n}", "not an object")
            continue
        key = _record_key(record, path, n)
        if key in seen:
            key = f"{key}#{n}"
        seen.add(key)
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False)
        try:
            yield record_document(record, key, path, sha256(raw))
        except Skip as exc:
            skip_part(skipped, path, f"record {n}", str(exc))


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
    return list(_records_to_documents(enumerate(data), path, skipped))


def read_jsonl(path: Path, max_bytes: int, skipped: list) -> Iterator[Document]:
    """The records of a JSON Lines file, read a line at a time; a line over `max_bytes` is
    skipped (the reason names the setting) and reading goes on after it."""
    return _records_to_documents(_json_lines(path, max_bytes, skipped), str(path), skipped)


def _json_lines(path: Path, max_bytes: int, skipped: list) -> Iterator[tuple[int, object]]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, once the generator is done
    except OSError as exc:
        raise Skip(f"unreadable: {exc.strerror or exc}") from None
    with f:
        for n, line, size in _lines(f, max_bytes):
            if line is None:
                reason = str(too_big(size, max_bytes, "record"))
                skip_part(skipped, str(path), f"line {n}", reason)
                continue
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError:
                try:
                    text = decode(line)
                except Skip as exc:
                    skip_part(skipped, str(path), f"line {n}", str(exc))
                    continue
            try:
                yield n, json.loads(text)
            except json.JSONDecodeError as exc:
                skip_part(skipped, str(path), f"line {n}", f"malformed JSON ({exc.msg})")


def _lines(f, max_bytes: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line, size) for each line of a binary file; a line longer than
    `max_bytes` comes as None (with its size) and is never held in memory whole."""
    n = 0
    while True:
        chunk = f.readline(max_bytes + 1)
        if not chunk:
            return
        n += 1
        if len(chunk) <= max_bytes or chunk.endswith(b"\n"):
            yield n, chunk, len(chunk)
            continue
        size = len(chunk)
        while chunk and not chunk.endswith(b"\n"):
            chunk = f.readline(1 << 20)
            size += len(chunk)
        yield n, None, size
