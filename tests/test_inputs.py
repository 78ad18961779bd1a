"""Registered inputs: a build adds, refreshes and removes only what it is told to, and a
typo, an unmounted drive or Ctrl-C never costs the index anything."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index import build as build_mod
from index import store
from index.config import SAMPLE_CORPUS, Config
from index.engine import Engine
from index.errors import (
    BuildInterrupted,
    IndexEmptyError,
    MassRemovalError,
    SourceError,
    SourceMissingError,
)
from tests.helpers import make_config


def article(folder: Path, name: str, title: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"---\ntitle: {title}\noutlet: Harbour Gazette\n---\n{body}\n")
    return path


FERRY = "The harbour authority opened a new ferry terminal on Friday after two years of work."
BRIDGE = "The city council approved a new footbridge across the river on Tuesday evening."
PARK = "A new public park with a rose garden opened in the old rail yard on Sunday."


@pytest.fixture
def news(tmp_path) -> Path:
    folder = tmp_path / "news"
    article(folder, "ferry", "Ferry terminal opens", FERRY)
    article(folder, "bridge", "Footbridge approved", BRIDGE)
    article(folder, "park", "Rail yard park opens", PARK)
    return folder


def titles(engine: Engine) -> set[str]:
    return {a.title for a in engine.articles()}


def test_a_missing_source_changes_nothing(tmp_path, embedder, news):
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    gen = engine.generation
    with pytest.raises(SourceMissingError, match=r"does not exist.*nothing was changed"):
        engine.build([tmp_path / "newz"])  # a typo
    assert engine.generation == gen and len(titles(engine)) == 3
    assert str(tmp_path / "newz") not in engine.inputs()  # not registered either


def test_a_registered_source_gone_missing_stops_the_build(tmp_path, embedder, news):
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    moved = news.rename(tmp_path / "elsewhere")  # a drive that is not mounted
    with pytest.raises(SourceMissingError, match="--remove"):
        engine.build()
    assert len(titles(engine)) == 3
    moved.rename(news)
    assert engine.build().unchanged == 3


def test_source_adds_to_the_set_and_remove_is_explicit(tmp_path, embedder, news):
    more = tmp_path / "more"
    article(more, "dock", "Dock strike ends", "Dock workers ended their strike on Monday.")
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    added = engine.build([more])
    assert (added.added, added.removed, added.unchanged) == (1, 0, 3)
    assert engine.inputs() == [str(news.resolve()), str(more.resolve())]
    # A plain build refreshes both: nothing added with --source is dropped later.
    again = engine.build()
    assert (again.added, again.removed, again.unchanged) == (0, 0, 4)
    removed = engine.build(remove=[more])
    assert (removed.removed, removed.unchanged) == (1, 3)
    assert "Dock strike ends" not in titles(engine)
    assert engine.inputs() == [str(news.resolve())]
    assert engine.build().removed == 0  # stays removed, and not read again
    with pytest.raises(SourceError, match="not a registered source"):
        engine.build(remove=[tmp_path / "never"])


def test_removing_a_configured_source_is_remembered(tmp_path, embedder, news):
    config = make_config(tmp_path / "data", [news])
    Engine(config, embedder).build()
    engine = Engine(config, embedder)
    engine.build(remove=[news], allow_removal=True)
    assert engine.build().added == 0  # the config's source is not registered again
    with pytest.raises(IndexEmptyError, match=r"is empty: run `newsdesk index --source"):
        engine.ask("When did the ferry terminal open?")


def test_a_build_that_would_remove_most_of_the_index_stops(tmp_path, embedder, news):
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    (news / "ferry.md").unlink()
    (news / "bridge.md").unlink()
    with pytest.raises(MassRemovalError, match=r"remove 2 of the 3.*--allow-removal"):
        engine.build()
    assert len(titles(engine)) == 3
    report = engine.build(allow_removal=True)
    assert report.removed == 2 and titles(engine) == {"Rail yard park opens"}


def test_a_deleted_file_of_a_registered_folder_is_removed_and_nothing_else(
    tmp_path, embedder, news
):
    lone = article(tmp_path / "lone", "strike", "Dock strike ends", "Dock workers went back.")
    engine = Engine(make_config(tmp_path / "data", [news, lone]), embedder)
    engine.build()
    (news / "park.md").unlink()
    report = engine.build()
    assert (report.removed, report.unchanged) == (1, 3)
    assert titles(engine) == {"Ferry terminal opens", "Footbridge approved", "Dock strike ends"}


def test_a_build_that_reads_nothing_commits_nothing(tmp_path, embedder, news):
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    gen = engine.generation
    for path in news.iterdir():
        path.write_bytes(b"\x00\x01binary now")  # every file unreadable at once
    report = engine.build(allow_removal=True)
    assert report.added + report.changed + report.removed == 0 and len(report.skipped) == 3
    assert engine.generation == gen and len(titles(engine)) == 3


def test_an_unreadable_file_keeps_what_it_had_indexed(tmp_path, embedder, news):
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    (news / "park.md").write_bytes(b"\x00\x01binary now")
    report = engine.build()
    assert report.removed == 0 and [Path(p).name for p, _ in report.skipped] == ["park.md"]
    assert "Rail yard park opens" in titles(engine)


def test_the_sample_is_the_default_only_of_an_index_given_nothing_else(tmp_path, embedder, news):
    engine = Engine(Config(data_dir=str(tmp_path / "data")), embedder)
    engine.build([news])
    assert engine.inputs() == [str(news.resolve())]
    fresh = Engine(Config(data_dir=str(tmp_path / "fresh")), embedder)
    assert fresh.build().added == 2
    assert fresh.inputs() == [str(SAMPLE_CORPUS.resolve())]


def test_a_sample_of_a_deleted_install_is_read_from_this_one(tmp_path, embedder):
    """The default data dir is shared: an index first built from a checkout's sample
    (`make demo`) keeps working once that checkout is deleted."""
    checkout = tmp_path / "checkout"
    other = checkout / "index" / "data" / "sample"
    shutil.copytree(SAMPLE_CORPUS, other)
    engine = Engine(Config(data_dir=str(tmp_path / "data")), embedder)
    engine.build([other])
    assert engine.inputs() == [str(other.resolve())]
    shutil.rmtree(checkout)
    engine.build()
    assert engine.inputs() == [str(SAMPLE_CORPUS.resolve())]
    paths = {a.path for a in engine.articles()}
    assert len(paths) == 2 and all(p.startswith(str(SAMPLE_CORPUS.resolve())) for p in paths)
    assert engine.build().unchanged == 2
    # any other source that vanished still stops the build
    news = tmp_path / "news"
    article(news, "ferry", "Ferry terminal opens", FERRY)
    engine.build([news])
    shutil.rmtree(news)
    with pytest.raises(SourceMissingError):
        engine.build()


def test_an_interrupted_build_keeps_its_embeddings(tmp_path, embedder, news, monkeypatch):
    for i in range(6):
        article(news, f"extra{i}", f"Extra {i}", " ".join(f"Sentence {j} on ferries." for j in range(30)))  # fmt: skip
    monkeypatch.setattr(build_mod, "STAGE_PASSAGES", 4)  # a checkpoint every few passages
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    embedded: list[int] = []
    real = embedder.encode_passages

    def counting(texts, spans, progress=None):
        embedded.append(len(texts))
        return real(texts, spans, progress)

    monkeypatch.setattr(embedder, "encode_passages", counting)

    def stop_after_two_chunks(stage, done, total):
        if stage == "embedding" and len(embedded) == 2 and done > 0:
            raise KeyboardInterrupt

    with pytest.raises(BuildInterrupted, match=r"interrupted; the index is unchanged \(generation 0\)"):  # fmt: skip
        engine.build(progress=stop_after_two_chunks)
    first_two = embedded[0]
    embedded.clear()
    report = engine.build()
    assert report.added == 9
    total = report.passages_embedded
    assert sum(embedded) == total - first_two  # the staged chunk was not embedded again
    with sqlite_conn(engine) as conn:
        assert conn.execute("SELECT COUNT(*) FROM staged").fetchone()[0] == 0
    assert engine.ask("When did the ferry terminal open?").hits[0].citation.title


class sqlite_conn:
    def __init__(self, engine):
        self.conn = store.connect(engine.data_dir)

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


def newsdesk(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip


def run_cli(*args: str) -> tuple[int, str]:
    proc = newsdesk(*args)
    out, _ = proc.communicate(timeout=300)
    return proc.returncode, out


def test_cli_typo_in_source_is_exit_2_and_the_index_stays(tmp_path, news):
    data = str(tmp_path / "data")
    code, out = run_cli("--data-dir", data, "index", "--source", str(news), "--json")
    assert code == 0 and json.loads(out[out.index("{") :])["added"] == 3
    code, out = run_cli("--data-dir", data, "index", "--source", str(tmp_path / "newz"))
    assert code == 2 and "source does not exist" in out and "removed" not in out
    code, out = run_cli("--data-dir", data, "sources", "--json")
    assert code == 0 and len(json.loads(out)) == 3


def test_cli_sources_never_builds(tmp_path):
    data = tmp_path / "data"
    code, out = run_cli("--data-dir", str(data), "sources")
    assert code == 2 and "newsdesk index" in out
    assert not (data / store.DB_NAME).exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_interrupt_says_the_index_is_unchanged(tmp_path, news, sig):
    data = str(tmp_path / "data")
    assert run_cli("--data-dir", data, "index", "--source", str(news))[0] == 0
    for i in range(40):
        article(news, f"extra{i}", f"Extra {i}", " ".join(f"Sentence {j} on ferries." for j in range(40)))  # fmt: skip
    proc = newsdesk("-v", "--data-dir", data, "index")
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "embedding" in line:
            proc.send_signal(sig)
            break
    rest, _ = proc.communicate(timeout=120)
    out = "".join(lines) + rest
    assert proc.returncode == 130, out
    assert "interrupted; the index is unchanged (generation 1)" in out
    assert "Traceback" not in out
    code, listed = run_cli("--data-dir", data, "sources", "--json")
    assert code == 0 and len(json.loads(listed)) == 3


def test_cli_index_with_a_missing_default_source(tmp_path):
    config = tmp_path / "newsdesk.toml"
    config.write_text(f'sources = ["{tmp_path / "unmounted"}"]\n')
    code, out = run_cli("--config", str(config), "--data-dir", str(tmp_path / "d"), "ask", "Who?")
    assert code == 2 and "source does not exist" in out
    shutil.rmtree(tmp_path / "d", ignore_errors=True)


def test_a_source_inside_a_registered_folder_is_read_once(tmp_path, embedder, news):
    engine = Engine(make_config(tmp_path / "data", [news]), embedder)
    engine.build()
    report = engine.build([news / "ferry.md"])
    assert (report.added, report.unchanged) == (0, 3)
    assert engine.inputs() == [str(news.resolve())]  # already held by the folder
