"""Measure reading real saved news pages against hand-checked reference bodies.

Every page goes the way a build takes it (read_file -> articles.prepare -> passages), and
the indexed passages are compared, word for word, with the reference text of the page:

- word recall: the share of reference words that reach the index (keep it high);
- the same recall leaving out what the references hold but the product must never index:
  embedded posts (tweets), code listings and credits ("(Reporting by ...)");
- noise share: the share of indexed words that the reference does not hold (furniture);
- one-paragraph pages: pages indexed as a single paragraph whose reference has several;
- skipped pages, with the reason.

    .venv/bin/python bench/pages.py ../shared/pages/newspaper
    .venv/bin/python bench/pages.py ../shared/pages/newspaper --worst 15 --show cnn.com1
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.ingest.articles import prepare
from index.ingest.blocks import EMBEDDED_POST
from index.ingest.passages import make_passages
from index.ingest.sources import Skip, read_file

# A word of a cased or uncased script; CJK characters count one by one (no spaces there).
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff66-\uff9f"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def words(text: str) -> Counter:
    return Counter(t.lower() for t in _TOKEN.findall(text))


# Reference paragraphs the product is required to leave out, told by their own shape here
# (not by the cleaner's rules, so the figure does not grade the cleaner by itself).
_POST = re.compile(rf"{EMBEDDED_POST.pattern}|^(twitter|instagram):\s", re.I)
_CREDIT = re.compile(
    r"^\(?\s*((additional )?reporting|editing|writing|compiled) by\b|^\(?\s*with inputs from\b",
    re.I,
)
_CODE_CHARS, _CODE_MARKS = set("{}<>=;$\\[]()/"), set("{}<>=;")


def must_drop(paragraph: str) -> str:
    """What a reference paragraph is if the product must not index it ("embedded posts",
    "code", "credits"); "" for the rest."""
    text = " ".join(paragraph.split())
    chars = [c for c in text if not c.isspace()]
    if _POST.search(text):
        return "embedded posts"
    marks = sum(c in _CODE_MARKS for c in chars)
    if marks >= 2 and sum(c in _CODE_CHARS for c in chars) >= 0.08 * len(chars):
        return "code"
    return "credits" if _CREDIT.search(text) else ""


def is_placeholder(reference: str) -> bool:
    """An empty reference or a note in capitals ("MISSED TINY PARAGRAPH AT THE VERY END",
    'ONLY "More coming soon!" AT END OF ARTICLE WAS EXTRACTED')."""
    tokens = [w for w in re.findall(r"[^\W\d_]+", reference) if w.lower() != w.upper()]
    caps = sum((w.isupper() and len(w) > 1) or w in "AI" for w in tokens)
    return not reference.strip() or (bool(tokens) and caps >= 0.6 * len(tokens))


@dataclass
class PageScore:
    name: str
    reference_words: int = 0
    kept_words: int = 0  # reference words found in the index (multiset intersection)
    # The same two without the reference's embedded posts, code and credits (must_drop).
    required_words: int = 0
    required_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # must_drop kind: reference words
    indexed_words: int = 0
    noise_words: int = 0  # indexed words beyond what the reference holds
    paragraphs: int = 0
    reference_paragraphs: int = 0
    skipped: str = ""
    has_reference: bool = True
    noise: list[str] = field(default_factory=list)  # indexed sentences mostly not in the reference


def _paragraphs(text: str) -> int:
    return len([p for p in re.split(r"\n\s*\n", text) if p.strip()])


def score_page(name: str, html: Path, reference: str, max_bytes: int) -> PageScore:
    ref = words(reference)
    score = PageScore(name, reference_words=sum(ref.values()))
    score.reference_paragraphs = _paragraphs(reference)
    required = Counter()
    for paragraph in re.split(r"\n\s*\n", reference):
        kind, w = must_drop(paragraph), words(paragraph)
        if kind:
            score.dropped[kind] = score.dropped.get(kind, 0) + sum(w.values())
        else:
            required += w
    score.required_words = sum(required.values())
    try:
        docs = read_file(html, max_bytes)
    except Skip as exc:
        score.skipped = str(exc)
        return score
    text = "\n\n".join(prepare(d).text for d in docs)
    passages = make_passages(text)
    if not passages:
        score.skipped = "no article text left after cleaning"
        return score
    # The article text, not the passages: overlapping passages repeat a sentence.
    indexed = words(text)
    score.indexed_words = sum(indexed.values())
    score.kept_words = sum((indexed & ref).values())
    score.required_kept = sum((indexed & required).values())
    score.noise_words = sum((indexed - ref).values())
    score.paragraphs = _paragraphs(text)
    for p in passages:
        for a, b in p.sentences:
            sentence = text[a:b]
            w = words(sentence)
            if w and sum((w - ref).values()) > 0.5 * sum(w.values()):
                score.noise.append(sentence)
    score.noise = list(dict.fromkeys(score.noise))
    return score


def reference_path(folder: Path, html: Path) -> Path:
    """text/NAME.txt for html/NAME.html ("chinese_article.html" has "chinese.txt")."""
    return folder / "text" / f"{html.stem.replace('_article', '')}.txt"


def score_folder(folder: Path, max_bytes: int = 20_000_000) -> list[PageScore]:
    """Scores of the pages with a real reference; pages with none (a home page, a redirect)
    are scored against an empty one, so all they index counts as noise."""
    scores = []
    for html in sorted((folder / "html").glob("*.html")):
        ref_path = reference_path(folder, html)
        reference = ref_path.read_text(encoding="utf-8") if ref_path.exists() else ""
        if reference and is_placeholder(reference):
            continue
        score = score_page(html.stem, html, reference, max_bytes)
        score.has_reference = bool(reference)
        scores.append(score)
    return scores


def summary(all_scores: list[PageScore]) -> dict:
    scores = [s for s in all_scores if s.has_reference]
    read = [s for s in scores if not s.skipped]
    ref = sum(s.reference_words for s in scores)
    indexed = sum(s.indexed_words for s in read)
    required = sum(s.required_words for s in scores)
    dropped: Counter = Counter()
    for s in scores:
        dropped.update(s.dropped)
    return {
        "pages": len(scores),
        "word_recall": round(sum(s.kept_words for s in scores) / max(ref, 1), 4),
        "required_recall": round(sum(s.required_kept for s in scores) / max(required, 1), 4),
        "must_drop_words": dict(dropped),
        "noise_share": round(sum(s.noise_words for s in read) / max(indexed, 1), 4),
        "one_paragraph": [s.name for s in read if s.paragraphs == 1 and s.reference_paragraphs > 1],
        "skipped": {s.name: s.skipped for s in scores if s.skipped},
        "no_reference": {
            s.name: s.skipped or f"{s.indexed_words} words indexed"
            for s in all_scores
            if not s.has_reference
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, nargs="?", default=Path("../shared/pages/newspaper"))
    ap.add_argument("--worst", type=int, default=10, help="list the pages with most noise/loss")
    ap.add_argument("--show", action="append", default=[], help="print a page's noise sentences")
    ap.add_argument("--json", type=Path, help="write every page's scores here")
    args = ap.parse_args()
    scores = score_folder(args.folder)
    s = summary(scores)
    print(f"pages measured: {s['pages']} (placeholder references left out)")
    print(f"reference word recall: {s['word_recall']:.3f}")
    left_out = ", ".join(f"{n} words of {kind}" for kind, n in s["must_drop_words"].items())
    print(f"  without what must not be indexed ({left_out}): {s['required_recall']:.3f}")
    print(f"indexed words not in the reference: {s['noise_share']:.3f}")
    print(f"one-paragraph pages (reference has several): {len(s['one_paragraph'])}")
    print(f"skipped: {len(s['skipped'])}")
    for name, reason in s["skipped"].items():
        print(f"  {name}: {reason}")
    print(f"pages without a reference (not scored): {len(s['no_reference'])}")
    for name, outcome in s["no_reference"].items():
        print(f"  {name}: {outcome}")
    scores = [p for p in scores if p.has_reference]
    read = [p for p in scores if not p.skipped]
    print("\nmost noise (noise words, indexed words, recall):")
    for p in sorted(read, key=lambda p: -p.noise_words)[: args.worst]:
        print(
            f"  {p.name}: {p.noise_words} / {p.indexed_words}, {p.kept_words / max(p.reference_words, 1):.2f}"
        )
    print("\nlowest recall (recall, reference words):")
    for p in sorted(scores, key=lambda p: p.kept_words / max(p.reference_words, 1))[: args.worst]:
        print(f"  {p.name}: {p.kept_words / max(p.reference_words, 1):.2f}, {p.reference_words}")
    for name in args.show:
        page = next(p for p in scores if p.name == name)
        print(f"\n{name}: {page.paragraphs} paragraphs, noise sentences:")
        for sentence in page.noise:
            print(f"  | {sentence}")
    if args.json:
        args.json.write_text(
            json.dumps({"summary": s, "pages": [asdict(p) for p in scores]}, indent=1)
        )


if __name__ == "__main__":
    main()
