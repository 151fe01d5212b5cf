"""The contact-event rule's pattern: only what the SLA timers act on reaches the handler.

The pattern is evaluated as the local bus applies it (moto's EventBridge matcher); the infra tests
check that the deployed rule carries the same pattern.
"""

from __future__ import annotations

from typing import Any

import pytest

from escalation.contract import TIMER_CONTACT_EVENT_TYPES, contact_event_pattern
from escalation.domain.model import Channel
from escalation.domain.sla_policy import TIMED_CHANNELS
from local.bus import event_rule, matches
from tests.unit.builders import INSTANCE_ARN, contact_event

PATTERN = contact_event_pattern(INSTANCE_ARN)


def test_the_pattern_is_valid_and_its_timed_channels_are_connect_channels() -> None:
    # The contract writes the timed channels as plain names (it imports no domain module).
    assert TIMED_CHANNELS.issubset(channel.value for channel in Channel)
    event_rule(PATTERN)  # EventBridge would accept it


@pytest.mark.parametrize("event_type", [*TIMER_CONTACT_EVENT_TYPES, "queued"])
@pytest.mark.parametrize("channel", ["TASK", "Task", "EMAIL", "email"])
def test_timer_events_of_timed_channels_match_in_any_casing(event_type: str, channel: str) -> None:
    assert matches(PATTERN, contact_event(event_type, channel=channel))


@pytest.mark.parametrize(
    "event",
    [
        contact_event("QUEUED", channel="VOICE"),
        contact_event("CONNECTED_TO_AGENT", channel="Chat"),
        contact_event("CONTACT_DATA_UPDATED"),
        contact_event("COMPLETED", channel="EMAIL"),
        contact_event("CONNECTED_TO_SYSTEM"),
        contact_event("QUEUED", instanceArn=INSTANCE_ARN.replace("instance/", "instance/other-")),
    ],
)
def test_other_contact_events_do_not_match(event: dict[str, Any]) -> None:
    assert not matches(PATTERN, event)
