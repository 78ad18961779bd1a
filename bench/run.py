"""Benchmark newsdesk: build throughput, rebuilds, query latency at scale, recall, memory,
start-up, and the ONNX Runtime backend. Prints a table and writes JSON.

    .venv/bin/python bench/run.py --quick --json bench/quick.json
    .venv/bin/python bench/run.py --json bench/full.json      # 10k / 100k / 1M passages

Every ratio (build vs raw encode, ONNX vs default) is measured within one run, with the
two sides interleaved or bracketed, because absolute figures on a shared machine drift.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

import inputs as bc  # noqa: E402
import numpy as np  # noqa: E402
import synth  # noqa: E402
from report import print_report, targets  # noqa: E402

from index.config import Config  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.retrieve import vectors  # noqa: E402
from index.retrieve.model import QUERY_ONE_THREAD, Embedder  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "realtimeqa-2022" / "corpus.jsonl"
FULL = {
    "articles": 60,
    "sizes": [10_000, 100_000, 1_000_000],
    "questions": 200,
    "synthetic": 10_000,
}
QUICK = {"articles": 3, "sizes": [2_000, 20_000], "questions": 40, "synthetic": 1_000}
QUICK_EXACT_MAX = 10_000  # so that --quick measures the approximate index too


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


def spread(xs: list[float]) -> dict[str, float]:
    return {"p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99)}


def machine_load() -> float:
    return os.getloadavg()[0]


# --- build throughput ------------------------------------------------------------------


class StageClock:
    """Build progress callback that records seconds spent in each stage."""

    def __init__(self):
        self.stage, self.t = "", time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage != self.stage:
            if self.stage:
                self.seconds[self.stage] = self.seconds.get(self.stage, 0) + now - self.t
            self.stage, self.t = stage, now

    def close(self) -> dict[str, float]:
        self("", 0, 0)
        return {k: round(v, 3) for k, v in self.seconds.items()}


def build_config(data: Path, sources: list[Path], sentence_vectors: str) -> Config:
    config = Config(data_dir=str(data), sources=[str(s) for s in sources])
    config.model.sentence_vectors = sentence_vectors
    config.index.max_file_bytes = 10**10  # the whole corpus is one 45 MB JSONL file
    return config


def timed_build(engine: Engine, profile: Path | None = None) -> tuple[float, object, dict]:
    clock = StageClock()
    t0 = time.perf_counter()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        report = prof.runcall(engine.build, progress=clock)
        prof.dump_stats(profile)
    else:
        report = engine.build(progress=clock)
    return time.perf_counter() - t0, report, clock.close()


def raw_encode_s(embedder: Embedder, texts: list[str]) -> float:
    """Plain sentence-transformers encode of `texts`, as a user of the library would call it."""
    t0 = time.perf_counter()
    embedder.model.encode(texts, batch_size=embedder.batch_size, show_progress_bar=False)
    return time.perf_counter() - t0


def bench_throughput(work: Path, sources: list[Path], embedder: Embedder, prof: bool) -> dict:
    inputs = bc.passage_inputs(sources, build_config(work / "x", sources, "contextual"))
    n = len(inputs.texts)
    print(f"  {inputs.articles} articles, {n} passages", flush=True)
    # Standalone mode also embeds every sentence on its own: raw-encoding those too gives
    # the same model work, so that ratio is the pipeline's overhead in that mode.
    sentences = [t[a:b] for t, sp in zip(inputs.texts, inputs.spans, strict=True) for a, b in sp]
    raw = [raw_encode_s(embedder, inputs.texts)]
    raw_sent = [raw_encode_s(embedder, sentences)]
    out: dict = {"articles": inputs.articles, "passages": n, "sentences": len(sentences),
                 "prepare_s": inputs.seconds}  # fmt: skip
    engines = {}
    for mode in ("contextual", "standalone"):
        embedder.sentence_vectors = mode
        engine = Engine(build_config(work / f"build-{mode}", sources, mode), embedder)
        seconds, report, stages = timed_build(engine)
        out[f"build_{mode}"] = {
            "seconds": seconds,
            "passages_embedded": report.passages_embedded,
            "passages_per_s": report.passages_embedded / seconds,
            "stages_s": stages,
        }
        engines[mode] = engine
        print(f"  build ({mode}): {seconds:.1f} s, stages {stages}", flush=True)
    raw.append(raw_encode_s(embedder, inputs.texts))  # bracket the builds: drift cancels
    raw_sent.append(raw_encode_s(embedder, sentences))
    embedder.sentence_vectors = "contextual"
    raw_pps = n / float(np.mean(raw))
    out["raw_encode_s"] = raw
    out["raw_encode_sentences_s"] = raw_sent
    same_work = float(np.mean(raw) + np.mean(raw_sent))
    out["build_standalone"]["ratio_vs_raw_same_inputs"] = (
        same_work / out["build_standalone"]["seconds"]
    )
    out["raw_encode_passages_per_s"] = raw_pps
    for mode in ("contextual", "standalone"):
        out[f"build_{mode}"]["ratio_vs_raw"] = out[f"build_{mode}"]["passages_per_s"] / raw_pps

    if prof:  # an extra, untimed build: cProfile slows the Python parts several-fold
        profile = work / "build-contextual.prof"
        engine = Engine(build_config(work / "build-profile", sources, "contextual"), embedder)
        timed_build(engine, profile)
        out["build_contextual"]["profile_top"] = profile_top(profile)
    engine = engines["contextual"]
    t0 = time.perf_counter()
    report = engine.build()
    out["rebuild_no_change"] = {
        "seconds": time.perf_counter() - t0,
        "passages_embedded": report.passages_embedded,
        "articles": report.unchanged,
    }
    return out | {"_inputs": inputs, "_data": engine.data_dir}


def profile_top(path: Path, n: int = 15) -> list[dict]:
    import pstats

    stats = pstats.Stats(str(path))
    rows = []
    for (file, line, func), (_, ncalls, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": ncalls,
                     "tottime_s": round(tt, 3), "cumtime_s": round(ct, 3)})  # fmt: skip
    rows.sort(key=lambda r: -r["tottime_s"])
    return rows[:n]


def bench_synthetic_rebuild(work: Path, n: int, pool: list[str]) -> dict:
    """No-change rebuild of `n` synthetic small Markdown articles (first build: stub vectors)."""
    folder = bc.write_synthetic_articles(work / "synthetic", n, pool)
    config = build_config(work / "build-synthetic", [folder], "contextual")
    engine = Engine(config, bc.StubEmbedder())
    t0 = time.perf_counter()
    first = engine.build()
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = engine.build()
    return {
        "articles": n,
        "passages": first.passages_embedded,
        "first_build_s": first_s,
        "seconds": time.perf_counter() - t0,
        "passages_embedded": report.passages_embedded,
        "note": "synthetic Markdown articles of 3-6 real sentences; first build with stub vectors",
    }


# --- sizes: latency, recall, memory, start-up ------------------------------------------


def serve(data: Path, config: Config, questions: list[str], work: Path, onnx: bool) -> dict:
    """Open an engine in a child process; its start-up, latencies and memory."""
    cfg = work / "serve-config.json"
    qs = work / "serve-questions.json"
    d = asdict(config)
    d["data_dir"] = str(data)
    cfg.write_text(json.dumps(d))
    qs.write_text(json.dumps(questions))
    proc = subprocess.run(
        [sys.executable, str(BENCH / "serve.py"), str(cfg), str(qs), *([] if onnx else ["--no-onnx"])],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    if proc.returncode:
        raise RuntimeError(f"serve.py failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_size(
    n: int, base: np.ndarray, qvecs: np.ndarray, tokens, real_dir: Path, config: Config,
    questions: list[str], work: Path, onnx: bool,
) -> dict:  # fmt: skip
    t0 = time.perf_counter()
    vecs = synth.synthetic_vectors(base, n)
    synth_s = time.perf_counter() - t0
    exact = vectors.exact_top(vecs, qvecs, 10)
    index, build_s = synth.make_sized_index(vecs, config)
    approx = vectors.search(index, qvecs, 10).ids
    row = {
        "passages": n,
        "vectors": f"{min(n, len(base))} real + {max(0, n - len(base))} synthetic",
        "index": vectors.describe(index),
        "index_build_s": build_s,
        "synth_s": synth_s,
        "recall@10": vectors.recall_against(approx, exact),
        "search_ms_p50": pct(synth.search_ms(index, qvecs, 50), 50),
        "raw_vector_bytes": n * vecs.shape[1] * 4,
    }
    del vecs
    data = synth.sized_data_dir(real_dir, work / f"size-{n}", index, n, tokens)
    del index
    from index import store

    conn = store.connect(data, readonly=True)
    gen = store.current_generation(conn)
    conn.close()
    row["index_bytes"] = (store.gen_dir(data, gen) / "vectors.faiss").stat().st_size
    row["index_vs_raw"] = row["index_bytes"] / row["raw_vector_bytes"]
    served = serve(data, config, questions, work, onnx)
    lat = served["latencies_ms"]
    row |= {
        "latency_ms": spread(lat),
        "stages_ms_p50": {k: pct(v, 50) for k, v in served["stages_ms"].items()},
        "startup_s": served["startup_s"],
        "model_load_s": served["model_load_s"],
        "import_s": served["import_s"],
        "rss_bytes": served["rss_bytes"],
        "rss_model_only_bytes": served["rss_model_bytes"],
        "served_index": served["index_type"],
    }
    row["backend"] = served["backend"]
    ab = served.get("fusion_ab_ms", {})
    if ab:
        row["latency_fusion_ab_ms"] = {name: spread(v) for name, v in ab.items()}
    ox = served.get("other", {})
    if ox.get("latencies_ms"):
        lat = ox["latencies_ms"]
        row["other_backend"] = ox["backend"]
        row["latency_other_ms"] = spread(lat)
        row["embed_other_ms_p50"] = pct(ox["embed_ms"], 50)
    import shutil

    shutil.rmtree(data, ignore_errors=True)
    return row


# --- ONNX Runtime ----------------------------------------------------------------------


def bench_onnx(embedder: Embedder, inputs, questions) -> dict:
    """sentence-transformers' own encode (torch) against the engine's ONNX Runtime
    backends, fp32 and int8, on the same passages. (sentence-transformers' backend="onnx"
    needs optimum-onnx, whose only release pins transformers<4.58; we run 5.x.)"""
    t0 = time.perf_counter()
    try:
        ort = {
            b: Embedder(embedder.name, "cpu", embedder.batch_size, backend=b)
            for b in ("onnx", "onnx-int8")
        }
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        return {"skipped": f"ONNX Runtime backends unavailable: {exc}"}
    out: dict = {"load_s": time.perf_counter() - t0}
    encoders = {
        "torch": lambda t: embedder.model.encode(
            t, batch_size=embedder.batch_size, normalize_embeddings=True, show_progress_bar=False
        ),
        **{b: e.encode_queries for b, e in ort.items()},  # texts to vectors, no sentences
    }
    warm = inputs.texts[: QUERY_ONE_THREAD + 1]  # past the one-thread size: batch sessions
    for enc in encoders.values():
        enc(warm)  # each backend opens its multi-thread session here, outside the timing
    texts = inputs.texts
    seconds = dict.fromkeys(encoders, 0.0)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in encoders}
    chunk = max(embedder.batch_size, len(texts) // 4)
    for lo in range(0, len(texts), chunk):  # interleaved, so drift hits all three alike
        for name, enc in encoders.items():
            t0 = time.perf_counter()
            v = enc(texts[lo : lo + chunk])
            seconds[name] += time.perf_counter() - t0
            parts[name].append(np.asarray(v, dtype=np.float32))
    vecs = {k: np.concatenate(v) for k, v in parts.items()}
    qs = bc.answerable(questions, inputs.passages)
    for name, enc in encoders.items():
        qv = np.asarray(enc([q.text for q in qs]), dtype=np.float32) if qs else None
        cos = (vecs[name] * vecs["torch"]).sum(1)
        out[name] = {
            "passages_per_s": len(texts) / seconds[name],
            "speedup_vs_torch": seconds["torch"] / seconds[name],
            "min_cosine_vs_torch": float(cos.min()),
            "mean_cosine_vs_torch": float(cos.mean()),
            "recall@5": bc.recall_at(5, qv, vecs[name], inputs.passages, qs) if qs else None,
        }
    out["recall_questions"] = len(qs)
    base = out["torch"]["recall@5"]
    for name in ("onnx", "onnx-int8"):
        r, s = out[name]["recall@5"], out[name]["speedup_vs_torch"]
        ok = r is not None and base is not None and base - r < 0.01 and s > 1.05
        out[name]["meets_rule_on_slice"] = bool(ok)
    return out


# --- report ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small slice and sizes (< 2 min)")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL file or folder")
    ap.add_argument("--questions", type=Path, help="QA JSONL (default: qa.jsonl beside the corpus)")
    ap.add_argument("--articles", type=int, help="first N articles of a JSONL corpus (0 = all)")
    ap.add_argument("--sizes", help="comma-separated index sizes, e.g. 10000,100000")
    ap.add_argument("--exact-max", type=int, help="index.exact_max_passages for the sizes")
    ap.add_argument("--synthetic-articles", type=int, help="articles for the no-change rebuild")
    ap.add_argument("--no-onnx", action="store_true", help="skip the ONNX Runtime comparison")
    ap.add_argument(
        "--profile", action="store_true", help="cProfile one more contextual build (untimed)"
    )
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args(argv)

    plan = dict(QUICK if args.quick else FULL)
    if args.articles is not None:
        plan["articles"] = args.articles
    if args.sizes:
        plan["sizes"] = [int(s) for s in args.sizes.split(",") if s]
    if args.synthetic_articles is not None:
        plan["synthetic"] = args.synthetic_articles
    exact_max = args.exact_max or (
        QUICK_EXACT_MAX if args.quick else Config().index.exact_max_passages
    )
    qa_path = args.questions or args.corpus.with_name("qa.jsonl")
    if args.corpus.is_dir():
        qa_path = args.questions

    t_start = time.perf_counter()
    tmp = None
    if args.keep:
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="newsdesk-bench-")
        work = Path(tmp.name)
    import faiss
    import torch

    res: dict = {
        "meta": {
            "quick": args.quick, "corpus": str(args.corpus), "plan": plan,
            "exact_max_passages": exact_max, "cpus": os.cpu_count(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "torch_threads": torch.get_num_threads(), "faiss": faiss.__version__,
            "torch": torch.__version__, "python": platform.python_version(),
            "load_avg_start": machine_load(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    }  # fmt: skip
    sections = res["meta"]["section_s"] = {}
    mark = [time.perf_counter()]

    def done(name: str) -> None:
        now = time.perf_counter()
        sections[name] = round(now - mark[0], 2)
        mark[0] = now

    print("loading the model", flush=True)
    embedder = Embedder(sentence_vectors="contextual")
    done("model")

    print("build throughput", flush=True)
    source = bc.slice_corpus(args.corpus, plan["articles"], work / "corpus")
    tp = bench_throughput(work, [source], embedder, args.profile)
    inputs, real_dir = tp.pop("_inputs"), tp.pop("_data")
    res["throughput"] = tp
    done("throughput")

    print("no-change rebuild of synthetic articles", flush=True)
    res["rebuild_synthetic"] = bench_synthetic_rebuild(work, plan["synthetic"], inputs.passages)
    done("synthetic_rebuild")

    questions = bc.load_questions(qa_path, plan["questions"])
    qtexts = [q.text for q in questions]
    qvecs = embedder.encode_queries(qtexts)
    base = synth.real_vectors(real_dir, embedder.dim)
    tokens = synth.real_tokens(real_dir)
    config = build_config(real_dir, [source], "contextual")
    config.index.exact_max_passages = exact_max
    res["sizes"] = []
    for n in plan["sizes"]:
        print(f"size {n:,}", flush=True)
        res["sizes"].append(
            bench_size(n, base, qvecs, tokens, real_dir, config, qtexts, work, not args.no_onnx)
        )
        done(f"size_{n}")
    res["sizes_note"] = (
        "vectors beyond the real passages are synthetic: a real passage or sentence vector "
        f"plus up to {synth.MIX} of another and Gaussian noise of norm {synth.NOISE}, "
        "normalised; the SQLite rows and BM25 documents are the real passages repeated"
    )

    if not args.no_onnx:
        print("ONNX Runtime", flush=True)
        res["onnx"] = bench_onnx(embedder, inputs, bc.load_questions(qa_path))
        done("onnx")

    res["meta"]["load_avg_end"] = machine_load()
    res["meta"]["seconds"] = time.perf_counter() - t_start
    res["targets"] = targets(res)
    print_report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str))
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
