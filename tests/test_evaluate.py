"""The eval metrics on hand-made hits: recall@k, reading-budget recall, shown recall."""

import pytest

from index.evaluation import QA, budget_hit, evaluate, first_answer_rank, within_budget
from index.models import Answer, Citation, Hit


def words(n: int, start: int = 0) -> str:
    return " ".join(f"w{i}" for i in range(start, start + n))


def test_budget_reads_passages_in_rank_order_and_cuts_the_last_one():
    passages = [words(60), words(60, 60), words(60, 120), words(60, 180)]
    read = within_budget(passages, 170)
    assert [len(t.split()) for t in read] == [60, 60, 50]
    assert read[2].endswith("w169") and sum(len(t.split()) for t in read) == 170
    assert budget_hit(passages, ["w169"], 170) and not budget_hit(passages, ["w170"], 170)
    assert budget_hit(passages, ["W199"], 200)  # case-insensitive, like recall@k


def test_a_first_passage_longer_than_the_budget_is_cut_to_it():
    long = words(300)
    assert len(within_budget([long, "Wang Yi"], 200)[0].split()) == 200
    assert within_budget([long, "Wang Yi"], 200) == [words(200)]
    assert budget_hit([long], ["w199"], 200) and not budget_hit([long], ["w200"], 200)
    assert not budget_hit([long, "Wang Yi"], ["Wang Yi"], 200)  # never reached


def test_an_answer_split_by_the_budget_boundary_is_a_miss():
    passage = words(198) + " Bed Bath & Beyond said"  # the answer's words are 199-202
    assert not budget_hit([passage], ["Bed Bath & Beyond"], 200)
    assert not budget_hit([passage], ["Bed Bath & Beyond"], 201)
    assert budget_hit([passage], ["Bed Bath & Beyond"], 202)


def test_an_answer_is_never_made_up_across_two_passages():
    assert not budget_hit(["... said Wang", "Yi met ..."], ["Wang Yi"], 200)
    assert first_answer_rank(["... said Wang", "Yi met ..."], ["Wang Yi"]) is None


def test_the_kept_text_is_the_passages_own():
    passage = "Bed Bath &\n  Beyond cut the AC.  More text here."
    # Not re-joined on single spaces, so budget recall and recall@k agree on whole passages.
    assert within_budget([passage], 5) == ["Bed Bath &\n  Beyond cut"]
    assert within_budget([passage, "x"], 100) == [passage, "x"]
    assert within_budget(["", "Wang Yi"], 1) == ["", "Wang"]
    assert within_budget(["a b"], 0) == []


def hit(text: str, score: float = 1.0, quote: str = "") -> Hit:
    source = Citation(1, "t", "outlet", "2025-02-28", "", "p")
    return Hit(1, text, quote, max(text.find(quote), 0), score, source)


def test_evaluate_reports_budget_and_shown_recall():
    ranked = {
        "long": [hit(words(250) + " Wang Yi"), hit("Wang Yi met Shoigu.")],
        "short": [hit(words(50)), hit(words(50)), hit(words(50)), hit("Wang Yi met")],
        "refused": [hit("Wang Yi met Shoigu.", score=0.1)],
        "nowhere": [hit(words(10))],
        "unanswerable": [hit("Shoigu", score=0.1)],
    }
    items = [
        QA("long", ["Wang Yi"]),
        QA("short", ["wang yi"]),
        QA("refused", ["Wang Yi"]),
        QA("nowhere", ["Wang Yi"]),
        QA("unanswerable", no_answer=True),
    ]

    def retrieve(question, mode, k, as_of=None):  # covered: the engine's decision
        hits = ranked[question][:k]
        return Answer(question, hits[0].score >= 0.3, hits, mode)

    def shown(h):  # a stand-in renderer that shows the first 20 characters
        return h.text[:20]

    r = evaluate(retrieve, items, "hybrid", [1, 3, 5], shown)
    assert r.recall == {1: 0.5, 3: 0.5, 5: 0.75}  # "long" and "refused" at 1, "short" at 4
    # "long": the first passage fills 200 words and the answer lies beyond; "short": the
    # answer is at words 151-152, past 150 but within 170.
    assert r.budget_recall == {170: 0.5, 200: 0.5}
    # Shown: "long" shows the second passage's head; "refused" shows nothing.
    assert r.shown_recall == 0.25
    assert r.false_refusal == 0.25 and r.refusal_accuracy == 1.0
    d = r.as_dict()
    assert d["recall@170w"] == d["recall@200w"] == 0.5 and d["shown_recall@3"] == 0.25
    assert evaluate(retrieve, items, "hybrid", [1]).shown_recall is None


def test_print_eval_shows_the_new_columns():
    from rich.console import Console

    from index.evaluation import ModeResult
    from newsdesk.output import print_eval

    r = ModeResult("hybrid", {1: 0.4, 3: 0.55}, 0.48, {170: 0.5, 200: 0.52}, 0.51, 214, 92,
                   0.01, 0.0, 14.2)  # fmt: skip
    console = Console(width=200, record=True)
    print_eval(console, [r])
    out = console.export_text()
    assert "R@170w" in out and "R@200w" in out and "shown R@3" in out
    assert "0.520" in out and "0.510" in out and "214 answerable questions" in out


def test_load_qa_reads_the_day_a_question_was_asked(tmp_path):
    from datetime import date

    from index.errors import NewsdeskError
    from index.evaluation import load_qa

    path = tmp_path / "qa.jsonl"
    path.write_text(
        '{"question": "a?", "answers": ["x"], "date": "2022/07/01"}\n'
        '{"question": "b?", "answers": ["y"]}\n'
    )
    assert [q.as_of for q in load_qa(path)] == [date(2022, 7, 1), None]
    path.write_text('{"question": "a?", "answers": ["x"], "date": "July"}\n')
    with pytest.raises(NewsdeskError, match="line 1: 'date' must be YYYY-MM-DD"):
        load_qa(path)
