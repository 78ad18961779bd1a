"""clean_text keeps every article sentence of a scraped page and nothing of its furniture."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.config import SAMPLE_CORPUS
from index.ingest.clean import clean_text, drop_sign_off, is_block_heading, is_prose

SAMPLE = SAMPLE_CORPUS
SCRAPED = Path(__file__).resolve().parents[1] / "data" / "scraped"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _assert_exactly(raw: str, text: str, sentences: list[str], furniture: list[str]) -> None:
    """Every sentence survives (and is really in the page); no furniture and nothing else."""
    for sentence in sentences:
        assert sentence in _norm(raw), f"test expectation not in the page: {sentence!r}"
        assert sentence in text, f"lost body sentence: {sentence!r}"
    for junk in furniture:
        assert junk not in text, f"furniture survived: {junk!r}"
    rest = text
    for sentence in sentences:
        rest = rest.replace(sentence, "", 1)
    assert rest.strip() == "", f"unexpected text kept: {rest.strip()!r}"


DEVDISCOURSE_SENTENCES = [
    "Sergei Shoigu, Russia's Security Council secretary, conducted discussions with Chinese "
    "Foreign Minister Wang Yi in Beijing.",
    "Representing President Vladimir Putin, Shoigu noted Moscow and Beijing's alignment on "
    "international matters, with plans to also speak with China's President Xi Jinping.",
    "Sergei Shoigu, the secretary of Russia's Security Council, embarked on a significant "
    "diplomatic mission to Beijing, where he engaged in discussions with Chinese Foreign "
    "Minister Wang Yi.",
    "The talks focused on aligning Moscow and Beijing's views on various international issues, "
    "according to reports from Russia's Interfax news agency.",
    "Shoigu, who previously served as Russia's defence minister, emphasized the strong alignment "
    "between Russia and China on international matters, highlighting the collaborative nature "
    "of their relationship.",
    "He was in China on behalf of President Vladimir Putin, signaling the importance Moscow "
    "places on its ties with Beijing.",
    "Further emphasizing the diplomatic drive, Interfax reported that Shoigu was also scheduled "
    "to meet with China's President Xi Jinping.",
    "This high-level exchange underscores the strategic partnership between the two nations "
    "amid evolving geopolitical dynamics.",
]

WANG_YI_SENTENCES = [
    "Chinas top diplomat Wang Yi Pivotal Russia Visit , laying the foundation for enhanced "
    "mutual political confidence between the two countries.",
    "As we delve into this diplomatic mission, we will examine the importance of Wang’s visit "
    "and how it might be linked to a historic encounter between President Vladimir Putin and "
    "President Xi Jinping.",
    "Wang Yi, who leads China’s foreign ministry and the Communist Party’s foreign affairs "
    "office, will initiate his diplomatic mission in Russia by engaging in yearly security "
    "discussions alongside Nikolai Patrushev, the Secretary of the Security Council.",
    "These talks underscore the shared determination of both countries to enhance their "
    "political connections.",
    "However, what other topics are they planning to address during these meetings?",
    "Wang’s upcoming discussions with Sergei Lavrov, his Russian counterpart, are anticipated "
    "to cover a broad spectrum of topics, including high-level contacts.",
    "This suggests that the talks will be extensive and prompt interesting inquiries about the "
    "direction of Sino-Russian relations.",
    "One of Wang’s main goals during his visit is to lay the groundwork for the potential visit "
    "of President Vladimir Putin to Beijing in October.",
    "President Xi Jinping offered this invitation during his visit to Moscow earlier this year, "
    "and it has the potential to be a significant step forward in Sino-Russian collaboration.",
    "While Vladimir Putin has conveyed his anticipation of a forthcoming encounter with Xi, he "
    "has not definitively affirmed his upcoming trip to China.",
    "The presence of an arrest warrant from the International Criminal Court (ICC) looms over "
    "Putin, linked to accusations of unlawfully expelling children from Ukraine.",
    "This intricate scenario introduces an aspect of unpredictability to the diplomatic arena.",
    "The ICC’s arrest warrant compels its 123 member nations to apprehend Putin and deliver him "
    "to the Hague for prosecution if he sets foot on their soil.",
    "Nevertheless, it’s important to note that China is not a signatory to the Rome Statute, "
    "which created the ICC in 2002.",
    "This legal distinction might significantly impact the circumstances surrounding Putin’s "
    "potential visit.",
    "Wang’s upcoming visit is anticipated to encompass thorough conversations regarding a range "
    "of critical matters, with a particular focus on Ukraine.",
    "Maria Zakharova, the spokeswoman for the Ministry, emphasises that the visit will enable a "
    "thorough discussion of Ukraine, a topic of global apprehension due to the ongoing "
    "conflict.",
    "Both China and Russia have vested interests in the area.",
    "Prior to his journey to Russia, Wang had productive discussions with White House national "
    "security adviser Jake Sullivan while he was in Malta.",
    "These talks highlight the continuous high-level exchanges between the United States and "
    "China, which might eventually result in a meeting between President Xi and President Joe "
    "Biden later in the year.",
    "The sequence of discussions between American and Chinese representatives has the capacity "
    "to influence the direction of international diplomacy in the future.",
    "As we anticipate what lies ahead, we ponder the potential results of these talks and how "
    "they might affect worldwide political dynamics.",
    "In the constantly changing realm of diplomacy, Wang Yi’s trip to Russia holds significant "
    "significance.",
    "It not only aims to enhance the bond between China and Russia but also lays the groundwork "
    "for a meeting between Putin and Xi.",
    "As we witness these unfolding events, we find ourselves confronted with numerous "
    "uncertainties, highlighting the captivating complexity of international politics.",
]

SAMPLE_FURNITURE = [
    "Left Menu", "TRENDING", "Endrick", "Gatwick", "Housing Market", "Hostage", "Global",
    "OPINION", "Fintech", "DevShots", "Latest News", "Connect us", "LinkedIn", "Quora",
    "Newsletter", "Feedback", "SECTORS", "Email", "Phone", "info@devdiscourse.com", "+91",
    "Disclaimer", "Terms of use", "Privacy Policy", "Copyright", "©", "Devdiscourse News Desk",
    "Updated:", "Created:", "IST", "Country:", "•", "With inputs from", "Related Articles",
    "Leave a Reply", "Your email address", "Required fields", "Back to top",
    "Putin’s Potential Visit", "ICC Arrest Warrant", "A Wide Range of Issues", "Shaping the Future",
    "Diplomatic Efforts Beyond Russia", "Role of Ukraine’s",
]  # fmt: skip


def test_devdiscourse_sample_keeps_body_and_drops_furniture():
    raw = _read(SAMPLE / "000_f4dd14aba053f40b.txt")
    result = clean_text(raw)
    assert result.title == "Strategic Talks: Shoigu's Diplomatic Mission in Beijing"
    _assert_exactly(raw, result.text, DEVDISCOURSE_SENTENCES, SAMPLE_FURNITURE)
    # The headline is not body text, and the lede/standfirst is.
    assert result.text.startswith("Sergei Shoigu, Russia's Security Council secretary")
    assert "Strategic Talks" not in result.text
    assert "TRENDING" in result.removed and "LinkedIn Quora Youtube RSS" in result.removed


def test_wang_yi_sample_keeps_body_and_drops_headings_and_captions():
    raw = _read(SAMPLE / "004_be67d9445b5e8b0f.txt")
    result = clean_text(raw)
    assert result.title == (
        "Chinas Top Diplomat Wang Yi Pivotal Russia Visit: Analyzing Implications and Uncertainties"
    )
    _assert_exactly(raw, result.text, WANG_YI_SENTENCES, SAMPLE_FURNITURE)
    paragraphs = result.text.split("\n\n")
    assert "Chinas Top Diplomat Wang Yi Pivotal Russia Visit" not in paragraphs
    assert result.removed.count("Putin’s Potential Visit") == 2


def test_paragraphs_are_joined_by_blank_lines_with_single_spaces():
    result = clean_text(_read(SAMPLE / "004_be67d9445b5e8b0f.txt"))
    for paragraph in result.text.split("\n\n"):
        assert paragraph == _norm(paragraph)
        assert "\xa0" not in paragraph


WIRE_SENTENCES = [
    "Paris and Berlin will co-fund three factories under a plan announced on Monday.",
    "PARIS (Reuters) - France and Germany agreed on Monday to co-finance three battery "
    "factories, the two governments said in a joint statement.",
    "The plants, in Lorraine, Saxony and the Ruhr, are expected to employ about 4,000 people "
    "by 2028.",
    '"This is a European answer to a global race," French Finance Minister Pierre Martin told '
    "reporters.",
    "Asked about the cost, Martin said the two states would share it equally.",
    "He declined to comment on the amount.",
    "Is Europe too late?",
    "Analysts are divided.",
    "Shares of European battery makers rose 3% after the announcement.",
    "The European Commission must still approve the state aid, a process that usually takes "
    "several months.",
]
WIRE_FURNITURE = [
    "Skip to", "cookies", "Sign In", "Subscribe", "Markets", "By Jane Doe", "Share this",
    "WhatsApp", "Photo", "REUTERS/", "Elysee", "Advertisement", "Read more", "shortfall",
    "Comments", "Marie", "Finally some good news", "subsidy", "Reply", "Most Read", "OPEC",
    "Central bank", "Storm", "newsletter", "top stories", "Follow us", "Instagram",
    "Market Street", "(555) 123-4567", "contact@example.com", "©", "All rights reserved",
    "Agree Joint Plan",
]  # fmt: skip


def test_wire_page_with_comments_most_read_and_footer():
    raw = _read(SCRAPED / "wire_battery_plants.txt")
    result = clean_text(raw)
    assert result.title == "France and Germany Agree Joint Plan on Battery Plants"
    _assert_exactly(raw, result.text, WIRE_SENTENCES, WIRE_FURNITURE)


BLOG_SENTENCES = [
    "Swiss glaciers shrank by four percent of their remaining volume in 2023, the "
    "second-largest loss on record, according to a survey published on Monday by the Swiss "
    "Academy of Sciences.",
    "The loss follows a record melt in 2022, when glaciers lost six percent of their volume.",
    "Glacier Monitoring Switzerland said the combined losses of the past two years equal all the "
    "ice lost between 1960 and 1990.",
    "Scientists blamed a winter with little snowfall followed by a hot summer.",
    '"We had a very low snowpack, then heat waves in July and August," said Matthias Huss, who '
    "leads the monitoring network.",
    "The survey measured about 170 of the roughly 1,400 glaciers in Switzerland.",
    "The researchers extrapolated the results to the rest of the country.",
    "Smaller glaciers are disappearing entirely.",
    "The St. Annafirn glacier in Canton Uri has ceased to exist, the academy said.",
    "Is there any hope?",
    "Only sharp cuts in emissions could save a third of the remaining ice, researchers say.",
]
BLOG_FURNITURE = [
    "Home »", "Menu", "Search", "Published:", "Updated:", "by Tom Baker", "Correspondent",
    "Advertisement", "A Warm Summer", "Related Posts", "Ski resorts", "permafrost", "Image:",
    "Bernese", "Rhone Glacier", "Tags:", "Share:", "Facebook", "Follow us", "About the author",
    "ten years", "Zurich", "You may also like", "Alpine lakes", "vanishing ice", "newsletter",
    "(c) 2024", "All rights reserved", "Privacy Policy", "Cookie", "editor@", "+41",
    "Record Ice Last Summer",
]  # fmt: skip


def test_blog_page_with_hard_wrapped_text_and_mid_article_related_box():
    raw = _read(SCRAPED / "blog_alpine_glaciers.txt")
    result = clean_text(raw)
    assert result.title == "Glaciers in the Alps Lost Record Ice Last Summer, Survey Finds"
    _assert_exactly(raw, result.text, BLOG_SENTENCES, BLOG_FURNITURE)


def test_given_title_is_kept_and_its_echo_dropped():
    raw = "Nav\n\nMarkets Rally Worldwide Today.\n\nStocks rose on Monday in every major market.\n"
    result = clean_text(raw, title="Markets Rally Worldwide Today.")
    assert result.title == "Markets Rally Worldwide Today."
    assert result.text == "Stocks rose on Monday in every major market."


def test_list_of_teasers_before_the_article_is_skipped():
    raw = (
        "Trending Now\n\nOil Prices Slump After Weak Data\n\nTraders sold crude after weak data from China.\n\n"
        "Election Results Delayed\n\nCity Council Approves Budget\n\n"
        "The council voted 7-2 on Tuesday to approve the budget.\n\n"
        "The plan raises spending on schools by 4%.\n"
    )
    result = clean_text(raw)
    assert result.text == (
        "The council voted 7-2 on Tuesday to approve the budget.\n\n"
        "The plan raises spending on schools by 4%."
    )
    assert result.title == "City Council Approves Budget"


def test_cue_words_inside_real_sentences_survive():
    body = [
        "Shares of Apple rose 3% on Monday.",
        "The two cases are related, the judge said.",
        "Trending topics on the platform were dominated by the vote.",
        "Readers can follow us, the editor joked, but few do.",
        "Both are related.",
    ]
    result = clean_text("Apple Results Beat Forecasts Again\n\n" + "\n\n".join(body))
    assert result.text.split("\n\n") == body


# Site notices as USA TODAY, CNN and The Week pages carry them (RealTime QA corpus): each
# recurs across dozens of articles, and none of them may ever be quoted as an answer.
SITE_NOTICES = [
    "Sign up here.",
    '(You can get "5 Things You Need to Know Today" delivered to your inbox daily.',
    "Get CNN Health's weekly newsletter Sign up here to get The Results Are In with Dr. Sanjay"
    " Gupta every Tuesday from the CNN Health team.",
    "Follow Jordan Mendoza on Twitter: @jordan_mendoza5.",
    "Reach Joey Garrison on Twitter @joeygarrison.",
    "1. How relevant is this ad to you?",
    "Video player was slow to load content Video content never loaded Ad froze or did not"
    " finish loading Video content did not start after ad Audio on ad was too loud Other issues",
    "— Recommendations are independently chosen by Reviewed’s editors.",
    "Purchases you make through our links may earn us a commission.",
    "Prices were accurate at the time this article was published but may change over time.",
    "Our fact check work is supported in part by a grant from Facebook.",
    "This story and headline have been updated with additional developments.",
    "Support local journalism. Subscribe to azcentral.com today.",
    "Thank you for supporting our journalism.",
    "We will use the details you have shared to manage your newsletter subscription.",
    "If you wish to object to the use of your data in this way, please tick here.",
    "24/7 Wall Street is a USA TODAY content partner offering financial news and commentary.",
    "Here's what you need to know to Get Up to Speed and On with Your Day.",
    "To see the full methodology, click here.",
    "Take CNN’s weekly news quiz to see how much you remember from the week that was!",
    "Subscribe to continue reading.",
    "This article is only available to subscribers.",
    "この記事は会員限定です。",  # this article is for members only
    "電子版に登録すると続きをお読みいただけます。",  # register to read the rest
    "詳しくはこちら",  # details here
    "The Short List is free, but several stories we link to are subscriber-only.",
    "You can subscribe to our print edition, ad-free app or electronic newspaper replica here.",
    "Sign up for our subscriber-only texting campaign.",
    "Get deals and shopping advice delivered straight to your phone.",
    "Want to send Nicole a note, shoot her an email at NFallert@usatoday.com.",
    "Share your thoughts with USA TODAY for possible inclusion in future coverage.",
    "Keep refreshing this page for the latest news.",
    "Read the full story.",
    "There may be some differences between the audio and the text.",
    "Environmental coverage on azcentral.com and in The Arizona Republic is supported by a grant"
    " from the Nina Mason Pulliam Charitable Trust.",
    "The Masimo Foundation does not provide editorial input.",
    "A version of this story first appeared in CNN Business' Before the Bell newsletter.",
    "The views expressed in this commentary are his own.",
    "FOR SUBSCRIBERS:There may be risk, but the US will likely keep arming Ukraine.",
    "Help support Coloradoan journalists by purchasing a subscription today.",
    "Hear it at 8 a.m. Thursdays on WYMS-FM (88.9), or wherever you get your podcasts.",
    "He can be reached at jcall@tallahassee.com.",
    "Contact him at chris@elliott.org or visit elliott.org.",
    "Janet Wilson is senior environment reporter for The Desert Sun and writes USA Today's"
    " Climate Point newsletter @janetwilson66 janet.wilson@desertsun.com",
    "Follow The Republic environmental reporting team at environment.azcentral.com and"
    " @azcenvironment on Facebook, Twitter and Instagram.",
]
NEWS_NEAR_NOTICES = [
    "So, to stay on the safe side, check your local forecasts and review these tips to stay cool.",
    "The research was supported in part by a grant from the National Institutes of Health.",
    "Phishing emails that land in your inbox often pose as a bank.",
    "More than a million readers signed up for her newsletter within a year.",
    "The company updated its forecast for the year on Tuesday.",
    "Prices were higher than a year ago, the report said.",
    "The study's content is available to members of the public on request.",
    "Readers kept reading the serial to the end.",
    "Officials said the views expressed by the group were extreme.",
    "The agency will subscribe to the new standard next year, a spokeswoman said.",
    "Voters were asked to sign up for mail ballots by Friday.",
    "The vote was 7:2, and the session closed at 10:30 p.m.",
    "Why did prices rise so fast? Analysts blamed limits on refining capacity.",
    "A version of the bill passed the House in May.",
    "If you do not follow alerts sent out by the weather service on Twitter or on the radio, stay"
    " off the beach.",
    "Netflix said it lost 970,000 subscribers in the second quarter.",
    "Police said the suspect could not be reached at his home on Friday.",
    "Evan Gershkovich is a reporter for The Wall Street Journal who was detained in March.",
]


@pytest.mark.parametrize("notice", SITE_NOTICES)
def test_site_notices_are_cut_from_the_paragraph_that_carries_them(notice):
    lead = "Gas prices have risen 38% over the past year, the Energy Department said on Monday."
    page = f"Gas Prices Keep Climbing\n\n{lead} {notice}\n\n{notice}\n\nDrivers are cutting back."
    result = clean_text(page)
    assert result.text.split("\n\n") == [lead, "Drivers are cutting back."]
    assert notice in result.removed


def test_sentences_that_only_resemble_notices_survive():
    result = clean_text("Heat Wave Builds Across the Plains\n\n" + "\n\n".join(NEWS_NEAR_NOTICES))
    assert result.text.split("\n\n") == NEWS_NEAR_NOTICES


def test_a_staff_bio_goes_with_its_sign_off_and_a_lead_in_with_its_notice():
    lead = "The polio vaccine has been available since 1955, the CDC says in a report."
    bio = "Natalie Neysa Alund covers trending news for USA TODAY."
    sign_off = "Reach her at nalund@usatoday.com and follow her on Twitter @nataliealund."
    lead_in = "What's everyone talking about?"
    pitch = "Sign up for our trending newsletter to get the latest news of the day"
    page = f"Polio Returns\n\n{lead} {lead_in} {pitch}\n\n{lead} {bio} {sign_off}"
    result = clean_text(page)
    assert result.text == f"{lead}\n\n{lead}"
    assert {bio, sign_off, lead_in, pitch} <= set(result.removed)


def test_a_link_glued_to_its_label_goes_and_news_glued_the_same_way_stays():
    lead = "The Senate voted 61-35 on Tuesday to advance the bill to a final vote."
    links = [
        "Closer look:Rising reports of rare monkeypox cases in US and around the world raise concern",
        "Read the rest here:What Biden has said about filling vacancies on the nation's highest court",
        "Are electric pickups the future?:As Tesla preps 'Cybertruck,' electric pickups gain steam."
        " But does anyone want one?",
    ]
    news = [
        "Savannah:For the first time, the Port of Savannah has moved 5.3 million containers in a"
        " fiscal year, the Georgia Ports Authority said.",
        "The vote is set for 10:30 a.m. Eastern, and the bill is expected to pass",
    ]
    result = clean_text("\n\n".join(["Senate Advances Marriage Bill", lead, *links, *news]))
    assert result.text.split("\n\n") == [lead, *news]
    assert set(links) <= set(result.removed)


def test_a_staff_bio_closing_the_article_is_dropped_but_not_elsewhere():
    bio = "Camille Fine is a trending visual producer on USA TODAY's NOW team. She loves pizza."
    news = "Evan Gershkovich is a reporter for The Wall Street Journal. He was detained."
    assert drop_sign_off(f"{news}\n\nThe park reopened.\n\n{bio}") == (
        f"{news}\n\nThe park reopened.",
        bio,
    )
    assert drop_sign_off(f"{news}\n\nThe park reopened.")[1] == ""
    obituary = "He is survived by two sons.\n\nHe is a former editor of The Post."
    assert drop_sign_off(obituary) == (obituary, "")
    assert drop_sign_off(bio) == (bio, "")  # a one-paragraph text is never emptied


def test_repeated_caption_lines_and_duplicate_paragraphs_are_dropped():
    raw = (
        "Storm Hits Coast As Thousands Flee\n\n"
        "A storm hit the coast on Sunday, officials said.\n\n"
        "Rescue Teams at Work\nRescue Teams at Work\n\n"
        "A storm hit the coast on Sunday, officials said.\n\n"
        "Storm Hits Coast As Thousands Flee.\n\n"
        "Power was cut to 20,000 homes.\n"
    )
    result = clean_text(raw)
    assert result.text.split("\n\n") == [
        "A storm hit the coast on Sunday, officials said.",
        "Power was cut to 20,000 homes.",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("TRENDING", True),
        ("Most Read", True),
        ("Related Articles", True),
        ("OPINION / BLOG / INTERVIEW", True),
        ("You may also like", True),
        ("12 Comments", True),
        ("Latest Developments in Gaza", False),
        ("The trend is clear.", False),
    ],
)
def test_is_block_heading(line, expected):
    assert is_block_heading(line) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("He declined to comment.", True),
        ("Gatwick Expansion: Green Light for Growth?", False),
        ("Australia's Housing Market: A Struggle for Affordability Amid Stagnant Growt...", False),
        ("Putin’s Potential Visit", False),
        ("Vladimir Putin met Xi Jinping in Beijing.", True),
    ],
)
def test_is_prose(line, expected):
    assert is_prose(line) is expected


_TOKEN = st.sampled_from(
    [
        "a",
        "b",
        "Xy",
        " ",
        ".",
        ",",
        "?",
        "|",
        ":",
        "©",
        "@",
        "-",
        "\n",
        "\t",
        "\xa0",
        "•",
        "Share ",
        "Related ",
        "He said",
        "1",
    ]
)
_LINE = st.lists(_TOKEN, max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, max_size=12))
def test_never_invents_text(lines):
    raw = "\n".join(lines)
    result = clean_text(raw)
    for paragraph in filter(None, result.text.split("\n\n")):
        assert paragraph == _norm(paragraph)
        assert paragraph in _norm(raw)
    assert not re.search(r"\n{3,}", result.text)


# --- block text from HTML, Markdown and feeds (index.ingest.blocks) ----------------------------

LEDE = "Microsoft Corp said on Thursday it would remove all the carbon it has emitted by 2050."
MORE = "The company will spend $1 billion over four years on carbon removal technology."


def test_a_marked_heading_is_never_body_text_nor_glued_to_it():
    heading = "Microsoft moves to erase its carbon footprint from the atmosphere in climate push"
    assert is_prose(heading)  # read as a line of text, it would pass for a sentence
    result = clean_text(f"# {heading}\n{LEDE}\n\n{MORE}")
    assert result.text.split("\n\n") == [LEDE, MORE]
    assert result.title == heading


def test_a_sub_heading_inside_the_article_is_a_paragraph_of_its_own():
    raw = (
        f"# Microsoft pledges to go carbon negative\n\n{LEDE}\n\n# What it costs\n{MORE}"
        "\n\n# More on climate\n\n# Tags"
    )
    result = clean_text(raw, structured=True)
    assert result.text.split("\n\n") == [LEDE, "What it costs", MORE]
    assert result.title == "Microsoft pledges to go carbon negative"
    # Headings in a row, or after the last paragraph, introduce no article text.
    raw = f"{LEDE}\n\n# Popular\n\n# Other news\n\n{MORE}\n\n# Sign-off"
    assert "Popular" not in clean_text(raw).text and "Sign-off" not in clean_text(raw).text


def test_a_marked_story_box_heading_opens_a_list_of_other_stories():
    raw = (
        f"{LEDE}\n\n{MORE}\n\n# Trending On Reuters\n\n# Banking\n\n"
        "India needs to reform its banks, the finance minister told reporters on Monday.\n\n"
        "# Factory Activity\n\nWeak factory reports from Asia and Europe suggest more central bank action"
    )
    assert clean_text(raw).text.split("\n\n") == [LEDE, MORE]


def test_structured_text_keeps_the_entries_of_an_article_list():
    entries = [
        "Jan. 15-18: BK Productions, 2015 Boat Show, NHH, 500",
        "- Schwartz & Wade, $17.99; ages 3-7",
    ]
    raw = f"{LEDE}\n\n" + "\n\n".join(entries) + "\n\nStore\n\nTake Quiz"
    assert clean_text(raw, structured=True).text.split("\n\n") == [
        LEDE,
        entries[0],
        "Schwartz & Wade, $17.99; ages 3-7",
    ]
    assert clean_text(raw).text == LEDE  # scraped text: a menu could look the same


@pytest.mark.parametrize(
    "line",
    [
        "So many ambulances lined up outside the airport pic.twitter.com/16xocpihlY",
        "— Tom Phillips (@tomphillipsin) December 31, 2014",
        "A photo posted by Jane Doe (@janedoe) on Dec 3, 2014 at 5:00pm PST",
        "(Image credit: Getty Images)",
        "(Credit: Reuters/Jane Doe)",
        "[Photo: AP]",
        "<iframe width='670' height='437' src='http://globalnews.ca/video/embed/1747657/'></iframe>",
        "$app->get('/image/{username}', function($username) use ($app) {",
        "Additional reporting by Jane Doe; Editing by John Roe",
        "Read the full story at The Verge.",
        "This article originally appeared on VICE US.",
        "Our Standards: The Thomson Reuters Trust Principles.",
        "Submit your letter to the editor via this form. Read more Letters to the Editor.",
        "Subscribe: Spotify | Apple Podcasts | Google Podcasts",
        "November 28, 2013 -- Updated 0203 GMT (1003 HKT)",
        "Posted: Thursday, October 17, 2013, 8:09 PM EDT",
        "<div><script src='/js/jim'></script></div>",
    ],
)
def test_furniture_shapes_are_cut(line):
    assert clean_text(f"{LEDE}\n\n{line}\n\n{MORE}", structured=True).text.split("\n\n") == [
        LEDE,
        MORE,
    ]


def test_sentences_that_name_a_tag_and_dates_and_entries_of_a_list_survive():
    lines = [
        "All that requires is that the host website insert a simple <script> tag where they "
        "want our content to appear.",
        "Monday, November 25, 2013 at 3:00 PM",  # a meeting's date, no time stamp
        "Jan. 15-19: Martin Luther King Jr Skate-A-Thon, 2015 Annual MLK Freestyle Skate Jam, "
        "Holiday Inn Research Park, 2000",  # a long entry of an article's list
    ]
    raw = "\n\n".join([LEDE, *lines, MORE])
    assert clean_text(raw, structured=True).text.split("\n\n") == [LEDE, *lines, MORE]
    signoff = "Reach the reporter at jen.doe@example.com or at 602-444-8763."
    assert clean_text(f"{LEDE}\n\n{signoff}").text == LEDE


def test_asides_of_the_writer_and_verse_survive():
    aside = (
        "(Speaking of which, the senator is right about what a fantastic job his mentor did "
        "reaching out to voters in California. Look at how the state has swung since then.)"
    )
    verse = (
        'The memoir begins with her birth. "I am born on a Tuesday at University Hospital / '
        'Columbus, Ohio, / USA – / a country caught / between Black and White." A wonderful '
        "model for young readers wanting to write their own family stories."
    )
    assert clean_text(f"{LEDE}\n\n{aside}\n\n{verse}").text.split("\n\n") == [LEDE, aside, verse]


def test_sentences_cut_off_by_a_teaser_or_a_feed_are_dropped():
    raw = (
        f"{LEDE} The company also pledged to fund reforestation [...]\n\n"
        f"{MORE} Analysts expect rivals to follow with similar…more\n\n"
        f"{LEDE} The plan, which rivals were quick to …"
    )
    assert clean_text(raw).text.split("\n\n") == [LEDE, MORE, LEDE]
    # Inside the article a trailing ellipsis is the writer's own.
    trailing = 'He paused before he answered: "We will see..."'
    assert clean_text(f"{trailing}\n\n{MORE}").text.split("\n\n") == [trailing, MORE]


def test_inline_teasers_for_other_stories_are_cut():
    raw = f"{LEDE} (RELATED: Kentucky Basketball’s Christmas Card Must Be Pretty Intimidating)"
    assert clean_text(raw).text == LEDE


def test_comment_sections_in_other_languages_end_the_article():
    raw = f"{LEDE}\n\n# Comentar\n\nVaya comportamiento tan poco ejemplar del fiscal, de verdad."
    assert clean_text(raw).text == LEDE


def test_prose_in_scripts_without_spaces_or_capitals():
    chinese = (
        "香港行政长官梁振英在各方压力下就其大宅的违章建筑问题到立法会接受质询，并向香港民众道歉。"
    )
    arabic = "أكدت جهات سورية معارضة أن فصائل مسلحة سيطرت على مواقع جديدة في ريف حلب الشمالي."
    assert is_prose(chinese) and is_prose(arabic)
    assert clean_text(f"{chinese}\n\n{arabic}").text.split("\n\n") == [chinese, arabic]
