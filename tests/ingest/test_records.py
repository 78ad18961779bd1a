"""JSON and JSON Lines exports: streamed, capped per record, NewsAPI records read."""

from __future__ import annotations

import json
import subprocess
import sys

from index.ingest.articles import prepare
from index.ingest.sources import read_file, read_sources

LEAD = (
    "Microsoft Corp said on Thursday it would remove from the atmosphere all the carbon it has "
    "emitted since its founding in 1975, by 2050."
)


def _record(n: int, words: int = 40) -> dict:
    text = " ".join(
        f"Council vote {n} passed with a large majority on Tuesday." for _ in range(words // 8)
    )
    return {
        "id": f"r{n}",
        "title": f"Vote {n}",
        "text": text,
        "outlet": "Lines",
        "published": "2024-05-01",
    }


def test_jsonl_is_streamed_and_the_cap_is_per_record(tmp_path):
    path = tmp_path / "export.jsonl"
    lines = [json.dumps(_record(n)) for n in range(50)]
    lines.insert(20, json.dumps(_record(999, words=2000)))  # one record far over the cap
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 10_000  # the file is over the cap, its records are not

    skipped: list = []
    docs = read_file(path, max_bytes=2_000, skipped=skipped)
    assert not isinstance(docs, list)  # an iterator: nothing is read before it is asked for
    docs = list(docs)
    assert len(docs) == 50 and {d.outlet for d in docs} == {"Lines"}
    ((where, reason),) = skipped
    assert where == f"{path}#line21"
    assert "over the 2000-byte cap (raise index.max_file_bytes to read it)" in reason


def test_jsonl_reading_holds_one_record_at_a_time(tmp_path):
    path = tmp_path / "big.jsonl"
    with open(path, "w") as f:
        for n in range(3_000):
            f.write(json.dumps(_record(n, words=200)) + "\n")
    size = path.stat().st_size
    assert size > 3_000_000
    (tmp_path / "warm.jsonl").write_text(json.dumps(_record(0)))
    # In a fresh interpreter: other tests' threads allocate too, and tracemalloc sees them.
    probe = f"""
import tracemalloc
from pathlib import Path
from index.ingest.sources import read_file
list(read_file(Path({str(tmp_path / "warm.jsonl")!r}), max_bytes=20_000))  # imports first
tracemalloc.start()
count = sum(1 for _ in read_file(Path({str(path)!r}), max_bytes=20_000))
print(count, tracemalloc.get_traced_memory()[1])
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    count, peak = map(int, out.stdout.split())
    assert count == 3_000
    # Reading the file whole would hold all its bytes, and its text, at once.
    assert peak < size / 8, f"peak {peak} bytes reading a {size}-byte file"


def test_newsapi_records(tmp_path):
    """NewsAPI cuts `content` and says so ("… [+2345 chars]"): the marker never reaches
    the index, a whole description is preferred to a cut content of about its length,
    and a cut content that is much longer is used without its cut-off sentence."""
    whole = {
        "source": {"id": "reuters", "name": "Reuters"},
        "author": "Jane Doe",
        "title": "Microsoft to erase its carbon footprint",
        "description": f"{LEAD} It will spend $1 billion on carbon removal.",
        "url": "https://www.reuters.com/article/microsoft-carbon",
        "urlToImage": "https://example.com/a.jpg",
        "publishedAt": "2020-01-16T23:30:00Z",
        "content": f"{LEAD} The company will spend $1 bill… [+2345 chars]",
    }
    cut = {
        **whole,
        "url": "https://www.reuters.com/article/microsoft-carbon-2",
        "description": "Microsoft makes a pledge.",
        "content": f"{LEAD} Its president said the pledge was the company's biggest yet. The "
        "company will spend $1 billion over four years on carbon removal technol… [+2345 chars]",
    }
    (tmp_path / "news.json").write_text(json.dumps({"status": "ok", "articles": [whole, cut]}))
    first, second = read_sources([tmp_path]).documents
    assert (first.outlet, first.published, first.title) == (
        "Reuters",
        "2020-01-16",
        "Microsoft to erase its carbon footprint",
    )
    assert prepare(first).text == whole["description"]
    text = prepare(second).text
    assert text == f"{LEAD} Its president said the pledge was the company's biggest yet."
    assert "chars]" not in second.text and "technol" not in text
