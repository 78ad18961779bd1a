"""/sources paging with buttons, /source, /help — end to end against the fake Discord."""

from __future__ import annotations

import pytest

from tests.fakediscord.payloads import FLAG_EPHEMERAL

pytestmark = pytest.mark.usefixtures("strict_discord")


def buttons(message: dict) -> dict[str, dict]:
    return {c["label"]: c for row in message.get("components") or [] for c in row["components"]}


async def test_sources_pages_with_previous_and_next(newsroom):
    total = len(newsroom.engine.articles())
    assert total > 10  # more than one page
    rec = await newsroom.fake.slash("sources")
    final = await rec.wait_final(10)
    page1 = final.embeds[0]
    assert "Page 1/2" in page1["footer"]["text"] and f"{total} articles" in page1["footer"]["text"]
    assert page1["description"].count("\n") == 9  # ten articles a page
    controls = buttons(rec.message)
    assert controls["Previous"].get("disabled") and not controls["Next"].get("disabled")

    click = await newsroom.fake.click(rec.message, controls["Next"]["custom_id"])
    moved = await click.wait_final()
    assert moved.callback_type == 7  # the same message is edited in place
    assert "Page 2/2" in rec.message["embeds"][0]["footer"]["text"]
    assert rec.message["embeds"][0]["description"] != page1["description"]
    assert buttons(rec.message)["Next"].get("disabled")

    back = await newsroom.fake.click(rec.message, controls["Previous"]["custom_id"])
    await back.wait_final()
    assert rec.message["embeds"][0]["description"] == page1["description"]


async def test_sources_search_and_single_page_has_no_buttons(newsroom):
    rec = await newsroom.fake.slash("sources", {"search": "Valley Courier"})
    final = await rec.wait_final(10)
    embed = final.embeds[0]
    assert "Valley Courier" in embed["title"]
    assert "Harbour Gazette" not in embed["description"]
    assert "Page 1/1" in embed["footer"]["text"]
    assert not rec.message.get("components")
    none = await (await newsroom.fake.slash("sources", {"search": "zzzz"})).wait_final(10)
    assert "No indexed article matches" in none.embeds[0]["description"]


@pytest.mark.parametrize("search", ["%", "_", "%bridge%", "bridge.md", "local-news", ".md"])
async def test_sources_search_is_literal_and_never_matches_file_paths(newsroom, search):
    final = await (await newsroom.fake.slash("sources", {"search": search})).wait_final(10)
    assert "No indexed article matches" in final.embeds[0]["description"], search


async def test_sources_search_matches_titles_outlets_and_links_in_any_case(newsroom):
    for search in ("SWING bridge", "harbour gazette", "news.example/bridge"):
        final = await (await newsroom.fake.slash("sources", {"search": search})).wait_final(10)
        assert "Old swing bridge closes for repairs" in final.embeds[0]["description"], search


async def test_buttons_keep_working_until_the_view_times_out(newsroom):
    settings = newsroom.bot.config.bot
    saved, settings.view_timeout_seconds = settings.view_timeout_seconds, 1.0
    try:
        rec = await newsroom.fake.slash("sources")
        await rec.wait_final(10)
        for _ in range(2):  # clicks keep working (each resets the timeout)
            label = "Next" if not buttons(rec.message)["Next"].get("disabled") else "Previous"
            click = await newsroom.fake.click(rec.message, buttons(rec.message)[label]["custom_id"])
            await click.wait_final()
        await rec.wait_for(
            lambda r: all(b.get("disabled") for b in buttons(r.message).values()), timeout=5
        )
    finally:
        settings.view_timeout_seconds = saved


async def test_source_details(newsroom):
    article = next(a for a in newsroom.engine.articles() if "swing bridge" in a.title.lower())
    final = await (await newsroom.fake.slash("source", {"id": article.id})).wait_final(10)
    embed = final.embeds[0]
    assert embed["url"] == "https://news.example/bridge"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Outlet"] == "Harbour Gazette" and fields["Published"] == "2 Mar 2025"
    assert fields["Passages"] == str(article.passages)
    assert "File" not in fields and "bridge.md" not in final.text  # no internal file names
    missing = await (await newsroom.fake.slash("source", {"id": 999999})).wait_final(10)
    assert "no article #999999" in missing.content


async def test_help_is_ephemeral(newsroom):
    final = await (await newsroom.fake.slash("help")).wait_final()
    assert final.flags & FLAG_EPHEMERAL
    assert "/ask" in final.text and "/reindex" in final.text
