"""extract_meta reads only what the page states; parse_date never guesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import SAMPLE_CORPUS
from index.ingest.meta import (
    PageMeta,
    clean_title,
    extract_meta,
    feed_outlet,
    host_names,
    parse_date,
)

SAMPLE = SAMPLE_CORPUS
SCRAPED = Path(__file__).resolve().parents[1] / "data" / "scraped"


def test_devdiscourse_byline():
    meta = extract_meta((SAMPLE / "000_f4dd14aba053f40b.txt").read_text(encoding="utf-8"))
    assert meta == PageMeta(
        title="Strategic Talks: Shoigu's Diplomatic Mission in Beijing",
        outlet="Devdiscourse",
        place="Moscow",
        published="2025-02-28",
    )


def test_page_without_byline_leaves_fields_empty():
    meta = extract_meta((SAMPLE / "004_be67d9445b5e8b0f.txt").read_text(encoding="utf-8"))
    assert meta == PageMeta(
        title=(
            "Chinas Top Diplomat Wang Yi Pivotal Russia Visit: Analyzing Implications and "
            "Uncertainties"
        )
    )


def test_author_byline_and_wire_dateline():
    meta = extract_meta((SCRAPED / "wire_battery_plants.txt").read_text(encoding="utf-8"))
    assert meta == PageMeta(
        title="France and Germany Agree Joint Plan on Battery Plants",
        outlet="Reuters",
        place="Paris",
        published="2024-03-03",
    )


def test_published_wins_over_updated_and_teaser_dates_are_ignored():
    meta = extract_meta((SCRAPED / "blog_alpine_glaciers.txt").read_text(encoding="utf-8"))
    assert meta.published == "2024-03-03"
    assert (meta.outlet, meta.place) == ("", "")


def test_created_wins_over_updated_whatever_the_order():
    raw = (
        "Talks Resume in Geneva Over Grain Deal\n"
        "Agency News Desk | Geneva | Updated: 05-03-2024 09:00 IST | Created: 01-03-2024 08:00 IST\n"
        "\nDiplomats met on Friday to revive the grain deal.\n"
    )
    meta = extract_meta(raw)
    assert (meta.outlet, meta.place, meta.published) == ("Agency", "Geneva", "2024-03-01")


def test_updated_is_used_when_no_publication_date():
    raw = (
        "Central Bank Holds Rates Steady Again\n\nUpdated 3 March 2024 10:00 GMT\n\n"
        "The central bank left rates unchanged on Thursday.\n"
    )
    assert extract_meta(raw).published == "2024-03-03"


def test_published_label_line():
    raw = (
        "Central Bank Holds Rates Steady Again\nPublished: 2024-03-03\n\n"
        "The central bank left rates unchanged on Thursday.\n"
    )
    assert extract_meta(raw).published == "2024-03-03"


@pytest.mark.parametrize(
    ("paragraph", "place", "outlet"),
    [
        ("PARIS (Reuters) - French officials said talks would go on.", "Paris", "Reuters"),
        ("NEW YORK, March 3 (AP) — Stocks rose on Monday in early trade.", "New York", "AP"),
        ("LONDON — Britain's economy grew 0.2% in the last quarter.", "London", ""),
    ],
)
def test_dateline_at_start_of_body(paragraph, place, outlet):
    meta = extract_meta(f"Markets Rally As Growth Returns Here\n\n{paragraph}\n")
    assert (meta.place, meta.outlet, meta.published) == (place, outlet, "")


def test_dates_in_body_sentences_are_not_publication_dates():
    raw = (
        "Election Date Set For Next Spring\n\n"
        "The vote will be held on March 3, 2025, the commission said on Tuesday.\n"
    )
    assert extract_meta(raw).published == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28-02-2025 11:11 IST", "2025-02-28"),
        ("Created: 28/02/2025", "2025-02-28"),
        ("28.02.2025", "2025-02-28"),
        ("3/4/2024", "2024-04-03"),  # day-first
        ("03/28/2025", "2025-03-28"),  # 28 cannot be a month
        ("2024-03-03", "2024-03-03"),
        ("2024-03-03T10:00:00Z", "2024-03-03"),
        ("March 3, 2024", "2024-03-03"),
        ("Monday, March 3, 2024", "2024-03-03"),
        ("Feb. 28, 2025", "2025-02-28"),
        ("Sept 5 2024", "2024-09-05"),
        ("Updated 3 March 2024 10:00 GMT", "2024-03-03"),
        ("3rd of March, 2024", "2024-03-03"),
        ("By Jane Doe | Reuters | March 3, 2024", "2024-03-03"),
        ("March 3", ""),  # no year
        ("28/02/25", ""),  # two-digit year
        ("2 hours ago", ""),
        ("31-02-2024", ""),  # impossible
        ("13/13/2024", ""),
        ("Mayor said 3 2024", ""),
        ("", ""),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("title", "sites", "expected"),
    [
        ("Merkel warns of populism | DW | 19.01.2020", ["DW"], "Merkel warns of populism"),
        ("Merkel warns of populism | DW | 19.01.2020", host_names("https://www.dw.com/en/x"),
         "Merkel warns of populism"),
        ("Title of a story - CNN", host_names("https://edition.cnn.com/2020/01/x"), "Title of a story"),
        ("Senate opens trial - The New York Times", ["The New York Times"], "Senate opens trial"),
        ("NPR | Senate opens trial", host_names("https://www.npr.org/x"), "Senate opens trial"),
        ("Infanta case goes to Madrid » Local » Noticias » Ultima Hora Mallorca",
         host_names("http://ultimahora.es/mallorca/x"), "Infanta case goes to Madrid"),
        # A part that does not name the site stays, and so does a headline naming it.
        ("Biden visits Kyiv - live updates", ["CNN"], "Biden visits Kyiv - live updates"),
        ("CNN anchor leaves the network after 20 years | Reuters", ["Reuters"],
         "CNN anchor leaves the network after 20 years"),
        ("Reuters reports record profit for the year - Business", ["Reuters"],
         "Reuters reports record profit for the year - Business"),
    ],
)  # fmt: skip
def test_titles_lose_the_site_name_and_date(title, sites, expected):
    assert clean_title(title, sites) == expected


@pytest.mark.parametrize(
    ("title", "link", "outlet"),
    [
        ("NYT > Top Stories", "https://www.nytimes.com", "NYT"),
        ("News : NPR", "https://www.npr.org/templates/story/story.php?storyId=1001", "NPR"),
        ("BBC News - News front page", "https://www.bbc.co.uk/news/", "BBC News"),
        ("Latest articles - The Japan Times", "https://www.japantimes.co.jp/", "The Japan Times"),
        ("Aeon | a world of ideas", "https://aeon.co", "Aeon"),
        ("ČT24 — Výběr redakce", "https://ct24.ceskatelevize.cz", "ČT24"),
        ("Quanta Magazine", "https://www.quantamagazine.org", "Quanta Magazine"),
        ("", "https://www.example.com/feed", "example.com"),
        ("NYT > Top Stories", "", "NYT"),  # no link: a path's first step is the site
        ("World News - Daily Planet", "", "World News - Daily Planet"),  # can't tell: all of it
    ],
)
def test_feed_outlet_is_the_site_not_the_feed(title, link, outlet):
    assert feed_outlet(title, link) == outlet
