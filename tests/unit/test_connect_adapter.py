"""The Connect adapter: how Connect's answers and errors become domain values (Stubber, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from escalation.adapters import connect
from escalation.adapters.connect import ConnectContactCenter
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.model import Target, TargetType
from escalation.domain.policy import Failure
from tests.unit.builders import INSTANCE_ARN, INSTANCE_ID, contact, transferred, user_data


@pytest.fixture
def stubber(handler_env: dict[str, str]) -> Iterator[Stubber]:
    with Stubber(connect._client(1)) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def center() -> ConnectContactCenter:
    return ConnectContactCenter(INSTANCE_ID, max_attempts=1)


def failure_of(call: Any) -> ConnectCallFailed:
    with pytest.raises(ConnectCallFailed) as raised:
        call()
    return raised.value


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        ("ThrottlingException", Failure.THROTTLED),
        ("TooManyRequestsException", Failure.THROTTLED),
        ("InternalServiceException", Failure.INTERNAL),
        ("ServiceQuotaExceededException", Failure.QUOTA_EXCEEDED),
        ("InvalidRequestException", Failure.INVALID_REQUEST),
        ("InvalidParameterException", Failure.INVALID_REQUEST),
        ("AccessDeniedException", Failure.ACCESS_DENIED),
        ("IdempotencyException", Failure.IDEMPOTENCY_CONFLICT),
        ("ResourceNotFoundException", Failure.TARGET_NOT_FOUND),
        ("BrandNewException", Failure.OTHER),
    ],
)
def test_transfer_errors_are_classified(
    stubber: Stubber, center: ConnectContactCenter, code: str, failure: Failure
) -> None:
    stubber.add_client_error("transfer_contact", code, "the message", http_status_code=400)
    failed = failure_of(lambda: center.transfer("c-1", Target(TargetType.QUEUE, "q", "f"), "token"))
    assert failed.failure is failure
    assert failed.error_code == code
    assert failed.operation == "TransferContact"
    assert failed.message == "the message"
    assert failed.attempts == 1


@pytest.mark.parametrize(
    ("method", "call", "failure"),
    [
        ("describe_contact", lambda c: c.describe_contact("c-1"), Failure.CONTACT_NOT_FOUND),
        (
            "update_contact_attributes",
            lambda c: c.update_attributes("c-1", {"a": "b"}),
            Failure.CONTACT_NOT_FOUND,
        ),
        (
            "get_current_user_data",
            lambda c: c.is_agent_available("agent-1", "TASK"),
            Failure.TARGET_NOT_FOUND,
        ),
    ],
)
def test_not_found_means_the_contact_only_where_only_the_contact_is_named(
    stubber: Stubber, center: ConnectContactCenter, method: str, call: Any, failure: Failure
) -> None:
    stubber.add_client_error(method, "ResourceNotFoundException", http_status_code=404)
    assert failure_of(lambda: call(center)).failure is failure


def test_a_long_error_message_is_cut(stubber: Stubber, center: ConnectContactCenter) -> None:
    stubber.add_client_error("describe_contact", "InternalServiceException", "x" * 5000, http_status_code=500)
    assert len(failure_of(lambda: center.describe_contact("c-1")).message) == 500


def test_attempts_count_botocores_retries(stubber: Stubber, center: ConnectContactCenter) -> None:
    stubber.add_client_error(
        "transfer_contact", "ThrottlingException", http_status_code=429, response_meta={"RetryAttempts": 3}
    )
    failed = failure_of(lambda: center.transfer("c-1", Target(TargetType.QUEUE, "q", "f"), "token"))
    assert failed.attempts == 4


def test_describe_contact_is_reduced_to_what_the_rules_need(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
    answer = contact(
        "c-2", channel="email", ended=True, agent_id="agent-9", queue_id="q-7", attributes={"k": "v"}
    )
    answer["Contact"]["InitialContactId"] = "c-0"
    stubber.add_response("describe_contact", answer, {"InstanceId": INSTANCE_ID, "ContactId": "c-2"})
    described = center.describe_contact("c-2")
    assert described.contact_id == "c-2"
    assert described.initial_contact_id == "c-0"
    assert described.channel == "EMAIL"
    assert described.ended
    assert described.queue_id == "q-7"
    assert described.agent_id == "agent-9"
    assert dict(described.attributes) == {"k": "v"}


def test_a_sparse_contact(stubber: Stubber, center: ConnectContactCenter) -> None:
    stubber.add_response("describe_contact", {"Contact": {"Id": "c-3"}})
    described = center.describe_contact("c-3")
    assert described.initial_contact_id == "c-3"
    assert described.channel == ""
    assert not described.ended
    assert described.queue_id is None
    assert described.agent_id is None


def test_an_active_contact_has_no_disconnect_timestamp(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
    answer = contact("c-4")
    answer["Contact"]["LastUpdateTimestamp"] = datetime(2024, 5, 1, tzinfo=UTC)
    stubber.add_response("describe_contact", answer)
    assert not center.describe_contact("c-4").ended


def test_transfer_sends_one_destination_and_the_token(stubber: Stubber, center: ConnectContactCenter) -> None:
    stubber.add_response(
        "transfer_contact",
        transferred("c-next"),
        {
            "InstanceId": INSTANCE_ID,
            "ContactId": "c-1",
            "UserId": "agent-1",
            "ContactFlowId": "f",
            "ClientToken": "t",
        },
    )
    receipt = center.transfer("c-1", Target(TargetType.AGENT, "agent-1", "f"), "t")
    assert receipt.new_contact_id == "c-next"
    assert receipt.new_contact_arn == f"{INSTANCE_ARN}/contact/c-next"


@pytest.mark.parametrize(
    ("answer", "available"),
    [
        (user_data("agent-1"), True),
        (user_data("agent-1", free_task_slots=None), True),
        (user_data("agent-1", status="available"), True),
        (user_data("agent-1", free_task_slots=0), False),
        (user_data("agent-1", status="Offline"), False),
        (user_data("agent-2"), False),
        ({"UserDataList": []}, False),
    ],
)
def test_agent_availability(
    stubber: Stubber, center: ConnectContactCenter, answer: dict[str, Any], available: bool
) -> None:
    stubber.add_response(
        "get_current_user_data", answer, {"InstanceId": INSTANCE_ID, "Filters": {"Agents": ["agent-1"]}}
    )
    assert center.is_agent_available("agent-1", "TASK") is available


def test_an_agent_named_by_arn_matches_the_id_connect_reports(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
    stubber.add_response("get_current_user_data", user_data("agent-1"))
    assert center.is_agent_available(f"{INSTANCE_ARN}/agent/agent-1", "TASK")


def test_retries_shrink_to_fit_the_invocations_remaining_time(handler_env: dict[str, str]) -> None:
    # 3 s left: no room for a second attempt, so the one-attempt client is used (the only one stubbed;
    # any other client would try the network, which is blocked).
    center = ConnectContactCenter(INSTANCE_ID, max_attempts=4)
    center.bind_deadline(lambda: 3_000)
    with Stubber(connect._client(1)) as stub:
        stub.add_response("describe_contact", contact("c-1"))
        center.describe_contact("c-1")
        stub.assert_no_pending_responses()


def test_retries_are_capped_by_the_setting(handler_env: dict[str, str]) -> None:
    center = ConnectContactCenter(INSTANCE_ID, max_attempts=2)
    center.bind_deadline(lambda: 900_000)
    with Stubber(connect._client(2)) as stub:
        stub.add_response("describe_contact", contact("c-1"))
        center.describe_contact("c-1")
        stub.assert_no_pending_responses()


def test_latency_is_observed_for_failures_too(stubber: Stubber) -> None:
    seen: list[str] = []
    center = ConnectContactCenter(INSTANCE_ID, 1, lambda operation, _ms: seen.append(operation))
    stubber.add_client_error("transfer_contact", "ThrottlingException", http_status_code=429)
    failure_of(lambda: center.transfer("c-1", Target(TargetType.QUEUE, "q", "f"), "t"))
    assert seen == ["TransferContact"]


def test_transfers_are_paced_and_other_calls_are_not(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("escalation.adapters.pacing.time.sleep", waits.append)
    center = ConnectContactCenter(INSTANCE_ID, max_attempts=1, transfer_rate_per_second=0.5)
    center.bind_deadline(lambda: 20_000)
    target = Target(TargetType.QUEUE, "q", "f")
    for _ in range(2):
        stubber.add_response("describe_contact", contact())
        stubber.add_response("transfer_contact", transferred())
    for index in range(2):
        center.describe_contact("c-1")
        center.transfer(f"c-{index}", target, f"token-{index}")
    # The second transfer waited for its slot, about 2 s after the first; describes never waited.
    assert len(waits) == 1
    assert 1.5 < waits[0] <= 2.0


def test_a_transfer_never_waits_past_the_invocations_deadline(
    stubber: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("escalation.adapters.pacing.time.sleep", waits.append)
    center = ConnectContactCenter(INSTANCE_ID, max_attempts=1, transfer_rate_per_second=0.01)  # 100 s apart
    center.bind_deadline(lambda: 9_000)  # 9 s left: 1 s margin, 5 s for the call, so at most 3 s
    target = Target(TargetType.QUEUE, "q", "f")
    for index in range(2):
        stubber.add_response("transfer_contact", transferred())
        center.transfer(f"c-{index}", target, f"token-{index}")
    assert waits == [pytest.approx(3.0)]
