"""SQLite storage of articles and passages, and the generation directories beside it.

Layout of a data directory:
  newsdesk.sqlite        articles, passages (with their vectors), meta
  gen-000007/            the files of generation 7: vectors.faiss, bm25/
  feedback.sqlite        answer feedback (kept apart so builds never block it)
  feedback.key           the secret that keys the voters' hashes (mode 0600)
  build.lock             the single-writer lock

Rows carry the generation that added them and the one that removed them, so a reader
of generation G sees exactly the rows of G while a build prepares G+1. The switch to a
new generation is one SQLite commit of `current_gen`, made after its files are on disk.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .models import BuildReport, IndexedArticle, SourceSync

DB_NAME = "newsdesk.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    path TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    published TEXT NOT NULL DEFAULT '',
    raw_hash TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    added_gen INTEGER NOT NULL,
    removed_gen INTEGER,
    seen TEXT NOT NULL DEFAULT ''  -- ISO day first indexed (kept across edits): ages undated ones
);
CREATE INDEX IF NOT EXISTS articles_live ON articles(removed_gen, key);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    sentences TEXT NOT NULL,  -- JSON [[start, end], ...] relative to the passage text
    vector BLOB NOT NULL,  -- float32 (dim,)
    sentence_vectors BLOB NOT NULL  -- float16 (n_sentences, dim)
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
-- The inputs `newsdesk index` refreshes: files, folders (and later URLs). A removed one
-- keeps its row, so a config source the user removed is not registered again.
CREATE TABLE IF NOT EXISTS inputs (
    location TEXT PRIMARY KEY,
    added_at TEXT NOT NULL DEFAULT (datetime('now')),
    removed_at TEXT
);
-- Each URL input's last sync: validators for conditional GET, failures and backoff.
-- Written after the build that used it commits, so a crash never skips an entry.
CREATE TABLE IF NOT EXISTS web_sources (
    location TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_sync REAL NOT NULL DEFAULT 0,
    last_ok REAL NOT NULL DEFAULT 0,
    new_articles INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0
);
-- Passages embedded by a build that did not finish, keyed by what they were made from,
-- so the next build reuses them instead of embedding again. Never read by queries.
CREATE TABLE IF NOT EXISTS staged (
    content_hash TEXT NOT NULL,
    signature TEXT NOT NULL,
    counts TEXT NOT NULL,  -- JSON [sentences of each passage], to check it still fits
    vectors BLOB NOT NULL,  -- float32 (n_passages, dim)
    sentence_vectors BLOB NOT NULL,  -- float16 (n_sentences, dim), passages in order
    PRIMARY KEY (content_hash, signature)
);
"""

LIVE = "a.added_gen <= :gen AND (a.removed_gen IS NULL OR a.removed_gen > :gen)"


@dataclass(slots=True)
class PassageRow:
    id: int
    article_id: int
    ord: int
    start: int  # offset of the passage in its article's text
    text: str
    sentences: list[tuple[int, int]]
    vector: np.ndarray
    sentence_vectors: np.ndarray


def connect(data_dir: Path, readonly: bool = False) -> sqlite3.Connection:
    path = data_dir / DB_NAME
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
        _add_missing_columns(conn)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns newer than an existing index: added empty (its articles' first-seen day is
    unknown, so an undated one among them is never retired by age)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    if "seen" not in have:
        conn.execute("ALTER TABLE articles ADD COLUMN seen TEXT NOT NULL DEFAULT ''")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_meta(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def save_last_build(conn: sqlite3.Connection, report: BuildReport, finished: float) -> None:
    """What the build committing now did, for whoever asks later (the bot's /status reads
    builds run by the CLI or another process too)."""
    set_meta(conn, "last_build", json.dumps({"report": report.as_dict(), "finished": finished}))


def last_build(conn: sqlite3.Connection) -> tuple[BuildReport, float] | None:
    """The last build that committed a generation, and its Unix end time (None: none yet,
    or an index written before this was kept)."""
    try:
        data = json.loads(get_meta(conn, "last_build") or "null")
        if not data:
            return None
        return BuildReport.from_dict(data["report"]), float(data["finished"])
    except (ValueError, KeyError, TypeError):
        return None


def registered_inputs(conn: sqlite3.Connection) -> tuple[list[str], set[str]]:
    """(locations to refresh, in the order added; locations explicitly removed)."""
    rows = conn.execute("SELECT location, removed_at FROM inputs ORDER BY rowid").fetchall()
    return [loc for loc, gone in rows if gone is None], {loc for loc, gone in rows if gone}


def register_inputs(conn: sqlite3.Connection, locations: Iterable[str]) -> None:
    conn.executemany(
        "INSERT INTO inputs(location) VALUES (?)"
        " ON CONFLICT(location) DO UPDATE SET removed_at = NULL",
        [(loc,) for loc in locations],
    )


def unregister_inputs(conn: sqlite3.Connection, locations: Iterable[str]) -> None:
    conn.executemany(
        "INSERT INTO inputs(location, removed_at) VALUES (?, datetime('now'))"
        " ON CONFLICT(location) DO UPDATE SET removed_at = datetime('now')",
        [(loc,) for loc in locations],
    )


_WEB_COLS = (
    "location, kind, etag, last_modified, last_sync, last_ok, new_articles, requests, pages,"
    " not_modified, last_error, failures, next_try"
)


def web_sources(conn: sqlite3.Connection) -> dict[str, SourceSync]:
    """location -> its last sync, for every URL input ever synced."""
    rows = conn.execute(f"SELECT {_WEB_COLS} FROM web_sources")
    return {r[0]: SourceSync(*r[:9], bool(r[9]), *r[10:]) for r in rows}


def save_web_sources(conn: sqlite3.Connection, syncs: Iterable[SourceSync]) -> None:
    rows = [
        (s.location, s.kind, s.etag, s.last_modified, s.last_sync, s.last_ok,
         s.new_articles, s.requests, s.pages, int(s.not_modified), s.last_error,
         s.failures, s.next_try)
        for s in syncs
    ]  # fmt: skip
    marks = ", ".join("?" * 13)
    conn.executemany(f"INSERT OR REPLACE INTO web_sources ({_WEB_COLS}) VALUES ({marks})", rows)


def published_before(
    conn: sqlite3.Connection, gen: int, paths: Iterable[str], day: str
) -> list[str]:
    """Keys of live articles read from `paths` and published before `day` (ISO); an
    undated article counts from the day it was first indexed."""
    rows = conn.execute(
        f"SELECT a.key FROM articles a WHERE {LIVE}"
        " AND COALESCE(NULLIF(a.published, ''), NULLIF(a.seen, '')) < :day"
        " AND a.path IN (SELECT value FROM json_each(:paths))",
        {"gen": gen, "day": day, "paths": json.dumps(list(paths))},
    )
    return [r[0] for r in rows]


def stage(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Keep (content_hash, signature, counts_json, vectors, sentence_vectors) rows."""
    conn.executemany("INSERT OR REPLACE INTO staged VALUES (?, ?, ?, ?, ?)", rows)


def staged(conn: sqlite3.Connection, signature: str, hashes: Iterable[str]) -> dict[str, tuple]:
    """content_hash -> (counts_json, vectors, sentence_vectors) staged under `signature`."""
    out = {}
    for h in hashes:
        row = conn.execute(
            "SELECT counts, vectors, sentence_vectors FROM staged"
            " WHERE content_hash = ? AND signature = ?",
            (h, signature),
        ).fetchone()
        if row:
            out[h] = row
    return out


def clear_staged(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM staged")


def current_generation(conn: sqlite3.Connection) -> int:
    return int(get_meta(conn, "current_gen", "0"))


def gen_dir(data_dir: Path, gen: int) -> Path:
    return data_dir / f"gen-{gen:06d}"


def live_articles(conn: sqlite3.Connection, gen: int) -> dict[str, tuple[int, str, str, str]]:
    """key -> (article id, raw hash, content hash, path) of the articles in generation `gen`."""
    rows = conn.execute(
        f"SELECT a.key, a.id, a.raw_hash, a.content_hash, a.path FROM articles a WHERE {LIVE}",
        {"gen": gen},
    )
    return {key: (aid, raw, content, path) for key, aid, raw, content, path in rows}


def next_ids(conn: sqlite3.Connection) -> tuple[int, int]:
    a = conn.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0]
    p = conn.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0]
    return a + 1, p + 1


def insert_article(conn: sqlite3.Connection, row: dict, today: str) -> None:
    """Insert an article row; its first-seen day carries over from the live row of the same
    key it replaces (an edit is not a new article), or is `today`."""
    before = conn.execute(
        "SELECT seen FROM articles WHERE key = ? AND removed_gen IS NULL AND seen != ''"
        " ORDER BY id DESC LIMIT 1",
        (row["key"],),
    ).fetchone()
    row = row | {"seen": before[0] if before else today}
    cols = ", ".join(row)
    conn.execute(
        f"INSERT INTO articles ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def insert_passages(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    conn.executemany(
        "INSERT INTO passages (id, article_id, ord, start, end, text, sentences, vector,"
        " sentence_vectors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def encode_sentences(spans: list[tuple[int, int]]) -> str:
    return json.dumps(spans, separators=(",", ":"))


def _live_passages(conn: sqlite3.Connection, gen: int, columns: str) -> tuple[np.ndarray, list]:
    """(passage ids (n,) int64 ascending, rows of `columns`) of generation `gen`."""
    rows = conn.execute(
        f"SELECT p.id, {columns} FROM passages p JOIN articles a ON a.id = p.article_id"
        f" WHERE {LIVE} ORDER BY p.id",
        {"gen": gen},
    ).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), rows


def live_vectors(conn: sqlite3.Connection, gen: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids (n,) int64, vectors (n, dim) float32) of the passages in generation `gen`."""
    ids, rows = _live_passages(conn, gen, "p.vector")
    vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
    return ids, vecs


def live_passage_texts(conn: sqlite3.Connection, gen: int) -> list[tuple[int, str]]:
    """(article id, passage text) of every passage in generation `gen`."""
    return [(aid, text) for _, aid, text in _live_passages(conn, gen, "p.article_id, p.text")[1]]


def live_texts(conn: sqlite3.Connection, gen: int) -> tuple[np.ndarray, list[str]]:
    """(ids, 'title + passage' texts) of generation `gen`, for the lexical index."""
    ids, rows = _live_passages(conn, gen, "a.title, p.text")
    return ids, [f"{t}\n{x}" if t else x for _, t, x in rows]


def purge_removed(conn: sqlite3.Connection, before_gen: int) -> int:
    """Delete articles (and, by cascade, passages) no generation >= `before_gen` needs."""
    cur = conn.execute(
        "DELETE FROM articles WHERE removed_gen IS NOT NULL AND removed_gen <= ?", (before_gen,)
    )
    return cur.rowcount


def retire_articles(conn: sqlite3.Connection, ids: list[int], gen: int) -> None:
    """Mark articles as removed from generation `gen` on (rows stay for older readers)."""
    conn.execute(
        "UPDATE articles SET removed_gen = ? WHERE id IN (SELECT value FROM json_each(?))",
        (gen, json.dumps(ids)),
    )


def rollback_unfinished(conn: sqlite3.Connection, gen: int) -> None:
    """Undo rows a crashed build wrote for a generation that never became current."""
    conn.execute("DELETE FROM articles WHERE added_gen > ?", (gen,))
    conn.execute("UPDATE articles SET removed_gen = NULL WHERE removed_gen > ?", (gen,))


_ARTICLE_COLS = (
    "a.id, a.key, a.path, a.url, a.title, a.outlet, a.place, a.published, a.content_hash"
)


_SEARCHED = ("title", "outlet", "url", "path")  # what `newsdesk sources SEARCH` looks in


def list_articles(conn: sqlite3.Connection, gen: int, search: str = "") -> list[IndexedArticle]:
    sql = (
        f"SELECT {_ARTICLE_COLS}, (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id)"
        f" FROM articles a WHERE {LIVE}"
    )
    params: dict = {"gen": gen}
    if search:
        # Literal text: % and _ in it are not wildcards.
        sql += " AND (" + " OR ".join(f"a.{c} LIKE :q ESCAPE '\\'" for c in _SEARCHED) + ")"
        literal = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["q"] = f"%{literal}%"
    sql += " ORDER BY a.published DESC, a.title"
    return [IndexedArticle(*r) for r in conn.execute(sql, params)]


def get_article(conn: sqlite3.Connection, gen: int, article_id: int) -> IndexedArticle | None:
    row = conn.execute(
        f"SELECT {_ARTICLE_COLS}, (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id)"
        f" FROM articles a WHERE {LIVE} AND a.id = :id",
        {"gen": gen, "id": article_id},
    ).fetchone()
    return IndexedArticle(*row) if row else None


def get_passages(conn: sqlite3.Connection, ids: list[int], dim: int) -> dict[int, PassageRow]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    out = {}
    for pid, aid, ord_, start, text, sents, vec, svec in conn.execute(
        f"SELECT id, article_id, ord, start, text, sentences, vector, sentence_vectors FROM passages"
        f" WHERE id IN ({marks})",
        ids,
    ):
        spans = [tuple(s) for s in json.loads(sents)]
        out[pid] = PassageRow(
            pid,
            aid,
            ord_,
            start,
            text,
            spans,
            np.frombuffer(vec, dtype=np.float32),
            np.frombuffer(svec, dtype=np.float16).reshape(-1, dim).astype(np.float32),
        )
    return out


def articles_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, IndexedArticle]:
    ids = list(set(ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT {_ARTICLE_COLS}, 0 FROM articles a WHERE a.id IN ({marks})", ids)
    return {r[0]: IndexedArticle(*r) for r in rows}


def _passage_ids_where(conn: sqlite3.Connection, gen: int, where: str, params: dict) -> np.ndarray:
    """Ids of live passages whose article matches `where` (used for search filters)."""
    rows = conn.execute(
        f"SELECT p.id FROM passages p JOIN articles a ON a.id = p.article_id WHERE {LIVE} AND {where}",
        {"gen": gen, **params},
    ).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def filtered_passage_ids(
    conn: sqlite3.Connection, gen: int, outlets: list[str], since: str | None, until: str | None
) -> np.ndarray:
    """Ids of live passages whose article is from one of `outlets` (all when empty) and
    published within [since, until] (ISO dates; an undated article never matches a date)."""
    clauses, params = [], {}
    if outlets:
        clauses.append(f"a.outlet IN ({', '.join(f':o{i}' for i in range(len(outlets)))})")
        params.update({f"o{i}": v for i, v in enumerate(outlets)})
    for name, value, op in (("since", since, ">="), ("until", until, "<=")):
        if value:
            clauses.append(f"a.published != '' AND a.published {op} :{name}")
            params[name] = value
    return _passage_ids_where(conn, gen, " AND ".join(clauses) or "1", params)


def passage_ids_of(conn: sqlite3.Connection, gen: int, article_ids: list[int]) -> np.ndarray:
    """Ids of the live passages of these articles."""
    where = "a.id IN (SELECT value FROM json_each(:ids))"
    return _passage_ids_where(conn, gen, where, {"ids": json.dumps(article_ids)})


FEEDBACK_DB = "feedback.sqlite"  # apart from the index, so builds never block a vote
FEEDBACK_KEY = "feedback.key"


def feedback_key(data_dir: Path) -> bytes:
    """This install's secret HMAC key for voters' hashes: 32 random bytes in
    `feedback.key` (mode 0600), created on first use. Without it a hash can't be matched
    to a user id; with a new one, old hashes no longer match anyone's new votes."""
    path = data_dir / FEEDBACK_KEY
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked in: a concurrent first vote
        # either wins the link or reads the winner's key, never half a file.
        tmp = data_dir / f".{FEEDBACK_KEY}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
                fh.flush()
                os.fsync(fh.fileno())
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _feedback_db(data_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(data_dir / FEEDBACK_DB, timeout=10)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
        " question TEXT NOT NULL, passage_ids TEXT NOT NULL, user_hash TEXT NOT NULL,"
        " vote INTEGER NOT NULL)"
    )
    return conn


def record_feedback(
    data_dir: Path, question: str, passage_ids: list[int], user_hash: str, vote: int
) -> None:
    conn = _feedback_db(data_dir)
    try:
        with conn:
            conn.execute(
                "INSERT INTO feedback (at, question, passage_ids, user_hash, vote)"
                " VALUES (datetime('now'), ?, ?, ?, ?)",
                (question, ",".join(map(str, passage_ids)), user_hash, vote),
            )
    finally:
        conn.close()


def list_feedback(data_dir: Path) -> list[dict]:
    """Every vote, oldest first: time (UTC), question, vote and the rated passages, each
    with its article while the index still holds it. Never the voter's hash."""
    if not (data_dir / FEEDBACK_DB).exists():
        return []
    conn = _feedback_db(data_dir)
    try:
        rows = conn.execute("SELECT at, question, passage_ids, vote FROM feedback ORDER BY id")
        votes = [(at, q, [int(p) for p in ids.split(",") if p], v) for at, q, ids, v in rows]
    finally:
        conn.close()
    articles: dict[int, tuple[int, str]] = {}
    if (data_dir / DB_NAME).exists():
        wanted = json.dumps(sorted({p for *_, ids, _ in votes for p in ids}))
        index = connect(data_dir, readonly=True)
        try:
            found = index.execute(
                "SELECT p.id, a.id, a.title FROM passages p JOIN articles a ON a.id = p.article_id"
                " WHERE p.id IN (SELECT value FROM json_each(?))",
                (wanted,),
            )
            articles = {pid: (aid, title) for pid, aid, title in found}
        finally:
            index.close()

    def rated(pid: int) -> dict:
        aid, title = articles.get(pid, (None, ""))
        return {"id": pid, "article_id": aid, "title": title}

    return [
        {"at": at, "question": question, "vote": vote, "passages": [rated(p) for p in ids]}
        for at, question, ids, vote in votes
    ]


def outlets(conn: sqlite3.Connection, gen: int) -> list[str]:
    rows = conn.execute(
        f"SELECT DISTINCT a.outlet FROM articles a WHERE {LIVE} AND a.outlet != '' ORDER BY 1",
        {"gen": gen},
    )
    return [r[0] for r in rows]
