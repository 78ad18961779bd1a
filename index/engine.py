"""The engine as a library: `Engine.open(config).ask(question)`.

Holds the model and the current generation's indexes; every query takes one immutable
snapshot, so a build switching generations never changes an answer midway. The CLI and
the bot are thin layers over this class.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import faiss
import numpy as np

from . import models, store
from .build import build, changed_settings
from .config import SEARCH_MODES, Config
from .errors import IndexEmptyError, IndexMissingError, QueryError
from .inputs import configured_inputs, is_url
from .models import Answer, BuildReport, Citation, Hit, IndexedArticle, Progress
from .retrieve import answering, fusion, vectors
from .retrieve.answering import QuoteScorer
from .retrieve.fusion import Fusion
from .retrieve.lexical import Lexical
from .retrieve.mentions import never_mentioned_reason, question_names
from .retrieve.model import Embedder
from .retrieve.ranking import (
    Candidate,
    collapse,
    lead_bonus,
    order_candidates,
    relevance,
    unshown_part,
)
from .retrieve.rerank import Reranker, rerank
from .retrieve.timeframe import covered_in, not_covered_reason, question_timeframe

log = logging.getLogger(__name__)

LEXICAL_WORKERS = 4  # BM25 searches in flight at once, beside the questions' embeddings


@dataclass
class Candidates:
    """One question's candidates (`Engine.candidates`): ids in retrieval order, their rows
    and articles, BM25 scores (matches only), calibrated relevance, per-sentence cosines,
    and the learned fusion's feature matrix (one row per id; no columns when the ranking
    does not use it)."""

    question: str
    mode: str
    ids: list[int]
    rows: dict[int, store.PassageRow]
    articles: dict[int, IndexedArticle]
    lexical: dict[int, float]
    relevance: dict[int, float]
    sentence_sims: dict[int, np.ndarray]
    features: np.ndarray
    terms: fusion.QueryTerms  # the question's BM25 terms with their IDF in this snapshot
    unseen: list[str]  # the names the question gives that no passage of this snapshot holds


@dataclass(frozen=True)
class Snapshot:
    gen: int
    index: faiss.Index
    lexical: Lexical


class Engine:
    def __init__(self, config: Config, embedder: Embedder | None = None):
        self.config = config
        self.data_dir: Path = config.data_path
        self._embedder = embedder
        self._reranker: Reranker | None = None
        self._fusion: Fusion | None = None
        self.quote_scorer: QuoteScorer = answering.shipped()
        self._snap: Snapshot | None = None
        self._local = threading.local()
        self._reload_lock = threading.Lock()
        self._checked = 0.0
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # Models load lazily, and the first question touches them from two threads at
        # once (BM25 worker and embedding): without it each would load its own copy.
        self._model_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        config: Config,
        embedder: Embedder | None = None,
        *,
        build_if_missing: bool = False,
        progress: Progress | None = None,
    ) -> Engine:
        """Load the models and the current index; with `build_if_missing`, build the
        registered inputs first when there is no index (IndexMissingError otherwise)."""
        engine = cls(config, embedder)
        engine.load()
        if build_if_missing and not engine.has_index():
            log.info("no index in %s yet: building it from %s", engine.data_dir,
                     ", ".join(engine.inputs()))  # fmt: skip
            engine.build(progress=progress)
        engine.reload()
        changed = engine.changed_settings()
        if changed:
            log.warning(
                "the index in %s was built with other %s settings than the config gives: it "
                "answers as built until `newsdesk index` (or /reindex) re-embeds it",
                engine.data_dir, ", ".join(changed),
            )  # fmt: skip
        return engine

    def load(self) -> None:
        """Load the models now rather than on the first question."""
        _ = self.embedder, self.reranker

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._model_lock:
                if self._embedder is None:
                    self._embedder = Embedder.from_config(self.config.model)
        return self._embedder

    @property
    def reranker(self) -> Reranker | None:
        """The configured cross-encoder, loaded on first use; None when not configured."""
        name = self.config.model.reranker
        if name and self._reranker is None:
            device = self.embedder.device
            with self._model_lock:
                if self._reranker is None:
                    self._reranker = Reranker(name, device)
        return self._reranker

    # --- storage -----------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if not (self.data_dir / store.DB_NAME).exists():
                raise IndexMissingError(f"no index in {self.data_dir}: run `newsdesk index` first")
            conn = self._local.conn = store.connect(self.data_dir, readonly=True)
        return conn

    @property
    def generation(self) -> int:
        return self._snap.gen if self._snap else 0

    def has_index(self) -> bool:
        try:
            return store.current_generation(self._conn()) > 0
        except IndexMissingError:
            return False

    def changed_settings(self) -> list[str]:
        """The settings (passages, model, ...) in which the stored index differs from what
        the config would build: a build re-embeds it, until then it is served as built."""
        return changed_settings(store.get_meta(self._conn(), "signature"), self.config)

    def reload(self) -> bool:
        """Load the newest generation if it changed; on a bad file keep the one in use."""
        with self._reload_lock:
            gen = store.current_generation(self._conn())
            if gen == 0:
                raise IndexMissingError(f"no index in {self.data_dir}: run `newsdesk index` first")
            if self._snap and self._snap.gen == gen:
                return False
            directory = store.gen_dir(self.data_dir, gen)
            expected = int(store.get_meta(self._conn(), "passages", "-1"))
            try:
                index = vectors.read_index(
                    directory / "vectors.faiss", expected if expected >= 0 else None
                )
                lexical = Lexical.load(directory / "bm25")
            except Exception:
                if self._snap is None:
                    raise
                log.exception("generation %d failed to load; still serving %d", gen, self._snap.gen)
                return False
            vectors.set_ef_search(index, self.config.index.hnsw_ef_search)
            self._snap = Snapshot(gen, index, lexical)
            log.info("serving generation %d (%d passages)", gen, index.ntotal)
            return True

    def _lexical_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(LEXICAL_WORKERS, thread_name_prefix="bm25")
            return self._pool

    def _snapshot(self) -> Snapshot:
        now = time.monotonic()
        if self._snap is None or now - self._checked > 1.0:
            self._checked = now
            self.reload()
        assert self._snap is not None
        return self._snap

    # --- building ----------------------------------------------------------------------

    def build(
        self,
        add: Sequence[Path | str] = (),
        remove: Sequence[Path | str] = (),
        *,
        allow_removal: bool = False,
        progress: Progress | None = None,
        lock_timeout: float = 0,
        scheduled: bool = False,
        stop: Callable[[], bool] | None = None,
    ) -> BuildReport:
        """Refresh the registered inputs, registering `add` and dropping `remove` first;
        URL inputs are synced (`scheduled` and `stop`: see index.build.build)."""
        report = build(
            self.config, self.embedder, add, remove,
            allow_removal=allow_removal, progress=progress, lock_timeout=lock_timeout,
            scheduled=scheduled, stop=stop,
        )  # fmt: skip
        self._checked = 0.0
        if store.current_generation(self._conn()) > 0:
            self.reload()
        return report

    def last_build(self) -> tuple[BuildReport, float] | None:
        """The last build that committed a generation, by any process, and its Unix end
        time; None before the first (or for an index older than this record)."""
        try:
            return store.last_build(self._conn())
        except IndexMissingError:
            return None

    def inputs(self) -> list[str]:
        """The registered inputs a build refreshes (the config's, before the first build)."""
        try:
            registered = store.registered_inputs(self._conn())[0]
        except IndexMissingError:
            registered = []
        return registered or configured_inputs(self.config)

    def web_sources(self) -> list[models.SourceSync]:
        """The last sync of each registered URL input (a never-synced one: empty)."""
        urls = [loc for loc in self.inputs() if is_url(loc)]
        if not urls:
            return []
        try:
            synced = store.web_sources(self._conn())
        except (IndexMissingError, sqlite3.OperationalError):  # no sync has written one yet
            synced = {}
        return [synced.get(loc) or models.SourceSync(loc) for loc in urls]

    # --- asking ------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str | None = None,
        outlets: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        as_of: date | None = None,
    ) -> Answer:
        """The best passages for `question`, or covered=False when none is relevant enough.

        `as_of` is the day the question is asked (default: today, UTC): recent articles
        get a soft prior, learned with the fusion weights.
        """
        ranked = self.retrieve(
            question, k=k, mode=mode, outlets=outlets, since=since, until=until, as_of=as_of
        )
        return Answer(
            question.strip(),
            ranked.covered,
            ranked.hits if ranked.covered else [],
            ranked.mode,
            ranked.reason,
        )

    @property
    def fusion(self) -> Fusion:
        """The learned fusion's weights (the shipped ones unless set, as training does)."""
        if self._fusion is None:
            self._fusion = fusion.shipped()
        return self._fusion

    @fusion.setter
    def fusion(self, value: Fusion) -> None:
        self._fusion = value

    def retrieve(
        self, question, *, k=None, mode=None, outlets=None, since=None, until=None, as_of=None
    ) -> Answer:
        """Ranked hits with scores and the covered decision; unlike `ask`, the hits are
        kept when the question is not covered (eval reads both)."""
        sc = self.config.search
        learned = (mode or sc.mode) == "hybrid" and sc.fusion == "learned"
        pool = self.candidates(
            question, mode=mode, k=k, outlets=outlets, since=since, until=until, as_of=as_of,
            weights=self.fusion.weights if learned else None, featured=learned,
        )  # fmt: skip
        k = k or sc.top_k
        rows, arts = pool.rows, pool.articles
        if learned:
            scores = self.fusion.score(pool.features)
            order = [pool.ids[i] for i in np.argsort(-scores, kind="stable")]
        else:
            dense = {p: pool.relevance[p] + lead_bonus(rows[p].ord, sc.lead_bonus) for p in rows}
            order = order_candidates(pool.mode, dense, pool.lexical, sc.bm25_weight)
        if self.reranker is not None:
            head = order[: self.config.model.rerank_candidates]
            order = rerank(order, self.reranker.scores(pool.question, [rows[p].text for p in head]))
        cands = [
            Candidate(pid, rows[pid].article_id, rows[pid].vector, pool.relevance[pid])
            for pid in order
        ]
        quoting = answering.asked(pool.question, pool.terms)
        # Twice k: a passage whose sentences were all shown already (overlap) is skipped.
        groups = collapse(cands, sc.collapse_similarity, 2 * k)
        hits: list[Hit] = []
        shown: dict[int, set[tuple[int, int]]] = {}
        for head, copies in groups:
            row = rows[head.passage_id]
            seen = shown.setdefault(head.article_id, set())
            part = unshown_part(row.sentences, row.start, len(row.text), seen)
            if part is None:
                continue
            lo, hi, keep = part
            spans = [row.sentences[i] for i in keep]
            seen.update((row.start + a, row.start + b) for a, b in spans)
            sims = pool.sentence_sims[head.passage_id][keep]
            start, end = self.quote_scorer.pick(sims, spans, row.text, quoting)
            hits.append(
                Hit(
                    passage_id=head.passage_id,
                    text=row.text[lo:hi],
                    quote=row.text[start:end],
                    quote_start=start - lo,
                    score=round(head.relevance, 4),
                    citation=_citation(arts[head.article_id]),
                    also=[_citation(arts[c.article_id]) for c in copies],
                )
            )
            if len(hits) == k:
                break
        # Covered when some candidate is relevant enough: the fused order may put a
        # passage of lower relevance first (the lead that names the answer), and that
        # must not turn a covered question into a refusal.
        best = max(pool.relevance.values(), default=0.0)
        covered = bool(hits) and best >= sc.min_score
        reason = ""
        if covered and best < sc.unknown_name_min_score and pool.unseen:
            covered, reason = False, never_mentioned_reason(pool.unseen)
        frame = (
            question_timeframe(pool.question, as_of or _today())
            if covered and sc.timeframe
            else None
        )
        if frame:
            dated = ((pool.relevance[p], arts[rows[p].article_id].published) for p in pool.ids)
            if not covered_in(frame, dated, sc.timeframe_min_score, sc.timeframe_slack_days):
                covered, reason = False, not_covered_reason(frame)
        return Answer(pool.question, covered, hits, pool.mode, reason)

    def candidates(
        self, question, *, mode=None, k=None, outlets=None, since=None, until=None, as_of=None,
        weights: np.ndarray | None = None, featured: bool = True,
    ) -> Candidates:  # fmt: skip
        """The candidate passages of `question` with their evidence, before ranking.

        The dense and BM25 top-n (n = search.candidates, at least 4k), each scored by
        both; `features` is the learned fusion's matrix, one row per id (see fusion.py).
        `bench/train_fusion.py` fits the weights on exactly these features. With the
        fusion `weights`, the text-scanning features are filled in only for the
        candidates that can still rank near the top (the rest keep 0 there). With
        `featured=False` (the rankings that do not use them) `features` has no columns.
        """
        question = (question or "").strip()
        if not question:
            raise QueryError("the question is empty")
        sc = self.config.search
        k = k or sc.top_k
        mode = mode or sc.mode
        if mode not in SEARCH_MODES:
            raise QueryError(f"unknown search mode {mode!r}: use {', '.join(SEARCH_MODES)}")
        snap = self._snapshot()
        if snap.index.ntotal == 0:
            raise IndexEmptyError(
                f"the index in {self.data_dir} is empty: run `newsdesk index --source PATH`"
            )
        conn = self._conn()
        allowed = self._filter_ids(snap.gen, outlets, since, until)
        n = max(sc.candidates, k * 4)
        none = (np.empty(0, np.int64), np.empty(0, np.float32))
        # BM25 needs no vector: it runs on a worker, and fetches its candidates' rows,
        # while this thread embeds the question (both release the GIL), so a query costs
        # about max(embed, bm25) rather than their sum.
        lex_job = (
            self._lexical_pool().submit(self._lexical_side, snap, question, n, allowed)
            if mode != "dense"
            else None
        )
        qvec = self.embedder.encode_queries([question])[0]
        d_ids = (
            vectors.search(snap.index, qvec[None, :], n, allowed).ids[0]
            if mode != "bm25"
            else none[0]
        )
        lex, rows, terms = lex_job.result() if lex_job else (none, {}, None)
        # The question vector still scores BM25-only candidates: relevance needs it.
        ids = list(dict.fromkeys([*d_ids[d_ids >= 0].tolist(), *lex[0].tolist()]))
        rows |= store.get_passages(conn, [p for p in ids if p not in rows], snap.index.d)
        ids = [p for p in ids if p in rows]
        lexical = {
            pid: float(s)
            for pid, s in zip(lex[0].tolist(), lex[1].tolist(), strict=True)
            if pid in rows
        }
        # One product for every candidate's passage vector and one for all their
        # sentences, split back per passage: ~150 small products cost more than two.
        pcos = np.stack([rows[p].vector for p in ids]) @ qvec if ids else np.zeros(0)
        counts = [len(rows[p].sentence_vectors) for p in ids]
        flat = (
            np.concatenate([rows[p].sentence_vectors for p in ids]) @ qvec
            if sum(counts)
            else np.zeros(0)
        )
        sims = dict(zip(ids, np.split(flat, np.cumsum(counts)[:-1]), strict=True)) if ids else {}
        scos = np.array([float(sims[p].max()) if len(sims[p]) else 0.0 for p in ids])
        rel = {
            p: relevance(float(pc), float(sc_), sc.sentence_weight)
            for p, pc, sc_ in zip(ids, pcos, scos, strict=True)
        }
        arts = store.articles_by_id(conn, [rows[p].article_id for p in ids])
        terms = terms or fusion.QueryTerms(snap.lexical.term_idf(question))
        unseen = snap.lexical.unseen(question_names(question))
        found = (question, mode, ids, rows, arts, lexical, rel, sims)
        if not featured:
            return Candidates(*found, np.zeros((len(ids), 0)), terms, unseen)
        day = (as_of or _today()).toordinal()
        kind = fusion.question_kind(question)
        texts = [rows[p].text for p in ids]
        names, numbers, sent_cov = np.zeros(len(ids)), np.zeros(len(ids)), np.zeros(len(ids))
        # The matrix without the text scans first (their columns 0); then the scans, and
        # their columns filled in.
        x = fusion.features(
            kind,
            passage_cos=pcos,
            sentence_cos=scos,
            bm25=np.array([lexical.get(p, 0.0) for p in ids]),
            article=np.array([rows[p].article_id for p in ids], dtype=np.int64),
            order=np.array([rows[p].ord for p in ids]),
            words=np.array([len(t.split()) for t in texts]),
            coverage=snap.lexical.term_coverage(terms.idf, np.array(ids, dtype=np.int64)),
            sentence_coverage=sent_cov,
            names=names,
            has_number=numbers,
            age_days=np.array(
                [fusion.age_in_days(arts[rows[p].article_id].published, day) for p in ids]
            ),
        )
        todo: Sequence[int] = range(len(ids))
        if weights is not None and fusion.late_features_only_add(weights):
            # The text scans (names, numbers, sentences) cost most per candidate, and they
            # only add to a score: scan just the best by everything else (fusion.LATE_TOP).
            todo = np.argsort(-(x @ weights), kind="stable")[: fusion.LATE_TOP]
        for i in todo:
            names[i] = fusion.novel_names(texts[i], kind)
            numbers[i] = fusion.has_number(texts[i])
            sent_cov[i] = fusion.sentence_coverage(texts[i], rows[ids[i]].sentences, terms)
        for name, column in fusion.late_columns(kind, sent_cov, names, numbers).items():
            x[:, fusion.FEATURES.index(name)] = column
        return Candidates(*found, x, terms, unseen)

    def _lexical_side(self, snap: Snapshot, question: str, n: int, allowed):
        """BM25's candidates and their rows, and the question's terms for the fusion: all
        of it while the main thread embeds the question (on one core of its own)."""
        lex = snap.lexical.search(question, n, allowed)
        rows = store.get_passages(self._conn(), lex[0].tolist(), snap.index.d)
        return lex, rows, fusion.QueryTerms(snap.lexical.term_idf(question))

    def _filter_ids(self, gen, outlets, since, until) -> np.ndarray | None:
        names: list[str] = []
        if outlets:
            known = {o.lower(): o for o in store.outlets(self._conn(), gen)}
            missing = [o for o in outlets if o.lower() not in known]
            if missing:
                raise QueryError(
                    f"unknown outlet {missing[0]!r}; known: {', '.join(sorted(known.values())) or 'none'}"
                )
            names = [known[o.lower()] for o in outlets]
        since = parse_iso_date(since, "since") if since else None
        until = parse_iso_date(until, "until") if until else None
        if since and until and since > until:
            raise QueryError(f"since ({since}) is after until ({until})")
        if not (outlets or since or until):
            return None
        ids = store.filtered_passage_ids(self._conn(), gen, names if outlets else [], since, until)
        if not len(ids):
            from .errors import NoMatchingArticlesError

            wanted = [f"outlet {' or '.join(map(repr, names))}"] if outlets else []
            wanted += [f"published on or after {since}"] if since else []
            wanted += [f"published on or before {until}"] if until else []
            undated = " (an article without a date never matches a date filter)"
            raise NoMatchingArticlesError(
                f"no indexed article matches {' and '.join(wanted)}"
                + (undated if since or until else "")
            )
        return ids

    # --- listing -----------------------------------------------------------------------

    def articles(self, search: str = "") -> list[IndexedArticle]:
        return store.list_articles(self._conn(), self._snapshot().gen, search)

    def article(self, article_id: int) -> IndexedArticle | None:
        return store.get_article(self._conn(), self._snapshot().gen, article_id)

    def outlets(self) -> list[str]:
        return store.outlets(self._conn(), self._snapshot().gen)

    # --- feedback ----------------------------------------------------------------------

    def record_feedback(
        self, question: str, passage_ids: list[int], user_id: int, vote: int
    ) -> None:
        """Store a 👍 (+1) / 👎 (-1). The user id is never stored: only an HMAC of it
        keyed with this install's secret (`feedback.key`), so votes of one person can be
        told apart from another's but not traced back to them without the key."""
        key = store.feedback_key(self.data_dir)
        user_hash = hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]
        store.record_feedback(self.data_dir, question, passage_ids, user_hash, vote)

    def feedback(self) -> list[dict]:
        """The stored votes, oldest first (see store.list_feedback); never who voted."""
        return store.list_feedback(self.data_dir)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


def parse_iso_date(value: str, name: str = "date") -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise QueryError(f"{name} must be a date like 2025-02-28, got {value!r}") from None


def _citation(a: IndexedArticle) -> Citation:
    return Citation(a.id, a.title, a.outlet, a.published, a.url, a.path)


def _today() -> date:
    """The day a question is asked when the caller gives none (UTC)."""
    return datetime.now(UTC).date()
