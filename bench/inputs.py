"""Benchmark inputs: a slice of a real corpus, the passages a build embeds, synthetic
small articles, questions, and a stub embedder for builds whose vectors do not matter.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.build import embedding_input
from index.config import Config
from index.ingest.articles import prepare
from index.ingest.passages import make_passages
from index.ingest.sources import read_sources
from index.retrieve.model import Encoded

FALLBACK_QUESTIONS = [
    "Who met in Beijing?",
    "What did the minister say about the agreement?",
    "Where did the storm make landfall?",
    "How many people were killed?",
    "What did the court decide?",
    "Which company announced the deal?",
    "When will the election be held?",
    "Why did prices rise?",
]


def slice_corpus(source: Path, articles: int, dest: Path) -> Path:
    """The first `articles` records of a JSONL corpus copied to `dest` (0 = all).

    A folder or any other file is used as it is.
    """
    if source.is_dir() or source.suffix.lower() not in (".jsonl", ".ndjson"):
        return source
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / source.name
    with open(source, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for n, line in enumerate(src):
            if articles and n >= articles:
                break
            dst.write(line)
    return out


@dataclass
class Inputs:
    texts: list[str]  # what the model sees for each passage (title prefix included)
    spans: list[list[tuple[int, int]]]  # sentence spans within each text
    passages: list[str]  # passage text alone, for answer matching
    articles: int
    seconds: float  # reading + cleaning + chunking


def passage_inputs(sources: list[Path], config: Config) -> Inputs:
    """The exact passages a full build of `sources` embeds, in the same order."""
    import time

    t0 = time.perf_counter()
    read = read_sources(sources, config.index.max_file_bytes)
    docs = {d.key: d for d in read.documents}
    pc = config.passages
    texts, spans, plain = [], [], []
    for doc in docs.values():
        article = prepare(doc)
        for p in make_passages(article.text, pc.target_words, pc.max_words, pc.overlap_sentences):
            text, sp = embedding_input(article, p, pc.title_in_embedding)
            texts.append(text)
            spans.append(sp)
            plain.append(p.text)
    return Inputs(texts, spans, plain, len(docs), time.perf_counter() - t0)


_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def write_synthetic_articles(dest: Path, n: int, pool: list[str], seed: int = 0) -> Path:
    """`n` small Markdown articles (a heading and 3-6 real sentences from `pool`)."""
    rng = random.Random(seed)
    sentences = [s for text in pool for s in _SENT.split(text) if len(s.split()) >= 5]
    sentences = sentences or ["The council met on Tuesday to discuss the new budget plan."]
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 6)))
        sub = dest / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"a{i:06d}.md").write_text(f"# Synthetic article {i}\n\n{body}\n", encoding="utf-8")
    return dest


@dataclass
class Question:
    text: str
    answers: list[str]


def load_questions(path: Path | None, limit: int = 0) -> list[Question]:
    """Questions from a QA JSONL file, or a fixed generic list when there is none.

    With `limit`, exactly that many (repeated when the file holds fewer)."""
    items: list[Question] = []
    if path and path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    items.append(
                        Question(obj["question"], [str(a) for a in obj.get("answers", [])])
                    )
    items = items or [Question(q, []) for q in FALLBACK_QUESTIONS]
    if not limit:
        return items
    while len(items) < limit:
        items = items + items
    return items[:limit]


def _strip_quotes(s: str) -> str:
    return s.strip().strip("\"'“”‘’").strip()


def answerable(questions: list[Question], passages: list[str]) -> list[Question]:
    """The questions one of whose answers occurs (case-insensitively) in some passage."""
    low = [p.lower() for p in passages]
    out = []
    for q in questions:
        answers = [a.lower() for a in map(_strip_quotes, q.answers) if len(a) >= 2]
        if answers and any(a in p for p in low for a in answers):
            out.append(Question(q.text, answers))
    return out


def recall_at(
    k: int, qvecs: np.ndarray, pvecs: np.ndarray, passages: list[str], qs: list[Question]
) -> float:
    """Share of questions with an answer string in the top-`k` passages by cosine."""
    if not qs:
        return float("nan")
    top = np.argsort(-(qvecs @ pvecs.T), axis=1)[:, :k]
    hits = sum(
        any(a in passages[j].lower() for j in row for a in q.answers)
        for row, q in zip(top, qs, strict=True)
    )
    return hits / len(qs)


class StubEmbedder:
    """Stands in for the model where vectors don't matter (the no-change rebuild of 10k
    synthetic articles embeds nothing): deterministic vectors from a hash of the text."""

    name = identity = "bench-stub"
    sentence_vectors = "contextual"
    backend = "stub"

    def __init__(self, dim: int = 384):
        self.dim = dim

    def _vec(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        v = rng.standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode_queries(self, texts) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def work_units(self, sentence_spans) -> int:
        return len(sentence_spans)

    def encode_passages(self, texts, sentence_spans, progress=None) -> Encoded:
        vecs = self.encode_queries(list(texts)).astype(np.float32)
        sents = [
            np.repeat(v[None], max(len(s), 1), axis=0)
            for v, s in zip(vecs, sentence_spans, strict=True)
        ]
        if progress:
            progress(len(texts))
        return Encoded(vecs, sents)
