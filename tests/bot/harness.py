"""Helpers for the bot's end-to-end tests: test articles, configs, and a bot connected to
its own fake Discord (a Harness)."""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

from bot.app import NewsdeskBot, create_bot
from index.config import Config
from index.engine import Engine
from tests.fakediscord import FakeDiscord, InteractionRecord, start_bot, stop_bot

# Twelve short local-news articles with front matter, on topics far from the sample's
# (and from football, so "Who won the Champions League final?" stays uncovered).
LOCAL_NEWS = [
    ("library", "Harbour Gazette", "2025-03-01", "Library extends its opening hours",
     "The Harbour Street library will open until nine in the evening from April. "
     "The council said the change follows a survey of two thousand residents."),
    ("bridge", "Harbour Gazette", "2025-03-02", "Old swing bridge closes for repairs",
     "The old swing bridge over the canal closes for six weeks of repairs. "
     "Engineers found corrosion in the turning mechanism during an inspection."),
    ("buses", "Valley Courier", "2025-03-03", "Night buses return to the valley",
     "Night buses will run again between the valley towns on Fridays and Saturdays. "
     "The operator hired twelve new drivers to staff the late routes."),
    ("bakery", "Valley Courier", "2025-03-04", "Bakery wins regional bread award",
     "A family bakery on Mill Lane won the regional award for its rye sourdough. "
     "The owners said the recipe came from a grandmother in Silesia."),
    ("orchard", "Valley Courier", "2025-03-05", "Community orchard plants cider apples",
     "Volunteers planted forty cider apple trees in the community orchard. "
     "The first harvest is expected in four years."),
    ("pool", "Harbour Gazette", "2025-03-06", "Swimming pool roof to be replaced",
     "The leisure centre pool will close in the summer while its roof is replaced. "
     "The new roof will carry solar panels to cut heating costs."),
    ("market", "Harbour Gazette", "2025-03-07", "Farmers market moves to the quay",
     "The Saturday farmers market moves from the square to the quay in May. "
     "Traders asked for more space and shelter from the wind."),
    ("school", "Valley Courier", "2025-03-08", "Primary school opens a science garden",
     "Pupils at Hill Road primary opened a science garden with a weather station. "
     "Teachers will use it for lessons on plants, insects and rainfall."),
    ("museum", "Harbour Gazette", "2025-03-09", "Maritime museum restores a lifeboat",
     "The maritime museum finished restoring a 1930s wooden lifeboat. "
     "It will be displayed in the main hall from the Easter holidays."),
    ("cycle", "Valley Courier", "2025-03-10", "New cycle path links two villages",
     "A new cycle path now links Ashby and Fenwick along the old railway line. "
     "The path is lit and open to walkers as well as cyclists."),
    ("choir", "Valley Courier", "2025-03-11", "Town choir records its first album",
     "The town choir recorded its first album in the parish church. "
     "Sales will fund repairs to the church organ."),
]  # fmt: skip


# Article text that tries to ping, restyle and phish, some of it behind invisible characters
# (U+2060 word joiner, U+200D zero-width joiner); JSONL keeps its markdown as written.
HOSTILE = {
    "id": "hostile-1",
    "title": "Council meeting ends in uproar @everyone",
    "outlet": "Harbour Gazette",
    "date": "2025-03-12",
    "url": "https://news.example/hostile",
    "text": "At the council meeting a resident shouted @everyone and @here and waved a banner "
    "reading **FREE PARKING** and [free permits](http://evil.example/phish) while councillors "
    "debated the harbour car park charges. The mayor adjourned the meeting "
    "<@&123456789012345678> after ten minutes, calling on <@234567890123456789>, "
    "@\u2060everyone and <@\u200d345678901234567890> to calm down."
    "\n\nCouncillors will vote on the charges next month.",
}


def write_article(folder: Path, slug: str, outlet: str, day: str, title: str, body: str) -> Path:
    path = folder / f"{slug}.md"
    path.write_text(
        textwrap.dedent(f"""\
        ---
        title: "{title}"
        outlet: {outlet}
        date: {day}
        url: https://news.example/{slug}
        ---
        {body}
        """),
        encoding="utf-8",
    )
    return path


def bot_config(data_dir: Path, sources: list[Path], **bot: object) -> Config:
    """A test config: no cooldown unless asked, fast progress edits."""
    config = Config(data_dir=str(data_dir), sources=[str(s) for s in sources])
    config.bot.cooldown_seconds = 0
    config.bot.progress_interval_seconds = 0.2
    for key, value in bot.items():
        setattr(config.bot, key, value)
    return config


@dataclass
class Harness:
    fake: FakeDiscord
    bot: NewsdeskBot

    @property
    def engine(self) -> Engine:
        return self.bot.engine

    async def ask(self, question: str, **options: object) -> InteractionRecord:
        return await self.fake.slash("ask", {"question": question, **options})


HARNESSES: list[Harness] = []


async def until(condition, timeout: float = 5.0) -> None:
    """Wait for `condition()`: something the bot does in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


# Covered and uncovered, sample coverage and local news: the mix the load tests ask.
LOAD_QUESTIONS = [
    "Who did Shoigu meet in Beijing?",
    "Who won the Champions League final?",
    "Is China a member of the ICC?",
    "Where does the farmers market move?",
]


async def ask_concurrently(
    harness: Harness, n: int, questions: list[str]
) -> list[InteractionRecord]:
    """`n` /ask interactions sent at once, each by a new member (cooldowns are per member);
    their answers are still to come."""
    fake = harness.fake
    readers = [fake.make_member(f"load-reader-{i}") for i in range(n)]
    return await asyncio.gather(
        *(
            fake.slash("ask", {"question": questions[i % len(questions)]}, member=member)
            for i, member in enumerate(readers)
        )
    )


def latency(rec: InteractionRecord) -> float:
    """Seconds from the interaction being sent to its final answer."""
    final = rec.final
    assert final is not None, rec.describe()
    return final.at - rec.sent_at


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q`th percentile (0 < q <= 100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def start_harness(
    config: Config, engine: Engine, *, guild_sync: bool, fake: FakeDiscord | None = None
) -> Harness:
    """A bot on `engine`, connected to `fake` (a new one unless given, to set up first)."""
    fake = fake or FakeDiscord()
    await fake.start()
    fake.install()
    config = copy.deepcopy(config)
    if guild_sync:
        config.bot.guilds = [fake.guild.id]
    bot = create_bot(config, engine, chunk_guilds_at_startup=False, guild_ready_timeout=0.05)
    await start_bot(bot, fake.token, fake)
    harness = Harness(fake, bot)
    HARNESSES.append(harness)
    return harness


async def stop_harness(harness: Harness) -> None:
    HARNESSES.remove(harness)
    await stop_bot(harness.bot)
    await harness.fake.stop()


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
