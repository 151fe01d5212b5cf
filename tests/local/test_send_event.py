"""`python -m local.send_event`: each kind of sample reaches the function the way AWS would deliver it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.bus import LocalBus
from local.run_info import RunInfo
from local.send_event import main
from local.stack import REPO_ROOT
from tests.local.helpers import RecordingHandler

EVENTS = REPO_ROOT / "events"
IDLE_SECONDS = 10.0


def test_a_breach_goes_through_the_bus_with_its_contact_id_replaced(
    bus: LocalBus, handler: RecordingHandler
) -> None:
    assert main([str(EVENTS / "sla-breach.json"), "--bus-url", bus.endpoint_url, "--contact-id", "c-9"]) == 0
    assert bus.wait_idle(IDLE_SECONDS)
    event, _context = handler.only_call()
    assert event["source"] == "escalation.sla"
    assert event["detail"]["contactId"] == "c-9"
    assert bus.stats.events_matched == 1


def test_an_aws_event_is_refused_by_the_bus_but_can_be_invoked_directly(
    bus: LocalBus, handler: RecordingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(EVENTS / "foreign-event.json")  # source aws.connect: no account may put it
    assert main([sample, "--bus-url", bus.endpoint_url]) == 1
    assert "NotAuthorizedForSourceException" in capsys.readouterr().err
    assert bus.wait_idle(IDLE_SECONDS)
    assert handler.events == []

    assert main([sample, "--bus-url", bus.endpoint_url, "--invoke"]) == 0
    assert handler.only_call()[0]["source"] == "aws.connect"
    assert json.loads(capsys.readouterr().out) == handler.result


def test_an_api_request_is_invoked_with_the_contact_id_in_its_body(
    bus: LocalBus, handler: RecordingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(EVENTS / "api-escalate-success.json")
    assert main([sample, "--bus-url", bus.endpoint_url, "--contact-id", "c-7"]) == 0
    event, _context = handler.only_call()
    assert json.loads(event["body"])["contactId"] == "c-7"
    assert event["requestContext"]["authorizer"]["claims"]["custom:connect_user_id"] == "agent-alice"
    assert json.loads(capsys.readouterr().out) == handler.result


def test_the_bus_is_found_through_the_running_serve(
    bus: LocalBus, handler: RecordingHandler, tmp_path: Path
) -> None:
    RunInfo(1, "", "", "", bus.endpoint_url, bus.function.function_name, "", "").save(tmp_path)
    assert main([str(EVENTS / "sla-breach-foreign-instance.json"), "--run-dir", str(tmp_path)]) == 0
    assert bus.wait_idle(IDLE_SECONDS)
    assert handler.only_call()[0]["detail"]["instanceId"].endswith("/another-instance")


def test_without_a_running_serve_it_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EVENTS / "sla-breach.json"), "--run-dir", str(tmp_path)]) == 2
    assert "make serve" in capsys.readouterr().err
