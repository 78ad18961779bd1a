"""Dev-set check of int8 question embeddings against a float32-built index.

The passages stay float32 (built once, the default pipeline); only the question is
embedded by the int8-quantised ONNX graph, the cheaper half of the trade. Prints recall@k
per mode for fp32 and int8 questions and the single-question embedding time of each.

    python bench/query_int8.py DATA_DIR QA.jsonl [QA.jsonl ...]

DATA_DIR is an index built with the default settings (e.g. the one `newsdesk eval` makes).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from index.config import Config
from index.engine import Engine
from index.evaluation import evaluate, load_qa
from index.retrieve.model import Embedder


def main() -> None:
    data_dir, qa_paths = sys.argv[1], sys.argv[2:]
    items = [qa for p in qa_paths for qa in load_qa(Path(p))]
    config = Config()
    config.data_dir = data_dir
    out = {}
    for variant in ("fp32", "int8"):
        emb = Embedder(backend="onnx-int8" if variant == "int8" else "onnx")
        engine = Engine.open(config, emb)
        embed_ms = []
        for qa in items:
            t = time.perf_counter()
            emb.encode_queries([qa.question])
            embed_ms.append((time.perf_counter() - t) * 1000)
        out[variant] = {
            "embed_p50_ms": round(statistics.median(embed_ms), 2),
            "results": [
                evaluate(
                    lambda q, m, k, d, e=engine: e.retrieve(q, mode=m, k=k, as_of=d),
                    items, mode, [1, 3, 5, 10],
                ).as_dict()
                for mode in ("dense", "hybrid")
            ],
        }  # fmt: skip
        engine.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
