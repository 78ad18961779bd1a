"""The names a question gives, and what a refusal says of the ones never mentioned."""

import pytest

from index.retrieve.mentions import never_mentioned_reason, question_names


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("A young walrus named Freya was spotted. What mischief is she accused of?", ["Freya"]),
        ("Which company did Elon Musk say he would buy?", ["Elon", "Musk"]),
        ("Who won the 2030 World Cup?", ["World", "Cup"]),  # numbers are not names
        ("What did Ofcom's survey find about Ofcom users?", ["Ofcom"]),  # once, no possessive
        ("Who did Shoigu meet? He met Wang Yi.", ["Shoigu", "Wang", "Yi"]),  # not "He"
        ("who won the chili cook-off?", []),  # lower case: no names to check
    ],
)
def test_question_names_are_its_capitalised_words_after_a_sentence_start(question, names):
    assert question_names(question) == names


def test_the_reason_quotes_the_names_never_mentioned():
    assert never_mentioned_reason(["Freya"]) == "Nothing in the coverage mentions “Freya”."
    assert never_mentioned_reason(["Fenrir", "Antares"]) == (
        "Nothing in the coverage mentions “Fenrir” or “Antares”."
    )
    many = never_mentioned_reason(["A1", "B2", "C3", "D4"])
    assert many == "Nothing in the coverage mentions “A1”, “B2” or “C3”."
