"""The time a question names, and whether the coverage has relevant news from then."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.retrieve.timeframe import (
    LATE_SLACK_DAYS,
    Timeframe,
    covered_in,
    not_covered_reason,
    question_timeframe,
)

ASKED = date(2022, 6, 17)


@pytest.mark.parametrize(
    ("question", "days", "words"),
    [
        ("Which celebrity was found liable in a sexual battery case this week?", 7, "this week"),
        ("This past week, which country rejoined the pact?", 7, "this past week"),
        ("Who was named coach over the weekend?", 7, "over the weekend"),
        ("What did the Fed announce on Wednesday?", 7, "on wednesday"),
        ("Which singer cancelled her tour last week?", 14, "last week"),
        ("Who resigned yesterday?", 2, "yesterday"),
        ("Which team plays tonight?", 1, "tonight"),
        ("Which bank failed this month?", 31, "this month"),
        ("Which university recently apologised for its letters?", 30, "recently"),
        ("Which airport was the worst for delays this summer?", 92, "this summer"),
        ("Which two supermarkets plan to merge next month?", 31, "next month"),
        ("Which cheese is seeing a boost right now?", 14, "right now"),
        ("Which word was named word of the year this year?", 167, "this year"),  # since 1 Jan
        # the widest window a question names wins
        ("Yesterday's vote capped what happened this week: who won?", 7, "this week"),
    ],
)
def test_time_words_name_a_window_ending_on_the_asking_day(question, days, words):
    frame = question_timeframe(question, ASKED)
    assert frame == Timeframe(ASKED - timedelta(days=days), ASKED, words)


@pytest.mark.parametrize(
    "question",
    [
        "Who did Shoigu meet in Beijing?",
        "What happened in January 2020?",  # when it happened, not when it was reported
        "Which weekly magazine changed hands?",
        "How many weeks did the strike last?",
        "Who won the Monday night game in 2021?",
        "According to USA Today, which city is the most walkable?",
        "Which host left the Today show?",
        "What is the most recent year the Avalanche won the Stanley Cup?",
    ],
)
def test_no_time_words_no_window(question):
    assert question_timeframe(question, ASKED) is None


def test_holds_widens_by_the_slack_and_leaves_undated_open():
    frame = question_timeframe("Who won this week?", ASKED)
    assert frame.holds("2022-06-10") and frame.holds("2022-06-17T23:00:00")
    assert not frame.holds("2022-06-09")
    assert frame.holds("2022-06-07", slack_days=3) and not frame.holds("2022-06-06", slack_days=3)
    # a page dated after the window may be its story updated: LATE_SLACK_DAYS
    late = ASKED + timedelta(days=LATE_SLACK_DAYS)
    assert frame.holds(late.isoformat()) and not frame.holds((late + timedelta(1)).isoformat())
    assert frame.holds("") is None and frame.holds("last year") is None


def test_covered_needs_a_relevant_candidate_from_the_window():
    frame = question_timeframe("Who won this week?", ASKED)
    old_relevant, new_unrelated = (0.8, "2022-01-03"), (0.1, "2022-06-15")
    assert not covered_in(frame, [old_relevant, new_unrelated], 0.3, 3)
    assert covered_in(frame, [old_relevant, (0.35, "2022-06-15")], 0.3, 3)
    assert covered_in(frame, [(0.5, "")], 0.3, 3)  # undated: cannot say it is not from then
    assert not covered_in(frame, [], 0.3, 3)


def test_the_reason_names_the_window():
    frame = question_timeframe("Who won this week?", ASKED)
    assert not_covered_reason(frame) == (
        "Nothing in the coverage from 2022-06-10 to 2022-06-17 (“this week”) addresses this question."
    )


@given(st.text(max_size=200), st.dates(min_value=date(1990, 1, 1)))
def test_any_question_gets_a_window_ending_on_its_day_or_none(question, asked):
    frame = question_timeframe(question, asked)
    assert frame is None or (frame.last == asked and frame.first <= asked and frame.words)
