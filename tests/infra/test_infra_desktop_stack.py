"""A created user pool with the desktop origin set, on an account that refuses reservations
(`-c desktopOrigin=... -c reservedConcurrency=none`): what a first real deployment looks like."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION

from escalation import contract
from infra.gateway_responses import GATEWAY_ANSWERS
from tests.infra.infra_support import (
    ALARM_CONDITIONS,
    DESKTOP_ORIGIN,
    Synth,
    assert_retained,
    gateway_responses,
    layer_parameter_path,
    preflight_headers,
    principal_services,
    rendered_conditions,
)

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def synth(synthesized: Callable[[str], Synth]) -> Synth:
    return synthesized("desktop")


def test_function_reserves_no_concurrency_and_paces_for_five_environments(synth: Synth) -> None:
    _, function = synth.one("AWS::Lambda::Function")
    assert "ReservedConcurrentExecutions" not in function["Properties"]
    # Connect's default 2 transfers/s over the 5 environments assumed by default.
    assert function["Properties"]["Environment"]["Variables"][contract.EnvVar.CONNECT_TRANSFER_RATE] == "0.4"


def test_topic_policy_lets_cloudwatch_alarms_publish(synth: Synth) -> None:
    _, policy = synth.one("AWS::SNS::TopicPolicy")
    grants = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and principal_services(s) == {"cloudwatch.amazonaws.com"}
    ]
    assert [(g["Action"], rendered_conditions(g)) for g in grants] == [("sns:Publish", ALARM_CONDITIONS)]


def test_desktop_client_cannot_write_the_caller_attribute(synth: Synth) -> None:
    _, client = synth.one("AWS::Cognito::UserPoolClient")
    writable = client["Properties"]["WriteAttributes"]
    assert writable
    assert contract.DEFAULT_CALLER_USER_ID_CLAIM not in writable
    _, function = synth.one("AWS::Lambda::Function")
    client_id, _ = synth.one("AWS::Cognito::UserPoolClient")
    assert function["Properties"]["Environment"]["Variables"][contract.EnvVar.CALLER_CLIENT_IDS] == {
        "Ref": client_id
    }


def test_gateway_responses_are_customised_and_readable_by_the_desktop(synth: Synth) -> None:
    responses = gateway_responses(synth)
    assert set(responses) == {a.response_type for a in GATEWAY_ANSWERS}
    for answer in GATEWAY_ANSWERS:
        props = responses[answer.response_type]
        assert props["ResponseTemplates"] == {"application/json": answer.body_template()}
        allowed_origin = props["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
        assert allowed_origin == f"'{DESKTOP_ORIGIN}'"


def test_preflight_allows_the_idempotency_key(synth: Synth) -> None:
    headers = preflight_headers(synth)
    assert headers
    for method in headers:
        allowed = method["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert "Idempotency-Key" in allowed


def test_layer_path_is_pinned_to_the_tested_powertools(synth: Synth) -> None:
    assert (
        layer_parameter_path(synth) == f"/aws/service/powertools/python/arm64/python3.13/{POWERTOOLS_VERSION}"
    )


def test_dead_letter_queues_are_retained(synth: Synth) -> None:
    assert_retained(synth, synth.stack.storage.dlq)
    assert_retained(synth, synth.stack.events.dlq)
