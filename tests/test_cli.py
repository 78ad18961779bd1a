"""The CLI end to end in a subprocess-free way: real engine, real files, JSON output."""

import json
import logging
import os

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
    root = logging.getLogger()
    level = root.level

    def invoke(*args: str):
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke
    root.setLevel(level)  # main() sets the root level from -v


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if anything reaches for the model."""
    import index.engine

    def load(self):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(index.engine.Engine, "embedder", property(load))


def refused(capsys, *args: str) -> str:
    """Run `newsdesk ARGS` expecting argparse to refuse them (exit 2); returns stderr."""
    with pytest.raises(SystemExit) as exc:
        cli.main(list(args))
    assert exc.value.code == 2
    return capsys.readouterr().err


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
        "question": "Who is Endrick?", "covered": False, "mode": "hybrid", "hits": [],
        "refusal": "The coverage doesn't address this question.",
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
    assert "Shoigu" in out and "\n1 article\n" in out and "1 articles" not in out
    code, out, _ = run("--data-dir", str(tmp_path), "sources")
    assert "\n2 articles\n" in out


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
    assert f"{bad}: unknown config key 'search.top_kk' (did you mean 'search.top_k'?)" in err


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


# --- mistakes on the command line (issue 12) ------------------------------------------------


@pytest.mark.parametrize("k", ["0", "-1", "1000", "51", "three"])
def test_ask_k_out_of_range_is_refused_with_the_range(capsys, no_model, tmp_path, k):
    err = refused(capsys, "--data-dir", str(tmp_path), "ask", "Who?", "-k", k)
    assert "argument -k: must be a whole number from 1 to 50" in err
    assert not (tmp_path / "newsdesk.sqlite").exists()


def test_ask_k_within_range_is_used(run, tmp_path):
    code, out, _ = run("--data-dir", str(tmp_path), "ask", "Wang Yi", "-k", "50", "--json")
    assert code == 0 and 3 < len(json.loads(out)["hits"]) <= 50


def test_since_after_until_is_an_error_before_anything_loads(run, no_model, tmp_path):
    code, out, err = run(
        "--data-dir", str(tmp_path), "ask", "Wang Yi", "--since", "2025-03-02", "--until", "2025-03-01"
    )  # fmt: skip
    assert code == 2 and out == ""
    assert "error: --since 2025-03-02 is after --until 2025-03-01" in err
    assert not (tmp_path / "newsdesk.sqlite").exists()


def test_a_bad_date_is_refused_by_the_parser(capsys, no_model, tmp_path):
    err = refused(capsys, "--data-dir", str(tmp_path), "ask", "Wang Yi", "--since", "last week")
    assert "argument --since: must be a date like 2025-02-28, got 'last week'" in err


def test_filters_that_match_no_article_say_so(run, tmp_path):
    data = str(tmp_path)
    code, out, err = run("--data-dir", data, "ask", "Who did Shoigu meet?", "--since", "2025-03-01")
    assert code == 2 and "doesn't address" not in out + err
    assert "error: no indexed article matches published on or after 2025-03-01" in err
    assert "without a date never matches" in err
    code, out, err = run(
        "--data-dir", data, "ask", "Wang Yi", "--outlet", "devdiscourse", "--until", "2025-01-31"
    )  # fmt: skip
    assert code == 2
    assert "matches outlet 'Devdiscourse' and published on or before 2025-01-31" in err
    code, out, err = run("--data-dir", data, "ask", "Wang Yi", "--outlet", "Daily Planet")
    assert code == 2 and "unknown outlet 'Daily Planet'; known: Devdiscourse" in err
    # A filter that does match still answers.
    code, out, _ = run(
        "--data-dir", data, "ask", "Who did Shoigu meet?", "--outlet", "Devdiscourse",
        "--since", "2025-02-28", "--until", "2025-02-28", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["covered"] is True


def test_engine_refuses_filters_that_match_nothing(sample_engine):
    from index.errors import NoMatchingArticlesError, QueryError

    with pytest.raises(NoMatchingArticlesError, match="published on or after 2031-01-01"):
        sample_engine.retrieve("Wang Yi", since="2031-01-01")
    with pytest.raises(QueryError, match=r"since \(2025-03-02\) is after until \(2025-03-01\)"):
        sample_engine.ask("Wang Yi", since="2025-03-02", until="2025-03-01")
    assert sample_engine.ask("Wang Yi", since="2025-02-28").covered


def test_eval_with_a_missing_qa_file_is_a_clear_error(run, no_model, tmp_path):
    missing = tmp_path / "nope.jsonl"
    code, _, err = run("--data-dir", str(tmp_path), "eval", str(missing))
    assert code == 2 and f"error: QA file not found: {missing}" in err
    assert "Traceback" not in err
    code, _, err = run("--data-dir", str(tmp_path), "eval", str(tmp_path))
    assert code == 2 and "is a directory" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Who?", "answers": "Wang Yi"}\n')
    code, _, err = run("--data-dir", str(tmp_path), "eval", str(bad))
    assert code == 2 and "line 1: 'answers' must be a list" in err


def test_eval_checks_the_corpus_before_the_model_loads(run, no_model, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "Who did Shoigu meet?", "answers": ["Wang Yi"]}\n')
    gone = tmp_path / "no-such-corpus"
    code, _, err = run("--data-dir", str(tmp_path), "eval", str(qa), "--corpus", str(gone))
    assert code == 2 and f"error: --corpus not found: {gone}" in err
    code, _, err = run("--data-dir", str(tmp_path), "eval", str(qa), "--k", "0,3")
    assert code == 2 and "--k must be" in err
    assert not (tmp_path / "eval").exists()


def test_eval_counts_read_in_the_singular(run, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        '{"question": "Who did Shoigu meet in Beijing?", "answers": ["Wang Yi"]}\n'
        '{"question": "Who won the 1998 World Cup?", "no_answer": true}\n'
    )
    code, out, _ = run("--data-dir", str(tmp_path), "eval", str(qa), "--mode", "bm25")
    assert code == 0 and "1 answerable question, 1 unanswerable question" in out
    # piped, the table keeps its full width: no figure cut to "0.4…"
    assert "false refusal" in out and "refusal acc" in out and "…" not in out


def test_plural():
    from newsdesk.output import plural

    assert [plural(n, "article") for n in (0, 1, 2)] == ["0 articles", "1 article", "2 articles"]


def test_global_options_work_after_the_command(run, tmp_path):
    data = tmp_path / "after"
    code, out, _ = run("ask", "Who did Shoigu meet in Beijing?", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["covered"] and (data / "newsdesk.sqlite").exists()
    code, out, _ = run("sources", "Shoigu", "--json", "--data-dir", str(data))
    assert code == 0 and len(json.loads(out)) == 1
    # After the command wins over before it; a missing one leaves the earlier one alone.
    code, out, _ = run("--data-dir", str(tmp_path / "x"), "sources", "--data-dir", str(data))
    assert code == 0 and "1 article" not in out and "2 articles" in out
    cfg = tmp_path / "c.toml"
    cfg.write_text("[search]\ntopk = 3\n")
    code, _, err = run("sources", "--data-dir", str(data), "--config", str(cfg))
    assert code == 2 and "did you mean 'search.top_k'?" in err


def test_info_logs_only_with_v(run, tmp_path, caplog):
    data = str(tmp_path)
    run("--data-dir", data, "ask", "Who did Shoigu meet in Beijing?")  # builds
    root = logging.getLogger()

    def infos():
        return [r for r in caplog.records if r.levelno == logging.INFO]

    caplog.clear()
    code, _, _ = run("--data-dir", data, "ask", "Who did Shoigu meet in Beijing?")
    assert code == 0 and root.level == logging.WARNING and not infos()
    code, _, _ = run("--data-dir", data, "ask", "Who did Shoigu meet in Beijing?", "-v")
    assert code == 0 and root.level == logging.INFO and infos()
    assert not [r for r in caplog.records if r.levelno == logging.DEBUG]
    run("-v", "--data-dir", data, "sources", "-v")
    assert root.level == logging.DEBUG
    run("--data-dir", data, "sources", "-vv")
    assert root.level == logging.DEBUG


def test_version(capsys, monkeypatch):
    from importlib import metadata

    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"newsdesk {metadata.version('newsdesk')}"

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.startswith("newsdesk unknown")


def test_every_command_and_option_says_what_it_does(capsys):
    import argparse

    parser = cli._parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for action in sub._choices_actions:
        assert len(action.help or "") > 10, action.dest
    for name, command in [("newsdesk", parser), *sub.choices.items()]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help and len(action.help) > 10, (name, action.dest)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    top = " ".join(capsys.readouterr().out.split())
    for text in (".txt", ".html", ".md", ".json", ".jsonl", ".xml", ".rss", ".atom",
                 "$XDG_DATA_HOME/newsdesk", "~/.local/share/newsdesk", "registered sources",
                 "no index yet builds one first"):  # fmt: skip
        assert text in top, text
    with pytest.raises(SystemExit):
        cli.main(["ask", "--help"])
    ask = " ".join(capsys.readouterr().out.split())
    for text in ("1 to 50", "builds one first", "--data-dir PATH", "global options"):
        assert text in ask, text


def test_errors_stay_on_one_line_when_piped(run, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    missing = tmp_path / ("a-rather-long-folder-name-" * 4) / "[draft] config.toml"
    code, _, err = run("--config", str(missing), "sources")
    assert code == 2
    assert err == f"error: config file not found: {missing}\n"
    assert len(err) > 120 and os.path.isabs(str(missing))


def test_config_errors_suggest_the_nearest_key(tmp_path):
    path = tmp_path / "config.toml"
    for toml, message in (
        ("[search]\ntopk = 3", "unknown config key 'search.topk' (did you mean 'search.top_k'?)"),
        ("[serach]\ntop_k = 3", "unknown config key 'serach' (did you mean 'search'?)"),
        ("top_k = 3", "unknown config key 'top_k' (did you mean 'search.top_k'?)"),
        ("[model]\nbatchsize = 8", "(did you mean 'model.batch_size'?)"),
        ("[search]\ntop_k = 'x'", "config key 'search.top_k' must be int"),
    ):
        path.write_text(toml)
        with pytest.raises(ConfigError) as exc:
            config_mod.load(path)
        assert str(exc.value).startswith(f"{path}: "), str(exc.value)
        assert message in str(exc.value)
    path.write_text("[search]\nwhatever = 3")
    with pytest.raises(ConfigError) as exc:
        config_mod.load(path)
    assert str(exc.value) == f"{path}: unknown config key 'search.whatever'"


def test_ask_takes_the_day_it_is_asked(run, capsys, tmp_path):
    code, out, _ = run("--data-dir", str(tmp_path), "ask", "Who did Shoigu meet?", "--as-of",
                       "2025-03-01", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["covered"]
    err = refused(capsys, "--data-dir", str(tmp_path), "ask", "Wang Yi", "--as-of", "soon")
    assert "argument --as-of: must be a date like 2025-02-28, got 'soon'" in err
