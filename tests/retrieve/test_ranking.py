"""Ranking logic without I/O, and what a reply quotes."""

from index.retrieve.ranking import unshown_part


def test_unshown_part_takes_out_sentences_already_quoted():
    spans = [(0, 10), (11, 20), (21, 30)]
    assert unshown_part(spans, 100, 30, set()) == (0, 30, [0, 1, 2])
    # The previous passage ended with this one's first sentence (article offset 100-110).
    assert unshown_part(spans, 100, 30, {(100, 110)}) == (11, 30, [1, 2])
    assert unshown_part(spans, 100, 30, {(121, 130)}) == (0, 20, [0, 1])
    assert unshown_part(spans, 100, 30, {(100, 110), (111, 120), (121, 130)}) is None
    assert unshown_part(spans, 0, 30, {(100, 110)}) == (0, 30, [0, 1, 2])  # other offsets


def test_one_answer_never_quotes_a_sentence_twice(engine_factory, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    # One long paragraph: passages cut inside it share a sentence at each cut.
    body = " ".join(
        f"The harbour ferry service added its route number {i} to the island timetable on Friday."
        for i in range(1, 16)
    )
    (folder / "ferry.md").write_text(f"---\ntitle: Ferry routes\n---\n{body}\n")
    engine = engine_factory([folder])
    answer = engine.ask("Which routes did the harbour ferry service add?", k=3)
    assert len(answer.hits) >= 2
    sentences = [s.strip() for h in answer.hits for s in h.text.split("Friday.") if s.strip()]
    assert len(sentences) == len(set(sentences))  # no sentence shown twice
    for hit in answer.hits:
        assert hit.text[hit.quote_start : hit.quote_start + len(hit.quote)] == hit.quote
