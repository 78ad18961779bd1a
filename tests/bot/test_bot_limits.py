"""Cooldown, the concurrency gate and the question cap (pure), and /reindex's source roots."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.admin import AdminCog, resolve_source
from bot.limits import Busy, Cooldown, Gate, cooldown_message, question_problem
from index.config import Config
from index.engine import Engine
from index.errors import SourceError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_per_key():
    clock = Clock()
    cd = Cooldown(5, clock)
    assert cd.remaining(1) == 0
    cd.record(1)
    clock.now += 2
    assert cd.remaining(1) == pytest.approx(3) and cd.remaining(2) == 0
    assert cd.first_warning(1) and not cd.first_warning(1)  # one "slow down" per window
    clock.now += 3.01
    assert cd.remaining(1) == 0
    cd.record(1)
    assert cd.first_warning(1)


def test_zero_cooldown_is_off():
    cd = Cooldown(0)
    cd.record(1)
    assert cd.remaining(1) == 0


def test_cooldown_message_rounds_up():
    assert cooldown_message(0.2) == "One question at a time, please — you can ask again in 1 s."
    assert "in 5 s" in cooldown_message(4.6)


def test_question_problems():
    assert question_problem("Who?", 300) is None
    assert "Ask a question" in question_problem("   ", 300)
    assert "301 characters long; the limit is 300" in question_problem("x" * 301, 300)


def test_gate_refuses_beyond_capacity_and_frees_places():
    gate = Gate(2, 1)
    places = [gate.admit() for _ in range(3)]
    with pytest.raises(Busy):
        gate.admit()
    places[0].release()
    places[0].release()  # idempotent
    assert gate.admitted == 2
    with gate.admit():
        assert gate.admitted == 3
    assert gate.admitted == 2


async def test_gate_runs_at_most_max_concurrent():
    gate = Gate(3, 50)
    running, peak = 0, 0

    async def job() -> None:
        nonlocal running, peak
        with gate.admit() as admission:
            async with admission.turn():
                running += 1
                peak = max(peak, running)
                await asyncio.sleep(0.01)
                running -= 1

    await asyncio.gather(*(job() for _ in range(20)))
    assert peak == 3 and gate.admitted == 0 and gate.running == 0


# --- /reindex sources ----------------------------------------------------------------------


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "feeds"
    (root / "march").mkdir(parents=True)
    (root / "march" / "a.md").write_text("# A\n\ntext")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "s.md").write_text("# S\n\ntext")
    os.symlink(outside, root / "link")
    return root, outside


def test_sources_inside_the_roots(roots):
    root, _ = roots
    real = root.resolve()
    assert resolve_source("march", [root]) == real / "march"
    assert resolve_source("march/a.md", [root]) == real / "march" / "a.md"
    assert resolve_source(str(root / "march"), [root]) == real / "march"
    assert resolve_source(".", [root]) == real
    assert resolve_source("march/../march", [root]) == real / "march"


@pytest.mark.parametrize(
    "source", ["..", "../secret", "march/../../secret", "link", "link/s.md", "/etc", "nope", ""]
)
def test_sources_outside_the_roots_are_refused(roots, source):
    root, _ = roots
    with pytest.raises(SourceError, match="not a file or folder inside the allowed sources"):
        resolve_source(source, [root])


def test_absolute_path_outside_is_refused(roots):
    root, outside = roots
    with pytest.raises(SourceError):
        resolve_source(str(outside / "s.md"), [root])


def test_without_roots_only_the_registered_sources(tmp_path, roots):
    root, _ = roots
    config = Config(data_dir=str(tmp_path / "data"), sources=[str(root / "march")])
    cog = AdminCog(SimpleNamespace(config=config, engine=Engine(config)))
    assert cog.roots() == [(root / "march").resolve()]  # the config's, before a first build
    assert resolve_source("a.md", cog.roots()) == (root / "march" / "a.md").resolve()
    with pytest.raises(SourceError):
        resolve_source(str(root), cog.roots())
    config.bot.reindex_roots = [str(root)]
    assert resolve_source(str(root), cog.roots()) == root.resolve()
