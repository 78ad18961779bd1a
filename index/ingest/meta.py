"""Read article metadata (headline, outlet, dateline place, publication date) from scraped text.

Only what the page states is returned: a field it does not state stays empty, never guessed.
Dates are parsed with plain regular expressions rather than dateparser, which fills a
missing year or day from today's date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from .clean import clean_text, is_block_heading, is_prose


@dataclass
class PageMeta:
    title: str = ""
    outlet: str = ""
    place: str = ""  # dateline place, e.g. "Moscow"
    published: str = ""  # ISO YYYY-MM-DD


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>\d{4})(?!\d)"
_DATE_PATTERNS = [
    re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d.])(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.]" + _YEAR),
    re.compile(rf"(?<!\d){_DAY}\s+(?:of\s+)?{_MON}\s*,?\s*{_YEAR}", re.I),
    re.compile(rf"(?<![a-z]){_MON}\s+{_DAY}\s*,?\s*{_YEAR}", re.I),
]
_LABEL = re.compile(
    r"^(?P<label>first published|published|created|posted|date|last updated|updated|last modified"
    r"|modified)\b\s*(?:on|at)?\s*:?\s*(?P<rest>.*)$",
    re.I,
)
# Words that may stand next to a date in a date-only line.
_DATE_FILLER = {
    "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
    "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday", "am", "pm", "at", "on",
    "of", "st", "nd", "rd", "th", "t", "z", "gmt", "utc", "ist", "est", "edt", "cet", "cest",
    "bst", "pst", "pdt", "et", "pt", "hrs", "h",
}  # fmt: skip
_PUBLISH_LABELS = {"first published", "published", "created", "posted", "date"}
_DESK = re.compile(r"^(?P<name>.+?)\s+(?:news\s+)?(?:desk|bureau|newsroom|staff|team)$", re.I)
_AUTHOR = re.compile(r"^by\s+\S", re.I)
# "PARIS (Reuters) -", "NEW YORK, March 3 (AP) —", "LONDON —" at the start of a paragraph.
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3})(?:,\s*[A-Za-z0-9. ]{2,20}?)?\s*"
    r"(?:\((?P<outlet>[A-Z][\w .&'-]{1,30})\)\s*)?[-–—]{1,2}\s"
)


def parse_date(s: str) -> str:
    """Return the first date written in `s` as "YYYY-MM-DD", or "" when there is none.

    Understood: ISO ("2024-03-03", "2024/03/03T10:00Z"), numeric "28-02-2025", "28/02/2025",
    "28.02.2025", and month names ("March 3, 2024", "3 March 2024", "Feb. 28 2025", "3rd of
    March, 2024"). Numeric dates are read day-first, as outlets outside the US write them,
    unless the second number cannot be a month (03/28/2025 is then read month-first). A date
    without a year, a two-digit year, a relative date ("2 hours ago") or an impossible date
    gives "": nothing is guessed.
    """
    matches = [m for p in _DATE_PATTERNS for m in p.finditer(s)]
    for m in sorted(matches, key=lambda m: m.start()):
        date = _to_date(m)
        if date:
            return date.isoformat()
    return ""


def _to_date(m: re.Match[str]) -> dt.date | None:
    groups = m.groupdict()
    year = int(groups["y"])
    if groups.get("mon"):
        month, day = _MONTHS[groups["mon"][:3].lower()], int(groups["d"])
    elif groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        day, month = (b, a) if b > 12 >= a else (a, b)
    else:
        month, day = int(groups["m"]), int(groups["d"])
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def extract_meta(raw: str) -> PageMeta:
    """Headline, outlet, dateline place and publication date that the page itself states.

    Bylines such as "Outlet News Desk | Place | Updated: ... | Created: ..." and "By Author |
    Outlet | Date", date lines ("Published: 2024-03-03") and a wire dateline opening the
    body ("PARIS (Reuters) -") are read. The publication date ("Published", "Created",
    "Posted", or an unlabelled byline date) wins over "Updated".
    """
    cleaned = clean_text(raw)
    found: dict[str, str] = {}
    for line in _header_lines(raw):
        for key, value in _read_meta_line(line).items():
            found.setdefault(key, value)
    for paragraph in cleaned.text.split("\n\n")[:3]:
        for key, value in _read_dateline(paragraph).items():
            found.setdefault(key, value)
    published = found.get("published") or found.get("date") or found.get("updated", "")
    return PageMeta(
        title=cleaned.title,
        outlet=found.get("outlet", ""),
        place=found.get("place", ""),
        published=published,
    )


def _header_lines(raw: str) -> list[str]:
    """Lines up to the first list of other stories after the article starts (their dates and
    bylines belong to other articles)."""
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    started = False
    for i, line in enumerate(lines):
        if started and is_block_heading(line):
            return [x for x in lines[:i] if x]
        started = started or is_prose(line)
    return [x for x in lines if x]


def _read_meta_line(line: str) -> dict[str, str]:
    """Metadata in one byline or date line; {} for any other line."""
    segments = [s.strip() for s in line.split("|")] if line.count("|") else [line]
    if len(segments) == 1 and is_prose(line):
        return {}
    found: dict[str, str] = {}
    plain: list[str] = []
    has_byline = False
    for seg in segments:
        label = _LABEL.match(seg)
        if label and parse_date(label["rest"]):
            kind = "published" if label["label"].lower() in _PUBLISH_LABELS else "updated"
            found.setdefault(kind, parse_date(label["rest"]))
        elif _is_date_only(seg):
            found.setdefault("date", parse_date(seg))
        elif _AUTHOR.match(seg):
            has_byline = True
        elif desk := _DESK.match(seg):
            found.setdefault("outlet", desk["name"])
            has_byline = True
        elif len(segments) > 1 and _is_name(seg):
            plain.append(seg)
    if has_byline and plain:
        # After a desk the next name is the place; after an author it is the outlet.
        key = "place" if "outlet" in found else "outlet"
        found[key] = plain[0]
        if key == "outlet" and len(plain) > 1:
            found["place"] = plain[1]
    return found


def _is_date_only(seg: str) -> bool:
    """A segment that is a date plus at most a weekday, time or zone ("Mon, 3 March 2024")."""
    if not parse_date(seg):
        return False
    rest = re.sub(r"\d+|" + _MON, " ", seg, flags=re.I)
    return all(w.lower() in _DATE_FILLER for w in re.findall(r"[A-Za-z]+", rest))


def _is_name(seg: str) -> bool:
    words = seg.split()
    return 1 <= len(words) <= 4 and all(w[0].isupper() for w in words if w.isalpha())


def _read_dateline(paragraph: str) -> dict[str, str]:
    m = _DATELINE.match(paragraph)
    if not m or len(m["place"].replace(" ", "")) < 3:
        return {}
    found = {"place": " ".join(w.capitalize() for w in m["place"].split())}
    if m["outlet"]:
        found["outlet"] = m["outlet"].strip()
    return found


# Separators between a headline or a feed's name and the site or section around it.
_TITLE_SEP = re.compile(r"\s+(?:[|>»:·•~]|::|[-–—]{1,2})\s+")
# Host labels that name no site: "www", "rss", "feeds" and the commonest suffixes.
_HOST_NOISE = {
    "www", "m", "rss", "feeds", "feed", "com", "org", "net", "co", "uk", "jp", "de", "fr",
    "cz", "au", "ca", "in", "news", "info", "edu", "gov",
}  # fmt: skip


def _compact(s: str) -> str:
    """Lower-case letters and digits, accents dropped: "ČT24" -> "ct24"."""
    folded = unicodedata.normalize("NFKD", s.casefold())
    return "".join(c for c in folded if c.isalnum() and not unicodedata.combining(c))


def host_names(url: str) -> list[str]:
    """The labels of a URL's host that can name its site: "rss.nytimes.com" -> ["nytimes"]."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return [label for label in host.split(".") if label and label not in _HOST_NOISE]


def names_site(segment: str, sites: list[str]) -> bool:
    """True when `segment` is one of `sites` (names or host labels), as written or as its
    initials: "NYT" for nytimes, "The Japan Times" for japantimes, "CNN.com" for cnn."""
    seg = _compact(segment)
    if not seg:
        return False
    short = len(segment.split()) <= 4  # a long part is a headline, even one naming the site
    for site in filter(None, map(_compact, sites)):
        if seg == site or (short and len(site) >= 3 and site in seg):
            return True
        if len(seg) >= 3 and site.startswith(seg):  # initials or a short form: NYT, nytimes
            return True
    return False


def feed_outlet(title: str, link: str = "") -> str:
    """The site's name from a feed's title ("NYT > Top Stories" -> "NYT", "News : NPR" ->
    "NPR"): the part of the title that names the feed's host, else the first step of a
    "Site > Section" path, else the whole title. A feed without a title is named by its
    host."""
    parts = [p.strip() for p in _TITLE_SEP.split(" ".join(title.split())) if p.strip()]
    hosts = host_names(link)
    if not parts:
        host = urlsplit(link).hostname or ""
        return host.removeprefix("www.")
    if len(parts) == 1:
        return parts[0]
    named = [p for p in parts if names_site(p, hosts)]
    if named:
        return named[0]
    # "Site > Section" is a path; "A - B" could be either way round.
    return parts[0] if re.search(r"\s[>»]\s", title) else " ".join(title.split())


def clean_title(title: str, sites: list[str]) -> str:
    """A headline without the site, section or date a page appends to it ("... | DW |
    19.01.2020", "Title - CNN"). Only trailing or leading parts that name one of `sites`
    (outlet names, the URL's host labels) or are a bare date go; the rest stays."""
    title = " ".join(title.split())
    parts = _TITLE_SEP.split(title)
    seps = _TITLE_SEP.findall(title)
    if len(parts) < 2:
        return title

    def extra(part: str, site_seen: bool) -> bool:
        # Once the site's name is gone, short parts beside it are its sections ("» Local").
        section = site_seen and len(part.split()) <= 2
        return section or names_site(part, sites) or _is_date_only(part) or not _compact(part)

    site_seen = False
    while len(parts) > 1 and extra(parts[-1], site_seen):
        site_seen = site_seen or names_site(parts[-1], sites)
        parts.pop()
        seps.pop()
    site_seen = False
    while len(parts) > 1 and extra(parts[0], site_seen):
        site_seen = site_seen or names_site(parts[0], sites)
        parts.pop(0)
        seps.pop(0)
    return "".join(p + s for p, s in zip(parts, [*seps, ""], strict=True)).strip()
