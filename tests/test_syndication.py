"""Syndicated copies of one wire story collapse into one hit that cites every outlet."""

from index.config import SAMPLE_CORPUS

STORY = (
    "Engineers in Norway have switched on the largest floating wind farm in the North Sea, "
    "the operator said on Monday. The eleven turbines will supply power to nearby oil and gas "
    "platforms, cutting their emissions by about a third. Each turbine stands on a concrete "
    "float anchored to the seabed with mooring lines. The project cost about five billion "
    "crowns and took three years to build, according to the company."
)


def md(title: str, outlet: str, url: str, body: str) -> str:
    return (
        f"---\ntitle: {title}\noutlet: {outlet}\nurl: {url}\npublished: 2024-08-23\n---\n{body}\n"
    )


def test_two_outlets_one_hit(tmp_path, engine_factory):
    corpus = tmp_path / "wire"
    corpus.mkdir()
    (corpus / "a.md").write_text(
        md("Floating wind farm opens", "Reuters", "https://r.example/1", STORY)
    )
    edited = STORY.replace("on Monday", "on Monday, Aug. 21") + " Read more on our site."
    (corpus / "b.md").write_text(
        md("Norway opens floating wind farm", "Devdiscourse", "https://d.example/2", edited)
    )
    engine = engine_factory([corpus, SAMPLE_CORPUS])
    answer = engine.ask("How many turbines does the floating wind farm in the North Sea have?")
    assert answer.covered
    first = answer.hits[0]
    assert "eleven turbines" in first.text
    assert sorted(s.outlet for s in first.citations) == ["Devdiscourse", "Reuters"]
    assert all("eleven turbines" not in h.text for h in answer.hits[1:])  # no second copy
    # Without collapsing, the copy would take the second place.
    engine.config.search.collapse_similarity = 1.01
    plain = engine.ask("How many turbines does the floating wind farm in the North Sea have?")
    assert "eleven turbines" in plain.hits[1].text and not plain.hits[0].also
