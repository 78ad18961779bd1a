"""Sentence splitting and passage offsets, including property-based checks."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from index.ingest.passages import make_passages, split_sentences


def test_sentences_respect_abbreviations_and_quotes():
    text = (
        'Dr. Smith met Mr. J. Jones at 3 p.m. on Monday. "It went well," he said. The U.S. agreed!'
    )
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == [
        "Dr. Smith met Mr. J. Jones at 3 p.m. on Monday.",
        '"It went well," he said.',
        "The U.S. agreed!",
    ]


def test_paragraph_break_ends_a_sentence_without_punctuation():
    text = "A headline without a stop\n\nThe body starts here. It goes on."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "A headline without a stop",
        "The body starts here.",
        "It goes on.",
    ]


def test_chinese_and_japanese_full_stops_end_sentences():
    chinese = "梁振英就违章建筑问题道歉。他说：“我会负责。”记者追问！真的吗？"
    assert [chinese[a:b] for a, b in split_sentences(chinese)] == [
        "梁振英就违章建筑问题道歉。",
        "他说：“我会负责。”",
        "记者追问！",
        "真的吗？",
    ]
    # A quotation carried on by the quoting particle と is one sentence.
    japanese = "首相は「検討します。」と述べた。会見は10分で終わった。"
    assert [japanese[a:b] for a, b in split_sentences(japanese)] == [
        "首相は「検討します。」と述べた。",
        "会見は10分で終わった。",
    ]


def test_passages_of_text_without_spaces_count_its_words():
    # Two characters make a word, so a Chinese article is cut into passages near the target
    # length rather than read as one word a sentence.
    sentence = "香港行政长官梁振英在各方压力下就其大宅的违章建筑问题道歉。"  # 14 words
    passages = make_passages(sentence * 40, target_words=60, max_words=120, overlap=1)
    assert len(passages) > 5
    assert all(len(p.sentences) <= 8 for p in passages)
    overlong = make_passages("梁振英" * 200, target_words=60, max_words=100)
    assert all(len(p.text) <= 200 for p in overlong)


def test_passages_overlap_by_one_sentence_and_offsets_map_back():
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(20)]
    text = " ".join(sentences)
    passages = make_passages(text, target_words=20, max_words=40, overlap=1)
    assert len(passages) > 3
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert all(text[a:b] in sentences for a, b in p.sentences)
        assert len(p.text.split()) <= 40
    for prev, nxt in itertools.pairwise(passages):
        assert prev.sentences[-1] == nxt.sentences[0]  # one shared sentence
    assert [p.order for p in passages] == list(range(len(passages)))


def test_overlong_sentence_is_cut_into_word_windows():
    text = " ".join(f"w{i}" for i in range(500)) + "."
    passages = make_passages(text, target_words=60, max_words=100)
    assert all(len(p.text.split()) <= 100 for p in passages)
    assert passages[0].text.startswith("w0 ") and passages[-1].text.endswith("w499.")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=800), st.integers(5, 60))
def test_passages_cover_text_in_order(text, target):
    passages = make_passages(text, target_words=target, max_words=target * 2, overlap=1)
    covered = 0
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert p.start <= covered or not text[covered : p.start].strip()  # no gap with text
        covered = max(covered, p.end)
        for a, b in p.sentences:
            assert p.start <= a < b <= p.end
    assert not text[covered:].strip()
    starts = [p.start for p in passages]
    assert starts == sorted(starts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=1500))
def test_cleaning_then_chunking_never_crashes_on_arbitrary_text(raw):
    from index.ingest.articles import prepare
    from index.models import Document

    article = prepare(Document(key="k", path="p", raw_hash="h", text=raw))
    for p in make_passages(article.text, target_words=30, max_words=60):
        assert article.text[p.start : p.end] == p.text
        assert all(article.text[a:b].strip() for a, b in p.sentences)
