"""The benchmark script keeps working (run as a user runs it; tests never import bench/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from index.config import SAMPLE_CORPUS

ROOT = Path(__file__).resolve().parents[1]


def bench_script(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run bench/NAME as a user runs it; it must exit 0."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_quick_bench_on_tiny_corpus(tmp_path):
    out = tmp_path / "bench.json"
    proc = bench_script(
        "run.py", "--quick", "--no-onnx", "--corpus", str(SAMPLE_CORPUS), "--sizes", "2000",
        "--exact-max", "1000", "--synthetic-articles", "40", "--json", str(out),
    )  # fmt: skip
    res = json.loads(out.read_text())
    tp = res["throughput"]
    assert tp["passages"] > 0 and tp["raw_encode_passages_per_s"] > 0
    for mode in ("contextual", "standalone"):
        assert tp[f"build_{mode}"]["passages_embedded"] == tp["passages"]
        assert tp[f"build_{mode}"]["ratio_vs_raw"] > 0
    assert tp["sentences"] > tp["passages"]
    assert tp["build_standalone"]["ratio_vs_raw_same_inputs"] > 0
    assert tp["rebuild_no_change"]["passages_embedded"] == 0
    assert res["rebuild_synthetic"]["articles"] == 40
    assert res["rebuild_synthetic"]["passages_embedded"] == 0
    (size,) = res["sizes"]
    assert size["passages"] == 2000 and size["index"].startswith("IndexIVF")
    assert size["recall@10"] >= 0.9
    lat = size["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    assert size["startup_s"] > 0 and size["rss_bytes"] > 0
    assert 0.9 < size["index_vs_raw"] < 1.2
    assert any(t["target"] == "H100 build throughput" for t in res["targets"])
    assert "Targets" in proc.stdout


def test_cloze_training_runs_on_the_sample(tmp_path):
    out = tmp_path / "model"
    proc = bench_script(
        "train_cloze.py", str(out), "--corpus", str(SAMPLE_CORPUS), "--questions", "2", "--batch", "2"
    )  # fmt: skip
    # one question per article, a name or number of one of its sentences masked
    assert "2 articles, 2 cloze questions" in proc.stdout and "what" in proc.stdout
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["questions"] == 2 and provenance["steps"] == 1
    assert (out / "modules.json").exists()
    # the delta the product ships: it loads onto the shipped model (tests/retrieve/test_delta.py)
    with np.load(out / "delta-r16.npz") as delta:
        meta = json.loads(str(delta["provenance"]))
        assert meta["rank"] == 16 and meta["questions"] == 2
        assert delta["encoder.layer.0.attention.self.query.weight:a"].shape == (384, 16)


def test_refusal_folds_reads_the_timeframe_rule(tmp_path, engine_factory, corpus_copy):
    (corpus_copy / "004_be67d9445b5e8b0f.txt").unlink()  # undated: from any week
    engine = engine_factory([corpus_copy])
    asked = {"question": "Who did Shoigu meet in Beijing this week?"}
    qa, unanswerable = tmp_path / "qa.jsonl", tmp_path / "un.jsonl"
    qa.write_text(
        json.dumps(asked | {"answers": ["Wang Yi"], "date": "2025/03/02"})
        + "\n"
        + json.dumps(
            {"question": "Who did Shoigu meet?", "answers": ["Wang Yi"], "date": "2026/03/02"}
        )
        + "\n"
    )
    unanswerable.write_text(json.dumps(asked | {"no_answer": True, "date": "2026/03/02"}) + "\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "chili.md").write_text(
        "---\ntitle: Firehouse wins the county chili cook-off\ndate: 2026-02-20\n---\n"
        "The volunteer firehouse team won the county chili cook-off on Saturday with a smoked "
        "brisket chili. Forty teams entered, and the proceeds go to the food bank.\n"
    )
    unrelated = engine_factory([other])
    out = tmp_path / "folds.json"
    bench_script(
        "refusal_folds.py", str(engine.data_dir), str(qa), str(unanswerable), "--json", str(out),
        "--unrelated", str(unrelated.data_dir), "--min-scores", "0.35,0.99",
    )  # fmt: skip
    settings = json.loads(out.read_text())["settings"]
    rows = {r["timeframe_slack_days"]: r for r in settings if r["swept"] == "timeframe"}
    assert rows[None]["refused_unanswerable"] == [0, 1]  # the rule off: a year-old story answers
    assert rows[3]["refused_unanswerable"] == [1, 1]
    assert rows[3]["wrongly_refused"] == [0, 2]
    assert rows[3]["wrongly_refused_by_month"] == {"2025-03": [0, 1], "2026-03": [0, 1]}
    by_score = {r["min_score"]: r for r in settings if r["swept"] == "min_score"}
    assert by_score[0.35]["wrongly_refused"] == [0, 2]
    assert by_score[0.99]["wrongly_refused"] == [2, 2]  # nothing is that relevant
    # a chili cook-off does not answer who Shoigu met: both questions refused there
    assert by_score[0.35]["unrelated_refused"] == [2, 2]


def test_cross_encoder_training_runs_on_the_sample(tmp_path):
    out = tmp_path / "reader"
    proc = bench_script(
        "train_cross.py", str(out), "--corpus", str(SAMPLE_CORPUS), "--questions", "2", "--batch", "2"
    )  # fmt: skip
    assert "2 articles, 2 cloze questions" in proc.stdout
    assert json.loads((out / "provenance.json").read_text())["steps"] == 1
    # what model.reranker loads: a sentence-transformers CrossEncoder folder
    from index.retrieve.rerank import Reranker

    scores = Reranker(str(out)).scores("Who did Shoigu meet?", ["Shoigu met Wang Yi.", "Rain."])
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_misses_places_each_question(tmp_path, engine_factory, corpus_copy):
    engine = engine_factory([corpus_copy])
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps({"question": "Who did Shoigu meet in Beijing?", "answers": ["Wang Yi"]})
        + "\n"
        + json.dumps({"question": "Who won the chess olympiad?", "answers": ["Zanzibar Quartet"]})
        + "\n"
    )
    out = tmp_path / "misses.json"
    proc = bench_script("misses.py", str(engine.data_dir), str(qa), "--json", str(out))
    report = json.loads(out.read_text())
    assert report["questions"] == 2
    assert report["counts"]["answered"] == 1 and report["counts"]["nowhere"] == 1
    assert [r["category"] for r in report["rows"]] == ["answered", "nowhere"]
    assert "misses at k=3" in proc.stdout


def test_train_quote_reads_each_month_held_out(tmp_path, engine_factory, corpus_copy):
    engine = engine_factory([corpus_copy])
    qa = tmp_path / "qa.jsonl"
    rows = [
        ("Who did Shoigu meet in Beijing?", "Wang Yi", "2025/03/01"),
        ("Who is Wang Yi's Russian counterpart?", "Sergei Lavrov", "2025/03/02"),
        ("When might Putin visit Beijing?", "October", "2025/04/01"),
        ("Which Russian news agency reported on Shoigu's talks?", "Interfax", "2025/04/02"),
    ]
    qa.write_text(
        "".join(json.dumps({"question": q, "answers": [a], "date": d}) + "\n" for q, a, d in rows)
    )
    shipped = (ROOT / "index" / "data" / "quote.json").read_text()
    out = tmp_path / "quote.json"
    proc = bench_script("train_quote.py", str(engine.data_dir), str(qa), "--json", str(out))
    report = json.loads(out.read_text())
    assert report["passages"] >= 4 and "answering quoted passages" in proc.stdout
    held = report["held_out"][str(report["chosen_l2"])]
    assert set(held) == {"2025-03", "2025-04"}
    assert all(0 <= r["cosine"] <= 1 and 0 <= r["fitted"] <= 1 for r in held.values())
    assert (ROOT / "index" / "data" / "quote.json").read_text() == shipped  # no --write
