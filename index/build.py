"""Incremental, crash-safe index builds.

Only new or changed articles (by the hash of what was read) are cleaned and embedded;
removed ones are dropped. The new generation's files are written and fsynced first, then
one SQLite transaction inserts the rows and switches `current_gen`: a build killed at any
point leaves the served generation whole, and the next build starts clean.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from . import store
from .config import Config
from .errors import BuildInterrupted, BuildLockedError, MassRemovalError
from .ingest.articles import prepare
from .ingest.passages import make_passages
from .ingest.sources import read_sources
from .inputs import InputPlan, is_url, plan_inputs
from .models import Article, BuildReport, Document, Passage, Progress
from .retrieve import vectors
from .retrieve.lexical import Lexical
from .retrieve.model import Embedder, Encoded, model_identity

log = logging.getLogger(__name__)

PIPELINE_VERSION = "1"  # bump when chunking or the model's input changes: re-embeds everything
# Bump when cleaning changes: the next build cleans every article again but re-embeds only
# those whose cleaned text changed (2: site-notice sentences cut; 3: every format cleaned alike,
# headings kept apart; 4: sub-headings kept as paragraphs, CJK sentences, captions out;
# 5: staff bios, newsletter and podcast notes, opinion disclaimers, contributor credits,
# links to other stories glued to their label).
CLEANING_VERSION = "5"

# Passages embedded between two checkpoints: a stopped build loses at most this much work.
STAGE_PASSAGES = 2048


def signature(config: Config, embedder: Embedder) -> str:
    """What the stored vectors depend on: a change re-embeds every article."""
    return _signature(
        config, embedder.identity, embedder.sentence_vectors, embedder.backend == "onnx-int8"
    )


def configured_signature(config: Config) -> str:
    """`signature` as the config alone gives it, without loading the model (int8 vectors
    come only from an explicit onnx-int8)."""
    m = config.model
    identity = model_identity(m.name, m.adapter)
    return _signature(config, identity, m.sentence_vectors, m.backend == "onnx-int8")


def _signature(config: Config, model: str, sentences: str, int8: bool) -> str:
    return json.dumps(
        {
            "v": PIPELINE_VERSION,
            "model": model,
            "sentences": sentences,
            "passages": asdict(config.passages),
            # int8 weights give other vectors; the float backends give the same ones.
            **({"weights": "int8"} if int8 else {}),
        },
        sort_keys=True,
    )


def _parts(sig: str) -> dict:
    """A stored signature's parts, an older spelling of the default model read as today's."""
    parts = json.loads(sig)
    if not isinstance(parts, dict):
        raise ValueError("a signature is a JSON object")
    if isinstance(parts.get("model"), str):
        parts["model"] = model_identity(parts["model"])
    return parts


def same_signature(stored: str, sig: str) -> bool:
    return not changed_parts(stored, sig) if stored else False


def changed_parts(stored: str, sig: str) -> list[str]:
    """The signature's parts that differ (empty when `stored` is empty: nothing built)."""
    if not stored:
        return []
    try:
        old = _parts(stored)
    except ValueError:
        return ["signature"]
    new = json.loads(sig)
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def changed_settings(stored: str, config: Config) -> list[str]:
    """The signature's parts in which an index built under `stored` differs from what
    `config` would build now (empty when it matches or nothing is stored)."""
    return changed_parts(stored, configured_signature(config))


def vector_index(config: Config, vecs: np.ndarray, ids: np.ndarray):
    """The FAISS index a build makes for `vecs` under `config.index`."""
    ic = config.index
    return vectors.make_index(
        vecs, ids, exact_max=ic.exact_max_passages, dtype=ic.vector_dtype,
        hnsw_m=ic.hnsw_m, hnsw_ef_search=ic.hnsw_ef_search, approximate=ic.approximate,
        nprobe=ic.ivf_nprobe or None,
    )  # fmt: skip


def writer_lock(data_dir: Path, timeout: float = 0) -> FileLock:
    """The lock every writer (CLI or bot) holds for the length of a build."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(data_dir / "build.lock"), timeout=timeout)


def embedding_input(article: Article, passage: Passage, with_title: bool) -> tuple[str, list]:
    """The text the model sees and the sentence spans within it (title prefix shifts them)."""
    prefix = f"{article.title}\n\n" if with_title and article.title else ""
    spans = [
        (a - passage.start + len(prefix), b - passage.start + len(prefix))
        for a, b in passage.sentences
    ]
    return prefix + passage.text, spans


def build(
    config: Config,
    embedder: Embedder,
    add: Sequence[Path | str] = (),
    remove: Sequence[Path | str] = (),
    *,
    allow_removal: bool = False,
    progress: Progress | None = None,
    lock_timeout: float = 0,
    scheduled: bool = False,
    stop: Callable[[], bool] | None = None,
) -> BuildReport:
    """Bring the index in `config.data_path` up to date with its registered inputs.

    `add` registers more inputs, `remove` unregisters inputs and drops their articles.
    Nothing changes when an input is missing, or when the build would remove more than
    half of the index without `allow_removal` (an unmounted drive must not empty it).
    URL inputs are synced (index.web.sync): `scheduled` leaves failing ones to their
    backoff, and `stop()`, asked between fetched articles, ends the sync early (what was
    fetched is indexed).
    """
    data_dir = config.data_path
    web = {"scheduled": scheduled, "stop": stop}
    try:
        with writer_lock(data_dir, lock_timeout):
            return _build_locked(config, embedder, add, remove, allow_removal, progress, web)
    except Timeout:
        raise BuildLockedError(
            f"another build is running on {data_dir} (lock {data_dir / 'build.lock'})"
        ) from None


def _build_locked(config, embedder, add, remove, allow_removal, progress, web) -> BuildReport:
    t0 = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    data_dir = config.data_path
    conn = store.connect(data_dir)
    gen = 0
    staged_now: list[int] = [0]  # articles staged by this build, for the interrupt message
    try:
        gen = store.current_generation(conn)
        with store.transaction(conn):
            store.rollback_unfinished(conn, gen)
        _remove_stale_dirs(data_dir, keep={gen})

        live = store.live_articles(conn, gen)
        plan = plan_inputs(conn, config, add, remove, legacy=gen > 0 and bool(live))
        progress("reading", 0, 0)
        urls = [loc for loc in plan.read if is_url(loc)]
        files = [Path(loc) for loc in plan.read if not is_url(loc)]
        read = read_sources(files, config.index.max_file_bytes)
        read_from_files = bool(read.documents)
        synced = _sync_urls(conn, config, urls, live, web)
        read.documents += synced.documents
        read.skipped += synced.skipped
        report = BuildReport(skipped=read.skipped, generation=gen, web=synced.syncs)
        docs = _dedupe(read.documents)
        if plan.read and not docs and not plan.removed and (not urls or gen == 0):
            log.warning("no article could be read from %s: nothing changed", ", ".join(plan.read))
            _store_syncs(conn, synced.syncs)
            report.seconds = time.perf_counter() - t0
            return report
        gone = plan.to_remove(live, docs, read.skipped)
        if files and not read_from_files and not plan.removed:
            gone = []  # no article read from the files (feeds alone answered): none dropped
        aged = _aged(conn, config, gen, urls, set(gone))
        _check_removal(plan, live, gone, allow_removal)
        gone += aged
        # What a URL input showed before and not now stays indexed, unchanged.
        report.unchanged += sum(
            1 for k, v in live.items() if is_url(v[3]) and k not in docs and k not in gone
        )

        sig = signature(config, embedder)
        same_pipeline = same_signature(store.get_meta(conn, "signature"), sig)
        recleaned = store.get_meta(conn, "cleaning") != CLEANING_VERSION
        todo: list[Document] = []
        cleaned: dict[str, Article] = {}  # re-cleaned and changed: not cleaned a second time
        for key, doc in docs.items():
            old = live.get(key)
            same = old and same_pipeline and old[1] == doc.raw_hash
            if same and recleaned:
                cleaned[key] = prepare(doc)
                same = cleaned[key].content_hash == old[2]
            if same:
                cleaned.pop(key, None)
                report.unchanged += 1
                continue
            todo.append(doc)
            if old:
                report.changed += 1
            else:
                report.added += 1
        report.removed = len(gone)
        if not todo and not gone and gen > 0 and _generation_intact(conn, data_dir, gen):
            with store.transaction(conn):
                plan.commit(conn)
                store.save_web_sources(conn, synced.syncs)
                if recleaned:  # nothing changed under the new cleaning: say so once
                    store.set_meta(conn, "cleaning", CLEANING_VERSION)
            report.seconds = time.perf_counter() - t0
            return report

        new_gen = gen + 1
        retired = [live[k][0] for k in gone] + [live[d.key][0] for d in todo if d.key in live]
        articles, passages = _prepare(todo, config, progress, cleaned)
        for art, parts in zip(articles, passages, strict=True):
            if not parts:  # recorded all the same, so that the next build does not retry it
                log.warning("no article text left after cleaning %s", art.key)
                report.skipped.append((art.key, "no article text left after cleaning"))
        enc = _embed(conn, articles, passages, config, embedder, sig, progress, staged_now)
        next_article, next_passage = store.next_ids(conn)

        article_rows, passage_rows, new_ids = [], [], []
        for n, (art, parts) in enumerate(zip(articles, passages, strict=True)):
            aid = next_article + n
            article_rows.append(_article_row(art, aid, new_gen))
            for p in parts:
                pid = next_passage + len(new_ids)
                new_ids.append(pid)
                i = len(new_ids) - 1
                rel = [(a - p.start, b - p.start) for a, b in p.sentences]
                passage_rows.append((
                    pid, aid, p.order, p.start, p.end, p.text, store.encode_sentences(rel),
                    enc.vectors[i].tobytes(), enc.sentence_vectors[i].astype(np.float16, copy=False).tobytes(),
                ))  # fmt: skip
        report.passages_embedded = len(new_ids)

        progress("indexing", 0, 0)
        old_ids, old_vecs = store.live_vectors(conn, gen, embedder.dim)
        retired_pids = store.passage_ids_of(conn, gen, retired)
        keep = ~np.isin(old_ids, retired_pids)
        all_ids = np.concatenate([old_ids[keep], np.asarray(new_ids, dtype=np.int64)])
        all_vecs = np.concatenate([old_vecs[keep], enc.vectors.reshape(-1, embedder.dim)])
        old_text_ids, old_texts = store.live_texts(conn, gen)
        keep_t = ~np.isin(old_text_ids, retired_pids)
        texts = [t for t, k in zip(old_texts, keep_t, strict=True) if k]
        texts += [
            f"{a.title}\n{p.text}" if a.title else p.text
            for a, ps in zip(articles, passages, strict=True)
            for p in ps
        ]
        files = _write_generation(
            data_dir,
            new_gen,
            config,
            all_ids,
            all_vecs,
            np.concatenate([old_text_ids[keep_t], np.asarray(new_ids, dtype=np.int64)]),
            texts,
        )

        progress("committing", 0, 0)
        with store.transaction(conn):
            today = _today().isoformat()
            for row in article_rows:
                store.insert_article(conn, row, today)
            store.insert_passages(conn, passage_rows)
            if retired:
                store.retire_articles(conn, retired, new_gen)
            plan.commit(conn)
            store.save_web_sources(conn, synced.syncs)
            store.clear_staged(conn)
            store.set_meta(conn, "current_gen", str(new_gen))
            store.set_meta(conn, "signature", sig)
            store.set_meta(conn, "cleaning", CLEANING_VERSION)
            store.set_meta(conn, "passages", str(len(all_ids)))
            store.set_meta(conn, "dim", str(embedder.dim))
            store.set_meta(conn, "gen_files", json.dumps(files))
            report.generation = new_gen
            report.seconds = time.perf_counter() - t0
            store.save_last_build(conn, report, time.time())
        # Generations older than the previous one are no longer read by anyone.
        oldest_kept = new_gen - max(1, config.index.keep_generations - 1)
        with store.transaction(conn):
            store.purge_removed(conn, oldest_kept)
        _remove_stale_dirs(data_dir, keep=set(range(oldest_kept, new_gen + 1)))
        report.seconds = time.perf_counter() - t0  # the clean-up included, unlike the record
        return report
    except KeyboardInterrupt:
        # What is staged is committed already; the served generation was never touched.
        raise BuildInterrupted(gen, staged_now[0]) from None
    finally:
        conn.close()


def _sync_urls(conn, config: Config, urls: list[str], live: dict, web: dict):
    """The URL inputs' documents, fetched now."""
    from .web.sync import WebRead, sync_sources

    if not urls:
        return WebRead()
    known = {key: raw for key, (_, raw, _, _) in live.items()}
    return sync_sources(config, urls, store.web_sources(conn), known, **web)


def _store_syncs(conn, syncs) -> None:
    if syncs:
        with store.transaction(conn):
            store.save_web_sources(conn, syncs)


def _aged(conn, config: Config, gen: int, urls: list[str], gone: set[str]) -> list[str]:
    """Articles of URL inputs past web.max_age_days: retired by age, not by their
    sources, so they never count as a mass removal."""
    days = config.web.max_age_days
    if not days or not urls:
        return []
    import datetime as dt

    cutoff = (_today() - dt.timedelta(days=days)).isoformat()
    return [k for k in store.published_before(conn, gen, urls, cutoff) if k not in gone]


def _today():
    """The local day: what web.max_age_days counts from, and an article's first-seen day."""
    import datetime as dt

    return dt.date.today()


def _check_removal(plan: InputPlan, live: dict, gone: list[str], allow: bool) -> None:
    """Refuse to remove more than half of the index unless asked to (or by --remove)."""
    implicit = [k for k in gone if not plan.removed_by_request(live[k][3])]
    if allow or len(implicit) * 2 <= len(live):
        return
    raise MassRemovalError(
        f"this build would remove {len(implicit)} of the {len(live)} indexed articles "
        "(their files are no longer in the registered sources); nothing was changed. "
        "If that is intended, run it again with --allow-removal"
    )


def _dedupe(documents: list[Document]) -> dict[str, Document]:
    out: dict[str, Document] = {}
    for doc in documents:
        if doc.key in out:
            log.warning("duplicate article key %s: keeping the last one read", doc.key)
        out[doc.key] = doc
    return out


def _prepare(
    docs: list[Document], config: Config, progress, cleaned: dict[str, Article]
) -> tuple[list[Article], list[list[Passage]]]:
    articles, passages = [], []
    pc = config.passages
    for n, doc in enumerate(docs):
        article = cleaned.get(doc.key) or prepare(doc)
        parts = make_passages(article.text, pc.target_words, pc.max_words, pc.overlap_sentences)
        articles.append(article)
        passages.append(parts)
        progress("cleaning", n + 1, len(docs))
    return articles, passages


def _embed(conn, articles, passages, config: Config, embedder: Embedder, sig, progress, staged_now):
    """Vectors for every passage of `articles`, in order.

    Articles a stopped build already embedded come from the staging table; the rest are
    embedded a chunk at a time and staged after each chunk, so stopping loses one chunk.
    Progress counts passages, as the build report does.
    """
    dim = embedder.dim
    counts = [[max(len(p.sentences), 1) for p in ps] for ps in passages]
    have = store.staged(conn, sig, {a.content_hash for a in articles})
    done: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
    for n, art in enumerate(articles):
        row = have.get(art.content_hash)
        if row and json.loads(row[0]) == counts[n]:
            vecs = np.frombuffer(row[1], np.float32).reshape(-1, dim)
            flat = np.frombuffer(row[2], np.float16).reshape(-1, dim)
            bounds = np.cumsum([0, *counts[n]])
            done[n] = (vecs, [flat[bounds[i] : bounds[i + 1]] for i in range(len(counts[n]))])
    if done:
        log.info("reusing the embeddings of %d articles from a stopped build", len(done))
    todo = [n for n in range(len(articles)) if n not in done and passages[n]]
    total = sum(len(passages[n]) for n in todo)
    progress("embedding", 0, total)
    finished = 0
    for chunk in _chunks(todo, [len(passages[n]) for n in todo], STAGE_PASSAGES):
        inputs = [
            embedding_input(articles[n], p, config.passages.title_in_embedding)
            for n in chunk
            for p in passages[n]
        ]
        size = len(inputs)
        units = max(embedder.work_units([sp for _, sp in inputs]), 1)
        seen = 0

        def tick(k: int, base=finished, size=size, units=units) -> None:
            nonlocal seen
            seen += k
            progress("embedding", base + min(size, seen * size // units), total)

        enc = embedder.encode_passages([t for t, _ in inputs], [sp for _, sp in inputs], tick)
        rows, at = [], 0
        for n in chunk:
            k = len(passages[n])
            vecs = enc.vectors[at : at + k]
            # float16, as stored: a large first build holds every sentence vector until
            # the commit, and float32 copies doubled that memory for nothing.
            sents = enc.sentence_vectors[at : at + k]
            flat = np.concatenate(sents).astype(np.float16)
            at += k
            bounds = np.cumsum([0, *map(len, sents)])
            done[n] = (vecs, [flat[bounds[i] : bounds[i + 1]] for i in range(k)])
            rows.append((articles[n].content_hash, sig, json.dumps(counts[n]),
                         vecs.astype(np.float32).tobytes(), flat.tobytes()))  # fmt: skip
        with store.transaction(conn):
            store.stage(conn, rows)
        staged_now[0] += len(rows)
        finished += size
        progress("embedding", finished, total)
    vectors_out = [v for n in range(len(articles)) if n in done for v in done[n][0]]
    sents_out = [s for n in range(len(articles)) if n in done for s in done[n][1]]
    return Encoded(np.asarray(vectors_out, np.float32).reshape(-1, dim), sents_out)


def _chunks(items: list[int], sizes: list[int], budget: int) -> Iterator[list[int]]:
    """Consecutive runs of `items` whose sizes add up to about `budget`."""
    run, total = [], 0
    for item, size in zip(items, sizes, strict=True):
        run.append(item)
        total += size
        if total >= budget:
            yield run
            run, total = [], 0
    if run:
        yield run


def _article_row(art: Article, aid: int, gen: int) -> dict:
    return {
        "id": aid, "key": art.key, "path": art.path, "url": art.url, "title": art.title,
        "outlet": art.outlet, "place": art.place, "published": art.published,
        "raw_hash": art.raw_hash,
        "content_hash": art.content_hash, "text": art.text, "added_gen": gen,
    }  # fmt: skip


def _generation_intact(conn, data_dir: Path, gen: int) -> bool:
    """True when the files of `gen` are all there at the sizes written; else the build
    writes a fresh generation from SQLite (which holds every vector) to repair it."""
    expected = json.loads(store.get_meta(conn, "gen_files", "{}"))
    directory = store.gen_dir(data_dir, gen)
    for name, size in expected.items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size:
            log.warning("generation %d file %s is missing or damaged: rewriting it", gen, path)
            return False
    return bool(expected)


def _write_generation(data_dir: Path, gen: int, config: Config, ids, vecs, text_ids, texts) -> dict:
    final = store.gen_dir(data_dir, gen)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(final, ignore_errors=True)
    tmp.mkdir(parents=True)
    vectors.write_index(vector_index(config, vecs, ids), tmp / "vectors.faiss")
    Lexical.build(text_ids, texts).save(tmp / "bm25")
    _fsync_tree(tmp)
    files = {str(p.relative_to(tmp)): p.stat().st_size for p in tmp.rglob("*") if p.is_file()}
    os.replace(tmp, final)
    _fsync_dir(data_dir)
    return files


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    for path in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_dirs(data_dir: Path, keep: set[int]) -> None:
    for path in data_dir.glob("gen-*"):
        name = path.name.removeprefix("gen-").removesuffix(".tmp")
        if path.name.endswith(".tmp") or not name.isdigit() or int(name) not in keep:
            shutil.rmtree(path, ignore_errors=True)
