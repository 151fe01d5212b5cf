"""Authorisation at the API: the gateway refuses requests without a valid token (401, handler not
called); the handler lets only the contact's current agent or a supervisor escalate (403 otherwise),
and a refused caller moves nothing and leaves nothing to redrive."""

from __future__ import annotations

import json

import pytest

from infra.gateway_responses import gateway_answer
from local.dev_tokens import make_dev_token
from local.stack import LocalStack
from tests.integration.support import (
    ALICE,
    BOB,
    STRANGER,
    SUPERVISOR,
    post,
    transfers_of,
)


def alices_task(stack: LocalStack) -> str:
    return stack.add_contact("TASK", queue_id="queue-tier1", agent_id="agent-alice")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-a-dev-token",
        "Bearer local-dev.%%%",
        f"Bearer {make_dev_token('agent-alice', ['agents'], 'alice', expires_in=-60)}",
        f"Bearer {make_dev_token('agent-alice', ['agents'], 'alice', extra_claims={'sub': ''})}",
    ],
    ids=["none", "foreign", "garbled", "expired", "no-sub"],
)
def test_without_a_valid_token_the_gateway_answers_401_and_the_handler_never_runs(
    stack: LocalStack, authorization: str | None
) -> None:
    contact = alices_task(stack)
    calls_before = len(stack.api.events)

    headers = {"Authorization": authorization} if authorization else {}
    answer = post(stack, None, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}, headers=headers)

    assert answer.status == 401
    # API Gateway's own answer, shaped by the stack's UNAUTHORIZED gateway response.
    assert answer.body == json.loads(gateway_answer("UNAUTHORIZED").body_template())
    assert len(stack.api.events) == calls_before
    assert transfers_of(stack, contact) == []


@pytest.mark.parametrize(
    "token",
    [
        STRANGER,
        BOB,
        make_dev_token("", ["agents"], "no-connect-user"),
        make_dev_token("agent-mallory", ["Supervisors", "supervisor"], "almost-a-supervisor"),
        make_dev_token("arn:aws:connect:us-east-1:1:instance/demo-instance/agent/agent-bob", ["agents"], "b"),
    ],
    ids=["stranger", "another-agent", "no-connect-identity", "group-name-lookalikes", "other-agent-arn"],
)
def test_a_caller_who_is_neither_the_agent_nor_a_supervisor_gets_403_and_nothing_moves(
    stack: LocalStack, token: str
) -> None:
    contact = alices_task(stack)

    answer = post(stack, token, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})

    assert (answer.status, answer.error) == (403, "FORBIDDEN")
    assert answer.body["message"]
    assert transfers_of(stack, contact) == []
    assert stack.dlq_records() == []
    assert stack.aws.alerts() == []
    # The contact is untouched: its rightful agent can still escalate it, once.
    rightful = post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})
    assert rightful.status == 200
    assert len(transfers_of(stack, contact)) == 1


def test_a_queued_contact_without_an_agent_only_a_supervisor_may_escalate(stack: LocalStack) -> None:
    contact = stack.add_contact("EMAIL", queue_id="queue-tier1")

    assert post(stack, ALICE, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}).status == 403
    answer = post(stack, SUPERVISOR, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})

    assert answer.status == 200
    assert len(transfers_of(stack, contact)) == 1


def test_the_agent_named_by_this_instances_arn_in_the_token_is_the_contacts_agent(stack: LocalStack) -> None:
    contact = alices_task(stack)
    token = make_dev_token(
        "arn:aws:connect:us-east-1:123456789012:instance/demo-instance/agent/agent-alice", [], "a"
    )

    answer = post(stack, token, {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"})

    assert answer.status == 200
    assert len(transfers_of(stack, contact)) == 1


@pytest.mark.parametrize(
    "user_id",
    [
        "arn:aws:connect:us-east-1:1:instance/demo-instance/agent/agent-alice",
        "arn:aws:connect:us-east-1:123456789012:instance/other/agent/agent-alice",
        "x/agent-alice",
    ],
    ids=["other-account", "other-instance", "path"],
)
def test_a_user_id_that_only_ends_in_the_agents_id_is_forbidden(stack: LocalStack, user_id: str) -> None:
    contact = alices_task(stack)
    answer = post(
        stack, make_dev_token(user_id, [], "a"), {"contactId": contact, "reason": "CUSTOMER_UNHAPPY"}
    )
    assert answer.status == 403, answer
    assert answer.body["error"] == "FORBIDDEN"
    assert transfers_of(stack, contact) == []
