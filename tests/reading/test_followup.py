"""Tests for rag.reading.followup: follow-up questions rewritten from the previous question, no LLM."""
from __future__ import annotations

import pytest

from rag.reading.followup import FollowUpResolver


@pytest.fixture(scope="module")
def resolver() -> FollowUpResolver:
    return FollowUpResolver(["长春现代化都市圈 nz", "圈内通办 nz", "长辽四通高铁 nz"])


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        # a place keeps the administrative suffix of the one it replaces, written once
        ("吉林市开通了多少个圈内通办事项？", "那辽源呢？", "辽源市开通了多少个圈内通办事项？"),
        ("吉林市长是谁？", "那辽源呢？", "辽源市长是谁？"),
        ("辽源的交通有哪些变化？", "四平呢？", "四平的交通有哪些变化？"),
        ("长春市长是谁？", "那吉林市呢？", "吉林市长是谁？"),
        ("长春的GDP是多少？", "那吉林市呢？", "吉林市的GDP是多少？"),
        # the entity after the same word (到) is the one replaced
        ("从龙嘉机场到长春站要多久？", "那到吉林市呢？", "从龙嘉机场到吉林市要多久？"),
        ("2025年长春经济总量是多少？", "那2024年呢？", "2024年长春经济总量是多少？"),
    ],
)
def test_elliptical_question_swaps_the_entity_of_the_same_kind(resolver, previous, question, expected):
    followup = resolver.resolve(question, previous)
    assert followup.rewritten == expected
    assert followup.reason == "entity" and followup.changed


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        ("辽源到长春的高铁叫什么？", "它什么时候通车？", "辽源到长春的高铁什么时候通车？"),
        ("长春市委书记是谁？", "他带队去哪些城市考察过？", "长春市委书记带队去哪些城市考察过？"),
        ("辽源的采煤沉陷区有多大？", "那里现在建起了哪些消费场所？", "辽源的采煤沉陷区现在建起了哪些消费场所？"),
        ("辽源天棚绿氢项目什么时候并网？", "这个项目和哪家车企合作？", "辽源天棚绿氢项目和哪家车企合作？"),
        # the noun a 多少 counts is part of the topic
        ("辽源有多少家汽车零部件企业？", "其中进了一汽供货体系的有几家？", "辽源汽车零部件企业中进了一汽供货体系的有几家？"),
        ("谁是长春市长？", "他去过哪里？", "长春市长去过哪里？"),
    ],
)
def test_pronoun_is_replaced_by_the_previous_topic(resolver, previous, question, expected):
    followup = resolver.resolve(question, previous)
    assert followup.rewritten == expected
    assert followup.reason == "pronoun"


def test_this_company_points_to_the_proper_name_in_the_previous_question(resolver):
    followup = resolver.resolve("这家公司的出口占多大份额？", "启星铝业的生产副总经理是谁？")
    assert followup.rewritten == "启星铝业的出口占多大份额？"


def test_elliptical_question_without_a_matching_entity_asks_about_the_previous_topic(resolver):
    followup = resolver.resolve("那票价呢？", "长辽四通高铁什么时候通车？")
    assert followup.rewritten == "长辽四通高铁票价？"
    assert followup.reason == "topic"


def test_the_topic_of_a_previous_question_asked_in_english_is_its_chinese_part(resolver):
    followup = resolver.resolve("那票价呢？", "When will 长辽四通高铁通车?")
    assert followup.rewritten == "长辽四通高铁通车票价？"


@pytest.mark.parametrize(
    "question",
    ["长春现代化都市圈包括哪些城市？", "辽源什么时候通高铁？", "四平有多少个重点项目？"],
)
def test_questions_that_stand_on_their_own_are_left_unchanged(resolver, question):
    followup = resolver.resolve(question, "长春市长是谁？")
    assert followup.rewritten == question
    assert followup.reason == "standalone" and not followup.changed


def test_without_a_previous_question_nothing_changes(resolver):
    for previous in (None, "", "  ", "？？"):
        assert resolver.resolve("那吉林市呢？", previous).rewritten == "那吉林市呢？"
    assert resolver.resolve("？？", "长春市长是谁？").rewritten == "？？"


def test_traditional_follow_up_keeps_the_users_characters(resolver):
    followup = resolver.resolve("那遼源呢？", "吉林市开通了多少个圈内通办事项？")
    assert followup.rewritten == "遼源市开通了多少个圈内通办事项？"


def test_a_pronoun_whose_antecedent_is_in_the_same_question_is_left_alone(resolver):
    question = "长春现代化都市圈包括哪些城市，其中哪个人口最多？"
    assert resolver.resolve(question, "长春市长是谁？").rewritten == question


def test_long_questions_stand_on_their_own_without_being_tagged():
    resolver = FollowUpResolver(max_chars=10)
    question = "它" + "很长的问题" * 20000 + "？"
    assert resolver.resolve(question, "长春市长是谁？").rewritten == question
    assert resolver._tagger is None  # jieba never loaded
    with pytest.raises(ValueError, match="max_chars"):
        FollowUpResolver(max_chars=0)
