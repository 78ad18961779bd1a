"""The CLI end to end in a subprocess-free way: real engine, real files, JSON output."""

import json

import pytest

from index import config as config_mod
from index.config import SAMPLE_CORPUS
from index.errors import ConfigError
from newsdesk import cli


@pytest.fixture
def run(monkeypatch, embedder, capsys):
    """Run `newsdesk ARGS`, reusing the session's model; returns (exit code, stdout, stderr)."""
    import index.engine

    monkeypatch.setattr(index.engine.Engine, "embedder", property(lambda self: embedder))

    def invoke(*args: str):
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_ask_builds_the_default_corpus_on_first_use_and_prints_json(run, tmp_path):
    code, out, _ = run(
        "--data-dir", str(tmp_path), "ask", "Who did Shoigu meet in Beijing?", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["question"] == "Who did Shoigu meet in Beijing?" and doc["covered"] is True
    assert len(doc["hits"]) == 3
    first = doc["hits"][0]
    for key in (
        "text",
        "quote",
        "score",
        "title",
        "outlet",
        "published",
        "url",
        "path",
        "article_id",
    ):
        assert key in first
    assert "Wang Yi" in first["text"] and first["quote"] in first["text"]
    assert first["outlet"] == "Devdiscourse" and first["published"] == "2025-02-28"


def test_not_covered_json_and_text(run, tmp_path):
    code, out, _ = run("--data-dir", str(tmp_path), "ask", "Who is Endrick?", "--json")
    assert code == 0 and json.loads(out) == {
        "question": "Who is Endrick?", "covered": False, "mode": "hybrid", "hits": []
    }  # fmt: skip
    code, out, _ = run("--data-dir", str(tmp_path), "ask", "What is the outlet's phone number?")
    assert "doesn't address" in out and "+91" not in out
    code, out, _ = run("--data-dir", str(tmp_path), "ask", "Is China a member of the ICC?")
    assert "**Nevertheless, it’s important to note that China is not a signatory" in out
    assert "— Chinas Top Diplomat Wang Yi Pivotal Russia Visit" in out


def test_index_json_counts_and_sources(run, tmp_path):
    code, out, _ = run(
        "--data-dir", str(tmp_path), "index", "--source", str(SAMPLE_CORPUS), "--json"
    )
    assert code == 0
    counts = json.loads(out)
    assert (counts["added"], counts["passages_embedded"] > 0) == (2, True)
    code, out, _ = run(
        "--data-dir", str(tmp_path), "index", "--source", str(SAMPLE_CORPUS), "--json"
    )
    assert json.loads(out)["passages_embedded"] == 0 and json.loads(out)["unchanged"] == 2
    code, out, _ = run("--data-dir", str(tmp_path), "sources", "--json")
    rows = json.loads(out)
    assert {r["title"] for r in rows} >= {"Strategic Talks: Shoigu's Diplomatic Mission in Beijing"}
    assert all({"id", "title", "outlet", "published", "passages"} <= set(r) for r in rows)
    code, out, _ = run("--data-dir", str(tmp_path), "sources", "Shoigu")
    assert "Shoigu" in out and "1 articles" in out


def test_config_file_and_errors(run, tmp_path, monkeypatch):
    good = tmp_path / "good.toml"
    good.write_text(f'data_dir = "{tmp_path / "data"}"\n[search]\ntop_k = 1\n')
    code, out, _ = run("--config", str(good), "ask", "Is China a member of the ICC?", "--json")
    assert code == 0 and len(json.loads(out)["hits"]) == 1
    assert (tmp_path / "data" / "newsdesk.sqlite").exists()

    bad = tmp_path / "bad.toml"
    bad.write_text("[search]\ntop_kk = 3\n")
    monkeypatch.setenv("NEWSDESK_CONFIG", str(bad))
    code, _, err = run("sources")
    assert code == 2 and "unknown config key 'search.top_kk'" in err


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[search]\nmode = 'fuzzy'", "'search.mode' must be one of"),
        ("[search]\ntop_k = 'three'", "'search.top_k' must be int"),
        ("[model]\nbatch_size = -1", "'model.batch_size' must not be negative"),
        ("sources = 'x'", "'sources' must be a list"),
        ("search = 1", "'search' must be a table"),
        ("[passages]\ntarget_words = 500", "passages.max_words"),
        ("not toml =", "not valid TOML"),
    ],
)
def test_bad_config_values_name_the_key(tmp_path, toml, message):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        config_mod.load(path)


def test_example_config_is_valid_and_complete():
    import dataclasses
    import tomllib

    data = tomllib.loads((config_mod.PROJECT_ROOT / "config.example.toml").read_text())
    config = config_mod.from_dict(data)
    defaults = config_mod.Config()
    for field in dataclasses.fields(defaults):
        value = getattr(defaults, field.name)
        if dataclasses.is_dataclass(value):  # every key of every table is documented
            assert set(data[field.name]) == {f.name for f in dataclasses.fields(value)}
            assert getattr(config, field.name) == value, field.name
        else:
            assert field.name in data
