"""Bad input, crashes mid-build, corrupt files, the writer lock, reads during a build."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import store
from index.build import writer_lock
from index.config import PROJECT_ROOT, SAMPLE_CORPUS
from index.engine import Engine
from index.errors import BuildLockedError, IndexCorruptError
from tests.helpers import make_config

GOOD = "The harbour authority opened a new ferry terminal on Friday after two years of work."


def junk_folder(root: Path) -> Path:
    root.mkdir()
    (root / "good.txt").write_text(
        f"Harbour ferry terminal opens to the public\n\n{GOOD} It serves four routes.\n"
    )
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (root / "latin1.txt").write_bytes(
        f"Une nouvelle gare maritime ouvre ses portes\n\n{GOOD} Café ouvert à Orléans.".encode(
            "cp1252"
        )
    )
    (root / "empty.md").write_text("")
    (root / "huge.txt").write_text("word " * 5000)
    (root / "broken.html").write_text("<html><body><div></div></body>")
    (root / "broken.json").write_text('{"title": "x", "text": ')
    good_line = json.dumps({"id": "ok", "title": "Ferry", "text": GOOD})
    (root / "mixed.jsonl").write_text(good_line + "\n{oops\n" + json.dumps({"id": 2}) + "\n")
    (root / "broken.rss").write_text("<rss><channel><item><title>no end")
    (root / "loop").symlink_to(root)
    (root / "dangling.txt").symlink_to(root / "gone.txt")
    (root / "furniture.txt").write_text(
        "Home | World | Sport | Business\n\nTRENDING\n\nSign up here.\n\n"
        "Follow Jane Doe on Twitter: @janedoe.\n\n© 2025 Harbour Gazette. All rights reserved."
    )
    return root


def test_junk_is_skipped_with_reasons_and_the_rest_indexed(tmp_path, embedder):
    engine = Engine(make_config(tmp_path / "data", [junk_folder(tmp_path / "in")]), embedder)
    engine.config.index.max_file_bytes = 10_000
    report = engine.build()
    reasons = {Path(p).name: r for p, r in report.skipped}
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.md"]
    assert "cap" in reasons["huge.txt"]
    assert "no extractable article text" in reasons["broken.html"]
    assert "malformed JSON" in reasons["broken.json"]
    assert "malformed JSON" in reasons["mixed.jsonl#line2"]
    assert "no text" in reasons["mixed.jsonl#record3"]
    assert reasons["broken.rss"].startswith(("feed has no entries", "no articles found"))
    assert "cannot stat" in reasons["dangling.txt"]
    assert any(r == "symlink loop" for r in reasons.values())
    assert reasons["furniture.txt"] == "no article text left after cleaning"
    # good.txt, latin1.txt, the good JSONL record; furniture.txt is kept as a passage-less
    # row so that the next build does not read it again.
    assert report.added == 4
    again = engine.build()
    assert again.unchanged == 4 and again.passages_embedded == 0
    assert "furniture.txt" not in {Path(p).name for p, _ in again.skipped}
    titles = {a.title for a in engine.articles()}
    assert {
        "Harbour ferry terminal opens to the public",
        "Une nouvelle gare maritime ouvre ses portes",
        "Ferry",
    } <= titles
    hit = engine.ask("When did the new ferry terminal open?").hits[0]
    assert "Friday" in hit.quote or "Friday" in hit.text
    cafe = engine.ask("Where is the café open?", k=5).hits
    assert any("Café ouvert à Orléans" in h.text for h in cafe)


def newsdesk(*args: str, env=None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk", *args],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, **kw,
    )  # fmt: skip


def test_cli_exit_codes_for_bad_sources(tmp_path):
    junk = junk_folder(tmp_path / "in")
    proc = newsdesk("--data-dir", str(tmp_path / "d"), "index", "--source", str(junk), "--json")
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    counts = json.loads(out[out.index("{") :])
    assert (
        counts["added"] == 5 and len(counts["skipped"]) >= 10
    )  # huge.txt is under the default cap
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text("nope")
    proc = newsdesk("--data-dir", str(tmp_path / "d2"), "index", "--source", str(tmp_path / "bad"))
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 1 and "no article could be read" in out


@pytest.mark.parametrize("stage", ["cleaning", "embedding", "indexing", "committing"])
def test_sigkill_mid_build_leaves_the_served_index_whole(tmp_path, embedder, corpus_copy, stage):
    data = tmp_path / "data"
    engine = Engine(make_config(data, [corpus_copy]), embedder)
    engine.build()
    before = engine.ask("Who did Shoigu meet in Beijing?")
    gen = engine.generation
    for i in range(12):  # enough new work for the build to be caught mid-way
        (corpus_copy / f"extra{i}.md").write_text(
            f"---\ntitle: Extra {i}\n---\n"
            + " ".join(f"Sentence {j} about ferries." for j in range(40))
        )
    # -v: the progress log lines say which stage the build is in.
    proc = newsdesk("-v", "--data-dir", str(data), "index", "--source", str(corpus_copy))
    for line in proc.stdout:
        if f" {stage}" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    reader = Engine.open(make_config(data, [corpus_copy]), embedder)  # loads without error
    assert reader.generation in (gen, gen + 1)
    if reader.generation == gen:
        assert reader.ask("Who did Shoigu meet in Beijing?").hits[0].text == before.hits[0].text
    report = reader.build()  # the next build completes
    assert report.added + report.unchanged == 14
    assert len(reader.articles()) == 14


def test_corrupt_generation_is_detected_and_last_good_served(tmp_path, embedder, corpus_copy):
    data = tmp_path / "data"
    config = make_config(data, [corpus_copy])
    serving = Engine(config, embedder)
    serving.build()
    good_gen = serving.generation
    (corpus_copy / "004_be67d9445b5e8b0f.txt").unlink()
    Engine(make_config(data, [corpus_copy]), embedder).build()
    new = store.gen_dir(data, good_gen + 1) / "vectors.faiss"
    new.write_bytes(new.read_bytes()[:100])  # truncated
    assert serving.reload() is False  # logged, and the old generation keeps answering
    assert serving.generation == good_gen
    assert serving.ask("Is China a member of the ICC?").covered
    with pytest.raises(IndexCorruptError, match="unreadable"):
        Engine.open(make_config(data, [corpus_copy]), embedder)
    repaired = Engine(make_config(data, [corpus_copy]), embedder)
    repaired.build()  # nothing changed, but the damaged generation is rewritten
    assert repaired.generation == good_gen + 2
    assert repaired.ask("Who did Shoigu meet in Beijing?").covered


def test_one_writer_at_a_time(tmp_path, embedder):
    engine = Engine(make_config(tmp_path / "data"), embedder)
    with (
        writer_lock(engine.data_dir),
        pytest.raises(BuildLockedError, match="another build is running"),
    ):
        engine.build()
    engine.build()  # free again


def test_questions_answered_from_old_generation_during_a_rebuild(tmp_path, embedder, corpus_copy):
    engine = Engine(make_config(tmp_path / "data", [corpus_copy]), embedder)
    engine.build()
    gen = engine.generation
    for i in range(20):
        (corpus_copy / f"more{i}.md").write_text(
            f"---\ntitle: More {i}\n---\n" + " ".join(f"Line {j} on harbours." for j in range(60))
        )
    errors = []
    thread = threading.Thread(target=lambda: engine.build() or None)
    thread.start()
    answered_during = 0
    while thread.is_alive():
        try:
            answer = engine.ask("Who did Shoigu meet in Beijing?")
            assert answer.covered and "Wang Yi" in answer.hits[0].text
            answered_during += thread.is_alive()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        time.sleep(0.05)
    thread.join()
    assert not errors and answered_during >= 3
    assert engine.ask("harbours").hits and engine.generation == gen + 1


def test_build_lock_is_shared_with_the_cli(tmp_path, embedder):
    data = tmp_path / "data"
    with writer_lock(data):
        proc = newsdesk("--data-dir", str(data), "index", "--source", str(SAMPLE_CORPUS))
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "another build is running" in out
