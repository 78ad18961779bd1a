"""Measure syncing a followed feed over loopback: a first sync of N entries whose pages
are fetched and indexed, a sync with nothing new, and one with a few new entries.

The feed and its pages are served by a local HTTP server (127.0.0.1, allowed in the
config, no pause between requests): the pages are HTML made from real articles of
`../shared/corpora/realtimeqa-2022/corpus.jsonl`, the feed carries a one-sentence summary
of each, so every entry's page is fetched, read by trafilatura and cleaned like a saved
page. Counts come from the server (requests by kind) and the build reports (articles,
passages embedded).

    .venv/bin/python bench/sync.py                      # 1,000 entries, contextual vectors
    .venv/bin/python bench/sync.py --entries 50 --sentence-vectors standalone --json x.json
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.config import Config, WebConfig  # noqa: E402
from index.engine import Engine  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "realtimeqa-2022" / "corpus.jsonl"


class Site:
    """path -> (content type, body, etag); counts requests by the first path segment."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes, str]] = {}
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                site.hits[self.path.split("/")[1]] += 1
                ctype, body, etag = site.routes.get(self.path, ("text/plain", b"", ""))
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200 if body or self.path == "/robots.txt" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


WORDS = 250  # of each article, in whole paragraphs: news-length pages on 2 shared cores


def articles(n: int) -> list[dict]:
    """The first `n` corpus articles with a title and at least 150 words, each cut to
    about WORDS words of whole paragraphs."""
    out = []
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("title") and len(rec.get("text", "").split()) >= 150:
                kept, words = [], 0
                for para in rec["text"].split("\n"):
                    if words >= WORDS:
                        break
                    kept.append(para)
                    words += len(para.split())
                rec["text"] = "\n".join(kept)
                out.append(rec)
                if len(out) == n:
                    break
    return out


def page(rec: dict) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in rec["text"].split("\n") if p.strip())
    day = rec["published"].replace("/", "-")[:10]
    return f"""<!doctype html><html><head><title>{html.escape(rec["title"])}</title>
<meta property="og:site_name" content="{html.escape(rec["outlet"])}">
<meta property="article:published_time" content="{day}T08:00:00Z">
</head><body><nav><a href="/">Home</a></nav><article><h1>{html.escape(rec["title"])}</h1>
{paras}</article><footer>Copyright</footer></body></html>""".encode()


def feed(site: Site, recs: list[dict], first: int = 0) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(r['title'])}</title><link>{site.base}/news/{first + i}</link>"
        f"<guid>{site.base}/news/{first + i}</guid>"
        f"<description>{html.escape(r['text'].split('. ')[0][:200])}.</description></item>"
        for i, r in enumerate(recs)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench News</title>'
        f"<link>{site.base}/</link>{items}</channel></rss>"
    ).encode()


def timed_sync(engine: Engine, site: Site) -> dict:
    before = Counter(site.hits)
    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())

    t0 = time.perf_counter()
    report = engine.build(progress=progress)
    seconds = time.perf_counter() - t0
    marks = [*sorted(stages.items(), key=lambda kv: kv[1]), ("end", t0 + seconds)]
    # "reading" is the sync itself: the feed, robots.txt, every page fetched and extracted.
    stage_s = {a: round(tb - ta, 2) for (a, ta), (_, tb) in itertools.pairwise(marks)}
    hits = site.hits - before
    (synced,) = report.web
    return {
        "seconds": round(seconds, 2), "added": report.added, "unchanged": report.unchanged,
        "passages_embedded": report.passages_embedded, "page_fetches": hits["news"],
        "feed_fetches": hits["feed.xml"], "robots_fetches": hits["robots.txt"],
        "feed_not_modified": synced.not_modified, "error": synced.last_error,
        "stage_seconds": stage_s,
    }  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", type=int, default=1000)
    p.add_argument("--new", type=int, default=10, help="entries added for the third sync")
    p.add_argument("--sentence-vectors", default="contextual", choices=["contextual", "standalone"])
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args()

    recs = articles(args.entries + args.new)
    site = Site()
    site.routes["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n", "")
    for i, rec in enumerate(recs):
        site.routes[f"/news/{i}"] = ("text/html; charset=utf-8", page(rec), "")
    first = recs[: args.entries]
    site.routes["/feed.xml"] = ("application/rss+xml", feed(site, first), '"v1"')
    with tempfile.TemporaryDirectory() as tmp:
        web = WebConfig(allow_hosts=["127.0.0.1"], host_delay_seconds=0.0,
                        max_pages_per_sync=args.entries + args.new)  # fmt: skip
        config = Config(data_dir=tmp, sources=[f"{site.base}/feed.xml"], web=web)
        config.model.sentence_vectors = args.sentence_vectors
        engine = Engine(config)
        engine.load()
        results = {"first_sync": timed_sync(engine, site)}
        results["no_change_sync"] = timed_sync(engine, site)
        site.routes["/feed.xml"] = ("application/rss+xml", feed(site, recs), '"v2"')
        results["sync_with_new_entries"] = timed_sync(engine, site)
        engine.close()
    out = {
        "entries": args.entries, "new_entries": args.new,
        "sentence_vectors": args.sentence_vectors, "backend": engine.embedder.backend,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        **results,
    }  # fmt: skip
    for name in ("first_sync", "no_change_sync", "sync_with_new_entries"):
        r = results[name]
        print(
            f"{name:22} {r['seconds']:8.2f} s  added {r['added']:5}  page fetches "
            f"{r['page_fetches']:5}  feed fetches {r['feed_fetches']} (304: "
            f"{r['feed_not_modified']})  passages embedded {r['passages_embedded']}"
        )
        print(f"{'':22} stages (s): {r['stage_seconds']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
