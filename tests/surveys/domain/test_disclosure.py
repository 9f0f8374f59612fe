"""Which service groups of a published period may be shown on their own (worked by hand)."""

from __future__ import annotations

import pytest

from app.domain.surveys.disclosure import publishable_groups


def test_groups_at_or_above_the_minimum_are_shown_when_nothing_small_is_left():
    assert publishable_groups({"a": 12, "b": 10, "c": 40}, 10) == {"a", "b", "c"}


def test_one_small_group_takes_the_smallest_other_with_it():
    # c (3) alone held back: total 65 - a - b = 3 would give it away. b (10) is the smallest
    # shown group: holding it back too makes 13 held together, at least the minimum.
    assert publishable_groups({"a": 52, "b": 10, "c": 3}, 10) == {"a"}


def test_small_groups_that_together_reach_the_minimum_need_nothing_more():
    # 4 + 6 = 10 held back: whatever the total gives away rests on 10 answers.
    assert publishable_groups({"a": 30, "b": 4, "c": 6}, 10) == {"a"}


def test_among_equal_counts_the_group_listed_first_stays():
    assert publishable_groups({"a": 10, "b": 10, "c": 1}, 10) == {"a"}


def test_holding_back_continues_until_enough_or_nothing_is_shown():
    # 1 held; the smallest shown (10) held too: 11 >= 10, a stays.
    assert publishable_groups({"a": 11, "b": 10, "c": 1}, 10) == {"a"}
    # Every group small: nothing on its own (the total, 18, is the caller's to show or not).
    assert publishable_groups({"a": 9, "b": 9}, 10) == frozenset()
    # A single group is the total itself.
    assert publishable_groups({None: 25}, 10) == {None}


def test_minimum_one_shows_every_group_with_answers():
    assert publishable_groups({"a": 1, "b": 2}, 1) == {"a", "b"}
    with pytest.raises(ValueError):
        publishable_groups({"a": 1}, 0)
