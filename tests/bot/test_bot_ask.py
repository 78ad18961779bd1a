"""/ask, mentions and feedback, end to end against the fake Discord."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import sqlite3
import stat
import threading
import time

import pytest

from bot.limits import BUSY_MESSAGE, Cooldown, Gate
from bot.render import NOT_COVERED, ZWSP
from index.engine import Engine
from newsdesk import cli
from tests.bot.harness import bot_config, start_harness, stop_harness
from tests.fakediscord import FakeDiscordError
from tests.fakediscord.payloads import FLAG_EPHEMERAL

pytestmark = pytest.mark.usefixtures("strict_discord")

SHOIGU = "Who did Shoigu meet in Beijing?"
OFF_TOPIC = "Who won the Champions League final?"


def button_ids(message: dict) -> dict[str, str]:
    """label → custom_id of the message's buttons."""
    return {
        c.get("label") or c.get("emoji", {}).get("name"): c["custom_id"]
        for row in message.get("components") or []
        for c in row["components"]
        if c.get("custom_id")
    }


async def test_ask_answers_with_cited_quotes(newsroom):
    assert newsroom.engine.ask(SHOIGU).covered
    rec = await newsroom.ask(SHOIGU)
    final = await rec.wait_final(10)
    assert rec.callbacks[0].callback_type == 5  # deferred at once, answered by an edit
    assert final.target == "@original"
    assert "Who did Shoigu meet in Beijing?" in final.content
    first = final.embeds[0]
    assert first["title"].startswith("1. Strategic Talks")
    assert "Devdiscourse" in first["footer"]["text"] and "28 Feb 2025" in first["footer"]["text"]
    assert "**" in first["description"]  # the answering sentence is marked
    assert "Wang Yi" in final.text
    assert final.allowed_mentions == {"parse": [], "replied_user": False} or (
        final.allowed_mentions["parse"] == []
    )
    assert {"Helpful", "Not helpful"} <= set(button_ids(rec.message))


async def test_linked_title_when_the_article_has_a_url(newsroom):
    rec = await newsroom.ask("When will the old swing bridge reopen after repairs?")
    final = await rec.wait_final(10)
    first = final.embeds[0]
    assert "swing bridge" in first["title"].lower()
    assert first["url"] == "https://news.example/bridge"
    assert "Harbour Gazette" in first["footer"]["text"]


async def test_question_the_coverage_does_not_address(newsroom):
    assert not newsroom.engine.ask(OFF_TOPIC).covered
    rec = await newsroom.ask(OFF_TOPIC)
    final = await rec.wait_final(10)
    assert NOT_COVERED in final.content
    assert final.embeds == []


async def test_private_answer_is_ephemeral(newsroom):
    rec = await newsroom.ask(SHOIGU, private=True)
    await rec.wait_final(10)
    assert rec.callbacks[0].flags & FLAG_EPHEMERAL
    assert rec.message["flags"] & FLAG_EPHEMERAL


async def test_filters_narrow_the_answer(newsroom):
    rec = await newsroom.ask("What is being repaired?", outlet="harbour gazette")
    final = await rec.wait_final(10)
    assert final.embeds and all("Harbour Gazette" in e["footer"]["text"] for e in final.embeds)
    rec = await newsroom.ask(SHOIGU, since="2025-03-01")
    final = await rec.wait_final(10)
    assert "Strategic Talks" not in final.text


async def test_bad_dates_and_unknown_outlets_are_clear_ephemeral_errors(newsroom):
    for options, expected in (
        ({"since": "last tuesday"}, "since must be a date like"),
        ({"until": "2025-13-45"}, "until must be a date like"),
        ({"since": "2025-03-02", "until": "2025-03-01"}, "is after until"),
        ({"outlet": "Daily Planet"}, "nknown outlet 'Daily Planet'"),
    ):
        rec = await newsroom.ask(SHOIGU, **options)
        final = await rec.wait_final()
        assert final.callback_type == 4 and final.ephemeral, options
        assert expected in final.content, (options, final.content)
    assert "Harbour Gazette" in final.content  # the known outlets are listed


async def test_engine_errors_never_show_server_paths(tmp_path, embedder):
    config = bot_config(tmp_path / "data", [tmp_path / "news"])  # nothing indexed there yet
    harness = await start_harness(config, Engine(config, embedder), guild_sync=True)
    try:
        for rec in (await harness.ask(SHOIGU), await harness.fake.mention(SHOIGU)):
            final = await rec.wait_final(10)
            assert "Nothing is indexed yet" in final.content
            assert str(tmp_path) not in final.text and "tmp" not in final.content
    finally:
        await stop_harness(harness)


async def test_over_long_question_is_refused(newsroom):
    limit = newsroom.bot.config.bot.max_question_chars
    spec = next(o for o in newsroom.fake.command("ask")["options"] if o["name"] == "question")
    assert spec["max_length"] == limit  # Discord itself refuses a longer one in /ask
    with pytest.raises(FakeDiscordError, match="outside the allowed range"):
        await newsroom.ask("why " * (limit // 4 + 5))
    reply = await (await newsroom.fake.mention("why " * (limit // 4 + 5))).wait_final()
    assert f"the limit is {limit}" in reply.content


async def test_everyone_in_a_question_pings_nobody(newsroom):
    rec = await newsroom.ask(f"@everyone @here <@{newsroom.fake.member.id}> {SHOIGU}")
    final = await rec.wait_final(10)
    assert final.content.startswith(f"**Q:** {SHOIGU}\n")  # mention tokens are taken out
    for event in rec.events:
        if event.kind in ("followup", "edit") or event.callback_type == 4:
            assert event.allowed_mentions["parse"] == []
    reply = await (await newsroom.fake.mention(f"@everyone {SHOIGU}")).wait_final(10)
    assert reply.allowed_mentions["parse"] == []
    assert reply.allowed_mentions.get("replied_user") is False


def assert_inert(text: str) -> None:
    """No live mention and no invisible character, except the ZWSP that breaks a mention."""
    assert not re.search(r"@(everyone|here)|<@[!&]?\d", text), text
    assert not re.search("[\u200b-\u200f\u2060-\u2064\ufeff]", text.replace(f"@{ZWSP}", "@")), text


async def test_hostile_article_text_is_inert(newsroom):
    rec = await newsroom.ask("What did a resident shout at the council meeting?")
    final = await rec.wait_final(10)
    quoted = next(e for e in final.embeds if "Council meeting" in e["title"])
    text = quoted["title"] + quoted["description"]
    assert "@everyone" not in text and "@here" not in text and f"@{ZWSP}everyone" in text
    assert "<@&" not in text
    assert "\\[free permits\\](http" in text  # the masked link is escaped: shown, not hidden
    assert "\\*\\*FREE PARKING\\*\\*" in text
    assert "234567890123456789" in text and "345678901234567890" in text  # shown, not pinging
    assert_inert(final.text)
    assert final.allowed_mentions["parse"] == []


async def test_hostile_question_is_echoed_inert(newsroom):
    fake = newsroom.fake
    question = (
        f"@\u2060everyone <@&{fake.admin_role_id}> <@\u200d{fake.member.id}> @\ufeffhere "
        "**Shoigu** [click](http://evil.example) ||who|| did Shoigu meet in Beijing?"
    )
    rec = await newsroom.ask(question)
    reply = await (await fake.mention(question)).wait_final(10)
    for final in (await rec.wait_final(10), reply):
        assert "Strategic Talks" in final.text  # still answered
        assert_inert(final.content)
        assert "\\*\\*Shoigu\\*\\*" in final.content and "\\|\\|who\\|\\|" in final.content
        assert "\\[click\\](`http://evil.example)`" in final.content  # shown, not a link
        assert final.allowed_mentions["parse"] == []
        assert not final.allowed_mentions.get("roles") and not final.allowed_mentions.get("users")
    assert reply.allowed_mentions.get("replied_user") is False


async def test_the_engine_gets_the_question_the_echo_shows(newsroom, monkeypatch):
    engine = newsroom.bot.engine
    asked: list[str] = []
    real_ask = engine.ask

    def recording_ask(question, **kwargs):
        asked.append(question)
        return real_ask(question, **kwargs)

    monkeypatch.setattr(engine, "ask", recording_ask)
    hidden = f"Who did Sho\u200bigu meet <@{newsroom.fake.member.id}> in Beijing?\u202e @here"
    for rec in (await newsroom.ask(hidden), await newsroom.fake.mention(hidden)):
        final = await rec.wait_final(10)
        assert final.content.startswith(f"**Q:** {SHOIGU}\n")
        assert "Strategic Talks" in final.text
    assert asked == [SHOIGU, SHOIGU]


async def test_links_in_a_question_are_not_reposted_live(newsroom):
    rec = await newsroom.ask("Is https://evil.example/login a source about Shoigu in Beijing?")
    final = await rec.wait_final(10)
    assert "`https://evil.example/login`" in final.content
    assert final.content.count("://") == final.content.count("`https://")


async def test_an_error_after_a_public_defer_stays_private(newsroom):
    rec = await newsroom.ask(SHOIGU, since="2030-01-01")
    final = await rec.wait_final(10)
    assert rec.callbacks[0].callback_type == 5 and not rec.callbacks[0].ephemeral
    assert final.kind == "followup" and final.ephemeral
    assert "no indexed article matches published on or after 2030-01-01" in final.content
    assert NOT_COVERED not in final.content
    assert rec.message is None  # the public "thinking…" placeholder is gone
    assert any(e.kind == "delete" for e in rec.events)


async def test_an_unexpected_failure_is_one_apology_that_pings_nobody(
    newsroom, monkeypatch, error_log
):
    def broken(question, **kwargs):
        raise RuntimeError("@everyone the model fell over")

    monkeypatch.setattr(newsroom.bot.engine, "ask", broken)
    rec = await newsroom.ask(SHOIGU)
    final = await rec.wait_final(10)
    assert final.content == "Sorry, something went wrong; the error was logged."
    assert final.allowed_mentions["parse"] == []
    assert newsroom.bot.gate.admitted == 0  # the place in the queue was given back
    logged = [r for r in error_log.records if r.getMessage() == "/ask failed"]
    assert logged and len(logged) == len(error_log.records)
    error_log.records.clear()  # expected here; strict_discord fails on any other


async def test_mention_is_answered_as_a_reply(newsroom):
    rec = await newsroom.fake.mention(SHOIGU)
    reply = await rec.wait_final(10)
    assert int(reply.payload["message_reference"]["message_id"]) == rec.id
    assert "Strategic Talks" in reply.text
    assert {"Helpful", "Not helpful"} <= set(button_ids(rec.message))


async def test_mentions_from_bots_are_ignored_and_empty_ones_get_a_hint(newsroom):
    fake = newsroom.fake
    robot = fake.make_member("robot")
    robot.user["bot"] = True
    ignored = await fake.mention(SHOIGU, member=robot)
    hint = await (await fake.mention("")).wait_final(10)
    assert "Ask me a question after the mention" in hint.content
    await fake.settle(0.3)
    assert ignored.events == []
    plain = await fake.message("Who did Shoigu meet? (no mention)")
    await fake.settle(0.3)
    assert plain.events == []


async def test_a_reply_that_asks_nothing_gets_no_answer(newsroom):
    fake = newsroom.fake
    asked = await fake.mention(SHOIGU)
    answer = await asked.wait_final(10)
    thanks = await fake.reply(answer.message_id, "thanks!")  # pings the bot, as replies do
    assert thanks.payload["mentions"]  # Discord counts the reply as mentioning the bot
    await fake.settle(0.5)
    assert thanks.events == []


MARKET = "Where does the farmers market move?"


async def test_a_reply_to_an_answer_is_answered_as_a_follow_up(newsroom):
    fake = newsroom.fake
    assert not newsroom.engine.ask("Why is it moving?").covered  # alone it asks nothing
    first = await (await fake.mention(MARKET)).wait_final(10)
    follow = await (await fake.reply(first.message_id, "Why is it moving?")).wait_final(10)
    assert follow.content.startswith("**Q:** Why is it moving?\n-# ↪ following up on: Where")
    assert "Farmers market moves to the quay" in follow.text and "shelter" in follow.text
    # A reply on another topic is answered on its own.
    other = await (await fake.reply(follow.message_id, SHOIGU)).wait_final(10)
    assert "following up" not in other.content and "Strategic Talks" in other.text


async def test_a_question_in_a_thread_the_bot_answered_in_follows_up(newsroom):
    fake = newsroom.fake
    thread = fake.make_thread("market day")
    first = await (await fake.slash("ask", {"question": MARKET}, channel=thread)).wait_final(10)
    assert "Farmers market moves to the quay" in first.text
    follow = await (await fake.mention("When does it move?", channel=thread)).wait_final(10)
    assert "following up on: Where does the farmers market move?" in follow.content
    assert "Farmers market moves to the quay" in follow.text and "May" in follow.text
    elsewhere = await (await fake.mention("When does it move?")).wait_final(10)
    assert NOT_COVERED in elsewhere.content  # outside the thread there is no conversation


async def test_a_bare_mention_uses_up_no_cooldown(newsroom):
    bot = newsroom.bot
    saved, bot.cooldown = bot.cooldown, Cooldown(30)
    try:
        hint = await (await newsroom.fake.mention("\u200b <@&123456789012345678>")).wait_final(10)
        assert "Ask me a question after the mention" in hint.content
        answer = await (await newsroom.fake.mention(SHOIGU)).wait_final(10)
        assert "Strategic Talks" in answer.text
    finally:
        bot.cooldown = saved


async def test_feedback_buttons_store_votes(newsroom):
    rec = await newsroom.ask(SHOIGU)
    await rec.wait_final(10)
    ids = button_ids(rec.message)
    click = await newsroom.fake.click(rec.message, ids["Helpful"])
    thanks = await click.wait_final()
    assert thanks.ephemeral and "Thanks" in thanks.content
    again = await (await newsroom.fake.click(rec.message, ids["Not helpful"])).wait_final()
    assert "already rated" in again.content
    other = newsroom.fake.make_member("second-reader")
    await (await newsroom.fake.click(rec.message, ids["Not helpful"], member=other)).wait_final()
    data_dir = newsroom.engine.data_dir
    db = sqlite3.connect(data_dir / "feedback.sqlite")
    rows = db.execute(
        "SELECT question, passage_ids, user_hash, vote FROM feedback ORDER BY id DESC LIMIT 2"
    ).fetchall()
    assert [r[3] for r in rows] == [-1, 1]
    assert all(r[0] == SHOIGU and r[1] for r in rows)
    # Who voted is kept only as an HMAC keyed with this install's secret (mode 0600).
    key_file = data_dir / "feedback.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    reader = str(newsroom.fake.member.id).encode()
    assert rows[1][2] == hmac.new(key_file.read_bytes(), reader, hashlib.sha256).hexdigest()[:32]
    assert rows[0][2] != rows[1][2]


def test_newsdesk_feedback_lists_the_votes_for_whoever_improves_answers(newsroom_engine, capsys):
    newsroom_engine.record_feedback(SHOIGU, [1, 2], 1234567890123456789, -1)
    data_dir = str(newsroom_engine.data_dir)
    assert cli.main(["--data-dir", data_dir, "feedback", "--json"]) == 0
    votes = json.loads(capsys.readouterr().out)
    last = votes[-1]
    assert set(last) == {"at", "question", "vote", "passages"}  # never who voted
    assert last["question"] == SHOIGU and last["vote"] == -1
    assert [p["id"] for p in last["passages"]] == [1, 2] and last["passages"][0]["title"]
    assert cli.main(["--data-dir", data_dir, "feedback"]) == 0
    text = capsys.readouterr().out
    assert f"👎 {SHOIGU}" in text and "1234567890123456789" not in text


async def test_cooldown_per_user(newsroom):
    bot = newsroom.bot
    saved = bot.cooldown
    bot.cooldown = Cooldown(30)
    try:
        first = await (await newsroom.ask(SHOIGU)).wait_final(10)
        assert first.embeds
        second = await (await newsroom.ask(SHOIGU)).wait_final()
        assert second.ephemeral and "ask again in" in second.content
        other = newsroom.fake.make_member("patient-reader")
        third = await (
            await newsroom.fake.slash("ask", {"question": SHOIGU}, member=other)
        ).wait_final(10)
        assert third.embeds  # the cooldown is per user
        reply = await (await newsroom.fake.mention(SHOIGU)).wait_final()
        assert "ask again in" in reply.content
    finally:
        bot.cooldown = saved


async def test_busy_when_the_queue_is_full(newsroom):
    bot = newsroom.bot
    saved = bot.gate
    bot.gate = Gate(1, 0)
    try:
        with bot.gate.admit():  # someone else's question holds the only place
            final = await (await newsroom.ask(SHOIGU)).wait_final()
            assert final.ephemeral and final.content == BUSY_MESSAGE
        final = await (await newsroom.ask(SHOIGU)).wait_final(10)
        assert final.embeds
    finally:
        bot.gate = saved


async def test_fifty_concurrent_questions_are_all_answered(newsroom):
    questions = [SHOIGU, OFF_TOPIC, "Is China a member of the ICC?", "Where does the market move?"]
    readers = [newsroom.fake.make_member(f"reader{i}") for i in range(50)]
    started = time.monotonic()
    records = await asyncio.gather(
        *(
            newsroom.fake.slash("ask", {"question": questions[i % 4]}, member=m)
            for i, m in enumerate(readers)
        )
    )
    finals = await asyncio.gather(*(r.wait_final(30) for r in records))
    elapsed = time.monotonic() - started
    assert len(finals) == 50
    for i, final in enumerate(finals):
        assert questions[i % 4] in final.content
        assert final.embeds or NOT_COVERED in final.content
    assert all(r.callbacks[0].callback_type == 5 for r in records)
    assert newsroom.bot.gate.admitted == 0
    assert elapsed < 30


async def test_reconnects_after_the_gateway_drops(newsroom):
    fake = newsroom.fake
    before = fake.connect_count
    await fake.drop_connection()
    final = await (await newsroom.ask(SHOIGU)).wait_final(15)
    assert "Strategic Talks" in final.text
    assert fake.connect_count > before
    assert fake.resume_count >= 1


async def test_gateway_drop_mid_conversation_loses_nothing(newsroom, monkeypatch):
    """A question in flight when the socket drops is still answered; one sent while the bot
    is away reaches it in the RESUME replay and is answered; later ones are answered too."""
    fake, engine = newsroom.fake, newsroom.bot.engine
    held_question = "Who did Shoigu meet in Beijing, exactly?"
    working, release = threading.Event(), threading.Event()
    real_ask = engine.ask

    def held_ask(question, **kwargs):
        if question == held_question:
            working.set()
            release.wait(10)
        return real_ask(question, **kwargs)

    monkeypatch.setattr(engine, "ask", held_ask)
    identified, resumed = fake.identify_count, fake.resume_count
    in_flight = await newsroom.ask(held_question)
    assert await asyncio.to_thread(working.wait, 5)
    await fake.drop_connection(code=None)  # the TCP connection just dies
    assert not fake.connected
    while_away = await fake.mention(SHOIGU, queue=True)  # waits in the session for the replay
    release.set()
    for rec in (in_flight, while_away):
        assert "Strategic Talks" in (await rec.wait_final(15)).text
    after = await (await newsroom.ask(SHOIGU)).wait_final(15)
    assert "Strategic Talks" in after.text
    assert fake.resume_count == resumed + 1 and fake.identify_count == identified


async def test_outlet_autocomplete_offers_indexed_outlets(newsroom):
    rec = await newsroom.fake.autocomplete("ask", {"question": "x", "outlet": "valley"}, "outlet")
    final = await rec.wait_final()
    assert final.callback_type == 8
    assert [c["value"] for c in final.data["choices"]] == ["Valley Courier"]


async def test_identifies_again_when_the_session_cannot_be_resumed(newsroom, monkeypatch):
    async def no_wait(shard_id, *, initial=False):  # discord.py waits 5 s before re-IDENTIFY
        return None

    monkeypatch.setattr(newsroom.bot, "before_identify_hook", no_wait)
    fake = newsroom.fake
    identified = fake.identify_count
    await fake.drop_connection(resumable=False)
    final = await (await newsroom.ask(SHOIGU)).wait_final(15)
    assert "Strategic Talks" in final.text
    assert fake.identify_count == identified + 1
