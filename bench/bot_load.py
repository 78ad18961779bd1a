"""The bot under load, outside pytest: N concurrent /ask interactions (default 200) from
distinct members against the fake Discord of the tests, on the sample coverage plus the
tests' local news; prints the latency p50/p95/p99 from interaction sent to final answer.

    .venv/bin/python bench/bot_load.py [N] [MAX_CONCURRENT]
"""

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.config import SAMPLE_CORPUS
from index.engine import Engine
from tests.bot.harness import (
    LOAD_QUESTIONS,
    LOCAL_NEWS,
    ask_concurrently,
    bot_config,
    latency,
    percentile,
    start_harness,
    stop_harness,
    write_article,
)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
max_concurrent = int(sys.argv[2]) if len(sys.argv) > 2 else 8


async def main(tmp: Path) -> None:
    for article in LOCAL_NEWS:
        write_article(tmp, *article)
    config = bot_config(
        tmp / "data", [SAMPLE_CORPUS, tmp], max_concurrent=max_concurrent, max_queue=n
    )
    engine = Engine(config)
    engine.build()
    harness = await start_harness(config, engine, guild_sync=True)
    try:
        started = time.monotonic()
        records = await ask_concurrently(harness, n, LOAD_QUESTIONS)
        for rec in records:
            await rec.wait_final(300)
        wall = time.monotonic() - started
        seconds = [latency(r) for r in records]
        lost = sum(1 for r in records if not r.edits)
        print(f"{n} concurrent /ask, max_concurrent={max_concurrent}: {wall:.1f} s in all")
        print("  ".join(f"p{q} {percentile(seconds, q) * 1000:.0f} ms" for q in (50, 95, 99)))
        print(f"violations {len(harness.fake.violations)}, not answered {lost}")
    finally:
        await stop_harness(harness)
        engine.close()


with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(Path(tmp)))
