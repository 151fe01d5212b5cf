"""Routing rules: matching (first match wins, the ladder), explicit targets, and validation errors."""

import json
from pathlib import Path
from typing import Any

import pytest

from escalation.adapters.routing_rules_source import CODE_ROOT, rules_from_file
from escalation.contract import DEFAULT_ROUTING_RULES_FILE
from escalation.domain.errors import EscalationRefused
from escalation.domain.model import Contact, RequestedTarget, Target, TargetType
from escalation.domain.policy import Refusal
from escalation.domain.routing import RoutingRules, RoutingRulesError, choose_target, parse_rules


def queue(queue_id: str, flow_id: str = "flow-q") -> dict[str, Any]:
    return {"queue": {"id": queue_id, "flowId": flow_id}}


def rules(*rule_list: dict[str, Any]) -> RoutingRules:
    return parse_rules(json.dumps({"version": 1, "rules": list(rule_list)}))


def contact(channel: str = "TASK", queue_id: str | None = "queue-tier1") -> Contact:
    return Contact("c-1", "c-1", channel, False, queue_id=queue_id)


def refusal(call: Any) -> Refusal:
    with pytest.raises(EscalationRefused) as raised:
        call()
    return raised.value.reason


# --- matching -----------------------------------------------------------------------------------


def test_the_first_matching_rule_wins() -> None:
    document = rules(
        {"name": "vip", "match": {"reasons": ["VIP"]}, "target": queue("q-vip")},
        {"name": "any", "target": queue("q-any")},
        {"name": "also-vip", "match": {"reasons": ["VIP"]}, "target": queue("q-never")},
    )
    assert document.find("VIP", contact(), 1).name == "vip"
    assert document.find("OTHER", contact(), 1).name == "any"


def test_rule_order_not_specificity_decides() -> None:
    document = rules(
        {"name": "any", "target": queue("q-any")},
        {"name": "vip", "match": {"reasons": ["VIP"]}, "target": queue("q-vip")},
    )
    assert document.find("VIP", contact(), 1).name == "any"


def test_the_ladder_picks_a_rule_per_level() -> None:
    document = rules(
        {"name": "level-1", "match": {"levels": [1]}, "target": queue("q-tier2")},
        {"name": "level-2", "match": {"levels": [2]}, "target": queue("q-supervisors")},
        {"name": "level-3-up", "target": queue("q-managers")},
    )
    assert [document.find("R", contact(), level).name for level in (1, 2, 3, 7)] == [
        "level-1",
        "level-2",
        "level-3-up",
        "level-3-up",
    ]


def test_reasons_are_matched_exactly() -> None:
    document = rules({"name": "vip", "match": {"reasons": ["VIP", "LEGAL"]}, "target": queue("q")})
    assert document.find("LEGAL", contact(), 1).name == "vip"
    assert refusal(lambda: document.find("vip", contact(), 1)) is Refusal.NO_ROUTE


def test_channels_are_matched_whatever_their_case_in_the_rules() -> None:
    document = rules({"name": "email", "match": {"channels": ["email"]}, "target": queue("q")})
    assert document.find("R", contact("EMAIL"), 1).name == "email"
    assert refusal(lambda: document.find("R", contact("TASK"), 1)) is Refusal.NO_ROUTE


def test_queues_match_the_contacts_current_queue() -> None:
    document = rules(
        {"name": "from-tier1", "match": {"queues": ["queue-tier1"]}, "target": queue("q-a")},
        {"name": "rest", "target": queue("q-b")},
    )
    assert document.find("R", contact(queue_id="queue-tier1"), 1).name == "from-tier1"
    assert document.find("R", contact(queue_id="queue-other"), 1).name == "rest"
    assert document.find("R", contact(queue_id=None), 1).name == "rest"


def test_a_star_matches_anything_including_no_queue() -> None:
    document = rules({"name": "star", "match": {"queues": ["*"], "reasons": ["*"]}, "target": queue("q")})
    assert document.find("ANY", contact(queue_id=None), 4).name == "star"


def test_a_rule_matches_only_when_all_its_conditions_hold() -> None:
    document = rules(
        {
            "name": "narrow",
            "match": {"reasons": ["VIP"], "channels": ["TASK"], "queues": ["queue-tier1"], "levels": [1]},
            "target": queue("q"),
        }
    )
    assert document.find("VIP", contact(), 1).name == "narrow"
    for reason, contact_, level in [
        ("OTHER", contact(), 1),
        ("VIP", contact("EMAIL"), 1),
        ("VIP", contact(queue_id="queue-x"), 1),
        ("VIP", contact(), 2),
    ]:
        assert refusal(lambda r=reason, c=contact_, lv=level: document.find(r, c, lv)) is Refusal.NO_ROUTE


def test_no_matching_rule_is_a_no_route_refusal_naming_the_case() -> None:
    document = rules({"name": "one", "match": {"levels": [1]}, "target": queue("q")})
    with pytest.raises(EscalationRefused, match=r"'LATE'.*TASK.*level 2") as raised:
        document.find("LATE", contact(), 2)
    assert raised.value.reason is Refusal.NO_ROUTE


# --- targets ------------------------------------------------------------------------------------

AGENT_RULE = {
    "name": "agent",
    "target": {
        "agent": {
            "id": "agent-am",
            "flowId": "flow-agent",
            "fallbackQueue": {"id": "q-fallback", "flowId": "flow-q"},
        }
    },
}


def test_a_queue_rule_has_no_fallback() -> None:
    rule = rules({"name": "q", "target": queue("q-1", "flow-1")}).rules[0]
    assert choose_target(rule, None, "R") == (Target(TargetType.QUEUE, "q-1", "flow-1"), None)


def test_an_agent_rule_carries_its_fallback_queue() -> None:
    rule = rules(AGENT_RULE).rules[0]
    assert choose_target(rule, None, "R") == (
        Target(TargetType.AGENT, "agent-am", "flow-agent"),
        Target(TargetType.QUEUE, "q-fallback", "flow-q"),
    )


def test_an_agent_rule_without_fallback() -> None:
    rule = rules({"name": "a", "target": {"agent": {"id": "agent-am", "flowId": "flow-agent"}}}).rules[0]
    assert choose_target(rule, None, "R") == (Target(TargetType.AGENT, "agent-am", "flow-agent"), None)


EXPLICIT_RULE = {
    "name": "explicit",
    "target": queue("q-default", "flow-q"),
    "explicitTargets": {
        "queueIds": ["q-allowed"],
        "queueFlowId": "flow-explicit-q",
        "userIds": ["agent-allowed"],
        "agentFlowId": "flow-explicit-agent",
    },
}


def test_an_allowed_explicit_queue_uses_the_rules_queue_flow() -> None:
    rule = rules(EXPLICIT_RULE).rules[0]
    assert choose_target(rule, RequestedTarget(queue_id="q-allowed"), "R") == (
        Target(TargetType.QUEUE, "q-allowed", "flow-explicit-q"),
        None,
    )


def test_an_allowed_explicit_agent_falls_back_to_the_rules_queue() -> None:
    rule = rules(EXPLICIT_RULE).rules[0]
    assert choose_target(rule, RequestedTarget(user_id="agent-allowed"), "R") == (
        Target(TargetType.AGENT, "agent-allowed", "flow-explicit-agent"),
        Target(TargetType.QUEUE, "q-default", "flow-q"),
    )


def test_an_explicit_agent_under_an_agent_rule_falls_back_to_that_rules_fallback_queue() -> None:
    rule = rules(
        {**AGENT_RULE, "explicitTargets": {"userIds": ["*"], "agentFlowId": "flow-explicit-agent"}}
    ).rules[0]
    _, fallback = choose_target(rule, RequestedTarget(user_id="anyone"), "R")
    assert fallback == Target(TargetType.QUEUE, "q-fallback", "flow-q")


def test_a_star_allows_any_explicit_target() -> None:
    rule = rules(
        {
            "name": "star",
            "target": queue("q"),
            "explicitTargets": {
                "queueIds": ["*"],
                "queueFlowId": "f-q",
                "userIds": ["*"],
                "agentFlowId": "f-a",
            },
        }
    ).rules[0]
    assert choose_target(rule, RequestedTarget(queue_id="q-whatever"), "R")[0].id == "q-whatever"
    assert choose_target(rule, RequestedTarget(user_id="agent-whatever"), "R")[0].id == "agent-whatever"


@pytest.mark.parametrize(
    ("rule", "requested"),
    [
        pytest.param(
            {"name": "none", "target": queue("q")}, RequestedTarget(queue_id="q"), id="no-explicitTargets"
        ),
        pytest.param(EXPLICIT_RULE, RequestedTarget(queue_id="q-other"), id="queue-not-listed"),
        pytest.param(EXPLICIT_RULE, RequestedTarget(user_id="agent-other"), id="agent-not-listed"),
        pytest.param(
            {**EXPLICIT_RULE, "explicitTargets": {"queueIds": ["*"], "queueFlowId": "f"}},
            RequestedTarget(user_id="agent-allowed"),
            id="star-for-queues-only-allows-no-agent",
        ),
        pytest.param(
            {**EXPLICIT_RULE, "explicitTargets": {"userIds": ["*"], "agentFlowId": "f"}},
            RequestedTarget(queue_id="q-allowed"),
            id="star-for-agents-only-allows-no-queue",
        ),
        pytest.param(
            {**EXPLICIT_RULE, "explicitTargets": {}},
            RequestedTarget(queue_id="q-allowed"),
            id="empty-explicitTargets-allow-nothing",
        ),
        pytest.param(EXPLICIT_RULE, RequestedTarget(), id="empty-request"),
    ],
)
def test_explicit_targets_not_allowed(rule: dict[str, Any], requested: RequestedTarget) -> None:
    parsed = rules(rule).rules[0]
    assert refusal(lambda: choose_target(parsed, requested, "R")) is Refusal.TARGET_NOT_ALLOWED


# --- validation ---------------------------------------------------------------------------------


def error_for(document: Any) -> str:
    raw = document if isinstance(document, str | bytes) else json.dumps(document)
    with pytest.raises(RoutingRulesError) as raised:
        parse_rules(raw)
    return str(raised.value)


OK_RULE = {"name": "ok", "target": queue("q")}


def test_both_queue_and_agent_names_the_rule_and_the_field() -> None:
    message = error_for(
        {"rules": [OK_RULE, {"name": "both", "target": {**queue("q"), "agent": {"id": "a", "flowId": "f"}}}]}
    )
    assert "rule #2 'both'" in message
    assert "target" in message
    assert "exactly one of `queue`, `agent` or `inQueue`" in message


def test_a_target_naming_neither_queue_nor_agent_is_refused() -> None:
    assert "rule #1 'none': target" in error_for({"rules": [{"name": "none", "target": {}}]})


def test_missing_flow_id_names_the_rule_and_the_field_path() -> None:
    message = error_for(
        {"rules": [OK_RULE, OK_RULE | {"name": "x"}, {"name": "nf", "target": {"queue": {"id": "q"}}}]}
    )
    assert "rule #3 'nf': target.queue.flowId: Field required" in message


def test_a_fallback_queue_without_a_flow_id_is_refused() -> None:
    message = error_for(
        {
            "rules": [
                {"name": "a", "target": {"agent": {"id": "a", "flowId": "f", "fallbackQueue": {"id": "q"}}}}
            ]
        }
    )
    assert "rule #1 'a': target.agent.fallbackQueue.flowId" in message


def test_an_unknown_key_is_refused_by_name() -> None:
    message = error_for({"rules": [{"name": "typo", "match": {"queue": ["q"]}, "target": queue("q")}]})
    assert "rule #1 'typo': match.queue: Extra inputs are not permitted" in message


def test_an_unknown_rule_key_is_refused_naming_it() -> None:
    assert "rule #1 'p': priority" in error_for(
        {"rules": [{"name": "p", "priority": 1, "target": queue("q")}]}
    )


def test_a_rule_without_a_name_is_named_by_number() -> None:
    assert "rule #1: name: Field required" in error_for({"rules": [{"target": queue("q")}]})


def test_explicit_queues_need_a_flow() -> None:
    message = error_for({"rules": [{**OK_RULE, "explicitTargets": {"queueIds": ["q"]}}]})
    assert "rule #1 'ok': explicitTargets" in message
    assert "`queueIds` needs `queueFlowId`" in message


def test_explicit_agents_need_a_flow() -> None:
    message = error_for({"rules": [{**OK_RULE, "explicitTargets": {"userIds": ["*"]}}]})
    assert "`userIds` needs `agentFlowId`" in message


def test_a_level_below_one_is_refused() -> None:
    assert "rule #1 'ok': match.levels.0" in error_for({"rules": [{**OK_RULE, "match": {"levels": [0]}}]})


def test_duplicate_names_are_refused_naming_the_name() -> None:
    message = error_for({"rules": [OK_RULE, {"name": "other", "target": queue("q")}, OK_RULE]})
    assert "rule names must be unique" in message
    assert "'ok'" in message


def test_duplicate_names_name_the_repeating_rule_number() -> None:
    message = error_for({"rules": [OK_RULE, {"name": "other", "target": queue("q")}, OK_RULE]})
    assert "rule #3" in message


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"rules": []}, id="empty-rules"),
        pytest.param({}, id="no-rules"),
        pytest.param([], id="a-list"),
    ],
)
def test_a_document_without_rules_is_refused(document: Any) -> None:
    assert error_for(document).startswith("invalid routing rules: rules document")


def test_a_version_other_than_one_is_refused() -> None:
    assert "version" in error_for({"version": 2, "rules": [OK_RULE]})


@pytest.mark.parametrize("document", ["{", "", "rules: []", "{'rules': []}"])
def test_a_document_that_is_not_json_is_a_rules_error(document: str) -> None:
    assert error_for(document).startswith("routing rules are not valid JSON")


def test_bytes_that_are_not_utf8_are_a_rules_error() -> None:
    error_for(b'{"rules": [\xff]}')


def test_every_problem_is_reported_at_once() -> None:
    message = error_for(
        {
            "rules": [
                {"name": "a", "target": {"queue": {"id": "q"}}},
                {"name": "b", "target": queue("q"), "x": 1},
            ]
        }
    )
    assert "rule #1 'a'" in message
    assert "rule #2 'b'" in message


# --- the bundled file -----------------------------------------------------------------------------


def test_the_bundled_rules_file_is_valid() -> None:
    bundled = parse_rules((CODE_ROOT / DEFAULT_ROUTING_RULES_FILE).read_bytes())
    assert [rule.name for rule in bundled.rules] == [
        "voice-and-chat-waiting-first",
        "voice-and-chat-waiting-second",
        "vip-to-account-manager",
        "first-escalation-to-tier2",
        "second-escalation-to-supervisors",
        "higher-escalations-to-supervisors",
    ]


def test_the_bundled_rules_route_every_level_of_a_task_and_an_email() -> None:
    bundled = rules_from_file(DEFAULT_ROUTING_RULES_FILE)
    for channel in ("TASK", "EMAIL"):
        for level in range(1, 12):
            bundled.find("ANY_REASON", contact(channel), level)  # raises NO_ROUTE on a gap


def test_rules_from_file_reads_an_absolute_path(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [OK_RULE]}))
    assert rules_from_file(str(path)).rules[0].name == "ok"
