"""Child process of the benchmark: open an engine on a built index, answer questions.

Run apart so that its RSS and start-up time are the engine's alone. Prints one JSON
object: start-up (Engine.open to first answer), per-question latency of Engine.ask
(embed + search + format), a breakdown of the stages, and memory.

    python bench/serve.py CONFIG.json QUESTIONS.json [--no-onnx]
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

T_PROCESS = time.perf_counter()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def rss() -> dict[str, int]:
    """Current and peak resident set size of this process, bytes."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) * 1024
    return {"rss": out.get("VmRSS", 0), "peak": out.get("VmHWM", 0)}


def main() -> None:
    config_path, questions_path = sys.argv[1], sys.argv[2]
    from index.config import from_dict
    from index.engine import Engine
    from index.retrieve import vectors
    from index.retrieve.model import Embedder

    import_s = time.perf_counter() - T_PROCESS
    config = from_dict(json.loads(Path(config_path).read_text()))
    questions = json.loads(Path(questions_path).read_text())
    m = config.model

    t0 = time.perf_counter()
    embedder = Embedder.from_config(m)
    model_s = time.perf_counter() - t0
    rss_model = rss()["rss"]
    engine = Engine.open(config, embedder)
    engine.ask(questions[0])
    startup_s = time.perf_counter() - t0
    rss_ready = rss()["rss"]

    latencies = []
    for q in questions:
        t = time.perf_counter()
        engine.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)

    # The learned fusion against the hand-set blend it replaced, interleaved question by
    # question (alternating which goes first) so that drift on a shared machine hits both.
    fusion_ab: dict[str, list[float]] = {"learned": [], "blend": []}
    for i, q in enumerate(questions):
        for name in ("learned", "blend")[:: 1 if i % 2 else -1]:
            config.search.fusion = name
            t = time.perf_counter()
            engine.ask(q)
            fusion_ab[name].append((time.perf_counter() - t) * 1000)
    config.search.fusion = "learned"

    # Where a query's time goes, measured stage by stage on the same questions.
    snap = engine._snapshot()
    stages: dict[str, list[float]] = {"embed": [], "faiss": [], "bm25": []}
    n = max(config.search.candidates, config.search.top_k * 4)
    for q in questions:
        t = time.perf_counter()
        qv = embedder.encode_queries([q])
        t1 = time.perf_counter()
        vectors.search(snap.index, qv, n)
        t2 = time.perf_counter()
        snap.lexical.search(q, n)
        t3 = time.perf_counter()
        stages["embed"].append((t1 - t) * 1000)
        stages["faiss"].append((t2 - t1) * 1000)
        stages["bm25"].append((t3 - t2) * 1000)

    memory = rss()
    # The same questions with the other CPU backend for the question embedding.
    other: dict = {"backend": "onnx" if embedder.backend == "torch" else "torch"}
    try:
        if other["backend"] == "onnx" and "--no-onnx" in sys.argv:
            raise ValueError("--no-onnx")
        alt = Embedder.from_config(dataclasses.replace(m, backend=other["backend"]))
    except (ImportError, ValueError) as exc:
        other["skipped"] = str(exc)
    else:
        engine._embedder = alt
        engine.ask(questions[0])
        other["latencies_ms"], other["embed_ms"] = [], []
        for q in questions:
            t = time.perf_counter()
            engine.ask(q)
            other["latencies_ms"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            alt.encode_queries([q])
            other["embed_ms"].append((time.perf_counter() - t) * 1000)

    json.dump(
        {
            "backend": embedder.backend,
            "other": other,
            "import_s": import_s,
            "model_load_s": model_s,
            "startup_s": startup_s,
            "latencies_ms": latencies,
            "fusion_ab_ms": fusion_ab,
            "stages_ms": stages,
            "rss_model_bytes": rss_model,
            "rss_ready_bytes": rss_ready,
            **{f"{k}_bytes": v for k, v in memory.items()},
            "index_type": type(vectors.inner(snap.index)).__name__,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
