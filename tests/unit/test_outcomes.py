"""Every failure tells the truth: the dead-letter record and the alert reach their channels, or the logs.

Over in-memory fakes of the ports (tests/unit/fakes.py): what happens when the queue or the topic refuses.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from escalation import observability
from escalation.contract import Metric
from escalation.domain.errors import ConnectCallFailed, EscalationRefused, OutcomeNotRecorded
from escalation.domain.model import Trigger
from escalation.domain.policy import Failure, Refusal
from escalation.outcomes import OncePerWindowAlerts, OutcomeRecorder, Subject, current_request_id
from tests.unit.fakes import (
    InMemoryAlertWindow,
    InMemoryDeadLetterMarks,
    RecordingAlerts,
    RecordingDeadLetters,
)

EVENT = {"source": "escalation.sla", "detail-type": "Contact SLA Breached", "detail": {"contactId": "c-1"}}


class World:
    def __init__(self) -> None:
        self.queue = RecordingDeadLetters()
        self.topic = RecordingAlerts()
        self.window = InMemoryAlertWindow()
        self.marks = InMemoryDeadLetterMarks()
        self.recorder = OutcomeRecorder(self.queue, OncePerWindowAlerts(self.topic, self.window), self.marks)


@pytest.fixture
def world() -> World:
    current_request_id.set("request-1")
    observability.metrics.clear_metrics()
    return World()


def denied(chain: str = "chain-1") -> ConnectCallFailed:
    failure = ConnectCallFailed(Failure.ACCESS_DENIED, "TransferContact", "AccessDeniedException", "no", 1)
    failure.chain_id = chain
    return failure


def subject(escalation: str = "esc-1", contact: str = "c-1", trigger: Trigger = Trigger.EVENT) -> Subject:
    return Subject(trigger, EVENT, escalation, contact)


def error_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The handler's log lines at ERROR, each as the JSON line Powertools writes (its extra keys included)."""
    return [
        {"message": record.getMessage(), **vars(record)}
        for record in caplog.records
        if record.levelno == logging.ERROR
    ]


def test_a_failed_publish_pages_exactly_once_after_the_topic_heals(world: World) -> None:
    world.topic.down = True
    with pytest.raises(OutcomeNotRecorded) as raised:
        world.recorder.connect_failure(denied(), subject())
    assert raised.value.alert_failed
    assert not raised.value.dead_letter_failed
    assert world.window.claims == {}  # released: the retry may page

    world.topic.down = False
    world.recorder.connect_failure(denied(), subject())  # Lambda's retry of the same invocation
    world.recorder.connect_failure(denied(), subject())  # and once more: already paged

    assert len(world.topic.published) == 1
    assert list(world.window.claims.values()) == [True]


def test_a_replay_of_the_same_invocation_writes_no_second_record(world: World) -> None:
    world.topic.down = True
    with pytest.raises(OutcomeNotRecorded):
        world.recorder.connect_failure(denied(), subject())
    world.topic.down = False
    world.recorder.connect_failure(denied(), subject())

    assert len(world.queue.records) == 1
    assert len(world.topic.published) == 1


def test_a_redrive_is_a_new_invocation_and_records_its_failure_again(world: World) -> None:
    world.recorder.connect_failure(denied(), subject())
    current_request_id.set("request-of-the-redrive")
    world.recorder.connect_failure(denied(), subject())

    assert len(world.queue.records) == 2  # the redrive deleted the first; its failure is kept again
    assert len(world.topic.published) == 1  # but the on-call is paged once per window


def test_alerts_are_once_per_chain_and_code_however_many_escalation_ids(world: World) -> None:
    for n in range(3):  # three clicks, each with a new Idempotency-Key
        current_request_id.set(f"request-{n}")
        world.recorder.refusal(
            _limit_reached("chain-1"), subject(escalation=f"esc-{n}", trigger=Trigger.EVENT)
        )
    world.recorder.refusal(_limit_reached("chain-2"), subject(escalation="esc-9", contact="c-9"))

    assert [alert["chainId"] for _, alert in world.topic.published] == ["chain-1", "chain-2"]
    assert len(world.queue.records) == 4  # every failure is still dead-lettered


def _limit_reached(chain: str) -> EscalationRefused:
    refused = EscalationRefused(Refusal.TRANSFER_LIMIT_REACHED, "eleven transfers already")
    refused.chain_id = chain
    return refused


def test_a_failed_dead_letter_write_is_logged_counted_and_announced(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.queue.down = True
    with pytest.raises(OutcomeNotRecorded) as raised:
        world.recorder.connect_failure(denied(), subject())
    assert raised.value.dead_letter_failed
    assert not raised.value.alert_failed

    [line] = error_lines(caplog)
    assert line["message"] == "Dead-letter record not written"
    assert line["escalation_id"] == "esc-1"
    record = line["dead_letter_record"]
    assert isinstance(record, dict)
    assert record["errorCode"] == "AccessDeniedException"
    assert record["originalEvent"] == EVENT
    assert observability.metrics.metric_set[Metric.DEAD_LETTER_WRITE_FAILED]["Value"] == [1.0]
    [(_, alert)] = world.topic.published
    assert alert["deadLetterWriteFailed"] is True
    assert "could not be written to the DLQ" in alert["whatToDo"]


def test_a_record_without_an_alert_of_its_own_is_announced_when_it_cannot_be_written(world: World) -> None:
    world.queue.down = True
    invalid = ConnectCallFailed(Failure.INVALID_REQUEST, "TransferContact", "InvalidRequestException", "x", 1)
    with pytest.raises(OutcomeNotRecorded):
        world.recorder.connect_failure(invalid, subject())  # DEAD_LETTER only: normally no alert
    [(subject_line, alert)] = world.topic.published
    assert "InvalidRequestException" in subject_line
    assert alert["deadLetterWriteFailed"] is True


def test_while_the_queue_is_down_the_alert_still_goes_out_and_the_retry_writes_the_record(
    world: World,
) -> None:
    world.queue.down = True
    with pytest.raises(OutcomeNotRecorded):
        world.recorder.connect_failure(denied(), subject())
    assert len(world.topic.published) == 1

    world.queue.down = False
    world.recorder.connect_failure(denied(), subject())  # the retry
    assert len(world.queue.records) == 1
    assert len(world.topic.published) == 1  # the page that said so stands; nothing more


def test_both_channels_down_logs_both_at_error(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.queue.down = world.topic.down = True
    with pytest.raises(OutcomeNotRecorded) as raised:
        world.recorder.connect_failure(denied(), subject())
    assert raised.value.dead_letter_failed
    assert raised.value.alert_failed
    messages = [line["message"] for line in error_lines(caplog)]
    assert messages == ["Dead-letter record not written", "Alert not published"]
