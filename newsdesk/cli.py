"""The `newsdesk` command: index, ask, sources, eval and run, thin over `index.Engine`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from rich.console import Console

from index import config as config_mod
from index.config import Config
from index.errors import NewsdeskError

from . import output
from .progress import build_progress

log = logging.getLogger("newsdesk")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsdesk", description=__doc__)
    p.add_argument(
        "--config", help="config TOML (default: $NEWSDESK_CONFIG, else built-in defaults)"
    )
    p.add_argument("--data-dir", help="where the index lives (overrides the config's data_dir)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    ix = sub.add_parser("index", help="build or update the index")
    ix.add_argument(
        "--source",
        action="append",
        type=Path,
        help="file or folder (repeatable; default: config sources)",
    )
    ix.add_argument("--json", action="store_true", help="print the build counts as JSON")

    ask = sub.add_parser("ask", help="answer a question from the coverage")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, help="number of passages (default: search.top_k)")
    ask.add_argument("--mode", choices=["dense", "bm25", "hybrid"])
    ask.add_argument("--outlet", action="append", help="only this outlet (repeatable)")
    ask.add_argument("--since", help="published on or after YYYY-MM-DD")
    ask.add_argument("--until", help="published on or before YYYY-MM-DD")
    ask.add_argument("--json", action="store_true")

    src = sub.add_parser("sources", help="list the indexed articles")
    src.add_argument("search", nargs="?", default="")
    src.add_argument("--json", action="store_true")
    ev = sub.add_parser("eval", help="measure retrieval quality on a QA file")
    ev.add_argument(
        "qa", type=Path, nargs="+", help="QA JSONL: question + answers, or no_answer: true"
    )
    ev.add_argument(
        "--corpus", type=Path, action="append", help="corpus to index (default: config sources)"
    )
    ev.add_argument("--mode", default="all", choices=["dense", "bm25", "hybrid", "all"])
    ev.add_argument("--k", default="1,3,5,10", help="comma-separated cut-offs")
    ev.add_argument("--json", action="store_true")

    sub.add_parser("run", help="start the Discord bot (token from $DISCORD_TOKEN)")
    return p


def load_config(args: argparse.Namespace) -> Config:
    config = config_mod.load(args.config)
    if args.data_dir:
        config.data_dir = args.data_dir
    return config


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    console = Console(soft_wrap=True)
    try:
        config = load_config(args)
        return COMMANDS[args.command](args, config, console)
    except NewsdeskError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        return 130


def _engine(config: Config, build_if_missing: bool = True, quiet: bool = False):
    from index.engine import Engine

    engine = Engine(config)
    if build_if_missing and not engine.has_index():
        log.info("no index in %s yet: building it from %s", config.data_path,
                 ", ".join(map(str, config.source_paths)))  # fmt: skip
        with build_progress(not quiet) as progress:
            engine.build(progress=progress)
    engine.reload()
    return engine


def cmd_index(args, config: Config, console: Console) -> int:
    from index.engine import Engine

    engine = Engine(config)
    with build_progress() as progress:
        report = engine.build(args.source, progress=progress)
    if args.json:
        print(output.dumps(report.as_dict()))
    else:
        output.print_report(console, report)
    if not (report.added + report.changed + report.unchanged):
        Console(stderr=True).print("[red]error:[/red] no article could be read from the sources")
        return 1
    return 0


def cmd_ask(args, config: Config, console: Console) -> int:
    engine = _engine(config)
    answer = engine.ask(
        args.question,
        k=args.k,
        mode=args.mode,
        outlets=args.outlet,
        since=args.since,
        until=args.until,
    )
    if args.json:
        print(output.dumps(output.answer_dict(answer)))
    else:
        output.print_answer(console, answer)
    return 0


def cmd_sources(args, config: Config, console: Console) -> int:
    engine = _engine(config)
    rows = engine.sources(args.search)
    if args.json:
        print(output.dumps([output.article_dict(a) for a in rows]))
    else:
        output.print_sources(console, rows)
    return 0


def cmd_eval(args, config: Config, console: Console) -> int:
    import hashlib

    from index.engine import Engine
    from index.evaluate import evaluate, load_qa

    items = [qa for path in args.qa for qa in load_qa(path)]
    try:
        ks = sorted({int(k) for k in args.k.split(",") if k.strip()})
    except ValueError:
        raise NewsdeskError(f"--k must be comma-separated integers, got {args.k!r}") from None
    sources = [p.resolve() for p in (args.corpus or config.source_paths)]
    # Each corpus gets its own index under the data dir, reused while the corpus is unchanged.
    tag = hashlib.sha256("\n".join(map(str, sources)).encode()).hexdigest()[:12]
    config.data_dir = str(config.data_path / "eval" / tag)
    engine = Engine(config)
    with build_progress() as progress:
        report = engine.build(sources, progress=progress)
    log.info("eval index %s: %d passages embedded", config.data_dir, report.passages_embedded)
    modes = ["dense", "bm25", "hybrid"] if args.mode == "all" else [args.mode]

    def retrieve(question: str, mode: str, k: int):
        return engine.retrieve(question, mode=mode, k=k)

    results = [evaluate(retrieve, items, m, ks, config.search.min_score) for m in modes]
    if args.json:
        print(output.dumps({"qa": [str(p) for p in args.qa], "corpus": [str(s) for s in sources],
                            "results": [r.as_dict() for r in results]}))  # fmt: skip
    else:
        output.print_eval(console, results)
    return 0


def cmd_run(args, config: Config, console: Console) -> int:
    from bot.app import run

    return run(config)


COMMANDS = {
    "index": cmd_index,
    "ask": cmd_ask,
    "sources": cmd_sources,
    "eval": cmd_eval,
    "run": cmd_run,
}
