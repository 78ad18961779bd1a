"""Audit the cleaner on a corpus: sentences that survive cleaning in many articles.

A sentence that recurs verbatim across articles of one outlet is either page furniture the
cleaner missed (a newsletter pitch, an author's Twitter handle) or a story carried twice;
reading the top of this list is how the site-notice cues in index/ingest/clean.py were found.

    .venv/bin/python bench/boilerplate.py ../shared/corpora/realtimeqa-2022/corpus.jsonl
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from index.ingest.articles import prepare
from index.ingest.passages import split_sentences
from index.ingest.sources import read_sources


def recurring(texts: list[str], min_articles: int, min_words: int = 4) -> Counter:
    """Sentences of at least `min_words` words found in `min_articles` texts or more."""
    counts: Counter = Counter()
    for text in texts:
        counts.update({text[a:b] for a, b in split_sentences(text) if b - a > 0})
    return Counter(
        {s: n for s, n in counts.items() if n >= min_articles and len(s.split()) >= min_words}
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="+", type=Path)
    ap.add_argument("--min-articles", type=int, default=3)
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    texts = [prepare(doc).text for doc in read_sources(args.sources, max_bytes=1 << 34).documents]
    found = recurring(texts, args.min_articles)
    hit = sum(1 for t in texts if any(s in t for s in found))
    console = Console()
    console.print(
        f"{len(texts):,} articles; {len(found):,} sentences in {args.min_articles}+ articles "
        f"after cleaning; {hit:,} articles hold one"
    )
    table = Table("articles", "sentence")
    for sentence, n in found.most_common(args.top):
        table.add_row(str(n), sentence[:160])
    console.print(table)


if __name__ == "__main__":
    main()
