"""The Connect adapter: how Connect's answers and errors become domain values (Stubber, no network)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from escalation.adapters import connect
from escalation.adapters.connect import ConnectContactCenter, transfer_destination
from escalation.adapters.pacing import Pacer
from escalation.contract import CONNECT_ACTIONS
from escalation.domain.errors import ConnectCallFailed
from escalation.domain.model import Target, TargetType
from escalation.domain.policy import Failure
from escalation.ports import ContactCenter, QueueCalendars
from tests.unit.builders import INSTANCE_ARN, INSTANCE_ID, contact, transferred, user_data
from tests.unit.fakes import ClientsByAttempts, FakeTime


@pytest.fixture
def clients(handler_env: dict[str, str], aws_session: boto3.session.Session) -> ClientsByAttempts:
    """The test's own Connect client, configured as the adapter's, given for every attempt budget."""
    return ClientsByAttempts(aws_session.client("connect", config=connect.client_config(1)))


@pytest.fixture
def stubber(clients: ClientsByAttempts) -> Iterator[Stubber]:
    with Stubber(clients.client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def center(clients: ClientsByAttempts) -> ConnectContactCenter:
    return ConnectContactCenter(INSTANCE_ID, clients, max_attempts=1)


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
    assert failed.kind is failure
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
    assert failure_of(lambda: call(center)).kind is failure


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


def test_a_contact_without_optional_fields_reads_as_unknown_and_active(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
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
def test_an_agent_is_available_only_when_available_with_a_free_slot(
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


def test_retries_shrink_to_fit_the_invocations_remaining_time(
    stubber: Stubber, clients: ClientsByAttempts
) -> None:
    # 3 s left: no room for a second attempt, so the one-attempt client is asked for.
    center = ConnectContactCenter(INSTANCE_ID, clients, max_attempts=4)
    center.bind_deadline(lambda: 3_000)
    stubber.add_response("describe_contact", contact("c-1"))
    center.describe_contact("c-1")
    assert clients.budgets_asked == [1]


def test_retries_are_capped_by_the_setting(stubber: Stubber, clients: ClientsByAttempts) -> None:
    center = ConnectContactCenter(INSTANCE_ID, clients, max_attempts=2)
    center.bind_deadline(lambda: 900_000)
    stubber.add_response("describe_contact", contact("c-1"))
    center.describe_contact("c-1")
    assert clients.budgets_asked == [2]


def test_without_a_deadline_every_call_gets_the_whole_budget(
    stubber: Stubber, clients: ClientsByAttempts
) -> None:
    center = ConnectContactCenter(INSTANCE_ID, clients, max_attempts=3)
    stubber.add_response("describe_contact", contact("c-1"))
    center.describe_contact("c-1")
    assert clients.budgets_asked == [3]


def test_latency_is_observed_for_failures_too(stubber: Stubber, clients: ClientsByAttempts) -> None:
    seen: list[str] = []
    center = ConnectContactCenter(INSTANCE_ID, clients, 1, lambda operation, _ms: seen.append(operation))
    stubber.add_client_error("transfer_contact", "ThrottlingException", http_status_code=429)
    failure_of(lambda: center.transfer("c-1", Target(TargetType.QUEUE, "q", "f"), "t"))
    assert seen == ["TransferContact"]


def test_transfers_are_paced_and_other_calls_are_not(stubber: Stubber, clients: ClientsByAttempts) -> None:
    time = FakeTime()
    pacer = Pacer(0.5, clock=time.clock, sleep=time.sleep)
    center = ConnectContactCenter(INSTANCE_ID, clients, max_attempts=1, transfer_pacer=pacer)
    center.bind_deadline(lambda: 20_000)
    target = Target(TargetType.QUEUE, "q", "f")
    for _ in range(2):
        stubber.add_response("describe_contact", contact())
        stubber.add_response("transfer_contact", transferred())
    for index in range(2):
        center.describe_contact("c-1")
        center.transfer(f"c-{index}", target, f"token-{index}")
    # The second transfer waited for its slot, 2 s after the first; describes never waited.
    assert time.slept == [pytest.approx(2.0)]


def test_a_transfer_never_waits_past_the_invocations_deadline(
    stubber: Stubber, clients: ClientsByAttempts
) -> None:
    time = FakeTime()
    pacer = Pacer(0.01, clock=time.clock, sleep=time.sleep)  # 100 s apart
    center = ConnectContactCenter(INSTANCE_ID, clients, max_attempts=1, transfer_pacer=pacer)
    center.bind_deadline(lambda: 9_000)  # 9 s left: 1 s margin, 5 s for the call, so at most 3 s
    target = Target(TargetType.QUEUE, "q", "f")
    for index in range(2):
        stubber.add_response("transfer_contact", transferred())
        center.transfer(f"c-{index}", target, f"token-{index}")
    assert time.slept == [pytest.approx(3.0)]


# --- what the adapter calls ------------------------------------------------------------------------


def test_the_adapter_calls_exactly_the_connect_actions_the_stack_grants(
    stubber: Stubber, clients: ClientsByAttempts, center: ConnectContactCenter
) -> None:
    called: set[str] = set()
    clients.client.meta.events.register_first("before-call.*.*", lambda model, **_: called.add(model.name))
    stubber.add_response("describe_contact", contact("c-1"))
    stubber.add_response("get_current_user_data", user_data("agent-1"))
    stubber.add_response("update_contact_attributes", {})
    stubber.add_response("transfer_contact", transferred())
    stubber.add_response("update_contact_routing_data", {})
    stubber.add_response("describe_queue", {"Queue": {"QueueId": "q", "HoursOfOperationId": "h"}})
    stubber.add_response("get_effective_hours_of_operations", {"EffectiveHoursOfOperationList": []})
    stubber.add_response("describe_hours_of_operation", {"HoursOfOperation": {"TimeZone": "Europe/London"}})
    stubber.add_response("describe_user", {"User": {"Username": "alice"}})
    exercised: dict[str, Callable[[], object]] = {
        "describe_contact": lambda: center.describe_contact("c-1"),
        "is_agent_available": lambda: center.is_agent_available("agent-1", "TASK"),
        "update_attributes": lambda: center.update_attributes("c-1", {"a": "b"}),
        "transfer": lambda: center.transfer("c-1", Target(TargetType.QUEUE, "q", "f"), "t"),
        "update_routing": lambda: center.update_routing("c-1", Target.in_queue(priority=2)),
        "describe_queue": lambda: center.describe_queue("q"),
        # No TimeZone in the answer (the model leaves it optional): DescribeHoursOfOperation gives it.
        "effective_hours": lambda: center.effective_hours("h", date(2026, 12, 4), date(2026, 12, 10)),
        "user_name": lambda: center.user_name("agent-1"),
    }
    # Every method of the ports, so a method added later cannot call an operation unnoticed.
    assert set(exercised) == {
        name for port in (ContactCenter, QueueCalendars) for name in vars(port) if not name.startswith("_")
    }
    for call in exercised.values():
        call()
    assert {f"connect:{operation}" for operation in called} == set(CONNECT_ACTIONS)


# --- TransferContact's destination members --------------------------------------------------------


def test_a_queue_target_becomes_a_queue_id_and_its_flow() -> None:
    assert transfer_destination(Target(TargetType.QUEUE, "q-1", "flow-q")) == {
        "QueueId": "q-1",
        "ContactFlowId": "flow-q",
    }


def test_an_agent_target_becomes_a_user_id_and_its_flow() -> None:
    assert transfer_destination(Target(TargetType.AGENT, "agent-1", "flow-a")) == {
        "UserId": "agent-1",
        "ContactFlowId": "flow-a",
    }


@pytest.mark.parametrize("target_type", list(TargetType))
def test_a_destination_never_names_both_a_queue_and_a_user(target_type: TargetType) -> None:
    destination = transfer_destination(Target(target_type, "x", "flow"))
    assert len({"QueueId", "UserId"} & destination.keys()) == 1


@pytest.mark.parametrize(("target_id", "flow_id"), [("", "flow"), ("q-1", "")])
def test_a_destination_needs_an_id_and_a_flow(target_id: str, flow_id: str) -> None:
    with pytest.raises(ValueError, match="needs an id and a flow id"):
        transfer_destination(Target(TargetType.QUEUE, target_id, flow_id))


# --- queues and their hours of operation ----------------------------------------------------------


def test_describe_queue_gives_the_queues_hours_of_operation(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
    stubber.add_response(
        "describe_queue",
        {"Queue": {"QueueId": "q-1", "Name": "Billing", "Status": "ENABLED", "HoursOfOperationId": "h-1"}},
        {"InstanceId": INSTANCE_ID, "QueueId": "q-1"},
    )
    queue = center.describe_queue("q-1")
    assert (queue.queue_id, queue.name, queue.hours_of_operation_id) == ("q-1", "Billing", "h-1")


def test_effective_hours_become_minutes_per_date_in_the_hours_time_zone(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
    def hour(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
        return {
            "Start": {"Hours": start[0], "Minutes": start[1]},
            "End": {"Hours": end[0], "Minutes": end[1]},
        }

    stubber.add_response(
        "get_effective_hours_of_operations",
        {
            "EffectiveHoursOfOperationList": [
                {"Date": "2026-12-05", "OperationalHours": []},
                {"Date": "2026-12-04", "OperationalHours": [hour((9, 0), (12, 30)), hour((22, 0), (0, 0))]},
            ],
            "TimeZone": "America/New_York",
        },
        {
            "InstanceId": INSTANCE_ID,
            "HoursOfOperationId": "h-1",
            "FromDate": "2026-12-04",
            "ToDate": "2026-12-05",
        },
    )
    hours = center.effective_hours("h-1", date(2026, 12, 4), date(2026, 12, 5))
    assert hours.time_zone == "America/New_York"
    assert [(d.day, d.intervals) for d in hours.days] == [
        (date(2026, 12, 4), ((540, 750), (1320, 0))),
        (date(2026, 12, 5), ()),
    ]


def test_a_calendar_that_cannot_be_read_is_a_classified_connect_failure(
    stubber: Stubber, center: ConnectContactCenter
) -> None:
    stubber.add_client_error(
        "get_effective_hours_of_operations", "AccessDeniedException", http_status_code=403
    )
    failure = failure_of(lambda: center.effective_hours("h-1", date(2026, 12, 4), date(2026, 12, 5)))
    assert (failure.kind, failure.operation) == (Failure.ACCESS_DENIED, "GetEffectiveHoursOfOperations")
