"""Batching for the passage path: tokenise ahead of the model, length-sorted padded batches.

Pure data preparation (token ids, masks, sentence-span weights); the model runs elsewhere.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHUNK = 4096  # texts tokenised at a time, ahead of the model
CUDA_TOKENS_PER_BATCH = 131_072  # CUDA batches hold up to this many (padded) tokens


class Batcher:
    """Yields (indices, ids, mask, span weights | None) batches, and None after each chunk.

    Span weights: (rows, max spans, width) 0/1 float32 selecting each sentence's tokens
    (a sentence cut off by truncation selects all real tokens), a (rows, max spans) mask
    of the real spans, and the number of spans per row; bmm with the hidden states gives
    the per-sentence sums. A text without spans gets one zero vector.
    """

    def __init__(self, emb, texts: list[str], spans, pin: bool):
        self.emb, self.texts, self.spans, self.pin = emb, texts, spans, pin

    def __iter__(self):
        import torch

        emb, tok = self.emb, self.emb.model.tokenizer
        pad = tok.pad_token_id or 0
        want = self.spans is not None
        for lo in range(0, len(self.texts), CHUNK):
            chunk = self.texts[lo : lo + CHUNK]
            enc = tok(
                chunk,
                return_offsets_mapping=want,
                truncation=True,
                max_length=emb.model.max_seq_length,
            )
            lengths = [len(x) for x in enc["input_ids"]]
            order = np.argsort([-n for n in lengths], kind="stable")
            start = 0
            while start < len(order):
                width = max(lengths[order[start]], 1)
                rows = max(emb.batch_size, emb.token_budget // width)
                local = order[start : start + rows]
                start += len(local)
                ids, mask = pad_batch([enc["input_ids"][i] for i in local], width, pad)
                weights = None
                if want:
                    weights = self._weights(local, lo, enc["offset_mapping"], width)
                tensors = [torch.from_numpy(ids), torch.from_numpy(mask)]
                if self.pin:  # page-locked, so the copies to the GPU run asynchronously
                    tensors = [t.pin_memory() for t in tensors]
                    if weights is not None:
                        weights = (weights[0].pin_memory(), *weights[1:])
                yield local + lo, *tensors, weights
            yield None

    def _weights(self, local, lo, offsets, width):
        import torch

        counts = [max(len(self.spans[lo + i]), 1) for i in local]
        w = np.zeros((len(local), max(counts), width), dtype=np.float32)
        valid = np.zeros((len(local), max(counts)), dtype=bool)
        for row, i in enumerate(local):
            spans = self.spans[lo + i]
            valid[row, : counts[row]] = True
            if not spans:
                continue  # one zero vector, as for a text with no sentences
            off = np.asarray(offsets[i], dtype=np.int64).reshape(-1, 2)
            starts, ends = off[:, 0], off[:, 1]
            real = ends > starts  # special tokens have (0, 0)
            for j, (a, b) in enumerate(spans):
                sel = real & (starts >= a) & (ends <= b)
                w[row, j, : len(off)] = sel if sel.any() else real
        return torch.from_numpy(w), valid, counts


def prefetch(iterable, depth: int = 3):
    """Run `iterable` on a worker thread, `depth` items ahead of the consumer.

    If the consumer stops early (an error in the model), the worker stops too.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in iterable:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        put(done)

    threading.Thread(target=work, daemon=True, name="embed-prefetch").start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()


@dataclass
class _Failed:
    exc: BaseException


def pad_batch(seqs: Sequence[Sequence[int]], width: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Token id lists to (ids, attention mask), both (len(seqs), width) int64, right-padded."""
    ids = np.full((len(seqs), width), pad, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask
