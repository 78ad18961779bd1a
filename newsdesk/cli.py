"""The `newsdesk` command: index, ask, sources, eval and run, thin over `index.Engine`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from index import (
    SEARCH_MODES,
    BuildInterrupted,
    Config,
    NewsdeskError,
    QueryError,
    SourceError,
    load,
    parse_every,
)

from . import output
from .progress import build_progress

log = logging.getLogger("newsdesk")

MAX_K = 50  # passages `ask -k` may show: past this an answer is a search dump, not an answer

DESCRIPTION = """\
Answer questions about a body of news coverage by quoting the passages that answer
them, each with its title, outlet, date and link.

Articles are read from files or folders: plain text (.txt), HTML (.html .htm),
Markdown (.md), JSON (.json: one article or a list), JSON Lines (.jsonl: one article a
line) and RSS/Atom feeds (.xml .rss .atom). `newsdesk index --source PATH` adds PATH to
the index's registered sources and indexes it; `newsdesk index` alone brings every
registered source up to date. `newsdesk ask` on a data directory with no index yet
builds one first from the configured sources (default: the shipped sample coverage).

The index lives in the data directory: --data-dir, else the config's data_dir, else
$XDG_DATA_HOME/newsdesk (~/.local/share/newsdesk). The options --config, --data-dir
and -v may come before or after the command."""

EPILOG = """\
examples:
  newsdesk index --source ~/news
  newsdesk ask "Who did Shoigu meet in Beijing?"
  newsdesk ask "..." -k 5 --outlet Reuters --since 2024-01-01 --json
  newsdesk sources Shoigu
  newsdesk --version

run `newsdesk COMMAND --help` for a command's options."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsdesk")
    except PackageNotFoundError:  # run from a checkout that was never pip-installed
        return "unknown (not installed; `pip install -e .` records it)"


def _top_k(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_K}, got {text!r}")
    return k


def _interval(text: str) -> float:
    try:
        return parse_every(text)
    except NewsdeskError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date like 2025-02-28, got {text!r}") from None


def _add_global_options(parser: argparse.ArgumentParser, after_command: bool) -> None:
    """--config, --data-dir and -v, on the top-level parser and again on every command, so
    `newsdesk ask "q" --data-dir X` works; after a command they default to SUPPRESS and
    leave what was given before it alone."""
    group = parser.add_argument_group("global options") if after_command else parser
    unset = {"default": argparse.SUPPRESS} if after_command else {}
    group.add_argument(
        "--config",
        metavar="PATH",
        help="config TOML file (default: $NEWSDESK_CONFIG, else built-in defaults; "
        "config.example.toml documents every key)",
        **unset,
    )
    group.add_argument(
        "--data-dir",
        metavar="PATH",
        help="directory that holds the index (default: the config's data_dir, else "
        "$XDG_DATA_HOME/newsdesk, i.e. ~/.local/share/newsdesk)",
        **unset,
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        dest="verbose_after" if after_command else "verbose",
        help="log more to stderr: -v progress and info, -vv debug (default: warnings and errors)",
        **(unset or {"default": 0}),
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newsdesk",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_global_options(p, after_command=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ix = sub.add_parser(
        "index",
        help="build or update the index (incremental)",
        description="Refresh every registered source: new and changed articles are embedded,"
        " deleted files are dropped. The config's sources (default: the shipped sample"
        " coverage) are registered on the first build.",
    )
    ix.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="PATH|URL",
        help="register a file or folder, or the URL of a feed, a sitemap or an article, and"
        " index it with the others (repeatable); reads .txt .html .md .json .jsonl and"
        " .xml/.rss/.atom feeds",
    )
    ix.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="PATH",
        help="unregister a source and drop its articles from the index (repeatable)",
    )
    ix.add_argument(
        "--allow-removal",
        action="store_true",
        help="let this build remove more than half of the indexed articles",
    )
    ix.add_argument("--json", action="store_true", help="print the build counts as JSON")

    ask = sub.add_parser(
        "ask",
        help="answer a question by quoting the passages that answer it",
        description="Print the indexed passages that best answer QUESTION, its answering "
        "sentence marked, each with title, outlet, date and link; or say that the coverage "
        "doesn't address it. With no index in the data directory yet, builds one first "
        "from the configured sources (default: the shipped sample coverage).",
    )
    ask.add_argument("question", help='the question, quoted: "Who did Shoigu meet in Beijing?"')
    ask.add_argument(
        "-k",
        type=_top_k,
        metavar="N",
        help=f"how many passages to show, 1 to {MAX_K} (default: the config's search.top_k, 3)",
    )
    ask.add_argument(
        "--mode",
        choices=SEARCH_MODES,
        help="dense: by meaning (embeddings); bm25: by keywords; hybrid: both "
        "(default: the config's search.mode, hybrid)",
    )
    ask.add_argument(
        "--outlet",
        action="append",
        metavar="NAME",
        help="only articles from this outlet, as `newsdesk sources` lists it "
        "(case-insensitive; repeat for several)",
    )
    ask.add_argument(
        "--since",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="only articles published on or after this date (undated articles are left out)",
    )
    ask.add_argument(
        "--until",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="only articles published on or before this date (undated articles are left out)",
    )
    ask.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="the day the question is asked, for the ranking's soft preference for recent "
        "articles and for the time a question names ('this week' needs news from then) "
        "(default: today; give an archive's last day to ask about its time)",
    )
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON document")

    src = sub.add_parser(
        "sources",
        help="list the indexed articles",
        description="List the indexed articles, newest first: id, title, outlet, date and "
        "number of passages.",
    )
    src.add_argument(
        "search",
        nargs="?",
        default="",
        help="only articles whose title, outlet, URL or path contains this text",
    )
    src.add_argument("--json", action="store_true", help="print the articles as a JSON list")

    ev = sub.add_parser(
        "eval",
        help="measure retrieval quality on QA files",
        description="Score retrieval on QA files: answer recall@k, recall within a reading "
        "budget of 170 and 200 words, recall@3 of the text the bot shows, MRR@10, refusal "
        "accuracy on unanswerable questions and median latency, for each search mode. The "
        "corpus is indexed in its own directory under DATA_DIR/eval/ and reused while it is "
        "unchanged; the main index and its registered sources are left alone.",
    )
    ev.add_argument(
        "qa",
        type=Path,
        nargs="+",
        help='QA JSON Lines file(s), one question a line: {"question": ..., "answers": '
        '[...]} (answered when a passage contains an answer) or {"question": ..., '
        '"no_answer": true} (should be refused)',
    )
    ev.add_argument(
        "--corpus",
        type=Path,
        action="append",
        metavar="PATH",
        help="file or folder of articles to evaluate on (repeatable; default: the config's "
        "sources, else the shipped sample coverage)",
    )
    ev.add_argument(
        "--mode",
        default="all",
        choices=[*SEARCH_MODES, "all"],
        help="the search mode to score (default: all three)",
    )
    ev.add_argument(
        "--k",
        default="1,3,5,10",
        metavar="K,K,...",
        help="comma-separated cut-offs for recall@k (default: 1,3,5,10)",
    )
    ev.add_argument("--json", action="store_true", help="print the results as JSON")

    fb = sub.add_parser(
        "feedback",
        help="list the 👍/👎 votes on the bot's answers",
        description="List the votes people gave the bot's answers, oldest first: when "
        "(UTC), the question, the vote and the passages it rated (with their article while "
        "it is still indexed). Who voted is not shown: the bot stores only a keyed hash.",
    )
    fb.add_argument("--json", action="store_true", help="print the votes as a JSON list")

    wt = sub.add_parser(
        "watch",
        help="sync the registered sources on a schedule (feeds and sites by URL)",
        description="Bring the index up to date now and then every interval, as the bot does"
        " in the background: new feed entries and sitemap pages are fetched and indexed, a"
        " source that keeps failing is left alone for longer each time. Questions can be"
        " answered from the index throughout. SIGTERM or Ctrl-C stops it between articles"
        " (what was fetched is indexed first; a second one stops that too).",
    )
    wt.add_argument(
        "--every",
        type=_interval,
        metavar="INTERVAL",
        help="time between syncs: 90s, 15m, 2h, 1d (default: the config's"
        " web.sync_every_minutes, 30m)",
    )
    wt.add_argument("--json", action="store_true", help="print each sync's counts as a JSON line")

    sub.add_parser(
        "run",
        help="start the Discord bot",
        description="Connect to Discord and answer /ask and mentions from the index in the "
        "data directory (built first when there is none). The bot token is read from "
        "$DISCORD_TOKEN, or the variable the config's bot.token_env names.",
    )
    for command in sub.choices.values():
        _add_global_options(command, after_command=True)
    return p


def load_config(args: argparse.Namespace) -> Config:
    config = load(args.config)
    if args.data_dir:
        config.data_dir = args.data_dir
    return config


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    verbosity = args.verbose + getattr(args, "verbose_after", 0)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)]
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger().setLevel(level)  # also when a host (a test run) set up logging first
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    console = Console(soft_wrap=True)
    try:
        config = load_config(args)
        return COMMANDS[args.command](args, config, console)
    except BuildInterrupted as exc:
        Console(stderr=True, soft_wrap=True, highlight=False).print(escape(str(exc)))
        return 130
    except NewsdeskError as exc:
        print_error(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130


def print_error(message: str) -> None:
    """`error: message` on stderr, on one line however narrow: rich wraps at 80 columns
    when stderr is not a terminal, which would break a message mid-line in a log."""
    Console(stderr=True, soft_wrap=True, highlight=False).print(
        f"[red]error:[/red] {escape(message)}"
    )


def _engine(config: Config, build_if_missing: bool = True):
    from index import Engine

    probe = Engine(config)  # cheap: no model is loaded until asked for
    if build_if_missing and not probe.has_index():
        Console(stderr=True, soft_wrap=True, highlight=False).print(
            escape(f"No index in {config.data_path} yet: indexing {', '.join(probe.inputs())}")
        )
    with build_progress() as progress:
        return Engine.open(config, build_if_missing=build_if_missing, progress=progress)


def cmd_index(args, config: Config, console: Console) -> int:
    from index import Engine

    engine = Engine(config)
    # SIGTERM stops a build as Ctrl-C does: what is embedded is kept for the next one.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with build_progress() as progress:
        report = engine.build(
            args.source, args.remove, allow_removal=args.allow_removal, progress=progress
        )
    if args.json:
        print(output.dumps(report.as_dict()))
    else:
        output.print_report(console, report)
    synced = any(not s.last_error for s in report.web)
    if not (report.added + report.changed + report.unchanged) and not args.remove and not synced:
        print_error("no article could be read from the sources")
        return 1
    return 0


def cmd_watch(args, config: Config, console: Console) -> int:
    import threading

    from index import Engine, watch

    every = args.every or config.web.sync_every_minutes * 60
    if every <= 0:
        raise NewsdeskError("web.sync_every_minutes is 0 (off): give --every, like --every 15m")
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        if stop.is_set():  # asked twice: stop the build too (what is embedded is kept)
            raise KeyboardInterrupt
        log.warning("stopping after the article being fetched")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def on_report(report) -> None:
        if args.json:  # one line a sync, for a log or `jq`
            print(json.dumps(report.as_dict(), ensure_ascii=False), flush=True)
        else:
            output.print_report(console, report)

    engine = Engine(config)
    engine.load()
    log.info("syncing %s every %.0f s", ", ".join(engine.inputs()), every)
    watch(engine, every, stop, on_report)
    return 0


def cmd_ask(args, config: Config, console: Console) -> int:
    if args.since and args.until and args.since > args.until:  # before any index or model
        raise QueryError(f"--since {args.since} is after --until {args.until}")
    engine = _engine(config)
    answer = engine.ask(
        args.question,
        k=args.k,
        mode=args.mode,
        outlets=args.outlet,
        since=args.since,
        until=args.until,
        as_of=date.fromisoformat(args.as_of) if args.as_of else None,
    )
    if args.json:
        print(output.dumps(output.answer_dict(answer)))
    else:
        output.print_answer(console, answer)
    return 0


def cmd_sources(args, config: Config, console: Console) -> int:
    engine = _engine(config, build_if_missing=False)
    rows = engine.articles(args.search)
    if args.json:
        print(output.dumps([output.article_dict(a) for a in rows]))
    else:
        output.print_sources(console, rows)
    return 0


def cmd_eval(args, config: Config, console: Console) -> int:
    import hashlib

    from index import PASSAGE_BUDGET, Engine, evaluate, excerpt, load_qa

    # Every path is checked here, before the build loads the model (seconds, not a traceback).
    items = [qa for path in args.qa for qa in load_qa(path)]
    try:
        ks = sorted({int(k) for k in args.k.split(",") if k.strip()})
    except ValueError:
        raise NewsdeskError(f"--k must be comma-separated integers, got {args.k!r}") from None
    if not ks or ks[0] < 1:
        raise NewsdeskError(f"--k must be comma-separated integers of 1 or more, got {args.k!r}")
    sources = [p.resolve() for p in (args.corpus or config.source_paths)]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        what = "--corpus" if args.corpus else "config source"
        raise SourceError(f"{what} not found: {', '.join(missing)}")
    # Each corpus gets its own index under the data dir, reused while the corpus is unchanged.
    tag = hashlib.sha256("\n".join(map(str, sources)).encode()).hexdigest()[:12]
    config.data_dir = str(config.data_path / "eval" / tag)
    config.sources = [str(s) for s in sources]
    engine = Engine(config)
    with build_progress() as progress:
        report = engine.build(progress=progress)
    log.info("eval index %s: %d passages embedded", config.data_dir, report.passages_embedded)
    modes = list(SEARCH_MODES) if args.mode == "all" else [args.mode]

    def retrieve(question: str, mode: str, k: int, as_of):
        return engine.retrieve(question, mode=mode, k=k, as_of=as_of)

    def shown(hit) -> str:  # the passage as the bot's reply shows it
        return "".join(excerpt(hit, PASSAGE_BUDGET))

    results = [evaluate(retrieve, items, m, ks, shown) for m in modes]
    if args.json:
        print(output.dumps({"qa": [str(p) for p in args.qa], "corpus": [str(s) for s in sources],
                            "results": [r.as_dict() for r in results]}))  # fmt: skip
    else:
        output.print_eval(console, results)
    return 0


def cmd_feedback(args, config: Config, console: Console) -> int:
    from index import Engine

    votes = Engine(config).feedback()
    if args.json:
        print(output.dumps(votes))
    else:
        output.print_feedback(console, votes)
    return 0


def cmd_run(args, config: Config, console: Console) -> int:
    from bot.app import run

    return run(config)


COMMANDS = {
    "index": cmd_index,
    "ask": cmd_ask,
    "sources": cmd_sources,
    "eval": cmd_eval,
    "feedback": cmd_feedback,
    "watch": cmd_watch,
    "run": cmd_run,
}
