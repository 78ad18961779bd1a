"""/reindex end to end: who may run it, where it may read, progress, one at a time, and a
new article answerable afterwards without a restart."""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.admin import HANDOVER, NOT_ADMIN
from index.build import writer_lock
from index.engine import Engine
from tests.bot.harness import (
    Harness,
    bot_config,
    start_harness,
    stop_harness,
    until,
    write_article,
)
from tests.fakediscord import FakeDiscordError
from tests.fakediscord.payloads import MANAGE_GUILD

pytestmark = pytest.mark.usefixtures("strict_discord")

NEW_QUESTION = "How many flamingos arrived at the harbour lagoon?"


@pytest.fixture(scope="module")
async def desk(tmp_path_factory, newsroom_engine: Engine) -> AsyncIterator[Harness]:
    """A bot on its own copy of the newsroom index; /reindex may read under `dropbox`."""
    root = tmp_path_factory.mktemp("reindex")
    shutil.copytree(newsroom_engine.data_dir, root / "data")
    (root / "dropbox" / "march").mkdir(parents=True)
    config = bot_config(
        root / "data",
        [Path(s) for s in newsroom_engine.config.sources],
        reindex_roots=[str(root / "dropbox")],
    )
    engine = Engine(config, newsroom_engine.embedder)
    engine.reload()
    harness = await start_harness(config, engine, guild_sync=True)
    yield harness
    await stop_harness(harness)


def dropbox(desk: Harness) -> Path:
    return Path(desk.bot.config.bot.reindex_roots[0])


async def test_reindex_is_hidden_from_and_refused_to_non_admins(desk):
    fake = desk.fake
    synced = fake.command("reindex")
    assert int(synced["default_member_permissions"]) == MANAGE_GUILD
    assert synced.get("contexts") == [0]  # guilds only
    with pytest.raises(FakeDiscordError):  # Discord would not even show it to them
        await fake.slash("reindex", member=fake.member)
    generation = desk.engine.generation
    # A server can change who sees the command: the bot checks again.
    final = await (await fake.slash("reindex", member=fake.member, force=True)).wait_final()
    assert final.ephemeral and final.content == NOT_ADMIN
    await fake.settle(0.3)
    assert desk.engine.generation == generation


async def test_no_user_id_is_logged(desk, caplog):
    fake = desk.fake
    caplog.set_level(logging.DEBUG, logger="bot")
    refused = await fake.slash("reindex", member=fake.member, force=True)
    await refused.wait_final()
    rec = await fake.slash("reindex", member=fake.admin)
    await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), 20)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert "reindex" in logged
    assert str(fake.member.id) not in logged and str(fake.admin.id) not in logged


async def test_a_configured_admin_role_may_reindex(desk):
    fake = desk.fake
    role = fake.guild.add_role("newsdesk-admins", 0)
    await fake.dispatch(
        "GUILD_ROLE_CREATE", {"guild_id": str(fake.guild.id), "role": fake.guild.roles[role]}
    )
    member = fake.make_member("role-admin", roles=[role])
    desk.bot.config.bot.admin_roles = [role]
    try:
        rec = await fake.slash("reindex", member=member, force=True)
        done = await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), 20)
        fields = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}
        assert fields["Added"] == "0" and fields["Removed"] == "0"
    finally:
        desk.bot.config.bot.admin_roles = []


@pytest.mark.parametrize(
    "source",
    ["/etc", "/etc/passwd", "../../../../etc", "march/../../data", "..", "nowhere", "\x00"],
)
async def test_reindex_sources_are_limited_to_the_roots(desk, source):
    final = await (
        await desk.fake.slash("reindex", {"source": source}, member=desk.fake.admin)
    ).wait_final()
    assert final.ephemeral and "not a file or folder inside the allowed sources" in final.content


async def test_reindex_refused_while_another_build_holds_the_lock(desk):
    with writer_lock(desk.engine.data_dir):
        rec = await desk.fake.slash("reindex", member=desk.fake.admin)
        final = await rec.wait_for(
            lambda r: next((e for e in r.edits if "Another build" in (e.content or "")), None),
            timeout=20,
        )
    assert "Try again later" in final.content


async def test_admin_reindex_with_progress_one_at_a_time_and_new_article_answered(
    desk, monkeypatch
):
    fake, engine = desk.fake, desk.engine
    write_article(
        dropbox(desk) / "march",
        "flamingos",
        "Harbour Gazette",
        "2025-03-20",
        "Flamingos visit the harbour lagoon",
        "Seventeen flamingos arrived at the harbour lagoon on Tuesday, blown off course by "
        "storms. Birdwatchers have come from across the county to see them.",
    )
    assert not engine.ask(NEW_QUESTION).covered

    # Hold the build at its first step, so the test can act while it runs.
    release = threading.Event()
    real_build = engine.build

    def held_build(sources=None, progress=None, lock_timeout=0):
        def held(stage, done, total):
            progress(stage, done, total)
            if stage == "reading":
                release.wait(20)

        return real_build(sources, progress=held, lock_timeout=lock_timeout)

    monkeypatch.setattr(engine, "build", held_build)
    fake.rate_limit_patch_at = {fake.patch_count + 1}  # one progress edit meets a 429

    rec = await fake.slash("reindex", {"source": "march"}, member=fake.admin)
    ack = await rec.wait_final()
    assert ack.callback_type == 4 and "Reindexing" in ack.content
    await rec.wait_for(lambda r: any("reading" in (e.content or "") for e in r.edits), timeout=5)

    second = await (await fake.slash("reindex", member=fake.admin)).wait_final()
    assert second.ephemeral and "already running" in second.content

    meanwhile = await (await desk.ask("Who did Shoigu meet in Beijing?")).wait_final(10)
    assert "Strategic Talks" in meanwhile.text  # served from the old index during the build

    release.set()
    done = await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), timeout=30)
    fields = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}
    assert fields["Added"] == "1" and fields["Removed"] == "0" and fields["Changed"] == "0"
    assert int(fields["Passages embedded"]) >= 1
    assert int(fields["Unchanged"]) == len(engine.articles()) - 1
    assert fake.rate_limited  # the 429 was met and the edit retried
    progress_times = [e.at for e in rec.edits if not e.embeds]
    assert all(b - a >= 0.15 for a, b in itertools.pairwise(progress_times))

    answer = await (await desk.ask(NEW_QUESTION)).wait_final(10)
    assert "Flamingos visit the harbour lagoon" in answer.text
    assert "Seventeen flamingos" in answer.text


async def test_a_plain_reindex_keeps_what_reindex_source_added(desk):
    """The added folder is registered: a later plain /reindex refreshes it too."""
    fake, engine = desk.fake, desk.engine
    assert str(dropbox(desk) / "march") in engine.inputs()  # added by the test above
    rec = await fake.slash("reindex", member=fake.admin)
    done = await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), timeout=30)
    fields = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}
    assert fields["Removed"] == "0" and fields["Added"] == "0"
    assert "march" in done.embeds[0]["description"]  # the summary names the registered set
    answer = await (await desk.ask(NEW_QUESTION)).wait_final(10)
    assert "Flamingos visit the harbour lagoon" in answer.text


async def test_a_symlink_out_of_the_roots_is_not_followed(desk, tmp_path):
    """A folder inside a root may hold links to elsewhere: the walk never follows one out."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_article(outside, "vault", "Harbour Gazette", "2025-03-21", "The harbour vault code",
                  "The code of the harbour vault is seven four one nine, the clerk said.")  # fmt: skip
    planted = dropbox(desk) / "planted"
    planted.mkdir()
    (planted / "linked-folder").symlink_to(outside, target_is_directory=True)
    (planted / "linked-file.md").symlink_to(outside / "vault.md")
    fake = desk.fake
    rec = await fake.slash("reindex", {"source": "planted"}, member=fake.admin)
    done = await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), timeout=30)
    fields = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}
    assert fields["Added"] == "0" and fields["Skipped"] == "2"
    assert "symlink to outside the source folder" in fields["Skipped files"]
    answer = await (await desk.ask("What is the code of the harbour vault?")).wait_final(10)
    assert "seven four one nine" not in answer.text
    assert not any("vault" in a.title for a in desk.engine.articles())


async def test_a_failed_reindex_names_the_source_but_never_its_path(desk):
    fake, engine = desk.fake, desk.engine
    gone = dropbox(desk) / "gone-soon"
    gone.mkdir()
    write_article(gone, "note", "Harbour Gazette", "2025-03-22", "A short note", "A note.")
    rec = await fake.slash("reindex", {"source": "gone-soon"}, member=fake.admin)
    await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), timeout=30)
    shutil.rmtree(gone)
    try:
        rec = await fake.slash("reindex", member=fake.admin)
        final = await rec.wait_for(
            lambda r: next((e for e in r.edits if "failed" in (e.content or "")), None), 30
        )
        assert "gone-soon" in final.content and str(dropbox(desk)) not in final.content
    finally:
        engine.build(remove=[gone], allow_removal=True)


async def test_a_reindex_that_outlives_its_token_posts_its_result(desk, monkeypatch):
    """Discord's interaction token dies 15 minutes after the command: the bot stops editing
    before then, says where the result will come, and posts it in the channel."""
    fake, engine = desk.fake, desk.engine
    release = threading.Event()
    real_build = engine.build

    def held_build(sources=None, progress=None, lock_timeout=0):
        release.wait(20)
        return real_build(sources, progress=progress, lock_timeout=lock_timeout)

    monkeypatch.setattr(engine, "build", held_build)
    sent = time.time() - (15 * 60 - 2)  # sent 14 min 58 s ago: its token has 2 s left
    rec = await fake.slash("reindex", member=fake.admin, sent_at=sent)
    await rec.wait_for(lambda r: any(e.content == HANDOVER for e in r.edits), timeout=5)
    await asyncio.sleep(max(0.0, sent + 15 * 60 + 0.5 - time.time()))  # the token is dead
    posted_before = len(fake.bot_messages(fake.channel_id))
    release.set()

    await until(lambda: len(fake.bot_messages(fake.channel_id)) > posted_before, 30)
    [result] = fake.bot_messages(fake.channel_id)[posted_before:]
    assert result["embeds"][0]["title"] == "Reindex finished"
    assert rec.message["content"] == HANDOVER  # nothing left saying "⏳ Reindexing"
    assert not any(e.kind == "webhook" for e in rec.events)  # no edit with a dead token


async def test_status_shows_the_index_the_model_and_each_source(desk):
    fake, engine = desk.fake, desk.engine
    assert int(fake.command("status")["default_member_permissions"]) == MANAGE_GUILD
    refused = await (await fake.slash("status", member=fake.member, force=True)).wait_final()
    assert refused.ephemeral and refused.content == NOT_ADMIN
    gone = dropbox(desk) / "soon-gone"
    gone.mkdir()
    write_article(gone, "memo", "Harbour Gazette", "2025-03-23", "A memo", "A short memo.")
    rec = await fake.slash("reindex", {"source": "soon-gone"}, member=fake.admin)
    await rec.wait_for(lambda r: next((e for e in r.edits if e.embeds), None), timeout=30)
    shutil.rmtree(gone)
    try:
        rec = await fake.slash("status", member=fake.admin)
        final = await rec.wait_final(10)
    finally:
        engine.build(remove=[gone], allow_removal=True)
    assert rec.callbacks[0].ephemeral  # only the admin sees it
    fields = {f["name"]: f["value"] for f in final.embeds[0]["fields"]}
    rows = [a for a in engine.articles() if "A memo" not in a.title]
    assert fields["Articles"] == str(len(rows) + 1) and fields["Generation"] != "0"
    assert fields["Passages"] == str(sum(a.passages for a in rows) + 1)
    assert fields["Model"].startswith("all-MiniLM-L6-v2 (shipped) · ")
    assert "/" not in fields["Model"]  # a path's last part, never the path
    assert fields["Uptime"].endswith(("s", "min", "h"))
    assert "1 added" in fields["Last build"] and "files skipped" in fields["Last build"]
    sources = fields["Sources"]
    assert "• sample — ok · 2 articles" in sources and "• soon-gone — missing" in sources
    assert str(dropbox(desk)) not in final.text


async def test_status_shows_a_build_another_process_ran(desk):
    # `newsdesk index` run beside the bot: a second engine on the same data directory.
    fake, engine = desk.fake, desk.engine
    folder = dropbox(desk) / "from-the-cli"
    folder.mkdir()
    write_article(folder, "note", "Harbour Gazette", "2025-03-24", "A note", "A short note.")
    other = Engine(engine.config, engine.embedder)
    try:
        built = await asyncio.to_thread(other.build, [folder])
        await asyncio.sleep(1.1)  # the bot looks for a new generation once a second
        rec = await fake.slash("status", member=fake.admin)
        final = await rec.wait_final(10)
    finally:
        await asyncio.to_thread(other.build, remove=[folder], allow_removal=True)
        other.close()
    fields = {f["name"]: f["value"] for f in final.embeds[0]["fields"]}
    assert fields["Generation"] == str(built.generation)
    assert fields["Last build"].startswith("<t:") and "1 added" in fields["Last build"]
    assert engine.last_build()[0].removed == 1  # the clean-up is the last build now
