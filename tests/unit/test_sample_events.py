"""The sample events in events/ do what events/README.md says (so the samples cannot rot)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.builders import contact, transferred
from tests.unit.harness import AwsWorld, ConnectStub, api_body

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLE_INSTANCE = "demo-instance"
SAMPLE_CLIENT_ID = "sample-app-client"  # the `aud` of the samples' ID-token claims

Invoke = Callable[[Any], Any]


def load(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(autouse=True)
def sample_instance(handler_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # After handler_env, which sets the unit tests' own instance and client ids.
    monkeypatch.setenv("CONNECT_INSTANCE_ID", SAMPLE_INSTANCE)
    monkeypatch.setenv(
        "CONNECT_INSTANCE_ARN", f"arn:aws:connect:us-east-1:123456789012:instance/{SAMPLE_INSTANCE}"
    )
    monkeypatch.setenv("CALLER_CLIENT_IDS", SAMPLE_CLIENT_ID)


def expect(stub: ConnectStub, contact_id: str, *, ended: bool = False, transfer: bool = True) -> None:
    described = contact(contact_id, ended=ended, agent_id="agent-alice")
    stub.stubber.add_response(
        "describe_contact", described, {"InstanceId": SAMPLE_INSTANCE, "ContactId": contact_id}
    )
    if transfer:
        stub.stubber.add_response("transfer_contact", transferred())
        stub.stubber.add_response("update_contact_attributes", {})


def test_every_sample_is_documented_and_tested() -> None:
    samples = {path.name for path in EVENTS.glob("*.json")}
    documented = set(re.findall(r"^\| `([^`]+\.json)` \|", (EVENTS / "README.md").read_text(), re.MULTILINE))
    assert samples == documented
    assert samples == set(OUTCOMES)


def test_the_success_sample_transfers_to_tier2(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    expect(connect_stub, "contact-1")
    response = invoke(load("api-escalate-success.json"))
    assert response["statusCode"] == 200
    body = api_body(response)
    assert body["status"] == "TRANSFERRED"
    assert body["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert body["level"] == 1
    assert aws.dead_letters() == []


def test_the_bad_body_sample_is_400_and_not_recorded(invoke: Invoke, aws: AwsWorld) -> None:
    response = invoke(load("api-escalate-bad-body.json"))
    assert response["statusCode"] == 400
    assert api_body(response)["error"] == "INVALID_BODY"
    assert aws.dead_letters() == []


def test_the_both_targets_sample_is_400_naming_target(invoke: Invoke, aws: AwsWorld) -> None:
    response = invoke(load("api-escalate-both-targets.json"))
    assert response["statusCode"] == 400
    body = api_body(response)
    assert body["error"] == "INVALID_BODY"
    assert "target" in body["message"]
    assert aws.dead_letters() == []


def test_the_breach_sample_transfers_to_tier2(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    expect(connect_stub, "contact-1")
    result = invoke(load("sla-breach.json"))
    assert result["status"] == "TRANSFERRED"
    assert result["target"] == {"type": "QUEUE", "id": "queue-tier2"}
    assert aws.dead_letters() == []


def test_the_ended_contact_breach_sample_is_skipped(
    invoke: Invoke, connect_stub: ConnectStub, aws: AwsWorld
) -> None:
    expect(connect_stub, "contact-ended", ended=True, transfer=False)
    assert invoke(load("sla-breach-ended-contact.json"))["status"] == "SKIPPED"
    assert aws.dead_letters() == []
    assert aws.alerts() == []


@pytest.mark.parametrize(
    ("name", "error"),
    [("sla-breach-foreign-instance.json", "FOREIGN_INSTANCE"), ("foreign-event.json", "INVALID_EVENT")],
)
def test_refused_events_are_dead_lettered(invoke: Invoke, aws: AwsWorld, name: str, error: str) -> None:
    event = load(name)
    result = invoke(event)  # no Connect answer is queued: a call would fail the stub
    assert result["status"] == "REFUSED"
    assert result["error"] == error
    (record,) = aws.dead_letters()
    assert record["errorCode"] == error
    assert record["originalEvent"] == event


def test_the_contact_event_sample_is_ignored_while_timers_are_off(invoke: Invoke, aws: AwsWorld) -> None:
    result = invoke(load("contact-event-queued.json"))  # no Connect answer is queued: none is asked for
    assert result["status"] == "IGNORED"
    assert aws.dead_letters() == []


OUTCOMES = {
    "api-escalate-success.json": test_the_success_sample_transfers_to_tier2,
    "api-escalate-bad-body.json": test_the_bad_body_sample_is_400_and_not_recorded,
    "api-escalate-both-targets.json": test_the_both_targets_sample_is_400_naming_target,
    "sla-breach.json": test_the_breach_sample_transfers_to_tier2,
    "sla-breach-ended-contact.json": test_the_ended_contact_breach_sample_is_skipped,
    "sla-breach-foreign-instance.json": test_refused_events_are_dead_lettered,
    "foreign-event.json": test_refused_events_are_dead_lettered,
    "contact-event-queued.json": test_the_contact_event_sample_is_ignored_while_timers_are_off,
}
