"""The CLI with URL sources: `index --source URL`, `--remove URL`, and `watch`'s interval."""

from __future__ import annotations

import json
import logging

import pytest

from index.errors import ConfigError
from index.web.schedule import parse_every
from newsdesk import cli
from tests.web.fixtures import serve_news


@pytest.fixture
def run(monkeypatch, embedder, capsys, tmp_path):
    """`newsdesk --config C ARGS` with a config that allows the local site."""
    import index.engine

    monkeypatch.setattr(index.engine.Engine, "embedder", property(lambda self: embedder))
    config = tmp_path / "c.toml"
    config.write_text('[web]\nallow_hosts = ["127.0.0.1"]\nhost_delay_seconds = 0\n')
    root = logging.getLogger()
    level = root.level

    def invoke(*args: str):
        code = cli.main(["--config", str(config), "--data-dir", str(tmp_path / "d"), *args])
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke
    root.setLevel(level)


def test_index_follows_a_feed_by_url_then_finds_nothing_new(run, site):
    feed = serve_news(site)
    code, out, _ = run("index", "--source", feed, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["added"] == 5
    assert doc["web"] == [{"location": feed, "kind": "feed", "new_articles": 5, "requests": 7,
                           "pages": 5, "not_modified": False, "error": "", "failures": 0}]  # fmt: skip
    code, out, _ = run("index")
    assert code == 0 and f"{feed}: not modified" in out and "passages embedded 0" in out
    code, out, _ = run("index", "--remove", feed, "--json")
    assert code == 0 and json.loads(out)["removed"] == 5


def test_a_feed_that_fails_is_named_with_its_reason(run, site):
    code, out, err = run("index", "--source", site.url("/nothing.xml"))
    assert code == 1 and "HTTP 404" in out and "no article could be read" in err


@pytest.mark.parametrize(
    ("text", "seconds"), [("15m", 900), ("90s", 90), ("2h", 7200), ("30", 1800)]
)
def test_intervals(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["0m", "soon", "-5m", ""])
def test_bad_intervals_are_refused(text, capsys):
    with pytest.raises(ConfigError):
        parse_every(text)
    with pytest.raises(SystemExit):
        cli.main(["watch", f"--every={text}"])
    assert "interval" in capsys.readouterr().err


@pytest.mark.parametrize("key", ["timeout_seconds", "max_body_bytes", "max_pages_per_sync"])
def test_web_limits_of_zero_are_refused(key):
    from index.config import from_dict

    with pytest.raises(ConfigError, match=f"web\\.{key}"):
        from_dict({"web": {key: 0}})
