"""`newsdesk watch` as a process: it syncs on its own, SIGTERM ends it between articles
(what was fetched is indexed), and kill -9 mid-sync loses nothing already committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.engine import Engine
from tests.web.fixtures import RSS, STORIES, article_html, config_for, feed_xml, page_hits, summary
from tests.web.server import Reply, Site

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, data: Path, feed: str) -> Path:
    path.write_text(
        f'data_dir = "{data}"\nsources = ["{feed}"]\n[web]\nallow_hosts = ["127.0.0.1"]\n'
        "host_delay_seconds = 0\nretry_backoff_seconds = 0.01\n"
    )
    return path


def watch(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "--config", str(config), "watch", "--every", "1h",
         "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def wait_for(condition, proc: subprocess.Popen, timeout: float = 180) -> None:
    """Until `condition()`; the process loads the model first, which takes a while."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def slow_news(site: Site, stories, etag: str) -> str:
    for slug, title, lead in stories:
        site.put(f"/news/{slug}", Reply(article_html(slug, title, lead), delay=0.4))
    items = [(s, t, summary(lead)) for s, t, lead in stories]
    return site.put("/feed.xml", Reply(feed_xml(site, items), content_type=RSS, etag=etag))


def test_sigterm_ends_watch_between_articles_and_keeps_what_it_fetched(tmp_path, embedder, site):
    feed = slow_news(site, STORIES, '"v1"')
    proc = watch(write_config(tmp_path / "c.toml", tmp_path / "data", feed))
    wait_for(lambda: page_hits(site) >= 2, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    fetched = page_hits(site)
    (line,) = out.splitlines()
    report = json.loads(line)
    assert 2 <= report["added"] == fetched < len(STORIES)
    # The next sync reads the feed in full again (no validator was kept for a feed read
    # in part) and fetches only the pages it did not have.
    engine = Engine(config_for(tmp_path / "data", [feed]), embedder)
    rest = engine.build()
    assert rest.added == len(STORIES) - fetched and len(engine.articles()) == len(STORIES)
    assert page_hits(site) == len(STORIES)


def test_kill_9_mid_sync_loses_nothing_committed(tmp_path, embedder, site):
    config = config_for(tmp_path / "data", [slow_news(site, STORIES[:2], '"v1"')])
    engine = Engine(config, embedder)
    engine.build()
    generation = engine.generation
    feed = slow_news(site, STORIES, '"v2"')  # three more entries
    proc = watch(write_config(tmp_path / "c.toml", tmp_path / "data", feed))
    wait_for(lambda: page_hits(site) >= 3, proc)
    proc.kill()
    proc.wait(timeout=30)
    reader = Engine.open(config, embedder)
    assert reader.generation == generation and len(reader.articles()) == 2
    assert reader.ask("How many otters were seen on the river Wend?").covered
    report = reader.build()
    assert report.added == 3 and len(reader.articles()) == 5
