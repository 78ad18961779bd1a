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

import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from train_cloze import arguments, optimiser, provenance, read_triples, update  # noqa: E402

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
    steps = len(triples) // batch
    opt, sched = optimiser(model, lr, steps)
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
        update(opt, sched, loss, step, steps, t0, log)
    model.eval()
    return model, tok, steps, time.perf_counter() - t0


def main() -> None:
    args = arguments(__doc__.splitlines()[0], lr=3e-5, batch=16).parse_args()
    articles, triples, rng = read_triples(args)
    model, tok, steps, seconds = train(triples, args.lr, args.batch, args.seed, rng)
    model.save_pretrained(str(args.out))
    tok.save_pretrained(str(args.out))
    made = provenance(args, "bench/train_cross.py", articles, len(triples), steps, seconds)
    (args.out / "provenance.json").write_text(json.dumps(made, indent=1) + "\n")
    print(f"wrote {args.out} ({steps} steps, {seconds:.0f} s)")


if __name__ == "__main__":
    main()
