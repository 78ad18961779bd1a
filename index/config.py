"""One typed configuration object, read from TOML and validated key by key.

Every key has a default here and is documented in config.example.toml; an unknown key or
a value of the wrong type fails with a ConfigError naming the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from .errors import ConfigError, reading

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The sample coverage ships inside the package, so a plain `pip install` can answer the
# README's question; it is the default source when the config names none.
SAMPLE_CORPUS = Path(str(resources.files("index") / "data" / "sample"))


# The one list of each choice; the config checks against it, the engine and CLI offer it.
SEARCH_MODES = ("dense", "bm25", "hybrid")
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
SENTENCE_VECTORS = ("standalone", "contextual")


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsdesk"


@dataclass
class ModelConfig:
    name: str = ""  # sentence-transformers name or local path; empty = shipped MiniLM
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    batch_size: int = 64
    max_seq_length: int = 256
    sentence_vectors: str = "standalone"  # standalone | contextual (faster builds)
    backend: str = "auto"  # auto | torch | onnx | onnx-int8 (ONNX Runtime on the CPU)
    adapter: str = "none"  # weights delta: auto (shipped, on the shipped model) | none | path
    reranker: str = ""  # CrossEncoder name or path; empty = no reranking
    rerank_candidates: int = 20


@dataclass
class PassageConfig:
    # Chosen on the dev set by month folds with the learned fusion: 120 over 60 words gave
    # R@1 +1-4, R@3 +1-3, R@10 +3-5 points held out, and the same recall within 200 words.
    target_words: int = 120
    max_words: int = 200
    overlap_sentences: int = 1
    title_in_embedding: bool = True


@dataclass
class SearchConfig:
    top_k: int = 3
    mode: str = "hybrid"  # dense | bm25 | hybrid
    min_score: float = 0.35  # calibrated relevance below which the answer is "not covered"
    candidates: int = 50
    sentence_weight: float = 0.5  # share of the best sentence's cosine in relevance
    bm25_weight: float = 0.25  # hybrid: weight of the max-normalised BM25 score
    lead_bonus: float = 0.04  # dense-score prior for an article's first passages
    collapse_similarity: float = 0.92  # passages this similar from other articles merge
    fusion: str = "learned"  # hybrid order: learned (index/data/fusion.json) | blend
    # A question that names its time ("this week") is covered only by relevant articles
    # published then (timeframe.py); scraped dates are days off, so the window widens.
    timeframe: bool = True
    timeframe_slack_days: int = 3
    # The relevance a candidate from the question's window needs: the week's story may be
    # worded further from the question than the background that clears min_score.
    timeframe_min_score: float = 0.3
    # A question naming something no passage mentions is covered only by a candidate at
    # least this relevant (mentions.py); 0 turns the check off.
    unknown_name_min_score: float = 0.45


@dataclass
class IndexConfig:
    exact_max_passages: int = 50_000  # above this, build an approximate index
    approximate: str = "ivf"  # ivf | hnsw
    ivf_nprobe: int = 0  # IVF cells probed per query; 0 = chosen from the index size
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    vector_dtype: str = "float32"  # float32 | float16 | int8 (stored vectors)
    max_file_bytes: int = 20_000_000
    keep_generations: int = 2


@dataclass
class BotConfig:
    token_env: str = "DISCORD_TOKEN"
    guilds: list[int] = field(default_factory=list)  # the servers served; empty = any server
    leave_other_guilds: bool = False  # with guilds set: leave any server not listed
    admin_roles: list[int] = field(default_factory=list)
    cooldown_seconds: float = 5.0
    max_question_chars: int = 300
    max_concurrent: int = 8
    max_queue: int = 100
    reindex_roots: list[str] = field(default_factory=list)  # allowed /reindex sources
    view_timeout_seconds: float = 300.0
    progress_interval_seconds: float = 2.0  # least time between /reindex progress edits


@dataclass
class WebConfig:
    sync_every_minutes: float = 30.0  # the bot's background sync (0 = off); `watch`'s default
    max_age_days: int = 0  # articles from URL sources published longer ago retire; 0 = never
    timeout_seconds: float = 20.0  # for a whole response, first byte to last
    max_body_bytes: int = 10_000_000  # per response, as decompressed
    host_delay_seconds: float = 1.0  # pause between two requests to one host
    retries: int = 2  # more tries after a 5xx or 429
    retry_backoff_seconds: float = 2.0  # first pause before a retry (doubles), without Retry-After
    max_retry_after_seconds: float = 120.0  # a longer Retry-After waits for the next sync
    max_pages_per_sync: int = 200  # new article pages fetched per source in one sync
    failure_backoff_minutes: float = 15.0  # a failing source waits this, doubling, up to a day
    allow_hosts: list[str] = field(default_factory=list)  # hosts that may be non-public
    contact: str = ""  # a URL or email for sites to reach the operator, in the User-Agent


@dataclass
class Config:
    data_dir: str = ""  # empty = $XDG_DATA_HOME/newsdesk
    sources: list[str] = field(default_factory=list)  # empty = shipped sample coverage
    model: ModelConfig = field(default_factory=ModelConfig)
    passages: PassageConfig = field(default_factory=PassageConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    web: WebConfig = field(default_factory=WebConfig)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()

    @property
    def source_paths(self) -> list[Path]:
        return [Path(s).expanduser() for s in self.sources] or [SAMPLE_CORPUS]


_CHOICES = {
    "model.sentence_vectors": set(SENTENCE_VECTORS),
    "model.backend": set(BACKENDS),
    "index.approximate": {"ivf", "hnsw"},
    "search.mode": set(SEARCH_MODES),
    "search.fusion": {"learned", "blend"},
    "index.vector_dtype": {"float32", "float16", "int8"},
}


def _check_value(name: str, value: Any, typ: Any) -> Any:
    origin = get_origin(typ)
    if origin is list:
        (item,) = get_args(typ)
        if not isinstance(value, list):
            raise ConfigError(f"config key '{name}' must be a list, got {value!r}")
        return [_check_value(f"{name}[{i}]", v, item) for i, v in enumerate(value)]
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if (typ in (int, float) and isinstance(value, bool)) or not isinstance(value, typ):
        raise ConfigError(f"config key '{name}' must be {typ.__name__}, got {value!r}")
    if typ in (int, float) and value < 0:
        raise ConfigError(f"config key '{name}' must not be negative, got {value!r}")
    choices = _CHOICES.get(name)
    if choices and value not in choices:
        raise ConfigError(f"config key '{name}' must be one of {sorted(choices)}, got {value!r}")
    return value


def _all_keys(cls: type | None = None, prefix: str = "") -> list[str]:
    """Every dotted key a config file may set: 'data_dir', 'search', 'search.top_k', ..."""
    cls = cls or Config
    hints = get_type_hints(cls)
    keys = []
    for f in dataclasses.fields(cls):
        keys.append(f"{prefix}{f.name}")
        if dataclasses.is_dataclass(hints[f.name]):
            keys += _all_keys(hints[f.name], f"{prefix}{f.name}.")
    return keys


def _nearest_key(key: str, prefix: str, known: set[str]) -> str | None:
    """The key a typo most likely meant: a close name in the same table, else the same
    (or a close) name in another table, e.g. a top-level `top_k` for 'search.top_k'."""
    close = difflib.get_close_matches(key, sorted(known), n=1)
    if close:
        return f"{prefix}{close[0]}"
    elsewhere = {k.rsplit(".", 1)[-1]: k for k in _all_keys() if "." in k}
    close = difflib.get_close_matches(key, sorted(elsewhere), n=1, cutoff=0.8)
    return elsewhere[close[0]] if close else None


def _build(cls: type, data: dict, prefix: str = "") -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            hint = _nearest_key(key, prefix, known)
            raise ConfigError(
                f"unknown config key '{name}'" + (f" (did you mean '{hint}'?)" if hint else "")
            )
        typ = hints[key]
        if dataclasses.is_dataclass(typ):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{name}' must be a table")
            kwargs[key] = _build(typ, value, f"{name}.")
        else:
            kwargs[key] = _check_value(name, value, typ)
    return cls(**kwargs)


def from_dict(data: dict) -> Config:
    """Validate a parsed TOML document into a Config."""
    config = _build(Config, data)
    if config.passages.max_words < config.passages.target_words:
        raise ConfigError("config key 'passages.max_words' must be >= passages.target_words")
    if config.search.top_k < 1:
        raise ConfigError("config key 'search.top_k' must be at least 1")
    for key in ("timeout_seconds", "max_body_bytes", "max_pages_per_sync"):
        if not getattr(config.web, key) > 0:
            raise ConfigError(f"config key 'web.{key}' must be more than 0")
    return config


def load(path: str | os.PathLike | None = None) -> Config:
    """Load the config from `path`, else $NEWSDESK_CONFIG, else defaults."""
    path = path or os.environ.get("NEWSDESK_CONFIG")
    if not path:
        return Config()
    try:
        with reading(path, "config file", "TOML", ConfigError), open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        return from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
